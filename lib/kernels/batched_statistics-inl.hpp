// Statistics of several short contiguous sets at once: rows of layer, RMS
// and weight norm, NCHW planes and groups of at most one piece of
// block_statistics-inl.hpp's sums. Numerics as there (DESIGN.md section 2):
// each set's sum of x - shift, then of squared deviations from its rounded
// mean, in float32 chains of at most 64 terms per lane, finished in double.
// What changes is the shape of the work: one set's statistics are a chain of
// dependent steps (sweep, horizontal sum, division, sweep, horizontal sum)
// that the core could barely overlap with the next set's (a 64-float row of
// layer norm took about 50 ns in all). Here a vector's width of sets take
// each step together, so the chain is paid once per batch of sets rather
// than once per set. The reduction order within a set is not the one-set
// path's (the last partial vector is padded rather than added element by
// element), so bits differ from it; the error bound is the same.
//
// A set's bits do not depend on the batch it is in or its place there: every
// step is per set, only their order is interleaved. So thread counts, which
// cut rows into different ranges, cannot change them. Included only by -inl
// kernel headers, in the per-instruction-set translation units (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_BATCHED_STATISTICS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_BATCHED_STATISTICS_INL_HPP_

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "kernels/block_statistics-inl.hpp"
#include "kernels/element_io-inl.hpp"
#include "kernels/multiply_add-inl.hpp"
#include "statistics/set_chunks.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// The longest set batched: four accumulators of at most 64 vectors each,
// the float chain bound of block_statistics-inl.hpp's pieces (4096 floats
// with AVX-512, 2048 with AVX2, 1024 with SSE and NEON).
template <class Arch>
constexpr std::int64_t batched_set_floats = 64 * 4 * xsimd::batch<float, Arch>::size;

// The lane partials of the sum over [0, length) of add(accumulator, x at i),
// in four accumulators; the last partial vector is padded with `pad`, a value
// add folds in as 0, so a set of any length is whole vectors. The vectors
// after the last group of four go to a, b and c, the padded one to d: a set
// shorter than batched_set_floats has at most 63 groups, so no chain
// exceeds 64 terms. The groups of four are read through four_vector_loads,
// which may hand their lanes over in another order: add must treat every
// lane alike.
//
// A Known length (0: known only at run time; else the length itself, as
// with_known_row_length gives it) makes the sweep one straight run of loads
// and adds: the same operations in the same order, so the same bits.
//
// The source is taken by reference, here and by the sweeps below (and
// block_statistics-inl.hpp's): a source larger than two registers (a fused
// add's staging_source, six fields) went by value through the stack, and
// GCC copied it there with 16- and 32-byte loads of the fields its caller
// had just stored 8 bytes at a time, loads that cannot take their data from
// those stores and wait for them to reach the cache (a store-forwarding
// stall) once per set. Layer norm of x + residual with the sum, float32,
// 1 thread, 2-core Xeon VM, C API, 3 alternating runs, us: 16384 x 256
// 3631 -> 3087, 8192 x 512 3374 -> 2821, 2048 x 2048 3154 -> 2824 (the
// add and the norm apart: 3264, 3160, 3353); without the sum 16384 x 256
// 2292 -> 2111; bfloat16 with the sum 1635 -> 1519.
template <class Arch, std::int64_t Known = 0, class Source, class Add>
xsimd::batch<float, Arch> lane_sums(const Source& p, std::int64_t runtime_length, float pad,
                                    Add add) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const std::int64_t length = Known != 0 ? Known : runtime_length;
  batch a(0.0f), b(0.0f), c(0.0f), d(0.0f);
  const auto group_of_four = [&](std::int64_t at) SIMDNORM_INLINE_LAMBDA {
    batch v[4];
    four_vector_loads<Source>::load(p, at, v);
    a = add(a, v[0]);
    b = add(b, v[1]);
    c = add(c, v[2]);
    d = add(d, v[3]);
  };
  std::int64_t i = 0;
  if constexpr (Known != 0) {
#pragma GCC unroll 64
    for (; i + 4 * width <= Known; i += 4 * width) group_of_four(i);
  } else {
    for (; i + 4 * width <= length; i += 4 * width) group_of_four(i);
  }
  four_vector_loads<Source>::to_memory_order(a, b, c, d);
  const std::int64_t vectors = (length - i) / width;
  if (vectors > 0) a = add(a, p.template load<Arch>(i));
  if (vectors > 1) b = add(b, p.template load<Arch>(i + width));
  if (vectors > 2) c = add(c, p.template load<Arch>(i + 2 * width));
  i += vectors * width;
  if (i < length) {
    alignas(64) float tail[width];
    for (std::int64_t j = 0; j < width; ++j) tail[j] = i + j < length ? p.at(i + j) : pad;
    d = add(d, batch::load_aligned(tail));
  }
  return (a + b) + (c + d);
}

