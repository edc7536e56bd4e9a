// Bodies of the per-channel kernels, written once for every instruction set;
// included only by the per-instruction-set translation units (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_INL_HPP_

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "kernels/activation-inl.hpp"
#include "kernels/block_statistics-inl.hpp"
#include "kernels/channel_kernels.hpp"
#include "kernels/divide-inl.hpp"
#include "kernels/normalize-inl.hpp"
#include "kernels/typed_io-inl.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::kernels {

namespace {

// Runs body(x) with the call's x as a pointer to its element type.
template <class Body>
void with_elements(dtype type, const void* x, Body&& body) {
  switch (type) {
    case dtype::bfloat16:
      return body(static_cast<const bfloat16*>(x));
    case dtype::float16:
      return body(static_cast<const float16*>(x));
    case dtype::float32:
      break;
  }
  body(static_cast<const float*>(x));
}

// The planes run_moments_of_batch takes at once: up to a vector's width of
// them, fewer where their elements pass 32 KiB, so that its second sweep
// finds them in L1; 0 for planes longer than it takes.
template <class Arch, class Element>
std::int64_t planes_per_batch(std::int64_t spatial) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  constexpr std::int64_t batch_bytes = std::int64_t{32} << 10;
  if (spatial > batched_run_floats) return 0;
  const std::int64_t fit = batch_bytes / (spatial * static_cast<std::int64_t>(sizeof(Element)));
  return fit < 1 ? 1 : (fit > width ? width : fit);
}

}  // namespace

// Planes of up to batched_run_floats elements are measured a batch of
// neighbours at a time (run_moments_of_batch, with run_moments' bits): one
// at a time, each plane's chain of dependent steps and the call around it
// cost more than reading a short plane (a 7 x 7 plane is 49 floats).
template <class Arch>
void nchw_channel_moments_kernel::operator()(Arch, const channel_moments_args& a,
                                             std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  with_elements(a.type, a.x, [&](const auto* x) {
    using element = std::remove_const_t<std::remove_pointer_t<decltype(x)>>;
    constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
    const std::int64_t spatial = a.s.spatial;
    const std::int64_t per_batch = planes_per_batch<Arch, element>(spatial);
    // Planes measured at once, and how: `count` neighbouring planes from
    // `plane` on into out[0, count).
    const std::int64_t step = per_batch == 0 ? 1 : per_batch;
    const auto measure = [&](std::int64_t plane, std::int64_t count, statistics::set_moments* out) {
      if (per_batch == 0) {
        out[0] = run_moments<Arch>(x + plane * spatial, spatial);
      } else {
        run_moments_of_batch<Arch, width>(x + plane * spatial, spatial, count, out);
      }
    };
    if (a.per_instance) {
      // Planes last to first, as the NHWC chunks (nhwc_chunk_moments): the
      // normalisation of the planes, first to last, starts where this ends.
      // Not channels: a channel's planes lie a sample apart, and taken
      // backwards they ran slower (batch-norm training 8 x 2048 x 7 x 7, 2
      // threads, 416 -> 475 us).
      for (std::int64_t end = last; end > first;) {
        const std::int64_t start = end - step > first ? end - step : first;
        measure(start, end - start, a.sets + start);
        end = start;
      }
      return;
    }
    // Each channel's planes merged in sample order, neighbouring channels
    // side by side, by statistics::merge: the function the per-instance
    // moments are merged with (schedule/channel_steps.cpp), not a copy
    // inlined here, whose code could pick another operand order and so
    // another NaN where both operands are NaN (SSE's two-operand additions
    // return the first one's).
    statistics::set_moments planes[width];
    for (std::int64_t c0 = first; c0 < last; c0 += step) {
      const std::int64_t count = last - c0 < step ? last - c0 : step;
      statistics::set_moments* const channels = a.sets + c0;
      for (std::int64_t n = 0; n < a.s.n; ++n) {
        measure(n * a.s.c + c0, count, planes);
        for (std::int64_t k = 0; k < count; ++k) {
          channels[k] = n == 0 ? planes[k] : statistics::merge(channels[k], planes[k]);
        }
      }
    }
  });
}

namespace {

// Running per-channel statistics of one chunk of NHWC rows, in float, each
// channel's values taken relative to its shift (its value in the chunk's
// first row). Blocks of rows merge in with Chan's formula, vectorised across
// channels: every lane has the same counts, so the factors are scalars.
struct channel_states {
  float* mean;
  float* m2;
};

// The longest float32 chain a lane sums in one block: 64, as in
// block_statistics-inl.hpp (a float sum of k terms is off by up to about k/2
// ulps of its size).
constexpr std::int64_t max_block_rows = 64;

// Merges a tile's block moments (mean[t] and m2[t] of x - k[t] over rows
// [b0, b1), channels [c, c + Tile * width)) into the states. The tile
// functions carry minus_k = -k, for subtract_on_fma. Returns false
// when some deviations leave the range where float32 squares are exact
// enough. Always inlined: the callers keep their arrays of vectors in
// registers only if their addresses do not escape (passed to a call, they
// went to the stack, and the sweeps' sums with them: 1.4x slower).
template <class Arch, int Tile, class Element>
SIMDNORM_ALWAYS_INLINE bool finish_tile(const Element* x, std::int64_t channels,
                                        const xsimd::batch<float, Arch>* minus_k,
                                        const xsimd::batch<float, Arch>* mean,
                                        const xsimd::batch<float, Arch>* m2, std::int64_t c,
                                        std::int64_t b0, std::int64_t b1, float merged,
                                        const channel_states& states) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const auto load = [](const Element* p) {
    return element_traits<Element>::template load<Arch>(p);
  };
  const float length = static_cast<float>(b1 - b0);
  bool safe = true;
  const float total = merged + length;
  const batch weight_b(length / total), weight_ab(merged * length / total);
  for (int t = 0; t < Tile; ++t) {
    // A sum of squares in [2^-100, 2^100] is trusted as in
    // block_statistics-inl.hpp; otherwise the lane's largest deviation decides,
    // and a NaN or Inf is left to the scalar path. A lane whose block equals
    // its shift k needs no sweep: its largest deviation is 0. Such a lane
    // has m2 and the mean of x - k both 0, and nothing else has where |k| >=
    // 2^-30: a nonzero x - k is then 2^-54 or more, its square a normal
    // float, so mean 0 and m2 = sum (x - k)^2 = 0 leave no x but k. The
    // sweep had cost blocks made constant by rounding: bfloat16 holds 1e4 +
    // N(0, 1) as 9984 (its neighbours are 64 apart there), and NHWC group
    // norm 2 x 640 x 32 x 32 of such data took 1.28x the time of N(0, 1).
    const auto trusted = m2[t] >= batch(0x1p-100f) && m2[t] <= batch(0x1p100f);
    const auto equal_to_shift =
        m2[t] == batch(0.0f) && mean[t] == batch(0.0f) && xsimd::abs(minus_k[t]) >= batch(0x1p-30f);
    if (!xsimd::all(trusted || equal_to_shift)) {
      if (xsimd::any(xsimd::isnan(m2[t]))) return false;
      batch largest(0.0f);
      for (std::int64_t r = b0; r < b1; ++r) {
        const batch d = load(x + r * channels + c + t * width) + minus_k[t];
        largest = xsimd::max(largest, xsimd::abs(d));
      }
      const auto in_range =
          (largest >= batch(0x1p-50f) && largest <= batch(0x1p50f)) || largest == batch(0.0f);
      if (!xsimd::all(in_range || trusted)) safe = false;
    }
    float* state_mean = states.mean + c + t * width;
    float* state_m2 = states.m2 + c + t * width;
    const batch mean_a = batch::load_unaligned(state_mean);
    const batch delta = mean[t] - mean_a;
    multiply_add(delta, weight_b, mean_a).store_unaligned(state_mean);
    (batch::load_unaligned(state_m2) + m2[t] + delta * delta * weight_ab).store_unaligned(state_m2);
  }
  return safe;
}

