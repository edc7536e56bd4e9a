// Vectorised subtract-first normalisation for a run with one set of factors,
// a row with per-feature affine parameters, or a row of channels with one
// factor each. Included only by -inl kernel headers (lib/arch/).
//
// The mean's first part is subtracted first (exact near the mean, Sterbenz);
// its second part, lo, is folded into a constant: (d - lo) * s equals
// d * s - lo * s, which one fma evaluates with a single rounding. So the
// two-part mean costs no extra instruction per element.
#ifndef SIMDNORM_LIB_KERNELS_NORMALIZE_INL_HPP_
#define SIMDNORM_LIB_KERNELS_NORMALIZE_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "kernels/element_io-inl.hpp"
#include "kernels/multiply_add-inl.hpp"
#include "statistics/normalizer.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// v * gamma + beta with whichever of the two parameters the call has (one
// fused multiply-add with both, on every path alike). gamma and beta are
// callables returning the element's or the vector's parameter, so that a
// missing one is never read.
template <bool HasGamma, bool HasBeta, class Value, class Gamma, class Beta>
Value with_affine(Value v, Gamma gamma, Beta beta) {
  if constexpr (HasGamma && HasBeta) {
    return multiply_add(v, gamma(), beta());
  } else if constexpr (HasGamma) {
    return v * gamma();
  } else if constexpr (HasBeta) {
    return v + beta();
  } else {
    return v;
  }
}

// A row's y = fma(fma(x - hi, rstd, -lo * rstd), gamma, beta), for a vector
// (row_terms) or an element (normalized_element): one formula for every loop
// that normalises rows (a row's vectors, its head and tail, pairs of rows,
// short rows), so that an element's bits do not depend on which loop it
// went through. gamma and beta are callables, as with_affine takes them.
template <class Arch>
struct row_terms {
  using batch = xsimd::batch<float, Arch>;
  batch hi, rstd, lo_term;

  explicit row_terms(const statistics::set_normalizer& set)
      : hi(set.hi), rstd(set.rstd), lo_term(-set.lo * set.rstd) {}

  template <bool HasGamma, bool HasBeta, class Source, class Gamma, class Beta>
  batch at(const Source& x, std::int64_t i, Gamma gamma, Beta beta) const {
    return with_affine<HasGamma, HasBeta>(
        multiply_add(x.template load<Arch>(i) - hi, rstd, lo_term), gamma, beta);
  }
};

template <bool HasGamma, bool HasBeta, class Source>
float normalized_element(const Source& x, std::int64_t i, const statistics::set_normalizer& set,
                         const float* gamma, const float* beta) {
  const float v = multiply_add(x.at(i) - set.hi, set.rstd, -set.lo * set.rstd);
  return with_affine<HasGamma, HasBeta>(
      v, [&] { return gamma[i]; }, [&] { return beta[i]; });
}

// The full vectors of a row; the affine parameters are template arguments
// so the loop has no branch.
template <class Arch, bool HasGamma, bool HasBeta, std::int64_t Known = 0, class Source, class Sink>
void normalize_row_vectors(Source x, std::int64_t d, const statistics::set_normalizer& set,
                           const float* gamma, const float* beta, Sink y) {
  using batch = xsimd::batch<float, Arch>;
  const row_terms<Arch> terms(set);
  const auto at = [&](std::int64_t i) SIMDNORM_INLINE_LAMBDA {
    return terms.template at<HasGamma, HasBeta>(
        x, i, [&] { return batch::load_unaligned(gamma + i); },
        [&] { return batch::load_unaligned(beta + i); });
  };
  store_whole_vectors<Arch, Known>(y, d, at);
}

// The shortest length head_length gives a head: 16 vectors.
template <class Arch>
constexpr std::int64_t shortest_with_head = 16 * xsimd::batch<float, Arch>::size;

