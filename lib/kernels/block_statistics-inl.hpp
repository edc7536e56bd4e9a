// Vectorised statistics of one contiguous run of floats, the building block
// of every kernel whose statistics set is contiguous (rows; NCHW groups and
// planes). Numerics as in statistics/set_moments.cpp (DESIGN.md section 2):
// blocks that stay in L1 are reduced exactly (sum, then squared deviations,
// on data shifted by the run's first value) and merge in double. Included
// only by -inl kernel headers, in the per-instruction-set translation units
// (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_BLOCK_STATISTICS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_BLOCK_STATISTICS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "kernels/element_io-inl.hpp"
#include "kernels/multiply_add-inl.hpp"
#include "kernels/typed_io-inl.hpp"
#include "statistics/set_chunks.hpp"
#include "statistics/set_moments.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::kernels {

// Everything here has internal linkage: these helpers are compiled once per
// instruction set, and an inline function with external linkage would let the
// linker keep one arch's copy (say AVX-512) for every caller. For the same
// reason the code avoids std::max/std::fabs, which are such functions.
namespace {

float larger(float a, float b) { return a < b ? b : a; }
float magnitude(float a) { return __builtin_fabsf(a); }

// 4096 floats = 16 KiB: the second sweep over a block reads L1 (32 KiB or
// more on every x86-64 core since 2011), so memory sees each byte once; and
// a row of up to 4096 features is one block, with one pair of horizontal
// reductions instead of one per KiB (measured: 1 x 4096 layer norm 0.80 ->
// 0.74 us against 1024-float blocks).
constexpr std::int64_t block_floats = 4096;
static_assert(statistics::chunk_floats % block_floats == 0, "a chunk is whole blocks");

// Deviations whose squares float32 sums safely; outside this range a set goes
// to statistics::moments_of, which sums in double.
bool in_safe_range(float largest) {
  return largest == 0.0f || (largest >= 0x1p-50f && largest <= 0x1p50f);
}

// A block's sum of squares is trusted without looking at its values when it
// lies in [2^-100, 2^100]: then no square overflowed (the sum bounds each of
// them), and squares that underflowed (each below 2^-126) are too small to
// matter beside the sum. Outside it (zero included: a constant block, or one
// whose squares all underflowed) the block's largest deviation decides. This
// keeps the range check out of the hot loop: a max per vector costs as much
// as the sum it guards.
constexpr float least_trusted_square_sum = 0x1p-100f;
constexpr float most_trusted_square_sum = 0x1p100f;
bool trusted_square_sum(float sum) {
  return sum >= least_trusted_square_sum && sum <= most_trusted_square_sum;
}

template <class Arch>
float horizontal_max(const xsimd::batch<float, Arch>& v) {
  alignas(64) float lanes[xsimd::batch<float, Arch>::size];
  v.store_aligned(lanes);
  float largest = lanes[0];
  for (float lane : lanes) largest = larger(largest, lane);
  return largest;
}

// max |p[i] - shift| over a block, in four independent chains (max is
// exact, so the order changes nothing): a constant row, whose square sum is
// 0, takes this sweep, and one chain of maxima made it latency-bound
// (bfloat16 1e4 + N(0, 1) rows, all 9984 once rounded: layer norm 512 x 2048
// took 1.3x as long as on N(0, 1), Zen 5).
template <class Arch, class Source>
float largest_deviation(const Source& p, std::int64_t length, float shift) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const batch shift_v(shift);
  const auto deviation = [&](std::int64_t i) {
    return xsimd::abs(p.template load<Arch>(i) - shift_v);
  };
  batch a(0.0f), b(0.0f), c(0.0f), d(0.0f);
  std::int64_t i = 0;
  for (; i + 4 * width <= length; i += 4 * width) {
    a = xsimd::max(a, deviation(i));
    b = xsimd::max(b, deviation(i + width));
    c = xsimd::max(c, deviation(i + 2 * width));
    d = xsimd::max(d, deviation(i + 3 * width));
  }
  for (; i + width <= length; i += width) a = xsimd::max(a, deviation(i));
  float result = horizontal_max<Arch>(xsimd::max(xsimd::max(a, b), xsimd::max(c, d)));
  for (; i < length; ++i) result = larger(result, magnitude(p.at(i) - shift));
  return result;
}

