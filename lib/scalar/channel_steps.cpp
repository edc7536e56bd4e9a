#include "scalar/channel_steps.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "scalar/normalize.hpp"
#include "simdnorm/half_float.h"
#include "statistics/activation_sets.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::scalar {

std::vector<statistics::set_moments> channel_steps::batch_moments(const void* x, const shape& s,
                                                                  dtype type) const {
  std::vector<statistics::set_moments> channels(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    channels[c] = statistics::moments_of(statistics::channel_set(x, s, c, type));
  }
  return channels;
}

std::vector<statistics::set_moments> channel_steps::instance_moments(const void* x, const shape& s,
                                                                     dtype type) const {
  // Each sample is a batch of one.
  const shape sample{1, s.c, s.spatial, s.layout};
  const std::int64_t sample_elements = s.c * s.spatial;
  std::vector<statistics::set_moments> instances;
  instances.reserve(static_cast<std::size_t>(s.n * s.c));
  for (std::int64_t n = 0; n < s.n; ++n) {
    const std::vector<statistics::set_moments> channels =
        batch_moments(statistics::element_address(type, x, n * sample_elements), sample, type);
    instances.insert(instances.end(), channels.begin(), channels.end());
  }
  return instances;
}

void channel_steps::normalize(const void* x, const shape& s,
                              const std::vector<statistics::set_normalizer>& sets,
                              bool per_instance, const float* gamma, const float* beta, void* y,
                              activation act, dtype type, bool) const {
  scalar::normalize(type, x, y, s, sets, set_map{per_instance ? s.c : 0, 1}, gamma, beta, act);
}

void store_element(dtype type, void* tensor, std::int64_t i, float value) {
  switch (type) {
    case dtype::bfloat16:
      static_cast<bfloat16*>(tensor)[i] = bfloat16{sn_bfloat16_from_float(value)};
      return;
    case dtype::float16:
      static_cast<float16*>(tensor)[i] = float16{sn_float16_from_float(value)};
      return;
    case dtype::float32:
      break;
  }
  static_cast<float*>(tensor)[i] = value;
}

void activate(float* y, std::int64_t count, activation act) {
  if (act == activation::relu) {
    for (std::int64_t i = 0; i < count; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];
  } else if (act == activation::silu) {
    for (std::int64_t i = 0; i < count; ++i) y[i] = y[i] / (1.0f + std::exp(-y[i]));
  } else if (act == activation::gelu) {
    // In double: the portable path has no vector erfc to share, and float's
    // std::erfc would round -y / sqrt 2 first (a relative error of up to 2
    // y^2 ulps in the negative tail).
    // A NaN stays y's own NaN, as on the vector paths (the product's NaN
    // would take its sign from whichever operand the compiler put first).
    for (std::int64_t i = 0; i < count; ++i) {
      const double v = y[i];
      if (std::isnan(v)) continue;
      y[i] = static_cast<float>(0.5 * v * std::erfc(-v * 0.70710678118654752440));
    }
  }
}

}  // namespace simdnorm::scalar
