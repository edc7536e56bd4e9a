#include "case_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

#include "data_family.hpp"
#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"
#include "simdnorm/half_float.h"

namespace simdnorm::bench {

namespace {

using methods::buffer;
using methods::contents;
using methods::extent;
using methods::role;

constexpr std::uint64_t parameter_seed = 0x5eed'0001;
// Batch-instance norm's rho: no peer takes it, so it has a seed of its own.
constexpr std::uint64_t rho_seed = 0x5eed'0004;
// The fused add's bias.
constexpr std::uint64_t bias_seed = 0x5eed'0005;

// gamma near 1 and beta near 0, as after some training; the same for every
// case and data family of a given size.
struct affine_parameters {
  std::vector<float> gamma, beta;
};
affine_parameters affine_of_size(std::int64_t count) {
  return {bench::normal_floats(count, parameter_seed, 1.0, 0.1),
          bench::normal_floats(count, parameter_seed + 1, 0.0, 0.1)};
}

// Weight norm's g, one per output row, near 1.
std::vector<float> weight_norm_gains(std::int64_t rows) {
  return bench::normal_floats(rows, parameter_seed + 2, 1.0, 0.1);
}

struct running_statistics {
  std::vector<float> mean, var;
};

// The data's own per-channel statistics (float64, rounded; biased variance),
// so that inference outputs are O(1) on every data family.
// The variance goes through rstd and back, as it did when these came from
// the training reference, so that inputs keep their bits across revisions
// (scripts/compare-outputs.sh compares builds on the same inputs).
running_statistics running_statistics_of(const std::vector<float>& x, const shape& s) {
  const std::vector<reference::set_stats> batch = reference::batch_stats(x.data(), s);
  running_statistics running;
  running.mean.resize(batch.size());
  running.var.resize(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    running.mean[i] = static_cast<float>(batch[i].mean);
    const double rstd = reference::rstd_of(batch[i].var, eps);
    // A constant channel's 1 / rstd^2 - eps rounds to about -1e-21, not 0:
    // clamped, since a negative running variance is an invalid argument (a
    // NaN one, from NaN data, is kept: it is data).
    const double var = 1.0 / (rstd * rstd) - static_cast<double>(eps);
    running.var[i] = static_cast<float>(var < 0.0 ? 0.0 : var);
  }
  return running;
}

// PyTorch's initial running statistics: mean 0, variance 1.
running_statistics fresh_running_statistics(std::int64_t channels) {
  const auto count = static_cast<std::size_t>(channels);
  return {std::vector<float>(count, 0.0f), std::vector<float>(count, 1.0f)};
}

std::vector<float> rounded(const std::vector<double>& values) {
  return std::vector<float>(values.begin(), values.end());
}

// An output the call only writes: it starts as zeros.
bool is_pure_output(const buffer& b) { return is_output(b.kind) && b.kind != role::in_out; }

// The initial values of a call's buffers. The statistics of the data, a pass
// over the whole tensor, are taken once for the buffers that share them.
class initial_values {
 public:
  initial_values(const methods::method& m, const methods::problem& p, const std::vector<float>& x)
      : m_(m), p_(p), x_(x) {}

  std::vector<float> operator()(const buffer& b) {
    const std::int64_t count = methods::size_of(b.size, p_);
    switch (b.holds) {
      case contents::gamma:
        return affine_of_size(count).gamma;
      case contents::beta:
        return affine_of_size(count).beta;
      case contents::running_mean:
        return running().mean;
      case contents::running_var:
        return running().var;
      case contents::rho:
        return uniform_floats(count, rho_seed);
      case contents::gain:
        return weight_norm_gains(count);
      // Standardize given the data's own moments: outputs are O(1).
      case contents::mean:
        return rounded(moments().mean);
      case contents::var:
        return rounded(moments().var);
      case contents::bias:
        return bench::normal_floats(count, bias_seed, 0.0, 0.1);
      case contents::data:
        // A second tensor (the fused add's residual): x reversed, data of
        // x's own family (constant rows stay constant, tiny values tiny,
        // NaNs and infinities in both), in other places.
        if (b.kind == role::input) return std::vector<float>(x_.rbegin(), x_.rend());
        break;
      case contents::rstd:
      case contents::norm:
        break;
    }
    throw std::logic_error(std::string(m_.name) + ": no input values for buffer " + b.name);
  }