// A tile's vectors of one row, loaded in four_vector_loads' order within
// each group of four (bfloat16 on AVX-512: the even channels of 32 in one
// vector, the odd ones in the next, without a permute per vector), and
// per-channel vectors (shifts, means, sums of squares) moved between that
// order and memory order. A lane holds one channel throughout the sweeps, so
// its chains, and the bits, are memory order's. bfloat16 group norm NHWC G =
// 32, 2-core Zen 4, C API, 3 runs alternating, Gelem/s at 1 / 2 threads:
// 1 x 320 x 64 x 64 4.8-5.0 -> 5.3-5.5 / 9.5-9.8 -> 9.9-10.3, 2 x 640 x 32
// x 32 5.2-5.3 -> 5.4-5.6 / 10.4 -> 10.7-11.0, 2 x 1280 x 16 x 16 5.1-5.2 ->
// 5.4-5.5 / 10.1 -> 10.2-10.7; 512 channels, whose blocks were then copied
// (their second sweep reads the float32 copy), unchanged.
template <class Element>
using tile_loads = four_vector_loads<element_source<Element>>;

template <class Arch, int Tile, class Element>
SIMDNORM_ALWAYS_INLINE void load_tile_row(const Element* row, xsimd::batch<float, Arch>* v) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  if constexpr (Tile % 4 == 0) {
    for (int g = 0; g < Tile; g += 4) {
      tile_loads<Element>::load(element_source<Element>{row}, g * width, v + g);
    }
  } else {
    for (int t = 0; t < Tile; ++t) {
      v[t] = element_traits<Element>::template load<Arch>(row + t * width);
    }
  }
}

template <int Tile, class Element, class Arch>
SIMDNORM_ALWAYS_INLINE void tile_to_memory_order(xsimd::batch<float, Arch>* v) {
  if constexpr (Tile % 4 == 0) {
    for (int g = 0; g < Tile; g += 4) {
      tile_loads<Element>::to_memory_order(v[g], v[g + 1], v[g + 2], v[g + 3]);
    }
  }
}

template <int Tile, class Element, class Arch>
SIMDNORM_ALWAYS_INLINE void tile_from_memory_order(xsimd::batch<float, Arch>* v) {
  if constexpr (Tile % 4 == 0) {
    for (int g = 0; g < Tile; g += 4) {
      tile_loads<Element>::from_memory_order(v[g], v[g + 1], v[g + 2], v[g + 3]);
    }
  }
}

// Row i of a block's tile, first sweep: sum[t] += x - k[t] for the tile's
// vectors at row, x - k[t] also kept in row i of the tile's buffer, copied,
// with Copy. Always inlined, as finish_tile.
template <class Arch, int Tile, bool Copy, class Element>
SIMDNORM_ALWAYS_INLINE void sum_tile_row(const Element* row,
                                         const xsimd::batch<float, Arch>* minus_k, float* copied,
                                         std::int64_t i, xsimd::batch<float, Arch>* sum) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  batch loaded[Tile];
  load_tile_row<Arch, Tile>(row, loaded);
  for (int t = 0; t < Tile; ++t) {
    const batch v = subtract_on_fma(loaded[t], minus_k[t]);
    if constexpr (Copy) v.store_aligned(copied + (i * Tile + t) * width);
    sum[t] += v;
  }
}

// The same row, second sweep: m2[t] += d * d, d = (x - k[t]) - mean[t], x -
// k[t] read back from the buffer with Copy.
template <class Arch, int Tile, bool Copy, class Element>
SIMDNORM_ALWAYS_INLINE void square_tile_row(const Element* row,
                                            const xsimd::batch<float, Arch>* minus_k,
                                            const float* copied, std::int64_t i,
                                            const xsimd::batch<float, Arch>* mean,
                                            xsimd::batch<float, Arch>* m2) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  if constexpr (Copy) {
    for (int t = 0; t < Tile; ++t) {
      const batch d = batch::load_aligned(copied + (i * Tile + t) * width) - mean[t];
      m2[t] = multiply_add(d, d, m2[t]);
    }
  } else {
    batch loaded[Tile];
    load_tile_row<Arch, Tile>(row, loaded);
    for (int t = 0; t < Tile; ++t) {
      const batch d = subtract_on_fma(loaded[t], minus_k[t]) - mean[t];
      m2[t] = multiply_add(d, d, m2[t]);
    }
  }
}

