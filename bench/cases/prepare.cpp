// How each public method is called, checked and timed by the benchmarks. Every
// case follows one pattern: build the parameters, compute the float64
// reference from the initial state (running statistics included), call
// simdnorm once and compare, then hand back the same call for timing (timed
// calls keep updating running statistics, which does not change their cost).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "case_inputs.hpp"
#include "data_family.hpp"
#include "prepared_call.hpp"
#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

namespace {

using bench::normal_floats;
using bench::uniform_floats;

// Batch-instance norm's rho: no peer takes it, so it is seeded here.
constexpr std::uint64_t rho_seed = 0x5eed'0004;

// Everything a call reads or writes besides x; each case uses what it needs.
// Shared with the timed call, which outlives the case's function.
struct buffers {
  std::vector<float> gamma, beta, rho, g;
  std::vector<float> running_mean, running_var;
  std::vector<float> y, mean, rstd, var, save_mean, save_rstd, norm;
};

std::vector<float> zeros(std::int64_t count) {
  return std::vector<float>(static_cast<std::size_t>(count), 0.0f);
}

void add_affine(buffers& b, std::int64_t count) {
  affine_parameters affine = affine_of_size(count);
  b.gamma = std::move(affine.gamma);
  b.beta = std::move(affine.beta);
}

void add_running_stats_of_data(buffers& b, const std::vector<float>& x, const shape& s) {
  running_statistics running = running_statistics_of(x, s);
  b.running_mean = std::move(running.mean);
  b.running_var = std::move(running.var);
}

void add_fresh_running_stats(buffers& b, std::int64_t channels) {
  running_statistics running = fresh_running_statistics(channels);
  b.running_mean = std::move(running.mean);
  b.running_var = std::move(running.var);
}

// The case's float64 reference: computed once per cache, then shared by every
// implementation checked against it.
template <class Compute>
auto cached(reference_cache& cache, Compute compute) {
  using result = decltype(compute());
  if (!cache.value) cache.value = std::make_shared<const result>(compute());
  return std::static_pointer_cast<const result>(cache.value);
}

std::uint64_t fnv1a(const std::vector<float>& v) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(float); ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// The buffers a call can write, by name; the empty ones are left out.
std::vector<output_digest> digests_of(const buffers& b) {
  std::vector<output_digest> digests;
  const std::pair<const char*, const std::vector<float>*> outputs[] = {
      {"y", &b.y},
      {"mean", &b.mean},
      {"rstd", &b.rstd},
      {"var", &b.var},
      {"save_mean", &b.save_mean},
      {"save_rstd", &b.save_rstd},
      {"norm", &b.norm},
      {"running_mean", &b.running_mean},
      {"running_var", &b.running_var}};
  for (const auto& [name, values] : outputs) {
    if (!values->empty()) digests.push_back({name, fnv1a(*values)});
  }
  return digests;
}

template <class Call>
prepared_call finish(std::shared_ptr<buffers> b, Call call) {
  prepared_call prepared;
  prepared.call = [b, call] { call(*b); };
  prepared.digests = [b = std::move(b)] { return digests_of(*b); };
  return prepared;
}

// ---- rows x d methods -----------------------------------------------------------

prepared_call standardize_adapt(const case_spec& s, const std::vector<float>& x,
                                reference_cache& cache) {
  auto b = std::make_shared<buffers>();
  b->mean = zeros(s.d);
  b->var = zeros(s.d);
  const float* data = x.data();
  prepared_call p = finish(b, [data, s](buffers& b) {
    simdnorm::moments accumulated(s.d);
    accumulated.update(data, s.n);
    accumulated.finalize(b.mean.data(), b.var.data());
  });
  p.call();
  const auto expected = cached(cache, [&] { return reference::moments(data, s.n, s.d); });
  measure_stat(p.errors, b->mean, expected->mean);
  measure_stat(p.errors, b->var, expected->var);
  return p;
}

prepared_call standardize_apply(const case_spec& s, const std::vector<float>& x,
                                reference_cache& cache) {
  auto b = std::make_shared<buffers>();
  const reference::feature_moments moments = reference::moments(x.data(), s.n, s.d);
  b->mean.assign(moments.mean.begin(), moments.mean.end());
  b->var.assign(moments.var.begin(), moments.var.end());
  b->y = zeros(s.n * s.d);
  const float* data = x.data();
  prepared_call p = finish(b, [data, s](buffers& b) {
    simdnorm::standardize_apply(data, s.n, s.d, b.mean.data(), b.var.data(), b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::standardize_apply(data, s.n, s.d, b->mean.data(), b->var.data());
  });
  p.call();
  measure_y(p.errors, b->y, *expected);
  return p;
}

prepared_call layer_norm(const case_spec& s, const std::vector<float>& x, reference_cache& cache) {
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.d);
  b->y = zeros(s.n * s.d);
  b->mean = zeros(s.n);
  b->rstd = zeros(s.n);
  const float* data = x.data();
  prepared_call p = finish(b, [data, s](buffers& b) {
    simdnorm::layer_norm(data, s.n, s.d, b.gamma.data(), b.beta.data(), eps, b.y.data(),
                         b.mean.data(), b.rstd.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::layer_norm(data, s.n, s.d, b->gamma.data(), b->beta.data(), eps);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->mean, expected->mean);
  measure_stat(p.errors, b->rstd, expected->rstd);
  return p;
}

prepared_call rms_norm(const case_spec& s, const std::vector<float>& x, reference_cache& cache) {
  // gamma only, as in LLaMA-style models.
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.d);
  b->y = zeros(s.n * s.d);
  b->rstd = zeros(s.n);
  const float* data = x.data();
  prepared_call p = finish(b, [data, s](buffers& b) {
    simdnorm::rms_norm(data, s.n, s.d, b.gamma.data(), nullptr, eps, b.y.data(), b.rstd.data());
  });
  const auto expected = cached(
      cache, [&] { return reference::rms_norm(data, s.n, s.d, b->gamma.data(), nullptr, eps); });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->rstd, expected->rstd);
  return p;
}

prepared_call weight_norm(const case_spec& s, const std::vector<float>& x, reference_cache& cache) {
  // x is v, an n x d weight (n output rows).
  auto b = std::make_shared<buffers>();
  b->g = weight_norm_gains(s.n);
  b->y = zeros(s.n * s.d);
  b->norm = zeros(s.n);
  const float* data = x.data();
  prepared_call p = finish(b, [data, s](buffers& b) {
    simdnorm::weight_norm(data, b.g.data(), s.n, s.d, b.y.data(), b.norm.data());
  });
  const auto expected =
      cached(cache, [&] { return reference::weight_norm(data, b->g.data(), s.n, s.d); });
  p.call();
  measure_y(p.errors, b->y, expected->w);
  measure_stat(p.errors, b->norm, expected->norm);
  return p;
}

// ---- activation methods -----------------------------------------------------------

prepared_call batch_norm_inference(const case_spec& s, const std::vector<float>& x,
                                   reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_running_stats_of_data(*b, x, sh);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_norm_inference(data, sh, b.running_mean.data(), b.running_var.data(),
                                   b.gamma.data(), b.beta.data(), eps, b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_norm_inference(data, sh, b->running_mean.data(), b->running_var.data(),
                                           b->gamma.data(), b->beta.data(), eps);
  });
  p.call();
  measure_y(p.errors, b->y, *expected);
  return p;
}

