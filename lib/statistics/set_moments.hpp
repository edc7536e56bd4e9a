// The statistics state every path shares (DESIGN.md section 2): the count,
// mean and sum of squared deviations of a set, Chan et al.'s merge of two
// such states, and the portable way to measure a set of any layout. Blocks of
// a set are reduced exactly and merged in double; no E[x^2] - E[x]^2.
#ifndef SIMDNORM_LIB_STATISTICS_SET_MOMENTS_HPP_
#define SIMDNORM_LIB_STATISTICS_SET_MOMENTS_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::statistics {

// Count, mean and sum of squared deviations (m2) of a set of values.
struct set_moments {
  double count = 0.0;
  double mean = 0.0;
  double m2 = 0.0;

  double variance() const { return m2 / count; }  // biased
};

// The statistics of the union of two disjoint sets (Chan, Golub, LeVeque 1979).
set_moments merge(const set_moments& a, const set_moments& b);

// merge()'s factors, which depend on the two counts only: taken once, they
// merge many pairs of sets with the same counts (every channel of an NHWC
// chunk) without a division per pair, and with merge()'s bits.
struct merge_weights {
  double count;   // a.count + b.count
  double weight;  // b.count / count
  double cross;   // a.count * weight
};

// Internal linkage, for the reason given in statistics/normalizer.hpp.
namespace {

inline merge_weights merge_weights_of(double a_count, double b_count) {
  const double count = a_count + b_count;
  const double weight = b_count / count;
  return merge_weights{count, weight, a_count * weight};
}

// merge(a, b) for non-empty a and b whose counts gave w.
inline set_moments merge_with(const set_moments& a, const set_moments& b, const merge_weights& w) {
  const double delta = b.mean - a.mean;
  return set_moments{w.count, a.mean + delta * w.weight, a.m2 + b.m2 + delta * delta * w.cross};
}

}  // namespace

// A statistics set in memory: `runs` runs of `run_length` contiguous floats,
// run r starting at base + r * run_stride. Every layout's sets have this
// shape: a layer-norm row is one run; an NCHW batch-norm channel is n runs of
// spatial floats; an NHWC group is spatial runs of c / groups floats.
// Lengths and strides count elements of `type`.
struct strided_set {
  const void* base;
  std::int64_t runs;
  std::int64_t run_length;
  std::int64_t run_stride;
  dtype type = dtype::float32;

  float at(std::int64_t offset) const;  // the element offset elements past base
};

// A contiguous set of any element type, as the scalar fallback reads it:
// x of `type`, plus residual (same type) and bias (float, per element of
// the set) when a fused add forms h = (x + residual) + bias. Slow (a switch
// per element): for sets the vector kernels hand back, which are rare.
struct set_values {
  dtype type;
  const void* x;
  const void* residual;  // null: no add
  const float* bias;     // null: no bias
  std::int64_t length;

  float at(std::int64_t i) const;  // in float32, as the vector kernels form it
};

// Mean and biased variance of the set, accurate to a few float32 ulps even on
// offset data (1e4 + N(0, 1)), and on huge or tiny data whose squares would
// overflow or underflow float32: one pass over memory in blocks gathered
// into L1, each block's sum and squared deviations from its mean taken in
// double relative to a shift (the set's first value), the blocks merged with
// merge(). The scalar path's statistics, and the vector kernels' fallback for
// sets whose float32 squares would leave float32's range. A NaN or Inf in the
// set makes its moments NaN or Inf, and no other set's.
set_moments moments_of(const strided_set& set);

// mean(x^2) of the set, with the same protection against over- and underflow.
double mean_square_of(const strided_set& set);

// The same for a set of any element type.
set_moments moments_of(const set_values& set);
double mean_square_of(const set_values& set);

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_SET_MOMENTS_HPP_
