// The scalar path's normalise pass: with per-set statistics known,
// y = ((x - hi) - lo) * (rstd * gamma[c]) + beta[c], subtracting the
// two-part mean first (DESIGN.md section 3: folding the mean into a shift,
// x * scale + (beta - mean * scale), costs 5e-4 on 1e4 + N(0, 1) data).
#ifndef SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_
#define SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_

#include <cstdint>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"

namespace simdnorm::scalar {

// Which set element (n, c) of an activation tensor belongs to:
// n * sets_per_sample + c / channels_per_set. Batch norm's sets are shared by
// all samples (sets_per_sample = 0); group norm has groups sets per sample.
struct set_map {
  std::int64_t sets_per_sample;
  std::int64_t channels_per_set;
};

// Writes y for every element of x (y may be x). gamma and beta (per channel)
// may be null, meaning 1 and 0.
void normalize(const float* x, float* y, const shape& s,
               const std::vector<statistics::set_normalizer>& sets, set_map map, const float* gamma,
               const float* beta);

// The same for x and y of type, then act of each y: 16-bit tensors are
// widened into float32, normalised, and rounded back, both buffers
// allocated before anything is written.
void normalize(dtype type, const void* x, void* y, const shape& s,
               const std::vector<statistics::set_normalizer>& sets, set_map map, const float* gamma,
               const float* beta, activation act);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_