// The elements of [0, length) that a normalisation loop writes one at a
// time before its whole vectors: those before the sink's first aligned
// vector (alignment_head), so that every vector after them is stored whole
// to one line, or streams. Their operations are the tail's, the vector
// loop's lane by lane, so an element's bits do not depend on which way it
// went. Only for lengths of 16 vectors or more, where the head is at most a
// sixteenth of the elements: rows of 64 floats off a boundary by 16 bytes,
// past the cache, ran at 12-14 GB/s with a head against 17-24 without
// (RMS norm 65536 x 64, 1 thread, 2-core Zen 4, 3 alternating runs), where
// rows of 768 and 4096 gained (alignment_head).
template <class Arch, class Sink>
std::int64_t head_length(const Sink& y, std::int64_t length) {
  if (length < shortest_with_head<Arch>) return 0;
  return y.template unaligned_head<Arch>();
}

// Where the whole vectors after a head of `head` elements end in [0,
// length): the tail after them is shorter than a vector. normalize_row and
// normalize_run_of store y in these three parts (head, whole vectors,
// tail), and normalization_cut (contiguous_set_kernels-inl.hpp) places a
// cut between two threads' parts of a piece with this function and
// head_length, so that no element changes part.
template <class Arch>
std::int64_t whole_vectors_end(std::int64_t head, std::int64_t length) {
  return length - (length - head) % xsimd::batch<float, Arch>::size;
}

// A row: its head, its whole vectors, its tail. A Known length (as
// lane_sums takes it) is used where d is that length and the row has no
// head: its vectors are then the whole row.
template <class Arch, bool HasGamma, bool HasBeta, std::int64_t Known = 0, class Source, class Sink>
void normalize_row(Source x, std::int64_t d, const statistics::set_normalizer& set,
                   const float* gamma, const float* beta, Sink y) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  // One element, with the vector loop's operations: the head and the tail.
  const auto element = [&](std::int64_t i) {
    y.put(i, normalized_element<HasGamma, HasBeta>(x, i, set, gamma, beta));
  };
  const std::int64_t head = head_length<Arch>(y, d);
  if constexpr (Known != 0) {
    static_assert(Known % width == 0, "a known length is whole vectors");
    if (d == Known && head == 0) {
      normalize_row_vectors<Arch, HasGamma, HasBeta, Known>(x, Known, set, gamma, beta, y);
      return;
    }
  }
  for (std::int64_t i = 0; i < head; ++i) element(i);
  const std::int64_t body = whole_vectors_end<Arch>(head, d);
  if (body > head) {
    normalize_row_vectors<Arch, HasGamma, HasBeta>(x.advanced(head), body - head, set,
                                                   HasGamma ? gamma + head : gamma,
                                                   HasBeta ? beta + head : beta, y.advanced(head));
  }
  for (std::int64_t i = body; i < d; ++i) element(i);
}