// Whether a set's or block's float32 squares (total square_sum) can be
// trusted: by the total alone when it is in the trusted range, else by the
// largest deviation from `reference`. A NaN or Inf in the values makes the
// sum NaN or Inf: untrusted, then unsafe, so the scalar path gives the set
// its NaN.
//
// A square sum of exactly 0 (every square below the smallest float, or
// flushed: every deviation from the centre below 2^-62) over a block whose
// first value is the reference, of magnitude 2^-30 or more, is a constant
// block equal to the reference: the floats nearest such a value are 2^-54
// apart or more. Its largest deviation is 0, so the sweep is skipped (it
// cost constant rows, 16-bit ones especially, 15% of a layer norm).
constexpr float least_constant_reference = 0x1p-30f;
template <class Arch, class Source>
bool squares_safe(const Source& p, std::int64_t length, float square_sum, float reference) {
  if (trusted_square_sum(square_sum)) return true;
  if (square_sum == 0.0f && magnitude(reference) >= least_constant_reference &&
      p.at(0) == reference) {
    return true;
  }
  return square_sum == square_sum && in_safe_range(largest_deviation<Arch>(p, length, reference));
}

// Four independent accumulators: an add or fma has 3-4 cycles of latency and
// a core retires two a cycle, so four chains keep a block load-bound.
template <class Arch>
struct four_sums {
  using batch = xsimd::batch<float, Arch>;
  // Not batch{0.0f}: in xsimd 8.1 braces pick the initializer-list
  // constructor, which reads a whole vector from the one-element list.
  batch a = batch(0.0f), b = batch(0.0f), c = batch(0.0f), d = batch(0.0f);
  float total() const { return xsimd::hadd((a + b) + (c + d)); }
};

// The sum over [0, length) of the terms that add(accumulator, v) folds into
// a vector accumulator (v the vector of p at some index) and add_one(sum, e)
// into a float (e the element at some index), in float chains of at most 64
// additions per lane: a float sum of k terms is off by up to about k/2 ulps
// of its size, and a block's mean error reaches every output. AVX-512 does a
// 4096-float block as one piece of 4 accumulators x 16 lanes x 64; narrower
// vectors add each piece's float total into double (SSE's 256-long chains
// gave 2.2e-6 output errors on 1e4 + N(0, 1)). The pieces read four vectors
// at a time through four_vector_loads, which may hand them over in another
// lane order (bfloat16); add must treat every lane alike.
template <class Arch, class Source, class Add, class AddOne>
SIMDNORM_ALWAYS_INLINE double piecewise_sum(const Source& p, std::int64_t length, Add add,
                                            AddOne add_one) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  constexpr std::int64_t piece = 64 * 4 * width;
  double total = 0.0;
  std::int64_t i = 0;
  while (i + 4 * width <= length) {
    const std::int64_t end = length - i < piece ? length : i + piece;
    four_sums<Arch> sum;
    for (; i + 4 * width <= end; i += 4 * width) {
      xsimd::batch<float, Arch> v[4];
      four_vector_loads<Source>::load(p, i, v);
      sum.a = add(sum.a, v[0]);
      sum.b = add(sum.b, v[1]);
      sum.c = add(sum.c, v[2]);
      sum.d = add(sum.d, v[3]);
    }
    four_vector_loads<Source>::to_memory_order(sum.a, sum.b, sum.c, sum.d);
    total += static_cast<double>(sum.total());
  }
  four_sums<Arch> rest;
  for (; i + width <= length; i += width) rest.a = add(rest.a, p.template load<Arch>(i));
  float tail = rest.total();
  for (std::int64_t t = i; t < length; ++t) tail = add_one(tail, p.at(t));
  return total + static_cast<double>(tail);
}

// One block's mean of (x - shift), and its sum of squared deviations from
// the block's mean. The second sweep measures deviations from centre, the
// block's mean rounded to float, with one subtraction per element (Sterbenz:
// exact for data near the mean), and removes the rounding exactly in double:
// sum (x - c)^2 = m2 + n (mean - c)^2. As (mean - c) is at most half an ulp
// of the mean, and data whose spread is below an ulp of its mean cannot be
// represented in float32 at all, the correction costs at most a bit.
struct block_moments {
  float mean;        // of x - shift
  float square_sum;  // sum of (x - centre)^2, for the range check
  double m2;
};

// From the sum of x - shift over length values: their mean (of x - shift),
// the centre the second sweep measures deviations from, and the centre's
// rounding (exact_centre - centre), which corrected_m2 removes.
struct block_centre {
  float mean;
  float centre;
  double offset;
};

block_centre centre_of(double total, std::int64_t length, float shift) {
  const auto mean = static_cast<float>(total / static_cast<double>(length));
  const double exact_centre = static_cast<double>(shift) + static_cast<double>(mean);
  const auto centre = static_cast<float>(exact_centre);
  return block_centre{mean, centre, exact_centre - static_cast<double>(centre)};
}

