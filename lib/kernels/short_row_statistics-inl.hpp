// The normalisers of a full batch of short rows (a vector's width of rows
// of 1, 2 or 4 whole vectors, 8 too on AVX-512: 16 rows of 64 or 128
// elements, float32 or, on AVX-512, 16-bit; a fused add's rows staged as
// its first sweep reads them), with the bits of batched_set_statistics
// followed by finish_batch. Those take each row's steps between the sweeps
// (centre, corrected m2, the safety check, the mean's split, 1 / sqrt) one
// row at a time in scalar double, loops over a row count known only at run
// time; for a 64-float row they were more instructions than the sweeps
// themselves. Here the row length is a constant, so each sweep is a few
// unrolled vector operations, and every step between the sweeps runs
// across the batch in double vectors: the same IEEE operations on the same
// values, so the same bits. A batch with a square sum outside the trusted
// range that is not a constant row's (squares_safe) is left to the general
// path, whose checks decide it.
//
// Included only by -inl kernel headers, in the per-instruction-set
// translation units (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_SHORT_ROW_STATISTICS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_SHORT_ROW_STATISTICS_INL_HPP_

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "kernels/batched_statistics-inl.hpp"
#include "kernels/block_statistics-inl.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "kernels/multiply_add-inl.hpp"
#include "statistics/normalizer.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// Whether this file has the float <-> double conversions below for Arch:
// the x86 instruction sets. Elsewhere (NEON) short rows take the general
// path. The conversions are intrinsics, not xsimd 8.1's converting loads
// and stores: those go through a buffer and std::copy, a scalar conversion
// per lane, and GCC 12 at -O3 folded one such store-and-reload (a double
// rounded to float and widened back) into the unrounded double.
template <class Arch>
constexpr bool has_short_row_conversions =
#if defined(__SSE2__)
    std::is_base_of_v<xsimd::sse2, Arch> || std::is_base_of_v<xsimd::avx512f, Arch>;
#else
    false;
#endif

// The double vector of a float array's elements [at, at + double width).
template <class Arch>
xsimd::batch<double, Arch> widened(const float* values, std::int64_t at) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    return _mm512_cvtps_pd(_mm256_load_ps(values + at));
  }
#endif
#if defined(__AVX__)
  if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
    return _mm256_cvtps_pd(_mm_load_ps(values + at));
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
    // Two floats as one 64-bit load through MOVQ's intrinsic, whose pointer
    // may alias any type. _mm_load_sd and _mm_store_sd access a plain
    // double, which GCC 12 may assume no float write reaches: it moved a
    // float array's zeroing past them (SSE2, fused rows of 16 floats got
    // another row's mean in testing).
    return _mm_cvtps_pd(
        _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(values + at))));
  }
#endif
  static_assert(has_short_row_conversions<Arch>, "no conversions for this instruction set");
  return xsimd::batch<double, Arch>(0.0);
}

// v rounded to float, stored to values[at, at + double width), and returned
// widened back to double.
template <class Arch>
xsimd::batch<double, Arch> rounded(xsimd::batch<double, Arch> v, float* values, std::int64_t at) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    const __m256 r = _mm512_cvtpd_ps(v);
    _mm256_store_ps(values + at, r);
    return _mm512_cvtps_pd(r);
  }
#endif
#if defined(__AVX__)
  if constexpr (std::is_base_of_v<xsimd::avx, Arch>) {
    const __m128 r = _mm256_cvtpd_ps(v);
    _mm_store_ps(values + at, r);
    return _mm256_cvtps_pd(r);
  }
#endif
#if defined(__SSE2__)
  if constexpr (std::is_base_of_v<xsimd::sse2, Arch>) {
    const __m128 r = _mm_cvtpd_ps(v);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(values + at), _mm_castps_si128(r));  // as widened
    return _mm_cvtps_pd(r);
  }
#endif
  static_assert(has_short_row_conversions<Arch>, "no conversions for this instruction set");
  return v;
}

