// Bodies of the activation kernels, written once for every instruction set;
// included only by the per-architecture files in lib/arch/.
#ifndef SIMDNORM_LIB_SIMD_CHANNEL_NORMS_INL_HPP_
#define SIMDNORM_LIB_SIMD_CHANNEL_NORMS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simd/block_statistics-inl.hpp"
#include "simd/channel_norms.hpp"
#include "simd/normalize-inl.hpp"

namespace simdnorm::simd {

template <class Arch>
void nchw_group_norm_kernel::operator()(Arch, const group_norm_args& a, std::int64_t first,
                                        std::int64_t last) const {
  const std::int64_t width = a.s.c / a.groups;
  const std::int64_t length = width * a.s.spatial;
  for (std::int64_t i = first; i < last; ++i) {
    const std::int64_t n = i / a.groups;
    const std::int64_t g = i % a.groups;
    const std::int64_t offset = (n * a.s.c + g * width) * a.s.spatial;
    const float* x = a.x + offset;
    float largest = 0.0f;
    scalar::set_moments m = row_moments<Arch>(x, length, largest);
    // Squares outside float32's safe range: the scalar path rescales.
    if (!in_safe_range(largest)) m = scalar::moments_of(scalar::strided_set{x, 1, length, 0});
    const scalar::set_normalizer set = scalar::normalizer_of(m.mean, m.m2 / m.count, a.eps);
    for (std::int64_t k = 0; k < width; ++k) {
      const std::int64_t c = g * width + k;
      const float scale = a.gamma != nullptr ? set.rstd * a.gamma[c] : set.rstd;
      const float shift = a.beta != nullptr ? a.beta[c] : 0.0f;
      normalize_run<Arch>(x + k * a.s.spatial, a.s.spatial, set.hi, set.lo, scale, shift,
                          a.y + offset + k * a.s.spatial);
    }
    if (a.mean != nullptr) a.mean[i] = static_cast<float>(m.mean);
    if (a.rstd != nullptr) a.rstd[i] = set.rstd;
  }
}

template <class Arch>
void nchw_channel_moments_kernel::operator()(Arch, const channel_moments_args& a,
                                             std::int64_t first, std::int64_t last) const {
  for (std::int64_t c = first; c < last; ++c) {
    scalar::set_moments channel;
    for (std::int64_t n = 0; n < a.s.n; ++n) {
      const float* run = a.x + (n * a.s.c + c) * a.s.spatial;
      float largest = 0.0f;
      scalar::set_moments m = row_moments<Arch>(run, a.s.spatial, largest);
      // Squares outside float32's safe range: the scalar path rescales.
      if (!in_safe_range(largest)) {
        m = scalar::moments_of(scalar::strided_set{run, 1, a.s.spatial, 0});
      }
      channel = scalar::merge(channel, m);
    }
    a.channels[c] = channel;
  }
}

template <class Arch>
void channel_affine_kernel::operator()(Arch, const channel_affine_args& a, std::int64_t first,
                                       std::int64_t last) const {
  for (std::int64_t i = first; i < last; ++i) {
    if (a.s.layout == layout::nchw) {
      const std::int64_t c = i % a.s.c;
      normalize_run<Arch>(a.x + i * a.s.spatial, a.s.spatial, a.mean_hi[c], a.mean_lo[c],
                          a.scale[c], a.shift[c], a.y + i * a.s.spatial);
    } else {
      normalize_channels<Arch>(a.x + i * a.s.c, a.s.c, a.mean_hi, a.mean_lo, a.scale, a.shift,
                               a.y + i * a.s.c);
    }
  }
}

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_CHANNEL_NORMS_INL_HPP_