// The moments of channels [c, c + Tile * width) over rows [b0, b1), two
// sweeps over the block (it is L1-resident), merged into the states;
// `merged` rows are in the states already. The next block is prefetched
// while this one is summed. With Copy, the first sweep keeps x - shift in a
// contiguous buffer for the second (rows_share_l1_sets). Returns false when
// some deviations leave the range where float32 squares are exact enough.
template <class Arch, int Tile, bool Copy, class Element>
bool merge_channel_tile(const Element* x, std::int64_t channels, const float* shift, std::int64_t c,
                        std::int64_t b0, std::int64_t b1, std::int64_t prefetch_end, float merged,
                        const channel_states& states) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  alignas(64) float copied[Copy ? max_block_rows * Tile * width : 1];
  batch minus_k[Tile], sum[Tile], m2[Tile];
  for (int t = 0; t < Tile; ++t) {
    minus_k[t] = -batch::load_unaligned(shift + c + t * width);
    sum[t] = batch(0.0f);
    m2[t] = batch(0.0f);
  }
  tile_from_memory_order<Tile, Element>(minus_k);
  // The rows that prefetch run in a loop of their own: with the test inside
  // one loop, GCC kept three of the four sums on the stack, and each row's
  // additions waited on a store. The next block's rows (those before
  // prefetch_end) are contiguous; the tiles' first sweeps prefetch them in
  // address order, each tile its slice (tile c's row r the Tile vectors at
  // c * rows + (r - b0) * Tile * width), rather than the tile's own columns
  // of the next block: those lie a row apart, and reached memory as
  // scattered 256-byte pieces. Group norm NHWC, 1 thread, Zen 5, calls
  // alternating in one process: 4 x 512 x 3199 G = 512 1.06x, 8 x 256 x
  // 3136 G = 32 1.04x, 4 x 128 x 16384 G = 128 1.08x; 0.99-1.01x in cache
  // and at 2 threads.
  const std::int64_t rows = b1 - b0;
  const std::int64_t next_rows = prefetch_end - b1 < rows ? prefetch_end - b1 : rows;
  const std::int64_t left = (next_rows > 0 ? next_rows : 0) * channels - c * rows;
  const std::int64_t slice_rows = left <= 0 ? 0 : (left + Tile * width - 1) / (Tile * width);
  const std::int64_t prefetched_end = b0 + (slice_rows < rows ? slice_rows : rows);
  // (Formed only where it lies inside the tensor.)
  const Element* const ahead = prefetched_end > b0 ? x + b1 * channels + c * rows : x;
  std::int64_t r = b0;
  for (; r < prefetched_end; ++r) {
    const Element* row = x + r * channels + c;
    const Element* next_row = ahead + (r - b0) * (Tile * width);
    for (int t = 0; t < Tile; ++t) __builtin_prefetch(next_row + t * width);
    sum_tile_row<Arch, Tile, Copy>(row, minus_k, copied, r - b0, sum);
  }
  for (; r < b1; ++r) {
    sum_tile_row<Arch, Tile, Copy>(x + r * channels + c, minus_k, copied, r - b0, sum);
  }
  const float length = static_cast<float>(b1 - b0);
  batch mean[Tile];
  for (int t = 0; t < Tile; ++t) mean[t] = divide(sum[t], batch(length));
  for (std::int64_t r = b0; r < b1; ++r) {
    square_tile_row<Arch, Tile, Copy>(x + r * channels + c, minus_k, copied, r - b0, mean, m2);
  }
  tile_to_memory_order<Tile, Element>(minus_k);
  tile_to_memory_order<Tile, Element>(mean);
  tile_to_memory_order<Tile, Element>(m2);
  return finish_tile<Arch, Tile>(x, channels, minus_k, mean, m2, c, b0, b1, merged, states);
}

// Tiles of four vectors over channels [0, c1) (a whole number of tiles),
// software-pipelined: each tile's first sweep runs in one loop with the
// second sweep of the tile before it, so that the loads the first sweep
// sends past L1 overlap the second sweep's work on L1 rather than taking
// turns with it, as they do tile by tile (where the second sweep leaves the
// memory system idle). Each lane's chains are merge_channel_tile's, in the
// same order: the same bits. Nothing is prefetched: this serves inputs the
// last-level cache holds, where the next block's prefetch cost more than it
// saved (and the two tiles in flight, 32 KiB with AVX-512, want an L1 of 48
// KiB: the schedule says where, channel_tiling::pipelined). Group norm NHWC
// G = 32, Zen 5, against tiles of eight alternating in one process, whole
// calls, over several runs: 2 x 640 x 32 x 32 1.12-1.18x at 1 thread and
// 1.11-1.12x at 2, 1 x 320 x 64 x 64 1.09-1.20x and 1.06-1.09x, 1 x 512 x
// 3199 (G = 512, copied blocks) 1.02-1.12x and 1.07-1.10x, 1 x 128 x 8192
// 1.06-1.09x and 1.07x; AVX2 1.10-1.18x at 1 thread. Past the last-level
// cache the prefetching schedules stay ahead (1 x 128 x 65536 G = 32 ran
// 0.93x pipelined).
template <class Arch, bool Copy, class Element>
bool merge_channel_tiles_pipelined(const Element* x, std::int64_t channels, const float* shift,
                                   std::int64_t c1, std::int64_t b0, std::int64_t b1, float merged,
                                   const channel_states& states) {
  constexpr int Tile = 4;
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  constexpr std::int64_t span = Tile * width;
  // With Copy, the tile being summed fills one buffer while the tile being
  // squared reads the other.
  alignas(64) float copied[Copy ? 2 : 1][Copy ? max_block_rows * span : 1];
  const batch length(static_cast<float>(b1 - b0));
  bool safe = true;
  // The tile being summed: its shifts and sums; the tile being squared: its
  // shifts, means and sums of squares.
  batch next_minus_k[Tile], sum[Tile], minus_k[Tile], mean[Tile], m2[Tile];
  for (int t = 0; t < Tile; ++t) {
    next_minus_k[t] = sum[t] = minus_k[t] = mean[t] = batch(0.0f);
  }
  for (std::int64_t c = 0; c <= c1; c += span) {
    const bool sums = c < c1;
    const bool squares = c > 0;
    const std::int64_t previous = c - span;
    float* const summed = copied[Copy ? (c / span) % 2 : 0];
    const float* const squared = copied[Copy ? 1 - (c / span) % 2 : 0];
    const auto first_sweep = [&](std::int64_t r) {
      sum_tile_row<Arch, Tile, Copy>(x + r * channels + c, next_minus_k, summed, r - b0, sum);
    };
    const auto second_sweep = [&](std::int64_t r) {
      square_tile_row<Arch, Tile, Copy>(x + r * channels + previous, minus_k, squared, r - b0, mean,
                                        m2);
    };
    for (int t = 0; t < Tile; ++t) {
      if (sums) {
        next_minus_k[t] = -batch::load_unaligned(shift + c + t * width);
        sum[t] = batch(0.0f);
      }
      m2[t] = batch(0.0f);
    }
    if (sums) tile_from_memory_order<Tile, Element>(next_minus_k);
    if (sums && squares) {
      for (std::int64_t r = b0; r < b1; ++r) {
        first_sweep(r);
        second_sweep(r);
      }
    } else if (sums) {
      for (std::int64_t r = b0; r < b1; ++r) first_sweep(r);
    } else {
      for (std::int64_t r = b0; r < b1; ++r) second_sweep(r);
    }
    if (squares) {
      // (Replaced below by the next tile's, so put in memory order in place.)
      tile_to_memory_order<Tile, Element>(minus_k);
      tile_to_memory_order<Tile, Element>(mean);
      tile_to_memory_order<Tile, Element>(m2);
      safe = finish_tile<Arch, Tile>(x, channels, minus_k, mean, m2, previous, b0, b1, merged,
                                     states) &&
             safe;
    }
    if (sums) {
      for (int t = 0; t < Tile; ++t) {
        minus_k[t] = next_minus_k[t];
        mean[t] = divide(sum[t], length);
      }
    }
  }
  return safe;
}