// Two rows of d elements normalised side by side, as normalize_row
// normalises each (the same operations on every element, so the same bits),
// with each vector of gamma and beta loaded once for both: a row's sweep
// loads x, gamma and beta for every vector it stores, and the loads, not
// the arithmetic, bound it where the row is in cache. Only for rows that
// are not halved, and for sinks that stream only where normalize_rows pairs
// float32 rows past the last-level cache, for gamma and beta's reads from
// L2 (contiguous_set_kernels-inl.hpp). 2-core Zen 4, C
// API, best of 5 runs, twice alternating with rows one at a time: layer
// norm 128 x 768 16.95 -> 15.9 us at 1 thread and 9.9 -> 9.3 at 2, RMS norm
// 13.7 -> 12.9, layer norm 1024 x 256 54.7 -> 46.7 and 4096 x 128 135 ->
// 117; bfloat16 layer norm 128 x 768 and 512 x 2048 6.3-6.4 -> 6.6 Gelem/s;
// 512 x 1024 (past L2) unchanged. Only for rows whose outputs start at the
// same offset from a vector boundary (the callers pair no others), which
// then take normalize_row's head together: an element gets the same
// instruction alone or paired. (A different-head branch here, calling
// normalize_row for each, cost 5-13% at 128 x 768 on the Xeon VM: the
// pair's loop compiled worse beside it.)
template <class Arch, bool HasGamma, bool HasBeta, class Source, class Sink>
void normalize_row_pair(Source x0, Source x1, std::int64_t d, const statistics::set_normalizer& s0,
                        const statistics::set_normalizer& s1, const float* gamma, const float* beta,
                        Sink y0, Sink y1) {
  const std::int64_t head = head_length<Arch>(y0, d);
  SIMDNORM_DEBUG_ASSERT(head == head_length<Arch>(y1, d));
  if (head != 0) {
    for (std::int64_t i = 0; i < head; ++i) {
      y0.put(i, normalized_element<HasGamma, HasBeta>(x0, i, s0, gamma, beta));
      y1.put(i, normalized_element<HasGamma, HasBeta>(x1, i, s1, gamma, beta));
    }
    return normalize_row_pair<Arch, HasGamma, HasBeta>(
        x0.advanced(head), x1.advanced(head), d - head, s0, s1, HasGamma ? gamma + head : gamma,
        HasBeta ? beta + head : beta, y0.advanced(head), y1.advanced(head));
  }
  using batch = xsimd::batch<float, Arch>;
  const row_terms<Arch> terms0(s0), terms1(s1);
  struct affine {
    batch gamma, beta;
  };
  const auto shared = [&](std::int64_t i) SIMDNORM_INLINE_LAMBDA {
    return affine{HasGamma ? held_in_register(batch::load_unaligned(gamma + i)) : batch(1.0f),
                  HasBeta ? held_in_register(batch::load_unaligned(beta + i)) : batch(0.0f)};
  };
  // A row's vector at i, given that vector of gamma and beta.
  const auto at = [&](const row_terms<Arch>& terms, const Source& x, std::int64_t i,
                      const affine& a) SIMDNORM_INLINE_LAMBDA {
    return terms.template at<HasGamma, HasBeta>(
        x, i, [&] { return a.gamma; }, [&] { return a.beta; });
  };
  std::int64_t i = store_whole_vectors_of_two<Arch>(
      y0, y1, d, shared,
      [&](std::int64_t k, const affine& a) SIMDNORM_INLINE_LAMBDA { return at(terms0, x0, k, a); },
      [&](std::int64_t k, const affine& a) SIMDNORM_INLINE_LAMBDA { return at(terms1, x1, k, a); });
  for (; i < d; ++i) {
    y0.put(i, normalized_element<HasGamma, HasBeta>(x0, i, s0, gamma, beta));
    y1.put(i, normalized_element<HasGamma, HasBeta>(x1, i, s1, gamma, beta));
  }
}

