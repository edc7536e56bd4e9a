// Vectorised statistics of one contiguous run of floats, the building block
// of every kernel whose statistics set is contiguous (rows; NCHW groups).
// Numerics as in lib/scalar (DESIGN.md section 2): blocks that stay in L1 are
// reduced exactly (sum, then squared deviations, on data shifted by the run's
// first value) and merge in double. Included only by -inl kernel headers, in
// the per-architecture files of lib/arch/.
#ifndef SIMDNORM_LIB_SIMD_BLOCK_STATISTICS_INL_HPP_
#define SIMDNORM_LIB_SIMD_BLOCK_STATISTICS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/set_statistics.hpp"

namespace simdnorm::simd {

// Everything here has internal linkage: these helpers are compiled once per
// instruction set, and an inline function with external linkage would let the
// linker keep one arch's copy (say AVX-512) for every caller. For the same
// reason the code avoids std::max/std::fabs, which are such functions.
namespace {

float larger(float a, float b) { return a < b ? b : a; }
float magnitude(float a) { return __builtin_fabsf(a); }

// 1024 floats = 4 KiB: the second sweep over a block reads L1, so memory sees
// each byte once.
constexpr std::int64_t block_floats = 1024;

// Deviations whose squares float32 sums safely (see lib/scalar/set_statistics).
bool in_safe_range(float largest) {
  return largest == 0.0f || (largest >= 0x1p-50f && largest <= 0x1p50f);
}

template <class Arch>
float horizontal_max(const xsimd::batch<float, Arch>& v) {
  alignas(64) float lanes[xsimd::batch<float, Arch>::size];
  v.store_aligned(lanes);
  float largest = lanes[0];
  for (float lane : lanes) largest = larger(largest, lane);
  return largest;
}

// Moments of one row; largest receives max |x - x[0]| (for the range check).
template <class Arch>
scalar::set_moments row_moments(const float* x, std::int64_t d, float& largest) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const float shift = x[0];
  const batch shift_v(shift);
  batch largest_v(0.0f);
  float largest_tail = 0.0f;
  scalar::set_moments state;
  for (std::int64_t start = 0; start < d; start += block_floats) {
    const std::int64_t length = d - start < block_floats ? d - start : block_floats;
    const float* p = x + start;
    // Two accumulators: an add has 3-4 cycles of latency, two in flight keep
    // the loop load-bound.
    batch sum0(0.0f), sum1(0.0f);
    std::int64_t i = 0;
    for (; i + 2 * width <= length; i += 2 * width) {
      const batch a = batch::load_unaligned(p + i) - shift_v;
      const batch b = batch::load_unaligned(p + i + width) - shift_v;
      sum0 += a;
      sum1 += b;
      largest_v = xsimd::max(largest_v, xsimd::max(xsimd::abs(a), xsimd::abs(b)));
    }
    for (; i + width <= length; i += width) {
      const batch a = batch::load_unaligned(p + i) - shift_v;
      sum0 += a;
      largest_v = xsimd::max(largest_v, xsimd::abs(a));
    }
    float sum = xsimd::hadd(sum0 + sum1);
    for (std::int64_t t = i; t < length; ++t) {
      const float v = p[t] - shift;
      sum += v;
      largest_tail = larger(largest_tail, magnitude(v));
    }
    const float block_mean = sum / static_cast<float>(length);
    const batch mean_v(block_mean);
    batch m2_0(0.0f), m2_1(0.0f);
    i = 0;
    for (; i + 2 * width <= length; i += 2 * width) {
      const batch a = (batch::load_unaligned(p + i) - shift_v) - mean_v;
      const batch b = (batch::load_unaligned(p + i + width) - shift_v) - mean_v;
      m2_0 = xsimd::fma(a, a, m2_0);
      m2_1 = xsimd::fma(b, b, m2_1);
    }
    for (; i + width <= length; i += width) {
      const batch a = (batch::load_unaligned(p + i) - shift_v) - mean_v;
      m2_0 = xsimd::fma(a, a, m2_0);
    }
    float m2 = xsimd::hadd(m2_0 + m2_1);
    for (std::int64_t t = i; t < length; ++t) {
      const float v = (p[t] - shift) - block_mean;
      m2 += v * v;
    }
    state = scalar::merge(state, scalar::set_moments{static_cast<double>(length), block_mean, m2});
  }
  largest = larger(horizontal_max<Arch>(largest_v), largest_tail);
  state.mean += static_cast<double>(shift);
  return state;
}

// mean(x^2) of one row; largest receives max |x|.
template <class Arch>
double row_mean_square(const float* x, std::int64_t d, float& largest) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  batch largest_v(0.0f);
  float largest_tail = 0.0f;
  double sum = 0.0;
  for (std::int64_t start = 0; start < d; start += block_floats) {
    const std::int64_t length = d - start < block_floats ? d - start : block_floats;
    const float* p = x + start;
    batch acc0(0.0f), acc1(0.0f);
    std::int64_t i = 0;
    for (; i + 2 * width <= length; i += 2 * width) {
      const batch a = batch::load_unaligned(p + i);
      const batch b = batch::load_unaligned(p + i + width);
      acc0 = xsimd::fma(a, a, acc0);
      acc1 = xsimd::fma(b, b, acc1);
      largest_v = xsimd::max(largest_v, xsimd::max(xsimd::abs(a), xsimd::abs(b)));
    }
    for (; i + width <= length; i += width) {
      const batch a = batch::load_unaligned(p + i);
      acc0 = xsimd::fma(a, a, acc0);
      largest_v = xsimd::max(largest_v, xsimd::abs(a));
    }
    float block_sum = xsimd::hadd(acc0 + acc1);
    for (std::int64_t t = i; t < length; ++t) {
      block_sum += p[t] * p[t];
      largest_tail = larger(largest_tail, magnitude(p[t]));
    }
    sum += block_sum;
  }
  largest = larger(horizontal_max<Arch>(largest_v), largest_tail);
  return sum / static_cast<double>(d);
}

// The two entry points kernels use: the statistics of a contiguous run, on
// the vectorised blocks above, or, for the rare run whose squares leave
// float32's safe range, on the scalar path, which rescales it.
template <class Arch>
scalar::set_moments run_moments(const float* x, std::int64_t length) {
  float largest = 0.0f;
  const scalar::set_moments m = row_moments<Arch>(x, length, largest);
  return in_safe_range(largest) ? m : scalar::moments_of(scalar::strided_set{x, 1, length, 0});
}

template <class Arch>
double run_mean_square(const float* x, std::int64_t length) {
  float largest = 0.0f;
  const double mean_square = row_mean_square<Arch>(x, length, largest);
  return in_safe_range(largest) ? mean_square
                                : scalar::mean_square_of(scalar::strided_set{x, 1, length, 0});
}

}  // namespace

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_BLOCK_STATISTICS_INL_HPP_
