// Bodies of the per-channel kernels, written once for every instruction set;
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
void nchw_channel_moments_kernel::operator()(Arch, const channel_moments_args& a,
                                             std::int64_t first, std::int64_t last) const {
  for (std::int64_t c = first; c < last; ++c) {
    scalar::set_moments channel;
    for (std::int64_t n = 0; n < a.s.n; ++n) {
      channel = scalar::merge(channel,
                              run_moments<Arch>(a.x + (n * a.s.c + c) * a.s.spatial, a.s.spatial));
    }
    a.channels[c] = channel;
  }
}

template <class Arch>
void nhwc_channel_moments_kernel::operator()(Arch, const nhwc_channel_moments_args& a,
                                             std::int64_t first, std::int64_t last) const {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const std::int64_t channels = a.s.c;
  const std::int64_t rows = a.s.n * a.s.spatial;
  // Rows per block: the block (rows x channels) stays in L2 between the two
  // sweeps each channel vector makes over it; at most 512 rows so that one
  // vector's column (512 cache lines) also fits L1.
  const std::int64_t block_rows_cap = (std::int64_t{1} << 16) / channels;
  const std::int64_t block_rows =
      block_rows_cap < 1 ? 1 : (block_rows_cap > 512 ? 512 : block_rows_cap);
  alignas(64) float lane_mean[width];
  alignas(64) float lane_m2[width];
  alignas(64) float lane_largest[width];
  for (std::int64_t k = first; k < last; ++k) {
    const std::int64_t r0 = k * a.rows_per_chunk;
    const std::int64_t r1 = r0 + a.rows_per_chunk < rows ? r0 + a.rows_per_chunk : rows;
    scalar::set_moments* state = a.partials + k * channels;
    const float* shift = a.x + r0 * channels;  // each channel's first value in the chunk
    for (std::int64_t c = 0; c < channels; ++c) state[c] = scalar::set_moments{};
    bool rescale = false;
    for (std::int64_t b0 = r0; b0 < r1; b0 += block_rows) {
      const std::int64_t b1 = b0 + block_rows < r1 ? b0 + block_rows : r1;
      const float length = static_cast<float>(b1 - b0);
      std::int64_t c = 0;
      for (; c + width <= channels; c += width) {
        const batch k_v = batch::load_unaligned(shift + c);
        batch sum(0.0f), largest(0.0f);
        for (std::int64_t r = b0; r < b1; ++r) {
          const batch v = batch::load_unaligned(a.x + r * channels + c) - k_v;
          sum += v;
          largest = xsimd::max(largest, xsimd::abs(v));
        }
        const batch mean = sum / batch(length);
        batch m2(0.0f);
        for (std::int64_t r = b0; r < b1; ++r) {
          const batch d = (batch::load_unaligned(a.x + r * channels + c) - k_v) - mean;
          m2 = xsimd::fma(d, d, m2);
        }
        mean.store_aligned(lane_mean);
        m2.store_aligned(lane_m2);
        largest.store_aligned(lane_largest);
        for (std::int64_t l = 0; l < width; ++l) {
          state[c + l] = scalar::merge(
              state[c + l],
              scalar::set_moments{static_cast<double>(length), lane_mean[l], lane_m2[l]});
          rescale = rescale || !in_safe_range(lane_largest[l]);
        }
      }
      for (; c < channels; ++c) {
        float sum = 0.0f, largest = 0.0f;
        for (std::int64_t r = b0; r < b1; ++r) {
          const float v = a.x[r * channels + c] - shift[c];
          sum += v;
          largest = larger(largest, magnitude(v));
        }
        const float mean = sum / length;
        float m2 = 0.0f;
        for (std::int64_t r = b0; r < b1; ++r) {
          const float d = (a.x[r * channels + c] - shift[c]) - mean;
          m2 += d * d;
        }
        state[c] =
            scalar::merge(state[c], scalar::set_moments{static_cast<double>(length), mean, m2});
        rescale = rescale || !in_safe_range(largest);
      }
    }
    for (std::int64_t c = 0; c < channels; ++c) state[c].mean += static_cast<double>(shift[c]);
    // Rare: some deviations leave float32's safe range for squares. Redo this
    // chunk's channels on the scalar path, which rescales per set.
    if (rescale) {
      for (std::int64_t c = 0; c < channels; ++c) {
        state[c] = scalar::moments_of(scalar::strided_set{shift + c, r1 - r0, 1, channels});
      }
    }
  }
}

template <class Arch>
void channel_affine_kernel::operator()(Arch, const channel_affine_args& a, std::int64_t first,
                                       std::int64_t last) const {
  for (std::int64_t i = first; i < last; ++i) {
    if (a.s.layout == layout::nchw) {
      const std::int64_t c = i % a.s.c;
      normalize_run<Arch>(float_source{a.x + i * a.s.spatial}, a.s.spatial,
                          run_factors{a.mean_hi[c], a.scale[c], a.shift[c]},
                          float_sink{a.y + i * a.s.spatial});
    } else {
      normalize_channels<Arch>(a.x + i * a.s.c, a.s.c, a.mean_hi, a.scale, a.shift,
                               a.y + i * a.s.c);
    }
  }
}

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_CHANNEL_NORMS_INL_HPP_
