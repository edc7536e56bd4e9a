#include "unfused_calls.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "case_inputs.hpp"
#include "residual_add.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

namespace {

bool adds_residual(const methods::method& m) { return m.find("residual") != nullptr; }

// The entry of the plain call the sequence makes: the same function (the
// fused add's norm: layer_norm for add_layer_norm) and type, no activation.
const methods::method& plain_of(const methods::method& m) {
  std::string_view function = m.function;
  if (adds_residual(m)) function.remove_prefix(std::string_view("add_").size());
  for (const methods::method& e : methods::all()) {
    if (function == e.function && e.type == m.type && e.act == activation::none) return e;
  }
  throw std::logic_error(std::string(m.name) + " has no plain call");
}

// act applied to count elements of type at y, in place, by a simdnorm batch
// norm whose statistics leave y as it is: mean 0, variance 1, eps far below
// float32's resolution of 1 (so rstd is 1), no gamma or beta. The elements
// as samples of one channel of 4096 positions (and one sample of the rest):
// one sample of count positions ran on one thread, which made the sequence
// look slower at 2 threads than it is.
void activate_in_place(dtype type, activation act, void* y, std::int64_t count) {
  static const float zero = 0.0f, one = 1.0f;
  constexpr std::int64_t positions = 4096;
  const std::int64_t samples = count / positions, rest = count % positions;
  if (samples > 0) {
    batch_norm_inference(type, y, shape{samples, 1, positions, layout::nchw}, &zero, &one, nullptr,
                         nullptr, 1e-30f, act, y);
  }
  if (rest > 0) {
    void* tail = static_cast<char*>(y) + samples * positions * element_size(type);
    batch_norm_inference(type, tail, shape{1, 1, rest, layout::nchw}, &zero, &one, nullptr, nullptr,
                         1e-30f, act, tail);
  }
}

void run_unfused(const methods::method& m, const methods::method& plain,
                 const methods::arguments& k) {
  if (adds_residual(m)) {
    float* h = k.sum != nullptr ? k.sum : k.y;
    residual_add(m.type, k.x, k.residual, k.bias, k.p.n, k.p.d, h);
    methods::arguments norm = k;
    norm.x = h;
    plain.cpp(norm);
    return;
  }
  plain.cpp(k);
  activate_in_place(m.type, m.act, k.y, k.p.elements());
}

}  // namespace

bool has_unfused(const methods::method& m) { return m.act != activation::none || adds_residual(m); }

prepared_call prepare_unfused(const case_spec& spec, const std::vector<float>& x,
                              reference_cache* cache) {
  const methods::method& m = method_of(spec);
  if (!has_unfused(m)) throw std::invalid_argument(case_label(spec) + " fuses nothing");
  const methods::method& plain = plain_of(m);
  reference_cache local;
  reference_cache& used = cache != nullptr ? *cache : local;
  const std::shared_ptr<case_call> call = fill_call(spec, x, &used);
  const auto expected = reference_of(*call, used);
  run_unfused(m, plain, call->args);
  prepared_call prepared;
  prepared.bytes = m.traffic_bytes(call->args);
  measure_outputs(prepared.errors, *call, *expected);
  prepared.call = [call, &m, &plain] { run_unfused(m, plain, call->args); };
  prepared.digests = [] { return std::vector<output_digest>(); };
  return prepared;
}

}  // namespace simdnorm::bench