// y = ((x - hi) - lo) * (rstd * gamma) + beta over one row, gamma and beta
// per feature (either may be null).
template <class Arch, class Source, class Sink>
void normalize_row_of(Source x, std::int64_t d, const statistics::set_normalizer& set,
                      const float* gamma, const float* beta, Sink y) {
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

// The same, halved where x - hi could overflow (statistics/normalizer.hpp):
// one branch per set, none per element.
template <class Arch, class Source, class Sink>
void normalize_row(Source x, std::int64_t d, const statistics::set_normalizer& set,
                   const float* gamma, const float* beta, Sink y) {
  if (statistics::subtraction_may_overflow(set.hi)) {
    normalize_row_of<Arch>(halved_source<Source>{x}, d, statistics::halved(set), gamma, beta, y);
  } else {
    normalize_row_of<Arch>(x, d, set, gamma, beta, y);
  }
}

// Factors of a run (or channel) sharing one scale: y = (x - hi) * scale + shift,
// with the mean's second part already folded into shift (shift = beta -
// lo * scale).
struct run_factors {
  float hi;
  float scale;
  float shift;
};

inline run_factors factors_of(const statistics::set_normalizer& set, float gamma, float beta) {
  const float scale = set.rstd * gamma;
  return run_factors{set.hi, scale, beta - set.lo * scale};
}

template <class Arch, class Source, class Sink>
void normalize_run_vectors(Source x, std::int64_t length, const run_factors& f, Sink y) {
  using batch = xsimd::batch<float, Arch>;
  const batch hi(f.hi), scale(f.scale), shift(f.shift);
  const auto at = [&](std::int64_t i) SIMDNORM_INLINE_LAMBDA {
    return multiply_add(x.template load<Arch>(i) - hi, scale, shift);
  };
  store_whole_vectors<Arch>(y, length, at);
}

// y = (x - hi) * scale + shift over a run sharing one set of factors (an
// NCHW plane, or part of one). The tail uses the vector loop's operations,
// so an element's bits do not depend on where a run was cut.
template <class Arch, class Source, class Sink>
void normalize_run_of(Source x, std::int64_t length, const run_factors& f, Sink y) {
  // One element, with the vector loop's operations: the head and the tail.
  const auto element = [&](std::int64_t i) {
    y.put(i, multiply_add(x.at(i) - f.hi, f.scale, f.shift));
  };
  const std::int64_t head = head_length<Arch>(y, length);
  for (std::int64_t i = 0; i < head; ++i) element(i);
  const std::int64_t body = whole_vectors_end<Arch>(head, length);
  if (body > head) normalize_run_vectors<Arch>(x.advanced(head), body - head, f, y.advanced(head));
  for (std::int64_t i = body; i < length; ++i) element(i);
}

// The factors that give the same y from x/2.
inline run_factors halved(const run_factors& f) {
  return run_factors{f.hi * 0.5f, f.scale * 2.0f, f.shift};
}

// The same, halved where x - hi could overflow.
template <class Arch, class Source, class Sink>
void normalize_run(Source x, std::int64_t length, const run_factors& f, Sink y) {
  if (statistics::subtraction_may_overflow(f.hi)) {
    normalize_run_of<Arch>(halved_source<Source>{x}, length, halved(f), y);
  } else {
    normalize_run_of<Arch>(x, length, f, y);
  }
}

// A row of channels' y[c] = (x[c] - hi[c]) * scale[c] + shift[c], for a
// vector (channel_factors, loaded at c) or an element (channel_element): one
// formula for every loop over rows of channels (their vectors, heads and
// tails, one row or two), so that a channel's bits do not depend on which
// loop it went through.
template <class Arch>
struct channel_factors {
  using batch = xsimd::batch<float, Arch>;
  batch hi, scale, shift;

  static channel_factors at(const float* hi, const float* scale, const float* shift,
                            std::int64_t c) {
    return channel_factors{batch::load_unaligned(hi + c), batch::load_unaligned(scale + c),
                           batch::load_unaligned(shift + c)};
  }
  template <class Source>
  batch of(const Source& x, std::int64_t c) const {
    return of_value(x.template load<Arch>(c));
  }
  batch of_value(const batch& v) const { return multiply_add(v - hi, scale, shift); }
};

// Element i of a run of channels, whose channel is c.
template <class Source>
float channel_element_at(const Source& x, std::int64_t i, std::int64_t c, const float* hi,
                         const float* scale, const float* shift) {
  return multiply_add(x.at(i) - hi[c], scale[c], shift[c]);
}

template <class Source>
float channel_element(const Source& x, std::int64_t c, const float* hi, const float* scale,
                      const float* shift) {
  return channel_element_at(x, c, c, hi, scale, shift);
}

// y[c] = (x[c] - hi[c]) * scale[c] + shift[c] over a row of channels (an
// NHWC position), the factors one per channel.
// Source: float_source, or halved_source when the factors were halved for
// the whole call (schedule/channel_steps.cpp); Sink: float_sink, or
// streaming_float_sink for outputs past the last-level cache. Always
// inlined: called once a position, a call of its own cost 64-channel
// positions 1.2-1.6x (channel_kernels-inl.hpp, normalize_typed_items).
template <class Arch, class Source, class Sink>
SIMDNORM_ALWAYS_INLINE void normalize_channels(Source x, std::int64_t channels, const float* hi,
                                               const float* scale, const float* shift, Sink y) {
  // The head and the tail with the vector loop's rounding, so that a
  // channel's bits do not depend on whether it went in a vector.
  const auto element = [&](std::int64_t c) { y.put(c, channel_element(x, c, hi, scale, shift)); };
  const std::int64_t head = head_length<Arch>(y, channels);
  for (std::int64_t c = 0; c < head; ++c) element(c);
  const auto at = [&](std::int64_t c) SIMDNORM_INLINE_LAMBDA {
    c += head;
    return channel_factors<Arch>::at(hi, scale, shift, c).of(x, c);
  };
  std::int64_t c = head + store_whole_vectors<Arch>(y.advanced(head), channels - head, at);
  for (; c < channels; ++c) element(c);
}

// Whether NHWC rows of `channels` channels are narrow: fewer than a vector
// holds. Their statistics take no whole vectors, only a lane per channel
// (channel_kernels-inl.hpp, channel_tail_blocks).
template <class Arch>
constexpr bool narrower_than_a_vector(std::int64_t channels) {
  return channels < static_cast<std::int64_t>(xsimd::batch<float, Arch>::size);
}

// Whether NHWC rows of `channels` channels are normalised as one run across
// positions (normalize_positions_as_run) rather than a position at a time:
// rows of at most a vector, and rows that do not end on a vector boundary.
// Rows of whole vectors from two on go a position at a time, their factors
// loaded on the boundaries where the positions' vectors lie (a run's head
// aligns y, and with x or y off a boundary the factors of every vector
// after it were split loads). Batch-norm inference NHWC float32, 2 x C x
// (602112 / C), 1 thread, Zen 5, us, a position at a time -> a run, x and y
// on a line: C = 16 138 -> 92, 24 330 -> 99, 40 220 -> 139, 72 157 -> 111,
// 200 129 -> 122; y 16 bytes off: 16 145 -> 138, 24 347 -> 235, 40 226 ->
// 144, 200 146 -> 156; 1000 154 -> 155; but 64 122 -> 186 and 256 170 ->
// 154 with y off, and x and y both 16 bytes off 64 133 -> 211.
template <class Arch>
constexpr bool normalized_as_run(std::int64_t channels) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  return channels <= width || channels % width != 0;
}