// The channels past the last whole vector of a row (channels [first,
// channels), fewer than a vector: all of them in rows narrower than one),
// one lane each. A lane sums x - shift over the block in one float chain,
// divides by the block's rows (rounded once: divide, not xsimd's NEON
// estimate), sums (x - shift - mean)^2 as a multiply and an add (the
// library does not contract a * b + c into one rounding), and
// merges with Chan's formula, every product and sum rounded on its own:
// the operations these channels had when they went one at a time, a scalar
// chain each (float32 batch-norm training NHWC 2 x 24 x 25088 ran at 9.6
// GB/s against 43 at 48 channels, 1 thread, Zen 5), so the same bits. Here
// their chains run side by side, and a row is one load. A row's load takes
// a vector's width of elements from channel `first` on, into the next row
// (the lanes past the row's end are ignored); the last rows of x, where
// that would read past its end (rows_in_x rows), are copied into a buffer
// first. A chunk's blocks come to merge() in order; four whole blocks at a
// time have their sweeps taken together, four chains side by side (a
// block's sums start from zero and depend on no other block: at 3
// channels, one block at a time waited a float addition's latency every
// row), and then merge into the states one by one as they come.
template <class Arch, class Element>
class channel_tail_blocks {
 public:
  using batch = xsimd::batch<float, Arch>;
  static constexpr std::int64_t width = batch::size;

  // shift: the chunk's, per channel (read only where the rows have a tail).
  channel_tail_blocks(const Element* x, std::int64_t channels, const float* shift,
                      std::int64_t rows_in_x)
      : x_(x),
        channels_(channels),
        first_(channels / width * width),
        lanes_in_use_(channels - first_) {
    const std::int64_t elements = rows_in_x * channels;
    direct_end_ = elements >= first_ + width ? (elements - first_ - width) / channels + 1 : 0;
    if (lanes_in_use_ > 0) k_ = to_lanes(shift);
  }

  // Whether the rows have channels past their last whole vector.
  bool any() const { return lanes_in_use_ > 0; }

  // The tail channels' work on block [b0, b1) of a chunk that ends at
  // chunk_end, the blocks in order: whether their deviations are in the
  // range where float32 squares are exact enough.
  bool merge(std::int64_t b0, std::int64_t b1, std::int64_t chunk_end, float merged,
             const channel_states& states) {
    SIMDNORM_DEBUG_ASSERT(any());
    if (b0 >= end_) {
      if ((chunk_end - b0) / max_block_rows >= group) {
        sweep<group>(b0, max_block_rows);
      } else {
        sweep<1>(b0, b1 - b0);
      }
    }
    const std::int64_t j = (b0 - begin_) / rows_;
    SIMDNORM_DEBUG_ASSERT(b1 - b0 == rows_ && j < group);
    const float length = static_cast<float>(rows_);
    const float total = merged + length;
    const batch old_mean = to_lanes(states.mean);
    const batch delta = mean_[j] - old_mean;
    const batch new_mean = old_mean + delta * batch(length / total);
    const batch new_m2 =
        to_lanes(states.m2) + (m2_[j] + delta * delta * batch(merged * length / total));
    from_lanes(new_mean, states.mean);
    from_lanes(new_m2, states.m2);
    largest_[j].store_aligned(lanes_);
    bool safe = true;
    for (std::int64_t c = 0; c < lanes_in_use_; ++c) safe = in_safe_range(lanes_[c]) && safe;
    return safe;
  }

 private:
  static constexpr int group = 4;

  // A channel's entry of the states or the shifts, to and from its lane.
  batch to_lanes(const float* from) {
    for (std::int64_t c = 0; c < lanes_in_use_; ++c) lanes_[c] = from[first_ + c];
    return batch::load_aligned(lanes_);
  }
  void from_lanes(const batch& v, float* to) {
    v.store_aligned(lanes_);
    for (std::int64_t c = 0; c < lanes_in_use_; ++c) to[first_ + c] = lanes_[c];
  }
  batch row(std::int64_t r) const {
    const Element* const tail = x_ + r * channels_ + first_;
    if (r < direct_end_) return element_source<Element>{tail}.template load<Arch>(0);
    Element copied[width] = {};
    for (std::int64_t c = 0; c < lanes_in_use_; ++c) copied[c] = tail[c];
    return element_source<Element>{copied}.template load<Arch>(0);
  }
  // The two sweeps of Count blocks of `rows` rows from b0, side by side, on
  // locals (the members, reached through this, went to memory and back
  // every row), loading straight from x where every row of them can.
  template <int Count>
  void sweep(std::int64_t b0, std::int64_t rows) {
    begin_ = b0;
    end_ = b0 + Count * rows;
    rows_ = rows;
    const batch k = k_;
    const auto sweeps = [&](auto load) SIMDNORM_INLINE_LAMBDA {
      batch sum[Count], mean[Count], m2[Count], largest[Count];
      for (int g = 0; g < Count; ++g) sum[g] = batch(0.0f);
      for (std::int64_t r = 0; r < rows; ++r) {
        for (int g = 0; g < Count; ++g) sum[g] = sum[g] + (load(b0 + g * rows + r) - k);
      }
      for (int g = 0; g < Count; ++g) {
        mean[g] = divide(sum[g], batch(static_cast<float>(rows)));
        m2[g] = batch(0.0f);
        largest[g] = batch(0.0f);
      }
      for (std::int64_t r = 0; r < rows; ++r) {
        for (int g = 0; g < Count; ++g) {
          const batch centred = load(b0 + g * rows + r) - k;
          const batch d = centred - mean[g];
          m2[g] = m2[g] + d * d;
          const batch size = xsimd::abs(centred);
          largest[g] = xsimd::select(largest[g] < size, size, largest[g]);  // larger()
        }
      }
      for (int g = 0; g < Count; ++g) {
        mean_[g] = mean[g];
        m2_[g] = m2[g];
        largest_[g] = largest[g];
      }
    };
    if (end_ <= direct_end_) {
      const Element* const tails = x_ + first_;
      const std::int64_t channels = channels_;
      sweeps([tails, channels](std::int64_t r) SIMDNORM_INLINE_LAMBDA {
        return element_source<Element>{tails + r * channels}.template load<Arch>(0);
      });
    } else {
      sweeps([this](std::int64_t r) SIMDNORM_INLINE_LAMBDA { return row(r); });
    }
  }