 private:
  // Training starts where PyTorch does; inference reads the data's own
  // statistics.
  const running_statistics& running() {
    if (!running_) {
      running_ = m_.training ? fresh_running_statistics(p_.c)
                             : running_statistics_of(x_, p_.activation_shape());
    }
    return *running_;
  }
  const reference::feature_moments& moments() {
    if (!moments_) moments_ = reference::moments(x_.data(), p_.n, p_.d);
    return *moments_;
  }

  const methods::method& m_;
  const methods::problem& p_;
  const std::vector<float>& x_;
  std::optional<running_statistics> running_;
  std::optional<reference::feature_moments> moments_;
};

// |actual - expected|, 0 where both are non-finite, infinite where only one
// is (counted as a mismatch). A reference value past float32's range (a
// variance of 1e60 from data of 1e30) is non-finite as a float: an infinite
// output is then right.
double abs_error(float actual, double expected, std::int64_t& mismatches) {
  const bool finite = std::isfinite(actual);
  const bool expected_finite = std::isfinite(static_cast<float>(expected));
  if (finite && expected_finite) return std::fabs(static_cast<double>(actual) - expected);
  if (!finite && !expected_finite) return 0.0;
  ++mismatches;
  return std::numeric_limits<double>::infinity();
}

// Raises errors.max_abs to the largest error of a tensor output (y, or the
// fused add's sum), sets errors.mean_abs from y's, and counts their
// non-finite mismatches (see error_figures).
void measure_tensor(error_figures& errors, bool primary, const float* y, std::size_t count,
                    const std::vector<double>& expected) {
  if (count != expected.size()) throw std::logic_error("reference tensor has another size");
  // Four partial maxima and sums: with one, the chain of dependent double
  // additions was a fifth of the accuracy gate's time. Only the mean's last
  // bits depend on the order.
  constexpr std::size_t lanes = 4;
  double max[lanes] = {}, sum[lanes] = {};
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) {
    for (std::size_t k = 0; k < lanes; ++k) {
      const double error = abs_error(y[i + k], expected[i + k], errors.nonfinite_mismatches);
      max[k] = std::max(max[k], error);
      sum[k] += error;
    }
  }
  for (; i < count; ++i) {
    const double error = abs_error(y[i], expected[i], errors.nonfinite_mismatches);
    max[0] = std::max(max[0], error);
    sum[0] += error;
  }
  const double largest = std::max(std::max(max[0], max[1]), std::max(max[2], max[3]));
  const double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  errors.max_abs = std::fmax(errors.max_abs, largest);
  if (primary) errors.mean_abs = count == 0 ? 0.0 : total / static_cast<double>(count);
}

// The value of a 16-bit element's bits.
double widened_element(dtype type, std::uint32_t bits16) {
  const auto h = static_cast<std::uint16_t>(bits16);
  return type == dtype::bfloat16 ? sn_bfloat16_to_float(h) : sn_float16_to_float(h);
}

// The element of type nearest to v, ties to even, as bits in a uint32
// (float32's own bits for float32). Converting v to float first and then to
// 16 bits can round twice (a v just past a tie lands on it), so the
// neighbours of that first guess are compared with v in double.
std::uint32_t nearest_element(dtype type, double v) {
  const float f = static_cast<float>(v);
  if (type == dtype::float32 || std::isnan(v)) {
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return type == dtype::float32 ? bits : 0x7fc0u;
  }
  const std::uint32_t guess =
      type == dtype::bfloat16 ? sn_bfloat16_from_float(f) : sn_float16_from_float(f);
  std::uint32_t best = guess;
  // Only a v past float32's range or the type's rounding threshold gives an
  // infinity, which is then right.
  if (!std::isfinite(widened_element(type, guess))) return guess;
  // The neighbours in magnitude, the sign kept.
  for (const std::uint32_t candidate : {guess - 1, guess + 1}) {
    if ((candidate ^ guess) & 0x8000u) continue;
    const double candidate_error = std::fabs(widened_element(type, candidate) - v);
    const double best_error = std::fabs(widened_element(type, best) - v);
    if (std::isnan(candidate_error)) continue;
    if (candidate_error < best_error || (candidate_error == best_error && (candidate & 1) == 0)) {
      best = candidate;
    }
  }
  return best;
}

// The position of a 16-bit element's value on a line where adjacent values
// are adjacent integers (-0 and +0 both 0).
std::int64_t ordinal(std::uint32_t bits16) {
  const std::int64_t magnitude = bits16 & 0x7fffu;
  return (bits16 & 0x8000u) ? -magnitude : magnitude;
}

// Sets errors.exact_rounded and raises errors.max_ulp from count 16-bit
// elements of a tensor output against their float64 reference: how far each
// lies from the correctly rounded element, in units in the last place.
// Non-finite ones count as exact where the reference rounds to the same
// class, and a NaN wherever the reference is not finite: a NaN or Inf
// poisons its own set, and mean-only batch norm's set with an infinity in
// it is NaN throughout where x - mean in double gives the infinity
// (measure_tensor counts the other non-finite outputs as mismatches).
// nearest holds nearest_element of each reference value.
void measure_rounding(error_figures& errors, dtype type, const void* storage, std::size_t count,
                      const std::vector<std::uint32_t>& nearest, std::int64_t& exact,
                      std::int64_t& counted) {
  const auto* bits = static_cast<const std::uint16_t*>(storage);
  double max = std::isnan(errors.max_ulp) ? 0.0 : errors.max_ulp;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t want = nearest[i];
    const bool got_finite = (bits[i] & (type == dtype::bfloat16 ? 0x7f80u : 0x7c00u)) !=
                            (type == dtype::bfloat16 ? 0x7f80u : 0x7c00u);
    const bool want_finite = (want & (type == dtype::bfloat16 ? 0x7f80u : 0x7c00u)) !=
                             (type == dtype::bfloat16 ? 0x7f80u : 0x7c00u);
    double ulps;
    if (got_finite && want_finite) {
      ulps = static_cast<double>(std::llabs(ordinal(bits[i]) - ordinal(want)));
    } else {
      const bool got_nan = !got_finite && (bits[i] & (type == dtype::bfloat16 ? 0x7fu : 0x3ffu));
      const bool want_nan = !want_finite && (want & (type == dtype::bfloat16 ? 0x7fu : 0x3ffu));
      ulps = (got_nan && !want_finite) || (!got_nan && !want_nan && bits[i] == want)
                 ? 0.0
                 : std::numeric_limits<double>::infinity();
    }
    max = std::max(max, ulps);
    exact += ulps == 0.0;
  }
  counted += static_cast<std::int64_t>(count);
  errors.max_ulp = max;
  errors.exact_rounded = counted == 0 ? 1.0 : static_cast<double>(exact) / counted;
}

