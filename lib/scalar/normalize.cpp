#include "scalar/normalize.hpp"

#include <cstdint>
#include <vector>

#include "scalar/channel_steps.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::scalar {

void normalize(const float* x, float* y, const shape& s,
               const std::vector<statistics::set_normalizer>& sets, set_map map, const float* gamma,
               const float* beta) {
  SIMDNORM_DEBUG_ASSERT(map.channels_per_set > 0 && s.c % map.channels_per_set == 0 &&
                        sets.size() >=
                            static_cast<std::size_t>((s.n - 1) * map.sets_per_sample +
                                                     (s.c - 1) / map.channels_per_set + 1));
  // One sample's per-channel factors, so that the inner loops index by channel
  // only: scale = rstd * gamma is formed once per (n, c), not per element. A
  // set whose x - hi could overflow reads x/2 with halved factors
  // (statistics/normalizer.hpp); input_scale is 1 elsewhere, an exact
  // multiplication.
  std::vector<float> hi(static_cast<std::size_t>(s.c));
  std::vector<float> lo(hi.size());
  std::vector<float> scale(hi.size());
  std::vector<float> shift(hi.size());
  std::vector<float> input_scale(hi.size());
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t c = 0; c < s.c; ++c) {
      statistics::set_normalizer set = sets[n * map.sets_per_sample + c / map.channels_per_set];
      const bool halve = statistics::subtraction_may_overflow(set.hi);
      if (halve) set = statistics::halved(set);
      input_scale[c] = halve ? 0.5f : 1.0f;
      hi[c] = set.hi;
      lo[c] = set.lo;
      scale[c] = gamma != nullptr ? set.rstd * gamma[c] : set.rstd;
      shift[c] = beta != nullptr ? beta[c] : 0.0f;
    }
    const std::int64_t sample = n * s.c * s.spatial;
    if (s.layout == layout::nchw) {
      for (std::int64_t c = 0; c < s.c; ++c) {
        const float* in = x + sample + c * s.spatial;
        float* out = y + sample + c * s.spatial;
        for (std::int64_t i = 0; i < s.spatial; ++i) {
          out[i] = ((in[i] * input_scale[c] - hi[c]) - lo[c]) * scale[c] + shift[c];
        }
      }
    } else {
      for (std::int64_t p = 0; p < s.spatial; ++p) {
        const float* in = x + sample + p * s.c;
        float* out = y + sample + p * s.c;
        for (std::int64_t c = 0; c < s.c; ++c) {
          out[c] = ((in[c] * input_scale[c] - hi[c]) - lo[c]) * scale[c] + shift[c];
        }
      }
    }
  }
}

void normalize(dtype type, const void* x, void* y, const shape& s,
               const std::vector<statistics::set_normalizer>& sets, set_map map, const float* gamma,
               const float* beta, activation act) {
  const std::int64_t count = s.n * s.c * s.spatial;
  if (type == dtype::float32) {
    normalize(static_cast<const float*>(x), static_cast<float*>(y), s, sets, map, gamma, beta);
    activate(static_cast<float*>(y), count, act);
    return;
  }
  std::vector<float> wide(static_cast<std::size_t>(count)), out(static_cast<std::size_t>(count));
  const statistics::set_values values{type, x, nullptr, nullptr, count};
  for (std::int64_t i = 0; i < count; ++i) wide[i] = values.at(i);
  normalize(wide.data(), out.data(), s, sets, map, gamma, beta);
  activate(out.data(), count, act);
  for (std::int64_t i = 0; i < count; ++i) store_element(type, y, i, out[i]);
}

}  // namespace simdnorm::scalar