// The normalisers of rows [first, first + width) of a standardising or RMS
// call whose rows hold Vectors vectors each, written to out[0, width) (and
// the rows' mean and rstd outputs where the call asks for them); false,
// with nothing written, where a row's square sum is outside the trusted
// range.
template <class Arch, int Vectors, class IO>
bool short_row_normalizers(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                           statistics::set_normalizer* out) {
  using batch = xsimd::batch<float, Arch>;
  using doubles = xsimd::batch<double, Arch>;
  constexpr std::int64_t width = batch::size;
  constexpr std::int64_t double_width = doubles::size;
  constexpr std::int64_t length = Vectors * width;
  const auto x = [&](std::int64_t k) { return io.source((first + k) * length, 0); };
  // The first sweep's source: a fused add's stages h as it reads (staged_io).
  const auto first_x = [&](std::int64_t k) {
    return io.first_sweep_source((first + k) * length, 0);
  };
  const doubles n(static_cast<double>(length));
  batch partial[width];
  alignas(64) float totals[width], shift[width], centre[width];
  alignas(64) float hi[width], lo[width], rstd[width];
  // Set and read only where the call standardises; zeroed, as GCC 12 saw
  // them read unset in the fused add's instantiations on SSE.
  alignas(64) float mean[width] = {};
  alignas(64) double offset[width] = {};
  const bool standardize = a.kind == set_norm_kind::standardize;
  if (standardize) {
    // batched_set_statistics' moments: the sum of x - shift (the row's first
    // value), the centre, then the squared deviations from it.
    for (std::int64_t k = 0; k < width; ++k) {
      shift[k] = first_value(first_x(k));
      partial[k] = shifted_lane_sums<Arch>(first_x(k), length, shift[k]);
    }
    set_totals<Arch, width>(partial, width, totals);
    // centre_of across the batch.
    for (std::int64_t k = 0; k < width; k += double_width) {
      const doubles row_mean = rounded<Arch>(widened<Arch>(totals, k) / n, mean, k);
      const doubles exact_centre = widened<Arch>(shift, k) + row_mean;
      (exact_centre - rounded<Arch>(exact_centre, centre, k)).store_aligned(offset + k);
    }
    for (std::int64_t k = 0; k < width; ++k) {
      partial[k] = centred_square_lane_sums<Arch>(x(k), length, centre[k]);
    }
  } else {
    for (std::int64_t k = 0; k < width; ++k) {
      partial[k] = square_lane_sums<Arch>(first_x(k), length);
    }
  }
  set_totals<Arch, width>(partial, width, totals);
  // squares_safe's first two tests, for the whole batch: a square sum in
  // the trusted range, or, standardising, a constant row (a zero square sum
  // about a shift, the row's first value, of magnitude 2^-30 or more; not
  // NaN, whose magnitude compares false). Constant rows are common in
  // 16-bit data with an offset (1e4 + N(0, 1) rounds to a few bfloat16
  // values), and the general path took each batch that had one: in the
  // sweep (median over its data families, two of them offset) bfloat16
  // layer norm 65536 x 64 went from 0.69x of oneDNN 2.6's speed to 1.29x.
  const batch square_sums = batch::load_aligned(totals);
  auto trusted = (square_sums >= batch(least_trusted_square_sum)) &
                 (square_sums <= batch(most_trusted_square_sum));
  if (standardize) {
    trusted = trusted | ((square_sums == batch(0.0f)) & (xsimd::abs(batch::load_aligned(shift)) >=
                                                         batch(least_constant_reference)));
  }
  if (!xsimd::all(trusted)) return false;
  const doubles eps(static_cast<double>(a.eps));
  for (std::int64_t k = 0; k < width; k += double_width) {
    doubles row_m2 = widened<Arch>(totals, k);
    if (standardize) {
      // corrected_m2, then the mean with the shift added back, split into
      // hi and lo (statistics::split: lo is 0 where hi is not finite).
      const doubles d = doubles::load_aligned(offset + k);
      row_m2 = row_m2 - n * d * d;
      row_m2 = xsimd::select(row_m2 > doubles(0.0), row_m2, doubles(0.0));
      const doubles row_mean = widened<Arch>(mean, k) + widened<Arch>(shift, k);
      const doubles row_hi = rounded<Arch>(row_mean, hi, k);
      const doubles row_lo = xsimd::select(xsimd::abs(row_hi) < doubles(__builtin_inf()),
                                           row_mean - row_hi, doubles(0.0));
      row_lo.store_aligned(lo + k);
    }
    // statistics::rstd_of: 1 / sqrt(var + eps) in double, rounded once.
    (doubles(1.0) / xsimd::sqrt(row_m2 / n + eps)).store_aligned(rstd + k);
  }
  for (std::int64_t k = 0; k < width; ++k) {
    out[k] = standardize ? statistics::set_normalizer{hi[k], lo[k], rstd[k]}
                         : statistics::set_normalizer{0.0f, 0.0f, rstd[k]};
  }
  if (standardize && a.mean != nullptr) {
    for (std::int64_t k = 0; k < width; ++k) a.mean[first + k] = hi[k];
  }
  if (a.rstd != nullptr) {
    for (std::int64_t k = 0; k < width; ++k) a.rstd[first + k] = rstd[k];
  }
  return true;
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_SHORT_ROW_STATISTICS_INL_HPP_
