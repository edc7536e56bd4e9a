// The normalise pass every method shares: with per-set statistics already
// known, y = ((x - hi) - lo) * (rstd * gamma[c]) + beta[c], subtracting the
// two-part mean first (DESIGN.md section 3: folding the mean into a shift,
// x * scale + (beta - mean * scale), costs 5e-4 on 1e4 + N(0, 1) data).
#ifndef SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_
#define SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_

#include <cstdint>
#include <vector>

#include "scalar/set_statistics.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::scalar {

// What subtract-first normalisation needs of each statistics set.
struct set_normalizer {
  float hi = 0.0f;    // mean, rounded to float
  float lo = 0.0f;    // mean - hi
  float rstd = 1.0f;  // the factor applied after the subtraction
};

namespace {  // internal linkage, as split and rstd_of (set_statistics.hpp)

inline set_normalizer normalizer_of(double mean, double var, float eps) {
  const split_mean parts = split(mean);
  return set_normalizer{parts.hi, parts.lo, rstd_of(var, eps)};
}

// Weight norm's g / ||v|| for a row whose norm is so small (below about
// |g| / FLT_MAX: rows of denormals) that the factor overflows float32, though
// every output g * v / ||v|| is at most |g|.
inline bool factor_overflows(double factor, double norm) {
  return norm > 0.0 && __builtin_isfinite(factor) &&
         !__builtin_isfinite(static_cast<float>(factor));
}

}  // namespace

// Which set element (n, c) of an activation tensor belongs to:
// n * sets_per_sample + c / channels_per_set. Batch norm's sets are shared by
// all samples (sets_per_sample = 0); group norm has groups sets per sample.
struct set_map {
  std::int64_t sets_per_sample;
  std::int64_t channels_per_set;
};

// Writes y for every element of x (y may be x). gamma and beta (per channel)
// may be null, meaning 1 and 0.
void normalize(const float* x, float* y, const shape& s, const std::vector<set_normalizer>& sets,
               set_map map, const float* gamma, const float* beta);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_NORMALIZE_HPP_
