// Statistics of one statistics set, the way DESIGN.md section 2 prescribes:
// one pass over memory, cut into blocks that stay in L1; each block's mean and
// sum of squared deviations are taken exactly (two sweeps over the hot block,
// float32, relative to a shift), then the block is merged into the set's
// running state with Chan et al.'s formula in double. No E[x^2] - E[x]^2.
#ifndef SIMDNORM_LIB_SCALAR_SET_STATISTICS_HPP_
#define SIMDNORM_LIB_SCALAR_SET_STATISTICS_HPP_

#include <cstdint>

namespace simdnorm::scalar {

// Count, mean and sum of squared deviations (m2) of a set of values.
struct set_moments {
  double count = 0.0;
  double mean = 0.0;
  double m2 = 0.0;

  double variance() const { return m2 / count; }  // biased
};

// The statistics of the union of two disjoint sets (Chan, Golub, LeVeque 1979).
set_moments merge(const set_moments& a, const set_moments& b);

// A statistics set in memory: `runs` runs of `run_length` contiguous floats,
// run r starting at base + r * run_stride. Every layout's sets have this
// shape: a layer-norm row is one run; an NCHW batch-norm channel is n runs of
// spatial floats; an NHWC group is spatial runs of c / groups floats.
struct strided_set {
  const float* base;
  std::int64_t runs;
  std::int64_t run_length;
  std::int64_t run_stride;
};

// Mean and biased variance of the set, accurate to a few float32 ulps even on
// offset data (1e4 + N(0, 1)), and on huge or tiny data whose squares would
// overflow or underflow float32. A NaN or Inf in the set makes its moments NaN
// or Inf, and no other set's.
set_moments moments_of(const strided_set& set);

// mean(x^2) of the set, with the same protection against over- and underflow.
double mean_square_of(const strided_set& set);

// A mean split into two floats for subtract-first normalisation: hi is the
// mean rounded to float, lo the rounding error. (x - hi) is exact for x near
// the mean (Sterbenz), so ((x - hi) - lo) keeps the digits a float mean loses.
struct split_mean {
  float hi;
  float lo;
};

// split and rstd_of run once per set on the engine's critical path, so they
// are defined here to inline. Internal linkage, and compiler builtins rather
// than <cmath>'s inline functions: the per-instruction-set files include this
// header too, and an inline function with external linkage compiled there
// could be the copy the linker keeps for every caller (see
// simd/block_statistics-inl.hpp).
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

}  // namespace

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_SET_STATISTICS_HPP_