prepared_call batch_norm_training(const case_spec& s, const std::vector<float>& x,
                                  reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_fresh_running_stats(*b, s.c);
  b->y = zeros(s.elements());
  b->save_mean = zeros(s.c);
  b->save_rstd = zeros(s.c);
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_norm_training(data, sh, b.running_mean.data(), b.running_var.data(),
                                  b.gamma.data(), b.beta.data(), momentum, eps,
                                  running_var_kind::unbiased, b.y.data(), b.save_mean.data(),
                                  b.save_rstd.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_norm_training(data, sh, b->running_mean.data(), b->running_var.data(),
                                          b->gamma.data(), b->beta.data(), momentum, eps,
                                          running_var_kind::unbiased);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->save_mean, expected->save_mean);
  measure_stat(p.errors, b->save_rstd, expected->save_rstd);
  measure_stat(p.errors, b->running_mean, expected->running_mean);
  measure_stat(p.errors, b->running_var, expected->running_var);
  return p;
}

prepared_call batch_norm_mean_only_inference(const case_spec& s, const std::vector<float>& x,
                                             reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_running_stats_of_data(*b, x, sh);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_norm_mean_only_inference(data, sh, b.running_mean.data(), b.beta.data(),
                                             b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_norm_mean_only_inference(data, sh, b->running_mean.data(),
                                                     b->beta.data());
  });
  p.call();
  measure_y(p.errors, b->y, *expected);
  return p;
}