  const Element* x_;
  std::int64_t channels_;
  std::int64_t first_;           // the first channel past the last whole vector
  std::int64_t lanes_in_use_;    // channels - first_
  std::int64_t direct_end_ = 0;  // rows [0, direct_end_) load straight from x
  batch k_ = batch(0.0f);
  std::int64_t begin_ = 0, end_ = 0, rows_ = 1;  // the blocks swept: [begin_, end_)
  batch mean_[group], m2_[group], largest_[group];
  alignas(64) float lanes_[width] = {};
};

// Whether blocks may take tiles of eight vectors: on AVX-512, whose 32
// registers hold a tile's eight shifts and eight sums (or means and m2s)
// with room to spare, where the rows are not copied. Each lane's chains are
// the same whatever the tile (its channel's rows in order), so are the bits;
// what changes is how many independent chains a row feeds, eight rather than
// four, and the L1 footprint between the sweeps, 64 rows of 128 floats (32
// KiB), which wants an L1 of 48 KiB (Zen 5, Intel's cores from Ice Lake;
// Zen 4's has 32): the schedule says where (channel_tiling::eight). Copied blocks keep
// four, so that the copy stays 16 KiB. Group norm NHWC, float32, 1 thread,
// Zen 5, both tilings alternating in one process, medians of 30-200 calls:
// 4 x 128 x 16384 G = 128 1.06-1.10x, 1 x 320 x 4096 G = 32 1.02-1.04x, 2 x
// 640 x 1024 1.01-1.02x (statistics alone: 1.1-1.2x, 1.07x, 1.02x).
template <class Arch, bool Copy>
constexpr bool has_wide_tiles = std::is_base_of_v<xsimd::avx512f, Arch> && !Copy;

// One block of rows over the channels of whole vectors: tiles of four
// vectors, pipelined or of eight where the tiling says so and the block may
// take them, then single vectors. (The channels past them:
// channel_tail_blocks.)
template <class Arch, bool Copy, class Element>
bool merge_channel_block(const Element* x, std::int64_t channels, const float* shift,
                         std::int64_t b0, std::int64_t b1, std::int64_t prefetch_end, float merged,
                         const channel_states& states, channel_tiling tiling) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  bool safe = true;
  std::int64_t c = 0;
  const auto tiles = [&](auto tile) {
    constexpr int vectors = decltype(tile)::value;
    for (; c + vectors * width <= channels; c += vectors * width) {
      safe = merge_channel_tile<Arch, vectors, Copy>(x, channels, shift, c, b0, b1, prefetch_end,
                                                     merged, states) &&
             safe;
    }
  };
  if (tiling == channel_tiling::pipelined) {
    const std::int64_t c1 = channels / (4 * width) * (4 * width);
    if (c1 > 0) {
      safe =
          merge_channel_tiles_pipelined<Arch, Copy>(x, channels, shift, c1, b0, b1, merged, states);
    }
    c = c1;
  }
  if constexpr (has_wide_tiles<Arch, Copy>) {
    if (tiling == channel_tiling::eight) tiles(std::integral_constant<int, 8>{});
  }
  tiles(std::integral_constant<int, 4>{});
  tiles(std::integral_constant<int, 1>{});
  return safe;
}

// A window: the blocks whose states merge in float32 before they go, in
// double, into the chunk's moments. At most 64 blocks (64 float32 merges, as
// a block's chains have at most 64 additions) and about 4096 floats, the
// size of a contiguous set's block (block_statistics-inl.hpp), but at least
// 256 rows, over which the double merge, a dozen scalar operations a
// channel, costs nothing measurable (flushed after every block, NHWC batch-
// norm training ran at 0.94x with 64 channels and 0.60x with 2048). The
// float32 error is then that of one window, whatever the chunk's size, which
// grows with the tensor.
constexpr std::int64_t window_blocks = 64;
constexpr std::int64_t min_window_rows = 256;

std::int64_t window_rows_for(std::int64_t channels) {
  const std::int64_t fitting = block_floats / channels;
  return fitting > min_window_rows ? fitting : min_window_rows;
}

// Merges a window's float states (merged rows, relative to shift) into the
// chunk's moments, flushed rows in so far (Chan's merge, in double: every
// channel has the same counts), and empties them for the next window.
// The first window (flushed == 0) merges into moments of 0 without reading
// them, so the outputs need no clearing first: the same operations on the
// same zeros, so the same bits (0 + (mean - 0) * 1, its mean exactly).
template <bool First>
void flush_channel_window(const float* shift, float merged, double flushed,
                          const channel_states& states, double* mean_out, double* m2_out,
                          std::int64_t channels) {
  const double added = static_cast<double>(merged);
  const double total = flushed + added;
  const double weight = added / total, cross = flushed * weight;
  for (std::int64_t c = 0; c < channels; ++c) {
    const double mean_before = First ? 0.0 : mean_out[c];
    const double m2_before = First ? 0.0 : m2_out[c];
    const double mean = static_cast<double>(shift[c]) + static_cast<double>(states.mean[c]);
    const double delta = mean - mean_before;
    mean_out[c] = mean_before + delta * weight;
    m2_out[c] = m2_before + (static_cast<double>(states.m2[c]) + delta * delta * cross);
    states.mean[c] = 0.0f;
    states.m2[c] = 0.0f;
  }
}

void flush_channel_window(const float* shift, float merged, double flushed,
                          const channel_states& states, double* mean_out, double* m2_out,
                          std::int64_t channels) {
  if (flushed == 0.0) {
    flush_channel_window<true>(shift, merged, flushed, states, mean_out, m2_out, channels);
  } else {
    flush_channel_window<false>(shift, merged, flushed, states, mean_out, m2_out, channels);
  }
}