// The float64 standard deviation of every set a statistic of this extent is
// taken over, in the order the API writes the statistic: the oracle's own
// sets (reference/tensor_sets.hpp), rows x d seen as NHWC with one position
// (per feature) or as samples of one channel (per row).
std::vector<double> set_spreads(const methods::problem& p, extent size, const float* x) {
  std::vector<reference::set_stats> sets;
  switch (size) {
    case extent::features:
      sets = reference::batch_stats(x, shape{p.n, p.d, 1, layout::nhwc});
      break;
    case extent::rows:
      sets = reference::group_stats(x, shape{p.n, 1, p.d, layout::nchw}, 1);
      break;
    case extent::channels:
      sets = reference::batch_stats(x, p.activation_shape());
      break;
    case extent::groups:
      sets = reference::group_stats(x, p.activation_shape(), p.groups);
      break;
    case extent::instances:
      sets = reference::group_stats(x, p.activation_shape(), p.c);
      break;
    case extent::tensor:
      throw std::logic_error("a statistic per element has no sets");
  }
  std::vector<double> spreads(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) spreads[i] = std::sqrt(sets[i].var);
  return spreads;
}

// |actual - expected| / size (see measure_relative_stats); NaN, which the
// maximum skips, where size is 0 or NaN.
double relative_error(float actual, double expected, double size) {
  const bool finite = std::isfinite(actual);
  const bool expected_finite = std::isfinite(static_cast<float>(expected));
  if (!finite || !expected_finite) {
    return finite == expected_finite ? 0.0 : std::numeric_limits<double>::infinity();
  }
  if (!(size > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  const double floor = std::numeric_limits<float>::min();
  return std::fabs(static_cast<double>(actual) - expected) / std::max(size, floor);
}

// Whether a statistic is judged against its set's spread (a mean) or
// against itself (a size); throws std::logic_error for contents no method
// outputs as a statistic, so that a new table entry is given a rule here.
bool is_location(const methods::method& m, const buffer& b) {
  switch (b.holds) {
    case contents::mean:
    case contents::running_mean:
      return true;
    case contents::var:
    case contents::running_var:
    case contents::rstd:
    case contents::norm:
      return false;
    case contents::data:
    case contents::gamma:
    case contents::beta:
    case contents::rho:
    case contents::gain:
    case contents::bias:
      break;
  }
  throw std::logic_error(std::string(m.name) + ": no relative error for statistic " + b.name);
}

// Where the buffer at field stands in m.buffers, and so in its reference.
std::size_t index_of(const methods::method& m, methods::member field) {
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    if (m.buffers[i].field == field) return i;
  }
  throw std::logic_error(std::string(m.name) + " has no such buffer");
}

// Whether a buffer is a statistic (judged by measure_stat and
// measure_relative_stats) rather than a tensor output such as y or the
// fused add's sum.
bool is_statistic_output(const buffer& b) { return is_output(b.kind) && b.size != extent::tensor; }

// The values the call's statistics are taken over, as float32: x widened,
// or the fused add's h = (x + residual) + bias as the API forms it.
std::vector<float> normalized_values(const case_call& call) {
  const methods::method& m = *call.method;
  const methods::arguments& k = call.args;
  const std::int64_t count = k.p.elements();
  std::vector<float> h = methods::load_elements(m.type, k.x, count);
  if (k.residual != nullptr) {
    const std::vector<float> r = methods::load_elements(m.type, k.residual, count);
    for (std::int64_t i = 0; i < count; ++i) h[i] += r[i];
  }
  if (k.bias != nullptr) {
    for (std::int64_t i = 0; i < count; ++i) h[i] += k.bias[i % k.p.d];
  }
  return h;
}

}  // namespace

