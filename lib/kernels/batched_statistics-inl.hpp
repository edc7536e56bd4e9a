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
#include <xsimd/xsimd.hpp>

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
// exceeds 64 terms.
template <class Arch, class Source, class Add>
xsimd::batch<float, Arch> lane_sums(Source p, std::int64_t length, float pad, Add add) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  batch a(0.0f), b(0.0f), c(0.0f), d(0.0f);
  std::int64_t i = 0;
  for (; i + 4 * width <= length; i += 4 * width) {
    a = add(a, p.template load<Arch>(i));
    b = add(b, p.template load<Arch>(i + width));
    c = add(c, p.template load<Arch>(i + 2 * width));
    d = add(d, p.template load<Arch>(i + 3 * width));
  }
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

// The per-set totals of partial[0, count): total k is the sum of
// partial[k]'s lanes. One horizontal sum per set, but independent of each
// other, so the core runs them side by side. (xsimd 8.1's haddp, which would
// reduce a whole batch at once, returns AVX-512 sums in a scrambled order.)
template <class Arch>
void set_totals(const xsimd::batch<float, Arch>* partial, std::int64_t count, float* totals) {
  for (std::int64_t k = 0; k < count; ++k) totals[k] = xsimd::hadd(partial[k]);
}

// The statistics of `count` (at most Most, itself at most one vector's
// width) sets of `length` floats (at most batched_set_floats), set k at x +
// k * length, as set_statistics_of gives them for one set. Most only sizes
// the scratch: a lone set (one row, a latency-bound call) skips a vector's
// width of it, with the same bits.
template <class Arch, std::int64_t Most>
void batched_set_statistics(const float* x, std::int64_t length, std::int64_t count,
                            statistics::set_statistic kind, statistics::set_moments* out) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  static_assert(Most <= width, "a batch is at most a vector's width of sets");
  batch partial[Most];
  alignas(64) float totals[Most];
  const auto n = static_cast<double>(length);
  if (kind == statistics::set_statistic::mean_square) {
    for (std::int64_t k = 0; k < count; ++k) {
      partial[k] = lane_sums<Arch>(float_source{x + k * length}, length, 0.0f,
                                   [](batch sum, batch v) { return multiply_add(v, v, sum); });
    }
    set_totals<Arch>(partial, count, totals);
    for (std::int64_t k = 0; k < count; ++k) {
      const float* set = x + k * length;
      const bool safe = squares_safe<Arch>(float_source{set}, length, totals[k], 0.0f);
      out[k] = statistics::finish_statistics(
          statistics::set_moments{n, 0.0, static_cast<double>(totals[k])}, safe, set, length, kind);
    }
    return;
  }
  // Moments: the mean of x - shift (shift = the set's first value), then the
  // squared deviations from the mean rounded to float, corrected in double
  // (block_statistics-inl.hpp, shifted_block).
  float shift[Most];
  block_centre centre[Most];
  for (std::int64_t k = 0; k < count; ++k) {
    shift[k] = x[k * length];
    const batch shift_v(shift[k]);
    partial[k] = lane_sums<Arch>(float_source{x + k * length}, length, shift[k],
                                 [shift_v](batch sum, batch v) { return sum + (v - shift_v); });
  }
  set_totals<Arch>(partial, count, totals);
  for (std::int64_t k = 0; k < count; ++k) {
    centre[k] = centre_of(static_cast<double>(totals[k]), length, shift[k]);
  }
  for (std::int64_t k = 0; k < count; ++k) {
    const batch centre_v(centre[k].centre);
    partial[k] = lane_sums<Arch>(float_source{x + k * length}, length, centre[k].centre,
                                 [centre_v](batch sum, batch v) {
                                   const batch d = v - centre_v;
                                   return multiply_add(d, d, sum);
                                 });
  }
  set_totals<Arch>(partial, count, totals);
  for (std::int64_t k = 0; k < count; ++k) {
    const float* set = x + k * length;
    const double m2 = corrected_m2(static_cast<double>(totals[k]), length, centre[k].offset);
    const bool safe = squares_safe<Arch>(float_source{set}, length, totals[k], shift[k]);
    out[k] = statistics::finish_statistics(
        statistics::set_moments{n, static_cast<double>(centre[k].mean), m2}, safe, set, length,
        kind);
  }
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_BATCHED_STATISTICS_INL_HPP_