// nhwc_channel_moments_kernel's chunks [first, last) of x.
template <class Arch, class Element>
void nhwc_chunk_moments(const nhwc_channel_moments_args& a, const Element* x, std::int64_t first,
                        std::int64_t last) {
  const std::int64_t channels = a.s.c;
  // Rows per block: max_block_rows, the longest float32 chain one lane sums,
  // whatever the width. Each tile of channels (64 or 128 with AVX-512:
  // merge_channel_block) takes both sweeps over the block's rows before the
  // next tile, so what must stay in L1 between the sweeps is 64 rows of one
  // tile (16 or 32 KiB), not 64 whole rows (or its copy, where those rows
  // would crowd into a few of L1's sets).
  // Blocks of 4096 / C rows, as before, merged every 2 rows at 2048 channels
  // and every 6 at 640: NHWC batch-norm training 8 x 2048 x 7 x 7 and group
  // norm 2 x 1280 x 16 x 16 ran 1.3x and 1.23x faster with 64-row blocks.
  const std::int64_t block_rows = max_block_rows;
  const std::int64_t window_rows = window_rows_for(channels);
  // Channels past the last whole vector (all of them in rows narrower than
  // a vector): channel_tail_blocks.
  const bool whole_vectors = !narrower_than_a_vector<Arch>(channels);
  const std::int64_t rows_in_x = a.s.n * a.s.spatial;
  const bool copy_blocks = a.copy_blocks;
  if (first >= last) return;
  // The range's chunks share the scratch of its first: a chunk's states are
  // flushed into its outputs before the next starts, and emptied by the
  // flush, so they are cleared once a range, and stay in cache rather than
  // each chunk clearing and filling its own (7.5 KiB at 640 channels, cold).
  // No std::fill or std::vector here: see block_statistics-inl.hpp on
  // functions with external linkage in per-instruction-set files.
  float* const storage =
      a.states + first * nhwc_channel_moments_args::states_per_channel * channels;
  for (std::int64_t i = 0; i < 2 * channels; ++i) storage[i] = 0.0f;
  const channel_states states{storage, storage + channels};
  // Each channel's first value in the chunk, as a float.
  float* const shift = storage + 2 * channels;
  // Last chunk first. A tensor past L2 but inside the last-level cache is
  // read twice, statistics then normalisation; both first to last, the
  // normalisation found none of it in L2 (the end of the first read had
  // pushed its start out). Taken last to first, the statistics leave the
  // start of the range in L2 where the normalisation, first to last on the
  // same thread (schedule/channel_steps.cpp, nhwc_moments), begins (and
  // they begin on the end of x, which a producer writing it forward likely
  // left in cache: not measured). The chunks are independent, merged
  // afterwards in chunk order: the same bits.
  for (std::int64_t k = last - 1; k >= first; --k) {
    const std::int64_t set_end = (k / a.chunks_per_set + 1) * a.rows_per_set;
    const std::int64_t r0 =
        (k / a.chunks_per_set) * a.rows_per_set + (k % a.chunks_per_set) * a.rows_per_chunk;
    const std::int64_t r1 = r0 + a.rows_per_chunk < set_end ? r0 + a.rows_per_chunk : set_end;
    for (std::int64_t c = 0; c < channels; ++c) shift[c] = to_float(x[r0 * channels + c]);
    channel_tail_blocks<Arch, Element> tail_blocks(x, channels, shift, rows_in_x);
    double* const mean_out = a.partial_mean + k * channels;
    double* const m2_out = a.partial_m2 + k * channels;
    bool safe = true;
    float merged = 0.0f;
    double flushed = 0.0;     // rows
    std::int64_t blocks = 0;  // in the window
    for (std::int64_t b0 = r0; b0 < r1; b0 += block_rows) {
      const std::int64_t b1 = b0 + block_rows < r1 ? b0 + block_rows : r1;
      if (blocks == window_blocks || merged >= static_cast<float>(window_rows)) {
        flush_channel_window(shift, merged, flushed, states, mean_out, m2_out, channels);
        flushed += static_cast<double>(merged);
        merged = 0.0f;
        blocks = 0;
      }
      ++blocks;
      if (whole_vectors) {
        safe = (copy_blocks ? merge_channel_block<Arch, true>(x, channels, shift, b0, b1, r1,
                                                              merged, states, a.tiling)
                            : merge_channel_block<Arch, false>(x, channels, shift, b0, b1, r1,
                                                               merged, states, a.tiling)) &&
               safe;
      }
      if (tail_blocks.any()) safe = tail_blocks.merge(b0, b1, r1, merged, states) && safe;
      merged += static_cast<float>(b1 - b0);
    }
    flush_channel_window(shift, merged, flushed, states, mean_out, m2_out, channels);
    // Rare: some deviations leave float32's safe range for squares. Redo this
    // chunk's channels on the scalar path, which sums in double.
    if (!safe) {
      for (std::int64_t c = 0; c < channels; ++c) {
        const statistics::set_moments moments = statistics::moments_of(
            statistics::strided_set{x + r0 * channels + c, r1 - r0, 1, channels, a.type});
        mean_out[c] = moments.mean;
        m2_out[c] = moments.m2;
      }
    }
  }
}

}  // namespace

template <class Arch>
void nhwc_channel_moments_kernel::operator()(Arch, const nhwc_channel_moments_args& a,
                                             std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  with_elements(a.type, a.x, [&](const auto* x) { nhwc_chunk_moments<Arch>(a, x, first, last); });
}