// The same for a total that is a float (a set's lane sums, added in float),
// its length below 2^24 (so exact as a float): the same bits, with the
// division and the centre's addition in float. Rounding a double quotient or
// sum of two floats to float gives the float operation's own result (double
// rounding is innocuous for +, -, *, / and sqrt when the wider format has at
// least 2p + 2 bits, 53 >= 2 * 24 + 2: Figueroa, 1995), and the four
// conversions between float and double that it saves were on a lone row's
// critical path, between its two sweeps. The offset, needed only after the
// second sweep, is still formed in double, off that path.
block_centre centre_of(float total, std::int64_t length, float shift) {
  const float mean = total / static_cast<float>(length);
  const float centre = shift + mean;
  const double exact_centre = static_cast<double>(shift) + static_cast<double>(mean);
  return block_centre{mean, centre, exact_centre - static_cast<double>(centre)};
}

// m2 about the exact mean from the squared deviations about the centre:
// sum (x - c)^2 = m2 + n (mean - c)^2, clamped at 0.
double corrected_m2(double square_sum, std::int64_t length, double offset) {
  const double m2 = square_sum - static_cast<double>(length) * offset * offset;
  return m2 > 0.0 ? m2 : 0.0;
}

// A block's two sweeps: the sum of x - shift, and the sum of squared
// deviations from centre (its mean rounded to float). Always inlined, as
// piecewise_sum: shifted_block and run_moments_of_batch both call them, and
// GCC then left the sums out of line, a call per sweep (7 x 7 NCHW planes'
// moments took 1.2-1.3x as long).
template <class Arch, class Source>
SIMDNORM_ALWAYS_INLINE double shifted_sum(const Source& p, std::int64_t length, float shift) {
  using batch = xsimd::batch<float, Arch>;
  const batch minus_shift(-shift);
  return piecewise_sum<Arch>(
      p, length, [&](batch sum, batch v) { return sum + subtract_on_fma(v, minus_shift); },
      [&](float sum, float e) { return sum + (e - shift); });
}

template <class Arch, class Source>
SIMDNORM_ALWAYS_INLINE double centred_square_sum(const Source& p, std::int64_t length,
                                                 float centre) {
  using batch = xsimd::batch<float, Arch>;
  const batch centre_v(centre);
  return piecewise_sum<Arch>(
      p, length,
      [&](batch sum, batch v) {
        const batch d = v - centre_v;
        return multiply_add(d, d, sum);
      },
      [&](float sum, float e) {
        const float d = e - centre;
        return sum + d * d;
      });
}

// One block's block_moments, its first sweep read from `first` and its
// second from p: two sources of the same values (see chunk_statistics_of).
template <class Arch, class First, class Source>
block_moments shifted_block(const First& first, const Source& p, std::int64_t length, float shift) {
  const block_centre c = centre_of(shifted_sum<Arch>(first, length, shift), length, shift);
  const double square_sum = centred_square_sum<Arch>(p, length, c.centre);
  return block_moments{c.mean, static_cast<float>(square_sum),
                       corrected_m2(square_sum, length, c.offset)};
}

// sum of p[i]^2 over one block.
template <class Arch, class Source>
double block_square_sum(const Source& p, std::int64_t length) {
  using batch = xsimd::batch<float, Arch>;
  return piecewise_sum<Arch>(
      p, length, [](batch sum, batch v) { return multiply_add(v, v, sum); },
      [](float sum, float e) { return sum + e * e; });
}

// The statistics of one chunk of a set (statistics/set_chunks.hpp): for moments, of the
// values minus `shift` (the set's first value); for squares, the sum of
// squares as m2 about a mean of 0. Blocks merge in memory order.
//
// Each block's first sweep reads `first`, the others x: the same values,
// where first may form them and write them where x reads them (a fused
// add's staged rows, staging_source). Both are x elsewhere.
template <class Arch, class First, class Source>
statistics::chunk_statistics chunk_statistics_of(const First& first, const Source& x,
                                                 std::int64_t length,
                                                 statistics::set_statistic kind, float shift) {
  statistics::chunk_statistics chunk;
  for (std::int64_t start = 0; start < length; start += block_floats) {
    const std::int64_t block = length - start < block_floats ? length - start : block_floats;
    const Source p = x.advanced(start);
    statistics::set_moments moments{static_cast<double>(block), 0.0, 0.0};
    float square_sum;
    if (kind == statistics::set_statistic::moments) {
      const block_moments b = shifted_block<Arch>(first.advanced(start), p, block, shift);
      moments.mean = b.mean;
      moments.m2 = b.m2;
      square_sum = b.square_sum;
    } else {
      moments.m2 = block_square_sum<Arch>(first.advanced(start), block);
      square_sum = static_cast<float>(moments.m2);
    }
    const float reference = kind == statistics::set_statistic::moments ? shift : 0.0f;
    chunk.safe = chunk.safe && squares_safe<Arch>(p, block, square_sum, reference);
    // merge() returns its second argument when the first is empty; skipping
    // the call gives the same bits without leaving this file.
    chunk.moments =
        chunk.moments.count == 0.0 ? moments : statistics::merge(chunk.moments, moments);
  }
  return chunk;
}