bool passed(const buffer& b) { return !b.optional || b.benchmarked; }

std::shared_ptr<case_call> fill_call(const case_spec& spec, const std::vector<float>& x,
                                     reference_cache* cache) {
  auto call = std::make_shared<case_call>();
  const methods::method& m = method_of(spec);
  call->method = &m;
  methods::arguments& args = call->args;
  args.p = problem_of(spec);
  if (static_cast<std::int64_t>(x.size()) != args.p.elements()) {
    throw std::invalid_argument(case_label(spec) + ": x has " + std::to_string(x.size()) +
                                " values");
  }
  args.eps = eps;
  args.momentum = momentum;
  args.kind = running_var_kind::unbiased;
  args.weights = mixing;
  call->owned.resize(m.buffers.size());
  const bool cached = cache != nullptr && cache->initial != nullptr;
  initial_values values(m, args.p, x);
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    const buffer& b = m.buffers[i];
    if (!passed(b)) continue;
    // x is copied, as every tensor here, into a 64-byte-aligned buffer: the
    // alignment engines give their tensors (PyTorch's CPU allocator, oneDNN
    // and ONNX Runtime all align to 64 bytes). The caller's std::vector is
    // 16-byte aligned (glibc puts a large block 16 bytes past a page), so
    // every AVX-512 load of x straddled two cache lines, for simdnorm and
    // the peers alike, and by an offset that depended on the allocation:
    // NHWC group norm 2 x 640 x 32 x 32 G=32 through the C API, Zen 5,
    // medians of 400 calls, 216 -> 227-250 us at 1 thread and 121 -> 142
    // at 2 with x 16 bytes past a line.
    if (b.kind == role::primary_input) {
      call->owned[i].assign(x.begin(), x.end());  // 16-bit types: rounded below
    } else if (is_pure_output(b)) {
      // Zeros straight into the aligned buffer: through values()' temporary,
      // a tensor output was zeroed and copied twice per path.
      call->owned[i].assign(static_cast<std::size_t>(methods::size_of(b.size, args.p)), 0.0f);
    } else if (cached) {
      call->owned[i] = cache->initial->at(i);
    } else {
      const std::vector<float> fresh = values(b);
      call->owned[i].assign(fresh.begin(), fresh.end());
    }
    // A tensor input of a 16-bit method holds its values rounded to the
    // type, in the first half of its storage; the cache keeps it so.
    const bool rounded_here = b.size == extent::tensor && !is_output(b.kind) &&
                              m.type != dtype::float32 &&
                              (b.kind == role::primary_input || !cached);
    if (rounded_here) {
      methods::store_elements(m.type, call->owned[i].data(),
                              static_cast<std::int64_t>(call->owned[i].size()),
                              call->owned[i].data());
    }
    args.*b.field = call->owned[i].data();
  }
  if (cache != nullptr && !cached) {
    auto initial = std::make_shared<std::vector<case_buffer>>(m.buffers.size());
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      const buffer& b = m.buffers[i];
      if (passed(b) && !is_pure_output(b) && b.kind != role::primary_input) {
        (*initial)[i] = call->owned[i];
      }
    }
    cache->initial = std::move(initial);
  }
  return call;
}