// Per-channel factors repeated across positions for normalize_positions_as_run:
// entry k is channel (first + k) mod channels's. Rows of at most a vector
// take a period of lcm(channels, width) entries (at most width * width)
// from the run's first vector's channel on, whole vectors after which the
// channels repeat, so vector j of every period takes its factors from entry
// j * width on: one aligned load each. Wider rows take 2 * width - 1 entries
// from channel channels - width on, for the vectors that cross from one
// position into the next.
template <std::int64_t Capacity>
struct repeated_channel_factors {
  alignas(64) float hi[Capacity];
  alignas(64) float scale[Capacity];
  alignas(64) float shift[Capacity];

  void fill(const float* from_hi, const float* from_scale, const float* from_shift,
            std::int64_t channels, std::int64_t first, std::int64_t count) {
    for (std::int64_t k = 0, from = first; k < count; ++k) {
      hi[k] = from_hi[from];
      scale[k] = from_scale[from];
      shift[k] = from_shift[from];
      if (++from == channels) from = 0;
    }
  }
};

inline std::int64_t greatest_common_divisor(std::int64_t a, std::int64_t b) {
  while (b != 0) {
    const std::int64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// The elements of whole NHWC positions (one factor per channel) in one run
// from channel 0, vectors crossing positions: one position at a time left
// the channels past a position's last whole vector to the tail's
// one-at-a-time path (float32 batch-norm inference 1 x 3 x 401408 NHWC at
// 8.7 GB/s against 72 at 64 channels, 1 thread, Zen 5), and peeled a head
// for each position where y was off a vector boundary. Rows of at most a
// vector take their factors from a period's tables (repeated_channel_factors).
// Wider rows repeat every lcm(channels, width) elements too, but that can be
// width * channels floats a table; instead the next vector starts at channel
// (c + width) mod channels, one addition and one comparison a vector, and a
// vector that ends in its position loads its factors from the channels' own
// arrays, one that crosses into the next from a small table of the channels
// either side of the end (repeated_channel_factors too). The operations of
// channel_element on every element, head and tail included: the same bits.
template <class Arch, class Source, class Sink>
void normalize_positions_as_run(Source x, std::int64_t length, std::int64_t channels,
                                const float* hi, const float* scale, const float* shift, Sink y) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  SIMDNORM_DEBUG_ASSERT(0 < channels && length % channels == 0);
  // Elements [i, end) from channel c, one at a time; returns the channel after them.
  const auto elements = [&](std::int64_t i, std::int64_t end, std::int64_t c) {
    for (; i < end; ++i) {
      y.put(i, channel_element_at(x, i, c, hi, scale, shift));
      if (++c == channels) c = 0;
    }
    return c;
  };
  const std::int64_t head = head_length<Arch>(y, length);
  if (length - head < width) {
    elements(0, length, 0);
    return;
  }
  std::int64_t c = elements(0, head, 0);
  const auto vector_at = [&](std::int64_t i, const float* h, const float* s, const float* t,
                             std::int64_t k) SIMDNORM_INLINE_LAMBDA {
    const auto factors = channel_factors<Arch>::at(h, s, t, k);
    y.template store<Arch>(i, factors.of_value(x.template load<Arch>(i)));
  };
  std::int64_t i = head;
  if (channels <= width) {
    repeated_channel_factors<width * width> tables;
    const std::int64_t period = channels / greatest_common_divisor(channels, width) * width;
    tables.fill(hi, scale, shift, channels, c, period);
    for (; i + period <= length; i += period) {
      for (std::int64_t j = 0; j < period; j += width) {
        vector_at(i + j, tables.hi, tables.scale, tables.shift, j);
      }
    }
    // Whole vectors of a last, partial period, then the tail.
    std::int64_t j = 0;
    for (; i + width <= length; i += width, j += width) {
      vector_at(i, tables.hi, tables.scale, tables.shift, j);
    }
    elements(i, length, (c + j) % channels);
    return;
  }
  repeated_channel_factors<2 * width> wrapped;
  const std::int64_t last_whole = channels - width;  // the last c whose vector ends in its position
  wrapped.fill(hi, scale, shift, channels, last_whole, 2 * width - 1);
  for (; i + width <= length; i += width) {
    if (c <= last_whole) {
      vector_at(i, hi, scale, shift, c);
    } else {
      vector_at(i, wrapped.hi, wrapped.scale, wrapped.shift, c - last_whole);
    }
    c += width;
    if (c >= channels) c -= channels;
  }
  elements(i, length, c);
}

// Two rows of channels with the same factors (two positions of one sample,
// or of a call with per-channel factors) normalised side by side, as
// normalize_channels normalises each (the same operations on every
// element, so the same bits), each vector of hi, scale and shift loaded
// once for both: a row's loop loads them and x for every vector it stores,
// and in cache the loads bound it. Only for sinks that do not stream, and
// rows whose heads agree, as normalize_row_pair.
template <class Arch, class Source, class Sink>
void normalize_channel_pair(Source x0, Source x1, std::int64_t channels, const float* hi,
                            const float* scale, const float* shift, Sink y0, Sink y1) {
  const std::int64_t head = head_length<Arch>(y0, channels);
  SIMDNORM_DEBUG_ASSERT(head == head_length<Arch>(y1, channels));
  if (head != 0) {
    for (std::int64_t c = 0; c < head; ++c) {
      y0.put(c, channel_element(x0, c, hi, scale, shift));
      y1.put(c, channel_element(x1, c, hi, scale, shift));
    }
    return normalize_channel_pair<Arch>(x0.advanced(head), x1.advanced(head), channels - head,
                                        hi + head, scale + head, shift + head, y0.advanced(head),
                                        y1.advanced(head));
  }
  using factors = channel_factors<Arch>;
  std::int64_t c = store_whole_vectors_of_two<Arch>(
      y0, y1, channels,
      [&](std::int64_t k) SIMDNORM_INLINE_LAMBDA {
        const factors f = factors::at(hi, scale, shift, k);
        return factors{held_in_register(f.hi), held_in_register(f.scale),
                       held_in_register(f.shift)};
      },
      [&](std::int64_t k, const factors& f) SIMDNORM_INLINE_LAMBDA { return f.of(x0, k); },
      [&](std::int64_t k, const factors& f) SIMDNORM_INLINE_LAMBDA { return f.of(x1, k); });
  for (; c < channels; ++c) {
    y0.put(c, channel_element(x0, c, hi, scale, shift));
    y1.put(c, channel_element(x1, c, hi, scale, shift));
  }
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_NORMALIZE_INL_HPP_