prepared_call batch_norm_mean_only_training(const case_spec& s, const std::vector<float>& x,
                                            reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_fresh_running_stats(*b, s.c);
  b->y = zeros(s.elements());
  b->save_mean = zeros(s.c);
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_norm_mean_only_training(data, sh, b.running_mean.data(), b.beta.data(),
                                            momentum, b.y.data(), b.save_mean.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_norm_mean_only_training(data, sh, b->running_mean.data(),
                                                    b->beta.data(), momentum);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->save_mean, expected->save_mean);
  measure_stat(p.errors, b->running_mean, expected->running_mean);
  return p;
}

prepared_call instance_norm(const case_spec& s, const std::vector<float>& x,
                            reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  b->y = zeros(s.elements());
  b->mean = zeros(s.n * s.c);
  b->rstd = zeros(s.n * s.c);
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::instance_norm(data, sh, b.gamma.data(), b.beta.data(), eps, b.y.data(), b.mean.data(),
                            b.rstd.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::instance_norm(data, sh, b->gamma.data(), b->beta.data(), eps);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->mean, expected->mean);
  measure_stat(p.errors, b->rstd, expected->rstd);
  return p;
}

prepared_call group_norm(const case_spec& s, const std::vector<float>& x, reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  b->y = zeros(s.elements());
  b->mean = zeros(s.n * s.groups);
  b->rstd = zeros(s.n * s.groups);
  const float* data = x.data();
  const std::int64_t groups = s.groups;
  prepared_call p = finish(b, [data, sh, groups](buffers& b) {
    simdnorm::group_norm(data, sh, groups, b.gamma.data(), b.beta.data(), eps, b.y.data(),
                         b.mean.data(), b.rstd.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::group_norm(data, sh, groups, b->gamma.data(), b->beta.data(), eps);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->mean, expected->mean);
  measure_stat(p.errors, b->rstd, expected->rstd);
  return p;
}

prepared_call batch_instance_norm_inference(const case_spec& s, const std::vector<float>& x,
                                            reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_running_stats_of_data(*b, x, sh);
  b->rho = uniform_floats(s.c, rho_seed);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_instance_norm_inference(data, sh, b.running_mean.data(), b.running_var.data(),
                                            b.gamma.data(), b.beta.data(), b.rho.data(), eps,
                                            b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_instance_norm_inference(data, sh, b->running_mean.data(),
                                                    b->running_var.data(), b->gamma.data(),
                                                    b->beta.data(), b->rho.data(), eps);
  });
  p.call();
  measure_y(p.errors, b->y, *expected);
  return p;
}

prepared_call batch_instance_norm_training(const case_spec& s, const std::vector<float>& x,
                                           reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_fresh_running_stats(*b, s.c);
  b->rho = uniform_floats(s.c, rho_seed);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::batch_instance_norm_training(data, sh, b.running_mean.data(), b.running_var.data(),
                                           b.gamma.data(), b.beta.data(), b.rho.data(), momentum,
                                           eps, b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::batch_instance_norm_training(data, sh, b->running_mean.data(),
                                                   b->running_var.data(), b->gamma.data(),
                                                   b->beta.data(), b->rho.data(), momentum, eps);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->running_mean, expected->running_mean);
  measure_stat(p.errors, b->running_var, expected->running_var);
  return p;
}

// Softmax-like mixing weights that give each statistic a real share.
const switch_weights mixing = {{0.5f, 0.3f, 0.2f}, {0.2f, 0.3f, 0.5f}};

prepared_call switchable_norm_inference(const case_spec& s, const std::vector<float>& x,
                                        reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_running_stats_of_data(*b, x, sh);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::switchable_norm_inference(data, sh, b.running_mean.data(), b.running_var.data(),
                                        b.gamma.data(), b.beta.data(), mixing, eps, b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::switchable_norm_inference(data, sh, b->running_mean.data(),
                                                b->running_var.data(), b->gamma.data(),
                                                b->beta.data(), mixing, eps);
  });
  p.call();
  measure_y(p.errors, b->y, *expected);
  return p;
}