std::size_t count_of(const case_call& call, methods::member field) {
  const methods::buffer& b = call.method->buffers[index_of(*call.method, field)];
  return static_cast<std::size_t>(methods::size_of(b.size, call.args.p));
}

std::shared_ptr<const methods::reference_outputs> reference_of(const case_call& call,
                                                               reference_cache& cache) {
  if (!cache.value) {
    cache.value =
        std::make_shared<const methods::reference_outputs>(call.method->reference(call.args));
  }
  return cache.value;
}

const std::vector<double>& expected_of(const methods::method& m,
                                       const methods::reference_outputs& expected,
                                       methods::member field) {
  return expected.at(index_of(m, field));
}

void measure_output(error_figures& errors, const methods::method& m,
                    const methods::reference_outputs& expected, methods::member field,
                    const float* values, std::size_t count) {
  const std::size_t index = index_of(m, field);
  const buffer& b = m.buffers[index];
  if (is_statistic_output(b)) {
    measure_stat(errors, values, count, expected.at(index));
  } else {
    measure_tensor(errors, b.kind == role::primary_output, values, count, expected.at(index));
  }
}

void measure_outputs(error_figures& errors, const case_call& call,
                     const methods::reference_outputs& expected) {
  std::vector<methods::member> every;
  for (const buffer& b : call.method->buffers) every.push_back(b.field);
  measure_outputs(errors, call, expected, every);
}

