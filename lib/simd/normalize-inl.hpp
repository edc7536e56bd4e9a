// Vectorised subtract-first normalisation, y = ((x - hi) - lo) * scale +
// shift, for a run with one set of factors or a row of channels with one
// factor each. Included only by -inl kernel headers (lib/arch/ files).
#ifndef SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_
#define SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/normalize.hpp"

namespace simdnorm::simd {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

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

// y = ((x - hi) - lo) * scale + shift over a run sharing one set of factors
// (an NCHW plane).
template <class Arch>
void normalize_run(const float* x, std::int64_t length, float hi, float lo, float scale,
                   float shift, float* y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const batch hi_v(hi), lo_v(lo), scale_v(scale), shift_v(shift);
  std::int64_t i = 0;
  for (; i + width <= length; i += width) {
    const batch centred = (batch::load_unaligned(x + i) - hi_v) - lo_v;
    xsimd::fma(centred, scale_v, shift_v).store_unaligned(y + i);
  }
  for (; i < length; ++i) y[i] = ((x[i] - hi) - lo) * scale + shift;
}

// y[c] = ((x[c] - hi[c]) - lo[c]) * scale[c] + shift[c] over a row of
// channels (an NHWC position), the factors one per channel.
template <class Arch>
void normalize_channels(const float* x, std::int64_t channels, const float* hi, const float* lo,
                        const float* scale, const float* shift, float* y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  std::int64_t c = 0;
  for (; c + width <= channels; c += width) {
    const batch centred = (batch::load_unaligned(x + c) - batch::load_unaligned(hi + c)) -
                          batch::load_unaligned(lo + c);
    xsimd::fma(centred, batch::load_unaligned(scale + c), batch::load_unaligned(shift + c))
        .store_unaligned(y + c);
  }
  for (; c < channels; ++c) y[c] = ((x[c] - hi[c]) - lo[c]) * scale[c] + shift[c];
}

}  // namespace

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_
