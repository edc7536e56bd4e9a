// From a set's statistics to what normalises it, shared by every path: the
// mean split into two floats, 1 / sqrt(var + eps), and the set_normalizer
// that subtract-first normalisation reads (DESIGN.md section 3).
#ifndef SIMDNORM_LIB_STATISTICS_NORMALIZER_HPP_
#define SIMDNORM_LIB_STATISTICS_NORMALIZER_HPP_

namespace simdnorm::statistics {

// A mean split into two floats for subtract-first normalisation: hi is the
// mean rounded to float, lo the rounding error. (x - hi) is exact for x near
// the mean (Sterbenz), so ((x - hi) - lo) keeps the digits a float mean loses.
struct split_mean {
  float hi;
  float lo;
};

// What subtract-first normalisation needs of each statistics set:
// y = ((x - hi) - lo) * (rstd * gamma) + beta.
struct set_normalizer {
  float hi = 0.0f;    // mean, rounded to float
  float lo = 0.0f;    // mean - hi
  float rstd = 1.0f;  // the factor applied after the subtraction
};

// These run once per set on the vector kernels' critical path, so they are
// defined here to inline. Internal linkage, and compiler builtins rather than
// <cmath>'s inline functions: the per-instruction-set files include this
// header too, and an inline function with external linkage compiled there
// could be the copy the linker keeps for every caller (see
// kernels/block_statistics-inl.hpp).
namespace {

inline split_mean split(double mean) {
  const float hi = static_cast<float>(mean);
  // An infinite or NaN mean has no rounding error to carry; keep lo finite so
  // that (x - hi) - lo propagates the set's own non-finite value only.
  const float lo =
      __builtin_isfinite(hi) ? static_cast<float>(mean - static_cast<double>(hi)) : 0.0f;
  return split_mean{hi, lo};
}

// 1 / sqrt(var + eps), evaluated in double and rounded once.
inline float rstd_of(double var, float eps) {
  return static_cast<float>(1.0 / __builtin_sqrt(var + static_cast<double>(eps)));
}

inline set_normalizer normalizer_of(double mean, double var, float eps) {
  const split_mean parts = split(mean);
  return set_normalizer{parts.hi, parts.lo, rstd_of(var, eps)};
}

// Whether x - hi can overflow float32 for a finite x: |x - hi| is at most
// FLT_MAX + |hi|, and rounds to infinity only from FLT_MAX plus half an ulp
// (2^103) on, so sets whose mean is below 2^103 in magnitude never do. The
// rare sets beyond (data reaching +-FLT_MAX with a mean far from 0) are
// normalised halved: y = ((x/2 - hi/2) - lo/2) * (2 * scale) + shift, each
// halving exact for every float32 from 2^-125 up, and no step overflowing
// unless y itself does (see halved()).
inline bool subtraction_may_overflow(float hi) { return __builtin_fabsf(hi) >= 0x1p103f; }

// The normaliser of a set applied to x/2 rather than x: the same y.
inline set_normalizer halved(const set_normalizer& set) {
  return set_normalizer{set.hi * 0.5f, set.lo * 0.5f, set.rstd * 2.0f};
}

// Weight norm's g / ||v|| for a row whose norm is so small (below about
// |g| / FLT_MAX: rows of denormals) that the factor overflows float32, though
// every output g * v / ||v|| is at most |g|.
inline bool factor_overflows(double factor, double norm) {
  return norm > 0.0 && __builtin_isfinite(factor) &&
         !__builtin_isfinite(static_cast<float>(factor));
}

}  // namespace

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_NORMALIZER_HPP_