namespace {

// The items [first, last) of channel_affine_kernel; HalvedInput (NHWC only)
// and the Sink (float_sink, or streaming_float_sink) are template arguments
// so that the loop over positions has no branch for them. Each layout has its own loop, over
// locals: with the arguments read through the reference in the loop, the compiler reloaded them for
// every NHWC position (a store to y might have changed them), a few percent of a batch norm with 64
// channels.
template <class Arch, class Element, bool HalvedInput, class Sink>
void normalize_channel_items(const channel_affine_args& a, std::int64_t first, std::int64_t last,
                             const Sink y) {
  const auto* const x = static_cast<const Element*>(a.x);
  const float* const hi = a.mean_hi;
  const float* const scale = a.scale;
  const float* const shift = a.shift;
  const std::int64_t channels = a.s.c, spatial = a.s.spatial;
  const std::int64_t factors_per_sample = a.factors_per_sample;
  // Items are walked with counters, not divided: a 64-bit division per NHWC
  // position cost a tenth of a group norm's time.
  if (a.s.layout == layout::nchw) {
    std::int64_t n = first / channels, c = first % channels;
    for (std::int64_t i = first; i < last; ++i) {
      const std::int64_t f = n * factors_per_sample + c;
      normalize_run<Arch>(element_source<Element>{x + i * spatial}, spatial,
                          run_factors{hi[f], scale[f], shift[f]}, y.advanced(i * spatial));
      if (++c == channels) {
        c = 0;
        ++n;
      }
    }
    return;
  }
  const auto source = [&](std::int64_t i) {
    const element_source<Element> in{x + i * channels};
    if constexpr (HalvedInput) {
      return halved_source<element_source<Element>>{in};
    } else {
      return in;
    }
  };
  std::int64_t n = first / spatial, position = first % spatial;
  if (normalized_as_run<Arch>(channels)) {
    // One run per sample where the factors are per instance, else one for
    // the range (normalize_positions_as_run).
    for (std::int64_t i = first; i < last; ++n) {
      const std::int64_t sample_end = (n + 1) * spatial;
      const std::int64_t end = factors_per_sample == 0 || last < sample_end ? last : sample_end;
      const std::int64_t f = n * factors_per_sample;
      normalize_positions_as_run<Arch>(source(i), (end - i) * channels, channels, hi + f, scale + f,
                                       shift + f, y.advanced(i * channels));
      i = end;
    }
    return;
  }
  // Two positions a step where they share their factors and their outputs'
  // heads agree (normalize_channel_pair). 2-core Zen 4, C API, float32, medians of 3
  // runs alternating with one position a step: batch-norm inference NHWC
  // 1 x 64 x 112 x 112 at 1 thread 89-91 -> 75-76 us, 8 x 2048 x 7 x 7
  // 138-142 -> 129-130 (in L3 at 1 thread); group norm 2 x 640 x 32 x 32 G
  // = 32 at 2 threads 141-143 -> 135-142 (its tensor in L3, not L2, when
  // normalised).
  // Not for a call past the cache (stream_output): there two rows side by
  // side ran 1.5-2.4x slower, float32 y streamed (batch-norm inference NHWC,
  // 1 thread, 8 x C x (802816 / C) floats, 25.7 MB in: 1.17-1.62 ms against
  // 1.86-2.86 at C = 128, 256, 512 and 1024; as fast at C = 2048, 12.8 MB
  // in) and 16-bit y stored ordinarily alike (bfloat16 8 x 256 x 56 x 56
  // 0.82-0.89 against 1.80-2.07 ms, float16 8 x 512 x 28 x 28 1.33-1.46
  // against 1.75-2.36, bfloat16 16 x 256 x 56 x 56 at 2 threads 1.09-1.17
  // against 2.31-2.46).
  const bool in_pairs = !a.stream_output;
  for (std::int64_t i = first; i < last;) {
    const std::int64_t f = n * factors_per_sample;
    const bool pair = in_pairs && i + 1 < last &&
                      (factors_per_sample == 0 || position + 1 < spatial) &&
                      head_length<Arch>(y.advanced(i * channels), channels) ==
                          head_length<Arch>(y.advanced((i + 1) * channels), channels);
    if (pair) {
      normalize_channel_pair<Arch>(source(i), source(i + 1), channels, hi + f, scale + f, shift + f,
                                   y.advanced(i * channels), y.advanced((i + 1) * channels));
    } else {
      normalize_channels<Arch>(source(i), channels, hi + f, scale + f, shift + f,
                               y.advanced(i * channels));
    }
    const std::int64_t step = pair ? 2 : 1;
    i += step;
    position += step;
    // A pair may cross into the next sample where the factors are per
    // channel (and with one position a sample, past it).
    while (position >= spatial) {
      position -= spatial;
      ++n;
    }
  }
}

// The rare halved calls out of line and marked cold, so that their copy of
// the loop does not sit in the common path's code. (Measured, this alone
// changed nothing; the few percent the halved variant had cost came from
// the pointers being reloaded each position, fixed above.)
// The items with the call's activation applied to y (activation-inl.hpp).
template <class Arch, class Element, bool HalvedInput, class Sink>
void normalize_activated_items(const channel_affine_args& a, std::int64_t first, std::int64_t last,
                               const Sink y) {
  with_activation<Arch>(a.act, y, [&](const auto sink) {
    normalize_channel_items<Arch, Element, HalvedInput>(a, first, last, sink);
  });
}

template <class Arch, class Element>
__attribute__((noinline, cold)) void normalize_halved_channel_items(const channel_affine_args& a,
                                                                    std::int64_t first,
                                                                    std::int64_t last) {
  normalize_activated_items<Arch, Element, true>(a, first, last,
                                                 element_sink<Element>{static_cast<Element*>(a.y)});
}

// One function per element type (noinline), so that GCC's inlining budget is
// spent per type rather than over channel_affine_kernel's every instantiation
// (types, activations, sinks) at once: there it left some NHWC loops out of
// line, and with them normalize_channels, called once a position. Batch-norm
// inference NHWC 8 x 64 x 112 x 112, 1 thread, Zen 5, 5 runs alternating
// with the build before, us: bfloat16 905-1444 -> 531-585, float16 857-1315
// -> 673-720 (with ReLU they were inlined already: 545-572 either way);
// float32, 8 x 2048 x 7 x 7 and group norm NHWC 2 x 640 x 32 x 32 within
// the runs' spread.
template <class Arch, class Element>
__attribute__((noinline)) void normalize_typed_items(const channel_affine_args& a,
                                                     std::int64_t first, std::int64_t last) {
  if (a.halved_input) {
    normalize_halved_channel_items<Arch, Element>(a, first, last);
  } else if constexpr (std::is_same<Element, float>::value) {
    if (a.stream_output) {
      normalize_activated_items<Arch, float, false>(a, first, last,
                                                    streaming_float_sink{static_cast<float*>(a.y)});
      stream_fence();
    } else {
      normalize_activated_items<Arch, float, false>(a, first, last,
                                                    float_sink{static_cast<float*>(a.y)});
    }
  } else {
    // 16-bit outputs use ordinary stores. Streamed past the last-level cache
    // (element_sink's stream, as the row norms' are), batch-norm inference
    // 32 x 256 x 56 x 56 in bfloat16 and float16, both layouts, with and
    // without ReLU, ran 0.87-1.06x (min over 3 alternating passes; Zen 5,
    // 1 and 2 threads), instance norm 4 x 128 x 128 x 128 0.94-1.07x.
    normalize_activated_items<Arch, Element, false>(
        a, first, last, element_sink<Element>{static_cast<Element*>(a.y)});
  }
}

}  // namespace

template <class Arch>
void channel_affine_kernel::operator()(Arch, const channel_affine_args& a, std::int64_t first,
                                       std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  SIMDNORM_DEBUG_ASSERT(!a.halved_input || a.s.layout == layout::nhwc);
  switch (a.type) {
    case dtype::bfloat16:
      return normalize_typed_items<Arch, bfloat16>(a, first, last);
    case dtype::float16:
      return normalize_typed_items<Arch, float16>(a, first, last);
    case dtype::float32:
      break;
  }
  normalize_typed_items<Arch, float>(a, first, last);
}

