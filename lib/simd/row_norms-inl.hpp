// The row kernels' bodies, written once for every instruction set; included
// only by the per-architecture files in lib/arch/, each compiled with its own
// flags. Numerics as in lib/scalar (DESIGN.md section 2): blocks that stay in
// L1 are reduced exactly (sum, then squared deviations, on data shifted by the
// row's first value), blocks merge in double; the rare row whose squares would
// leave float32's safe range is handed to the scalar path, which rescales it.
#ifndef SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_
#define SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simd/row_norms.hpp"

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

// y = ((x - hi) - lo) * (rstd * gamma) + beta over one row; the affine
// parameters are template arguments so the inner loop has no branch.
template <class Arch, bool HasGamma, bool HasBeta>
void normalize_row(const float* x, std::int64_t d, const scalar::set_normalizer& set,
                   const float* gamma, const float* beta, float* y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const batch hi(set.hi), lo(set.lo), rstd(set.rstd);
  std::int64_t i = 0;
  for (; i + width <= d; i += width) {
    const batch centred = (batch::load_unaligned(x + i) - hi) - lo;
    const batch scale = HasGamma ? rstd * batch::load_unaligned(gamma + i) : rstd;
    const batch shift = HasBeta ? batch::load_unaligned(beta + i) : batch(0.0f);
    xsimd::fma(centred, scale, shift).store_unaligned(y + i);
  }
  for (; i < d; ++i) {
    const float scale = HasGamma ? set.rstd * gamma[i] : set.rstd;
    const float shift = HasBeta ? beta[i] : 0.0f;
    y[i] = ((x[i] - set.hi) - set.lo) * scale + shift;
  }
}

template <class Arch>
void normalize_row(const float* x, std::int64_t d, const scalar::set_normalizer& set,
                   const float* gamma, const float* beta, float* y) {
  if (gamma != nullptr && beta != nullptr) {
    normalize_row<Arch, true, true>(x, d, set, gamma, beta, y);
  } else if (gamma != nullptr) {
    normalize_row<Arch, true, false>(x, d, set, gamma, beta, y);
  } else if (beta != nullptr) {
    normalize_row<Arch, false, true>(x, d, set, gamma, beta, y);
  } else {
    normalize_row<Arch, false, false>(x, d, set, gamma, beta, y);
  }
}

}  // namespace

template <class Arch>
void row_norm_kernel::operator()(Arch, const row_norm_args& a, row_norm_kind kind,
                                 std::int64_t first, std::int64_t last) const {
  for (std::int64_t r = first; r < last; ++r) {
    const float* x = a.x + r * a.d;
    const scalar::strided_set row{x, 1, a.d, a.d};
    float largest = 0.0f;
    scalar::set_normalizer set;
    if (kind == row_norm_kind::layer) {
      scalar::set_moments m = row_moments<Arch>(x, a.d, largest);
      if (!in_safe_range(largest)) m = scalar::moments_of(row);
      set = scalar::normalizer_of(m.mean, m.m2 / m.count, a.eps);
      if (a.mean != nullptr) a.mean[r] = static_cast<float>(m.mean);
    } else {
      double mean_square = row_mean_square<Arch>(x, a.d, largest);
      if (!in_safe_range(largest)) mean_square = scalar::mean_square_of(row);
      set = scalar::set_normalizer{0.0f, 0.0f, scalar::rstd_of(mean_square, a.eps)};
    }
    normalize_row<Arch>(x, a.d, set, a.gamma, a.beta, a.y + r * a.d);
    if (a.rstd != nullptr) a.rstd[r] = set.rstd;
  }
}

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_