prepared_call switchable_norm_training(const case_spec& s, const std::vector<float>& x,
                                       reference_cache& cache) {
  const shape sh = s.activation_shape();
  auto b = std::make_shared<buffers>();
  add_affine(*b, s.c);
  add_fresh_running_stats(*b, s.c);
  b->y = zeros(s.elements());
  const float* data = x.data();
  prepared_call p = finish(b, [data, sh](buffers& b) {
    simdnorm::switchable_norm_training(data, sh, b.running_mean.data(), b.running_var.data(),
                                       b.gamma.data(), b.beta.data(), mixing, momentum, eps,
                                       b.y.data());
  });
  const auto expected = cached(cache, [&] {
    return reference::switchable_norm_training(data, sh, b->running_mean.data(),
                                               b->running_var.data(), b->gamma.data(),
                                               b->beta.data(), mixing, momentum, eps);
  });
  p.call();
  measure_y(p.errors, b->y, expected->y);
  measure_stat(p.errors, b->running_mean, expected->running_mean);
  measure_stat(p.errors, b->running_var, expected->running_var);
  return p;
}

// Each method's minimum traffic in floats: every buffer a call reads, once,
// plus every buffer it writes, once. Batch norm training, for one: x and y,
// gamma and beta, the running mean and variance read and written, save_mean
// and save_rstd written: 2 elements + 8 c.
struct method_entry {
  const char* name;
  prepared_call (*prepare)(const case_spec&, const std::vector<float>&, reference_cache&);
  std::int64_t (*traffic_floats)(const case_spec&);
};

constexpr method_entry methods[] = {
    {"standardize_adapt", standardize_adapt,
     [](const case_spec& s) { return s.n * s.d + 2 * s.d; }},
    {"standardize_apply", standardize_apply,
     [](const case_spec& s) { return 2 * s.n * s.d + 2 * s.d; }},
    {"layer_norm", layer_norm,
     [](const case_spec& s) { return 2 * s.n * s.d + 2 * s.d + 2 * s.n; }},
    {"rms_norm", rms_norm, [](const case_spec& s) { return 2 * s.n * s.d + s.d + s.n; }},
    {"weight_norm", weight_norm, [](const case_spec& s) { return 2 * s.n * s.d + 2 * s.n; }},
    {"batch_norm_inference", batch_norm_inference,
     [](const case_spec& s) { return 2 * s.elements() + 4 * s.c; }},
    {"batch_norm_training", batch_norm_training,
     [](const case_spec& s) { return 2 * s.elements() + 8 * s.c; }},
    {"batch_norm_mean_only_inference", batch_norm_mean_only_inference,
     [](const case_spec& s) { return 2 * s.elements() + 2 * s.c; }},
    {"batch_norm_mean_only_training", batch_norm_mean_only_training,
     [](const case_spec& s) { return 2 * s.elements() + 4 * s.c; }},
    {"instance_norm", instance_norm,
     [](const case_spec& s) { return 2 * s.elements() + 2 * s.c + 2 * s.n * s.c; }},
    {"group_norm", group_norm,
     [](const case_spec& s) { return 2 * s.elements() + 2 * s.c + 2 * s.n * s.groups; }},
    {"batch_instance_norm_inference", batch_instance_norm_inference,
     [](const case_spec& s) { return 2 * s.elements() + 5 * s.c; }},
    {"batch_instance_norm_training", batch_instance_norm_training,
     [](const case_spec& s) { return 2 * s.elements() + 7 * s.c; }},
    {"switchable_norm_inference", switchable_norm_inference,
     [](const case_spec& s) { return 2 * s.elements() + 4 * s.c; }},
    {"switchable_norm_training", switchable_norm_training,
     [](const case_spec& s) { return 2 * s.elements() + 6 * s.c; }},
};

const method_entry& method_of(const case_spec& spec) {
  for (const method_entry& method : methods) {
    if (spec.method == method.name) return method;
  }
  throw std::invalid_argument("unknown method " + spec.method);
}

}  // namespace

std::int64_t minimum_traffic_bytes(const case_spec& spec) {
  return method_of(spec).traffic_floats(spec) * static_cast<std::int64_t>(sizeof(float));
}

prepared_call prepare(const case_spec& spec, const std::vector<float>& x, reference_cache* cache) {
  reference_cache local;
  prepared_call prepared = method_of(spec).prepare(spec, x, cache != nullptr ? *cache : local);
  prepared.bytes = minimum_traffic_bytes(spec);
  return prepared;
}

}  // namespace simdnorm::bench