void measure_outputs(error_figures& errors, const case_call& call,
                     const methods::reference_outputs& expected,
                     const std::vector<methods::member>& fields) {
  const methods::method& m = *call.method;
  std::int64_t exact = 0, counted = 0;
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    const buffer& b = m.buffers[i];
    const float* storage = call.args.*b.field;
    if (!is_output(b.kind) || storage == nullptr) continue;
    if (std::find(fields.begin(), fields.end(), b.field) == fields.end()) continue;
    if (b.size != extent::tensor) {
      measure_output(errors, m, expected, b.field, storage, count_of(call, b.field));
      continue;
    }
    const std::int64_t count = methods::size_of(b.size, call.args.p);
    if (m.type == dtype::float32) {
      measure_output(errors, m, expected, b.field, storage, static_cast<std::size_t>(count));
      continue;
    }
    const std::vector<float> widened = methods::load_elements(m.type, storage, count);
    // A reference value past the type's range (a sum of 3.39e38 in
    // bfloat16) is infinite as an element, as a float32 one past float32's
    // is for a float32 output: an infinite output is then right.
    methods::reference_outputs in_range(expected.size());
    in_range[i] = expected.at(i);
    std::vector<std::uint32_t> nearest(in_range[i].size());
    for (std::size_t k = 0; k < nearest.size(); ++k) {
      nearest[k] = nearest_element(m.type, in_range[i][k]);
      const double rounded = widened_element(m.type, nearest[k]);
      if (std::isinf(rounded)) in_range[i][k] = rounded;
    }
    measure_output(errors, m, in_range, b.field, widened.data(), widened.size());
    measure_rounding(errors, m.type, storage, widened.size(), nearest, exact, counted);
  }
}

void measure_stat(error_figures& errors, const float* actual, std::size_t count,
                  const std::vector<double>& expected) {
  if (count != expected.size()) throw std::logic_error("reference statistic has another size");
  double max = std::isnan(errors.stat_max_abs) ? 0.0 : errors.stat_max_abs;
  for (std::size_t i = 0; i < expected.size(); ++i)
    max = std::max(max, abs_error(actual[i], expected[i], errors.nonfinite_mismatches));
  errors.stat_max_abs = max;
}

void measure_relative_stats(error_figures& errors, const case_call& call,
                            const methods::reference_outputs& expected, reference_cache& cache) {
  const methods::method& m = *call.method;
  if (!cache.spreads) {
    auto spreads = std::make_shared<std::vector<std::vector<double>>>(m.buffers.size());
    std::vector<float> values;  // taken once, where a mean needs them
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      const buffer& b = m.buffers[i];
      if (is_statistic_output(b) && is_location(m, b)) {
        if (values.empty()) values = normalized_values(call);
        (*spreads)[i] = set_spreads(call.args.p, b.size, values.data());
      }
    }
    cache.spreads = std::move(spreads);
  }
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    const buffer& b = m.buffers[i];
    const float* actual = call.args.*b.field;
    if (!is_statistic_output(b) || actual == nullptr) continue;
    const std::vector<double>& want = expected.at(i);
    const bool location = is_location(m, b);
    const std::vector<double>& spreads = cache.spreads->at(i);
    if (location && spreads.size() != want.size()) {
      throw std::logic_error(std::string(m.name) + ": " + b.name + " has another count of sets");
    }
    double& figure = location ? errors.stat_mean_rel : errors.stat_var_rel;
    for (std::size_t k = 0; k < want.size(); ++k) {
      const double size = location ? spreads[k] : std::fabs(want[k]);
      // rstd = 1 / sqrt(var + eps): var + eps's relative error is twice rstd's.
      const double scale = b.holds == contents::rstd ? 2.0 : 1.0;
      figure = std::fmax(figure, scale * relative_error(actual[k], want[k], size));
    }
  }
}

}  // namespace simdnorm::bench