namespace {

// Sets [i, i + length) of channels [c, c + length), one channel each; Gamma
// and Beta whether the call has them. Plain loops, with no branch that
// depends on the data (the overflow guard is a select), so that the
// compiler vectorises them in each instruction set's file: the factors are
// paid for every set before the first output, and one at a time they were
// most of a call with few positions per channel (batch-norm inference
// 2048 channels at 1 position, 1 thread). Each lane does the scalar
// operations, so the bits are the same.
template <bool Gamma, bool Beta>
void channel_factors_run(const channel_factors_args& a, std::int64_t i, std::int64_t c,
                         std::int64_t length) {
  const statistics::set_normalizer* const sets = a.sets + i;
  float* const hi = a.hi + i;
  float* const scale = a.scale + i;
  float* const shift = a.shift + i;
  constexpr float largest = 3.40282347e+38f;  // FLT_MAX
  for (std::int64_t j = 0; j < length; ++j) {
    hi[j] = sets[j].hi;
    const float factor = Gamma ? sets[j].rstd * a.gamma[c + j] : sets[j].rstd;
    scale[j] = factor;
    const float lo_term = sets[j].lo * factor;
    // Folding lo into shift overflows only where |scale| passes FLT_MAX /
    // |lo|: a mean measured from data over a variance that is not its own
    // (switchable norm inference, running_var 0 and eps 1e-30: scale 4e15 on
    // a mean of 1e35 gave -inf for +inf, found by the fuzzer). Then every
    // output of the set overflows as well (x - hi is 0, or at least 2 |lo|
    // where it could cancel lo), and a shift of FLT_MAX of -lo * scale's
    // sign gives each y the sign of ((x - hi) - lo) * scale: its infinity,
    // or FLT_MAX where x == hi. (Magnitudes compared with FLT_MAX: false for
    // Inf and NaN alike.)
    const bool folds = magnitude(lo_term) <= largest || !(magnitude(factor) <= largest);
    const float base = Beta ? a.beta[c + j] : 0.0f;
    shift[j] = folds ? base - lo_term : __builtin_copysignf(largest, -lo_term);
  }
}

}  // namespace

template <class Arch>
void channel_factors_kernel::operator()(Arch, const channel_factors_args& a, std::int64_t first,
                                        std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last && a.channels > 0);
  // Runs of consecutive channels, so that the loops index gamma and beta
  // directly rather than by i % channels.
  for (std::int64_t i = first; i < last;) {
    const std::int64_t c = i % a.channels;
    const std::int64_t length = a.channels - c < last - i ? a.channels - c : last - i;
    if (a.gamma != nullptr) {
      if (a.beta != nullptr) {
        channel_factors_run<true, true>(a, i, c, length);
      } else {
        channel_factors_run<true, false>(a, i, c, length);
      }
    } else if (a.beta != nullptr) {
      channel_factors_run<false, true>(a, i, c, length);
    } else {
      channel_factors_run<false, false>(a, i, c, length);
    }
    i += length;
  }
}

template <class Arch>
void running_normalizers_kernel::operator()(Arch, const running_normalizers_args& a,
                                            std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  // A plain loop, vectorised by the compiler as channel_factors_run is: the
  // double square root and division were most of the cost of a batch-norm
  // inference call with few positions per channel, one channel at a time.
  for (std::int64_t c = first; c < last; ++c) {
    a.sets[c] = statistics::set_normalizer{a.mean[c], 0.0f, statistics::rstd_of(a.var[c], a.eps)};
  }
}

template <class Arch>
void moment_normalizers_kernel::operator()(Arch, const moment_normalizers_args& a,
                                           std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  // The divisions and square root in double vectors, over the moments
  // gathered a piece at a time: as a plain loop the compiler left it scalar
  // (a set's moments are three doubles), and on the calling thread, between
  // the statistics and the normalisation, its two divisions and square root
  // a channel took 4.7% of a batch-norm training call NHWC 8 x 2048 x 7 x 7
  // at 1 thread (perf samples, Zen 5), now 1.6%: time no added thread
  // shortens. normalizer_of's operations in its order (m2 / count, + eps,
  // square root, 1 / that, rounded to float; the mean split as split()
  // does): the same bits.
  using doubles = xsimd::batch<double, Arch>;
  constexpr std::int64_t width = doubles::size;
  constexpr std::int64_t piece = 64;
  alignas(64) double m2[piece], count[piece], inverse[piece];
  const doubles eps(static_cast<double>(a.eps));
  for (std::int64_t c0 = first; c0 < last; c0 += piece) {
    const std::int64_t n = last - c0 < piece ? last - c0 : piece;
    const std::int64_t vectors = (n + width - 1) / width;
    for (std::int64_t j = 0; j < vectors * width; ++j) {
      m2[j] = j < n ? a.moments[c0 + j].m2 : 0.0;
      count[j] = j < n ? a.moments[c0 + j].count : 1.0;
    }
    for (std::int64_t v = 0; v < vectors; ++v) {
      const doubles variance =
          doubles::load_aligned(m2 + v * width) / doubles::load_aligned(count + v * width);
      (doubles(1.0) / xsimd::sqrt(variance + eps)).store_aligned(inverse + v * width);
    }
    for (std::int64_t j = 0; j < n; ++j) {
      const statistics::split_mean mean = statistics::split(a.moments[c0 + j].mean);
      a.sets[c0 + j] = statistics::set_normalizer{mean.hi, mean.lo, static_cast<float>(inverse[j])};
    }
  }
}

template <class Arch>
void chunk_merge_kernel::operator()(Arch, const chunk_merge_args& a, std::int64_t first,
                                    std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last && last <= a.channels);
  using doubles = xsimd::batch<double, Arch>;
  constexpr std::int64_t width = doubles::size;
  // Chunk by chunk, each across the channels: independent merges side by
  // side, each channel's chain in chunk order. Written out rather than
  // left to the compiler, which does not vectorise at -O2 a loop whose
  // stores may alias its loads.
  for (std::int64_t k = 1; k < a.chunks; ++k) {
    const double* const chunk_mean = a.mean + k * a.channels;
    const double* const chunk_m2 = a.m2 + k * a.channels;
    const statistics::merge_weights& w = a.weights[k];
    const doubles weight(w.weight), cross(w.cross);
    std::int64_t c = first;
    for (; c + width <= last; c += width) {
      // merge_with's operations, in its order.
      const doubles mean = doubles::load_unaligned(a.mean + c);
      const doubles delta = doubles::load_unaligned(chunk_mean + c) - mean;
      (mean + delta * weight).store_unaligned(a.mean + c);
      ((doubles::load_unaligned(a.m2 + c) + doubles::load_unaligned(chunk_m2 + c)) +
       delta * delta * cross)
          .store_unaligned(a.m2 + c);
    }
    for (; c < last; ++c) {
      const statistics::set_moments merged =
          statistics::merge_with(statistics::set_moments{0.0, a.mean[c], a.m2[c]},
                                 statistics::set_moments{0.0, chunk_mean[c], chunk_m2[c]}, w);
      a.mean[c] = merged.mean;
      a.m2[c] = merged.m2;
    }
  }
}

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_INL_HPP_