// The three sweeps a batch of sets takes, as lane_sums: the sum of x -
// shift (shift the set's first value, x - shift on the multiply-add pipes),
// the sum of squared deviations from the set's centre, and the sum of
// squares. batched_set_statistics and short_row_normalizers both call these,
// so the two give the same bits.
template <class Arch, std::int64_t Known = 0, class Source>
xsimd::batch<float, Arch> shifted_lane_sums(const Source& x, std::int64_t length, float shift) {
  using batch = xsimd::batch<float, Arch>;
  const batch minus_shift(-shift);
  return lane_sums<Arch, Known>(x, length, shift, [minus_shift](batch sum, batch v) {
    return sum + subtract_on_fma(v, minus_shift);
  });
}

template <class Arch, std::int64_t Known = 0, class Source>
xsimd::batch<float, Arch> centred_square_lane_sums(const Source& x, std::int64_t length,
                                                   float centre) {
  using batch = xsimd::batch<float, Arch>;
  const batch centre_v(centre);
  return lane_sums<Arch, Known>(x, length, centre, [centre_v](batch sum, batch v) {
    const batch d = v - centre_v;
    return multiply_add(d, d, sum);
  });
}

template <class Arch, std::int64_t Known = 0, class Source>
xsimd::batch<float, Arch> square_lane_sums(const Source& x, std::int64_t length) {
  using batch = xsimd::batch<float, Arch>;
  return lane_sums<Arch, Known>(x, length, 0.0f,
                                [](batch sum, batch v) { return multiply_add(v, v, sum); });
}

// The per-set totals of partial[0, count): total k is the sum of
// partial[k]'s lanes, added in the order xsimd::hadd adds them (so that a
// set's bits do not depend on the batch it is in). A full batch on AVX-512
// or AVX2 is reduced as one transposed tree: a few shuffles and additions for
// the whole batch rather than a horizontal sum per set (a third of the
// instructions of a 64-float layer-norm row went to these and to the scalar
// finish below). Elsewhere one horizontal sum per set, independent of each
// other, so the core runs them side by side. (xsimd 8.1's haddp, which would
// reduce a whole batch at once, adds AVX-512 lanes in another order.)
//
// Always inlined: GCC kept it a call, so that each batch stored its partial
// vectors to memory for it and reloaded the totals. Inlined, a 64-float
// layer-norm row took 12.4 rather than 15.1 ns (the rows kernel alone, 512
// rows in cache, 3 alternating runs, Zen 5).
template <class Arch, std::int64_t Most>
SIMDNORM_ALWAYS_INLINE void set_totals(const xsimd::batch<float, Arch>* partial, std::int64_t count,
                                       float* totals) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch> && Most == 16) {
    if (count == 16) {
      // xsimd::hadd on AVX-512 adds lane i + 8 to lane i (upper half first),
      // then lane i to i + 4, then neighbours (0 + 1, 2 + 3), then the two
      // pairs: each level below pairs the same lanes, in the same operand
      // order, for all sixteen sets at once.
      __m512 half[8], quarter[4], pairs[2];
      for (int j = 0; j < 8; ++j) {
        const __m512 a = partial[2 * j], b = partial[2 * j + 1];
        half[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 2, 3, 2)),
                                _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(1, 0, 1, 0)));
      }
      for (int j = 0; j < 4; ++j) {
        const __m512 a = half[2 * j], b = half[2 * j + 1];
        quarter[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_f32x4(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
      }
      for (int j = 0; j < 2; ++j) {
        const __m512 a = quarter[2 * j], b = quarter[2 * j + 1];
        pairs[j] = _mm512_add_ps(_mm512_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
      }
      const __m512 sums =
          _mm512_add_ps(_mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(2, 0, 2, 0)),
                        _mm512_shuffle_ps(pairs[0], pairs[1], _MM_SHUFFLE(3, 1, 3, 1)));
      // Lane 4k + m holds set 4m + k.
      const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
      _mm512_storeu_ps(totals, _mm512_permutexvar_ps(order, sums));
      return;
    }
  }