// The statistics of a whole set of `length` values read from x, each
// block's first sweep from `first` (chunk_statistics_of; values describes
// the same set for the scalar fallback): its chunks, merged in
// order exactly as schedule/contiguous_sets.cpp merges chunks computed on
// several threads, so both give the same bits. A set whose squares leave
// float32's safe range goes to the scalar path, which sums them in double.
template <class Arch, class First, class Source>
statistics::set_moments set_statistics_of(const First& first, const Source& x,
                                          const statistics::set_values& values,
                                          statistics::set_statistic kind) {
  const std::int64_t length = values.length;
  const float shift = first_value(first);
  statistics::set_moments state;
  bool safe = true;
  for (std::int64_t start = 0; start < length; start += statistics::chunk_floats) {
    const std::int64_t chunk =
        length - start < statistics::chunk_floats ? length - start : statistics::chunk_floats;
    const statistics::chunk_statistics c =
        chunk_statistics_of<Arch>(first.advanced(start), x.advanced(start), chunk, kind, shift);
    safe = safe && c.safe;
    state = state.count == 0.0 ? c.moments : statistics::merge(state, c.moments);
  }
  return statistics::finish_statistics(state, safe, shift, values, kind);
}

// Moments (count, mean, m2) of a contiguous run of Element.
template <class Arch, class Element>
statistics::set_moments run_moments(const Element* x, std::int64_t length) {
  return set_statistics_of<Arch>(element_source<Element>{x}, element_source<Element>{x},
                                 statistics::set_values{dtype_of(x), x, nullptr, nullptr, length},
                                 statistics::set_statistic::moments);
}

// The longest run run_moments_of_batch takes: one block.
constexpr std::int64_t batched_run_floats = block_floats;

// run_moments of `count` runs of `length` elements each (length at most
// batched_run_floats, count at most Most), run k at x + k * length, into
// out[0, count): the same operations on the same values, so the same bits,
// but each step taken for every run before the next step. One run at a
// time, a short run's statistics are a chain of dependent steps (sweep,
// horizontal sum, division, sweep, horizontal sum, double finish) that the
// core barely overlaps with the next run's; here the runs' chains are
// independent neighbours. (batched_statistics-inl.hpp does the same for
// contiguous sets with its own summation order, so other bits.)
template <class Arch, std::int64_t Most, class Element>
void run_moments_of_batch(const Element* x, std::int64_t length, std::int64_t count,
                          statistics::set_moments* out) {
  SIMDNORM_DEBUG_ASSERT(0 < length && length <= batched_run_floats && 0 < count && count <= Most);
  const auto run = [&](std::int64_t k) { return element_source<Element>{x + k * length}; };
  float shift[Most];
  double total[Most];
  for (std::int64_t k = 0; k < count; ++k) {
    shift[k] = first_value(run(k));
    total[k] = shifted_sum<Arch>(run(k), length, shift[k]);
  }
  block_centre centre[Most];
  for (std::int64_t k = 0; k < count; ++k) centre[k] = centre_of(total[k], length, shift[k]);
  double square_sum[Most];
  for (std::int64_t k = 0; k < count; ++k) {
    square_sum[k] = centred_square_sum<Arch>(run(k), length, centre[k].centre);
  }
  const auto n = static_cast<double>(length);
  for (std::int64_t k = 0; k < count; ++k) {
    // shifted_block's moments, chunk_statistics_of's range check and
    // set_statistics_of's finish, for a set of one block.
    const statistics::set_moments block{n, static_cast<double>(centre[k].mean),
                                        corrected_m2(square_sum[k], length, centre[k].offset)};
    const bool safe =
        squares_safe<Arch>(run(k), length, static_cast<float>(square_sum[k]), shift[k]);
    out[k] = statistics::finish_statistics(
        block, safe, shift[k],
        statistics::set_values{dtype_of(x), x + k * length, nullptr, nullptr, length},
        statistics::set_statistic::moments);
  }
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_BLOCK_STATISTICS_INL_HPP_