#endif
#if defined(__AVX2__)
  if constexpr (std::is_base_of_v<xsimd::avx, Arch> && Most == 8) {
    if (count == 8) {
      // xsimd::hadd on AVX: lane i + (i + 4), then neighbours, then the pairs.
      __m256 half[4], pairs[2];
      for (int j = 0; j < 4; ++j) {
        const __m256 a = partial[2 * j], b = partial[2 * j + 1];
        half[j] =
            _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
      }
      for (int j = 0; j < 2; ++j) pairs[j] = _mm256_hadd_ps(half[2 * j], half[2 * j + 1]);
      const __m256 sums = _mm256_hadd_ps(pairs[0], pairs[1]);
      // Lanes hold sets 0, 2, 4, 6, 1, 3, 5, 7.
      const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
      _mm256_storeu_ps(totals, _mm256_permutevar8x32_ps(sums, order));
      return;
    }
  }
#endif
  for (std::int64_t k = 0; k < count; ++k) totals[k] = xsimd::hadd(partial[k]);
}

// The moments of a batch of sets, one entry a set (each has the batch's
// length as its count): arrays, so that the steps that finish them run
// across the batch in vectors.
template <std::int64_t Most>
struct batched_moments {
  // Zero past the batch's sets: the finish reads whole vectors of them.
  alignas(64) double mean[Most] = {};
  alignas(64) double m2[Most] = {};
};

// The statistics of `count` (at most Most, itself at most one vector's
// width) sets of `length` floats (at most batched_set_floats), set k at x +
// k * length, as set_statistics_of gives them for one set. Most only sizes
// the scratch: a lone set (one row, a latency-bound call) skips a vector's
// width of it, with the same bits. The per-set steps between the sweeps are
// centre_of and corrected_m2, as for one set.
template <class Arch, std::int64_t Most, std::int64_t Known = 0, class IO>
void batched_set_statistics(const IO& io, std::int64_t first, std::int64_t length,
                            std::int64_t count, statistics::set_statistic kind,
                            batched_moments<Most>& out) {
  const auto x = [&](std::int64_t k) { return io.source((first + k) * length, 0); };
  // The first sweep's (block_statistics-inl.hpp, chunk_statistics_of).
  const auto first_x = [&](std::int64_t k) {
    return io.first_sweep_source((first + k) * length, 0);
  };
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  static_assert(Most <= width, "a batch is at most a vector's width of sets");
  batch partial[Most];
  alignas(64) float totals[Most] = {};
  const auto n = static_cast<double>(length);
  if (kind == statistics::set_statistic::mean_square) {
    for (std::int64_t k = 0; k < count; ++k) {
      partial[k] = square_lane_sums<Arch, Known>(first_x(k), length);
    }
    set_totals<Arch, Most>(partial, count, totals);
    for (std::int64_t k = 0; k < Most; ++k) {
      out.mean[k] = 0.0;
      out.m2[k] = static_cast<double>(totals[k]);
    }
    for (std::int64_t k = 0; k < count; ++k) {
      if (!squares_safe<Arch>(x(k), length, totals[k], 0.0f)) {
        const statistics::set_moments redone =
            statistics::finish_statistics(statistics::set_moments{n, 0.0, out.m2[k]}, false, 0.0f,
                                          io.values((first + k) * length, 0, length), kind);
        out.m2[k] = redone.m2;
      }
    }
    return;
  }
  // Moments: the mean of x - shift (shift = the set's first value), then the
  // squared deviations from the mean rounded to float, corrected in double
  // (block_statistics-inl.hpp, shifted_block).
  float shift[Most];
  block_centre centre[Most];
  for (std::int64_t k = 0; k < count; ++k) {
    shift[k] = first_value(first_x(k));
    partial[k] = shifted_lane_sums<Arch, Known>(first_x(k), length, shift[k]);
  }
  set_totals<Arch, Most>(partial, count, totals);
  for (std::int64_t k = 0; k < count; ++k) {
    centre[k] = centre_of(totals[k], length, shift[k]);
  }
  for (std::int64_t k = 0; k < count; ++k) {
    partial[k] = centred_square_lane_sums<Arch, Known>(x(k), length, centre[k].centre);
  }
  set_totals<Arch, Most>(partial, count, totals);
  for (std::int64_t k = 0; k < count; ++k) {
    out.m2[k] = corrected_m2(static_cast<double>(totals[k]), length, centre[k].offset);
    // finish_statistics adds the shift (the set's first value) back.
    out.mean[k] = static_cast<double>(centre[k].mean) + static_cast<double>(shift[k]);
    if (!squares_safe<Arch>(x(k), length, totals[k], shift[k])) {
      const statistics::set_moments redone =
          statistics::finish_statistics(statistics::set_moments{n, 0.0, 0.0}, false, shift[k],
                                        io.values((first + k) * length, 0, length), kind);
      out.mean[k] = redone.mean;
      out.m2[k] = redone.m2;
    }
  }
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_BATCHED_STATISTICS_INL_HPP_
