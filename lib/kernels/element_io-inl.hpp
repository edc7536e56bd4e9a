// What the vector loops read and write, as template parameters. Statistics
// and arithmetic stay float32; the element type in memory and any operation
// fused before or after the normalisation are a policy:
//   - a source yields float batches of the input: float32 here; bfloat16
//     and float16 widen in load(), and a residual add before the norm loads
//     two tensors and adds them (typed_io-inl.hpp);
//   - a sink takes float batches of the output: float32 here; a narrowing
//     store (typed_io-inl.hpp), or an activation after the norm, goes in
//     store().
// A source has load<Arch>(i), at(i) (one element, for tails) and
// advanced(k); a sink has store<Arch>(i, v), put(i, v), advanced(k),
// unaligned_head<Arch>() (alignment_head below) and streams() (whether its
// stores are to bypass the cache).
// store and put must apply the same elementwise function, so that a tail
// element ends up as it would in a full vector (and a sink may store two
// vectors at once: stores_in_pairs below). Loops take them by value: a
// policy held by reference has its pointer reloaded after every store (the
// compiler cannot prove the store does not change it), measured at 14% of a
// normalisation loop.
// tests/element_io_test.cpp instantiates the loops with a bfloat16 source
// plus a residual and a ReLU bfloat16 sink.
#ifndef SIMDNORM_LIB_KERNELS_ELEMENT_IO_INL_HPP_
#define SIMDNORM_LIB_KERNELS_ELEMENT_IO_INL_HPP_

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#if defined(__GNUC__)
#define SIMDNORM_ALWAYS_INLINE __attribute__((always_inline)) inline
// The same for a lambda, after its parameter list: the loops' per-vector
// lambdas, which GCC leaves as calls once a loop has several call sites.
#define SIMDNORM_INLINE_LAMBDA __attribute__((always_inline))
#else
#define SIMDNORM_ALWAYS_INLINE inline
#define SIMDNORM_INLINE_LAMBDA
#endif

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

struct float_source {
  const float* data;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    return xsimd::batch<float, Arch>::load_unaligned(data + i);
  }
  float at(std::int64_t i) const { return data[i]; }
  float_source advanced(std::int64_t k) const { return float_source{data + k}; }
};

// Reads half of what Source holds: the input of the halved normalisation of
// a set whose x - mean could overflow (statistics/normalizer.hpp).
template <class Source>
struct halved_source {
  Source inner;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    return inner.template load<Arch>(i) * xsimd::batch<float, Arch>(0.5f);
  }
  float at(std::int64_t i) const { return inner.at(i) * 0.5f; }
  halved_source advanced(std::int64_t k) const { return halved_source{inner.advanced(k)}; }
};

// A source that also prefetches, for each vector it loads, the element at
// the same offset of `ahead` (the row a later sweep reads first), and of
// `also_ahead` where it is not null (the same row of a fused add's
// residual): the next row's reads then overlap this row's arithmetic and
// stores, which memory otherwise sees in turn (the rows kernel, for rows
// past the last-level cache).
template <class Source, class Element>
struct prefetching_source {
  Source inner;
  const Element* ahead;
  const Element* also_ahead;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    __builtin_prefetch(ahead + i);
    if (also_ahead != nullptr) __builtin_prefetch(also_ahead + i);
    return inner.template load<Arch>(i);
  }
  float at(std::int64_t i) const { return inner.at(i); }
  prefetching_source advanced(std::int64_t k) const {
    return prefetching_source{inner.advanced(k), ahead + k,
                              also_ahead != nullptr ? also_ahead + k : nullptr};
  }
};

// Whether Sink's narrowing costs less done for two vectors at once: such a
// sink has store_pair<Arch>(i, a, b), a at i and b one vector on, with the
// bits of two stores (element_traits<bfloat16>::store_pair). The
// normalisation loops step two vectors at a time for those sinks only.
template <class Sink>
struct stores_in_pairs : std::false_type {};

// v, as a value the compiler cannot see through: an operand that two
// outputs share (store_whole_vectors_of_two) stays in the register it was
// loaded into. GCC otherwise reads it from memory again for the second
// output where no store comes between, a load more a vector, and the loads
// bound these loops in cache.
template <class Arch>
SIMDNORM_ALWAYS_INLINE xsimd::batch<float, Arch> held_in_register(xsimd::batch<float, Arch> v) {
  auto r = v.data;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  __asm__("" : "+v"(r));
#elif defined(__GNUC__) && defined(__aarch64__)
  __asm__("" : "+w"(r));
#endif
  return xsimd::batch<float, Arch>(r);
}

// How many steps ahead of its stores an output loop computes (led_steps).
// On AVX-512 an output a vector or two past its input in memory, modulo 4
// KiB (two buffers allocated one after the other on the heap), otherwise
// has each load follow the store whose address matches its low 12 bits,
// which the core treats as a possible dependency. 2-core Zen 4, 1 thread, y
// 64 bytes past x modulo 4 KiB: layer norm 512 x 1024 110-115 -> 92-94 us,
// NHWC batch-norm inference 8 x 512 x 28 x 28 536-558 -> 481-503, NCHW group
// norm 2 x 640 x 32 x 32 257-278 -> 229-241; x and y alike modulo 4 KiB:
// layer norm 99 -> 92-95, the NHWC group norm within the noise. Two steps
// move the window from 0-140 bytes to 144-256 bytes (y 192 bytes past x:
// layer norm 94-96 -> 112 us), rarer between buffers. Not for sinks that
// store in pairs (bfloat16): around their narrowing, with its branch for
// denormals, GCC kept the rotated values on the stack (bfloat16 layer norm
// 512 x 2048 7.0 -> 4.8 Gelem/s). The AVX2 and SSE loops showed no such
// window at 64 bytes, and SSE4.2 ran 3% slower in cache with the lead (its
// 16 registers), so they store as they compute.
template <class Arch, class Sink>
constexpr std::int64_t store_lead =
    xsimd::batch<float, Arch>::size >= 16 && !stores_in_pairs<Sink>::value ? 2 : 0;

// store(i, compute(i)) for the steps i = 0, step, ... of [0, length), each
// step's values computed Lead steps before they are stored; returns the end
// of the last step. A Known length (as lane_sums takes it) unrolls the loop
// whole.
template <std::int64_t Lead, std::int64_t Known = 0, class Compute, class Store>
SIMDNORM_ALWAYS_INLINE std::int64_t led_steps(std::int64_t runtime_length, std::int64_t step,
                                              Compute compute, Store store) {
  const std::int64_t length = Known != 0 ? Known : runtime_length;
  std::int64_t i = 0;
  if constexpr (Lead == 2) {
    if (length >= 2 * step) {
      auto first = compute(0);
      auto second = compute(step);
      const auto one_step = [&](std::int64_t at) SIMDNORM_INLINE_LAMBDA {
        const auto next = compute(at + 2 * step);
        store(at, first);
        first = second;
        second = next;
      };
      if constexpr (Known != 0) {
#pragma GCC unroll 256
        for (; i + 3 * step <= Known; i += step) one_step(i);
      } else {
        for (; i + 3 * step <= length; i += step) one_step(i);
      }
      store(i, first);
      store(i + step, second);
      i += 2 * step;
    } else if (length >= step) {
      store(0, compute(0));
      i = step;
    }
  } else {
    static_assert(Lead == 0, "led_steps holds two steps at most");
    for (; i + step <= length; i += step) store(i, compute(i));
  }
  return i;
}

// The vectors of one step of an output loop: two where the sink stores in
// pairs, else one.
template <class Arch, bool Paired>
struct step_values {
  xsimd::batch<float, Arch> first;
};
template <class Arch>
struct step_values<Arch, true> {
  xsimd::batch<float, Arch> first, second;
};

template <class Arch, class Sink>
struct output_step {
  static constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  static constexpr bool paired = stores_in_pairs<Sink>::value;
  static constexpr std::int64_t length = (paired ? 2 : 1) * width;
  using values = step_values<Arch, paired>;

  // The step at i, at(k) giving the vector at k.
  template <class At>
  SIMDNORM_ALWAYS_INLINE static values at(std::int64_t i, At& at) {
    if constexpr (paired) {
      return values{at(i), at(i + width)};
    } else {
      return values{at(i)};
    }
  }
  SIMDNORM_ALWAYS_INLINE static void store(const Sink& y, std::int64_t i, const values& v) {
    if constexpr (paired) {
      y.template store_pair<Arch>(i, v.first, v.second);
    } else {
      y.template store<Arch>(i, v.first);
    }
  }
};

// Stores at(i) at every i = 0, width, ... of the whole vectors in [0,
// length), two a step where the sink stores in pairs; returns the end of the
// last (the tail's start).
template <class Arch, std::int64_t Known = 0, class Sink, class At>
SIMDNORM_ALWAYS_INLINE std::int64_t store_whole_vectors(const Sink y, std::int64_t length, At at) {
  using step = output_step<Arch, Sink>;
  std::int64_t i = led_steps<store_lead<Arch, Sink>, Known>(
      length, step::length, [&](std::int64_t k) SIMDNORM_INLINE_LAMBDA { return step::at(k, at); },
      [&](std::int64_t k, const typename step::values& v)
          SIMDNORM_INLINE_LAMBDA { step::store(y, k, v); });
  for (; i + step::width <= length; i += step::width) y.template store<Arch>(i, at(i));
  return i;
}

// store_whole_vectors for two outputs of one length side by side, whose
// vectors at i share operands (a vector of gamma and beta, of per-channel
// factors): shared(i) loads them once for both (held_in_register), at0(i,
// operands) and at1(i, operands) give each output's vector. Where the
// loads, not the arithmetic, bound a loop in cache, that is a load less per
// stored vector or more.
template <class Arch, class Sink, class Shared, class At0, class At1>
SIMDNORM_ALWAYS_INLINE std::int64_t store_whole_vectors_of_two(const Sink y0, const Sink y1,
                                                               std::int64_t length, Shared shared,
                                                               At0 at0, At1 at1) {
  using step = output_step<Arch, Sink>;
  constexpr std::int64_t width = step::width;
  struct both {
    typename step::values y0, y1;
  };
  std::int64_t i = led_steps<store_lead<Arch, Sink>>(
      length, step::length,
      [&](std::int64_t k) SIMDNORM_INLINE_LAMBDA {
        const auto operands = shared(k);
        if constexpr (step::paired) {
          const auto next = shared(k + width);
          return both{{at0(k, operands), at0(k + width, next)},
                      {at1(k, operands), at1(k + width, next)}};
        } else {
          return both{{at0(k, operands)}, {at1(k, operands)}};
        }
      },
      [&](std::int64_t k, const both& v) SIMDNORM_INLINE_LAMBDA {
        step::store(y0, k, v.y0);
        step::store(y1, k, v.y1);
      });
  for (; i + width <= length; i += width) {
    const auto operands = shared(i);
    y0.template store<Arch>(i, at0(i, operands));
    y1.template store<Arch>(i, at1(i, operands));
  }
  return i;
}

// The elements before the first address where a vector of Arch (its lanes
// of Element) can start, when p is not at one; 0 otherwise (and where p is
// not even at an element's boundary, or vectors are narrower than 16
// bytes). A sink's unaligned_head<Arch>(): the normalisation loops write
// that many elements one at a time, with the tail's operations, and then
// whole vectors from an aligned address (head_length).
//
// Past the last-level cache, so that an output that starts off a vector
// boundary (malloc's 16-byte alignment) still streams: its ordinary stores
// had each read their line from memory first. Layer norm 2048 x 4096, 1
// thread, 2-core Zen 4, y and x 16 bytes off a 64-byte boundary, 3
// alternating runs: 9.2-10.5 GB/s before, 11.8-13.9 after (64-byte aligned:
// 13.8); 8192 x 768: 9.6-11.4 before, 11.4-14.9 after.
//
// In cache too: a 64-byte store off a line boundary writes two lines. 2-core
// Intel Xeon VM, layer norm, 1 thread, C API, best of 10-call batches, y 16
// bytes off a 64-byte boundary against aligned (x aligned): 128 x 768 25.6
// against 16.1 us, 512 x 4096 1120 against 694, 512 x 1024 at 2 threads 104
// against 60. (x off a boundary costs 2-20%: loads split more cheaply.)
template <class Arch, class Element>
std::int64_t alignment_head([[maybe_unused]] const Element* p) {
#if defined(__x86_64__) || defined(__i386__)
  constexpr std::uintptr_t bytes = sizeof(Element) * xsimd::batch<float, Arch>::size;
  const std::uintptr_t off = reinterpret_cast<std::uintptr_t>(p) & (bytes - 1);
  if (bytes >= 16 && off != 0 && off % sizeof(Element) == 0) {
    return static_cast<std::int64_t>((bytes - off) / sizeof(Element));
  }
#endif
  return 0;
}

struct float_sink {
  float* data;

  template <class Arch>
  void store(std::int64_t i, const xsimd::batch<float, Arch>& v) const {
    v.store_unaligned(data + i);
  }
  template <class Arch>
  std::int64_t unaligned_head() const {
    return alignment_head<Arch>(data);
  }
  void put(std::int64_t i, float v) const { data[i] = v; }
  bool streams() const { return false; }
  float_sink advanced(std::int64_t k) const { return float_sink{data + k}; }
};

// A vector stored with a non-temporal store where the address allows it (a
// whole aligned vector, on x86): the line goes to memory without being read
// first, as an ordinary store of a line not in cache does, and without
// evicting the input from cache. Elsewhere an ordinary store.
template <class Arch>
void stream_store(float* p, const xsimd::batch<float, Arch>& v) {
#if defined(__x86_64__) || defined(__i386__)
  constexpr std::uintptr_t bytes = sizeof(float) * xsimd::batch<float, Arch>::size;
  if ((reinterpret_cast<std::uintptr_t>(p) & (bytes - 1)) == 0) {
    if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
      _mm512_stream_ps(p, v);
      return;
    } else if constexpr (std::is_base_of<xsimd::avx, Arch>::value) {
      _mm256_stream_ps(p, v);
      return;
    } else if constexpr (std::is_base_of<xsimd::sse2, Arch>::value) {
      _mm_stream_ps(p, v);
      return;
    }
  }
#endif
  v.store_unaligned(p);
}

#if defined(__AVX512F__)
// Streams a run of float vectors given in order, O_0 at y, O_1 at y + 16,
// ..., where y is head elements short of a 64-byte boundary (head in 1..15):
// each aligned vector is put together from two given ones (VPERMT2PS) and
// streamed; the first head elements and, at finish(), the last 16 - head
// go with masked ordinary stores. For runs of short rows, each too short
// to have an aligned vector of its own worth a head (rows of 64 floats off
// a boundary past the last-level cache, whose ordinary stores read every
// line first). In place is safe: the aligned vector written after O_k is
// given ends before O_k + 1's elements.
struct realigning_stream {
  float* y;
  unsigned head;
  __m512i index;
  __m512 carry;
  bool started = false;

  realigning_stream(float* start, unsigned head_elements)
      : y(start),
        head(head_elements),
        index(
            _mm512_add_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                             _mm512_set1_epi32(static_cast<int>(head_elements)))),
        carry(_mm512_setzero_ps()) {}

  void put(__m512 v) {
    if (!started) {
      _mm512_mask_storeu_ps(y, static_cast<__mmask16>((1u << head) - 1), v);
      started = true;
    } else {
      _mm512_stream_ps(y + head, _mm512_permutex2var_ps(carry, index, v));
      y += 16;
    }
    carry = v;
  }
  // The last vector's elements from head on; then a new run may start at
  // next (head elements short of a boundary too).
  void finish(float* next) {
    if (started) {
      _mm512_mask_storeu_ps(y + head, static_cast<__mmask16>((1u << (16 - head)) - 1),
                            _mm512_permutex2var_ps(carry, index, carry));
    }
    y = next;
    started = false;
  }
};
#endif

// Orders the non-temporal stores before whatever the thread does next (they
// are not ordered with later stores otherwise): each kernel that streamed
// calls it before it returns, so the task's completion publishes them.
inline void stream_fence() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_sfence();
#endif
}

// Which lines of an output a per-channel normalisation streams: all but one
// in cached_line_period, by address (so that every store into a line is of
// one kind), that one stored ordinarily. Wholly non-temporal, these
// outputs, written while their input is read from memory a second time
// (after the statistics' pass), went at half the rate on Zen 5. Likely,
// the core keeps few non-temporal lines in flight, each until memory takes
// it (an sfence after every 16 lines cost about 100 ns each), and ordinary
// stores' misses, on their own path through L2, add to them; wholly
// ordinary, every line is read before it is written. The mix beat both.
// 2-core Zen 5 VM, float32, 1 thread, C API, one process alternating the
// rules on the same buffers (x and y 64 bytes into a page), medians of 9,
// us: group norm NHWC 8 x 256 x 56 x 56 G = 32 2888 all streamed, 2495 all
// ordinary, 2201 one line in 4 ordinary, 2090 one in 16; batch-norm
// inference NHWC on that tensor after a read of it 2046, 1508, 1154, 1076
// (one in 8 1269, one in 32 1114); a bare loop (y = x * a + b over rows of
// 256 floats, after a read) 1409-2120 all streamed, 1399-1942 all
// ordinary, 1067-1447 one in 16, an sfence every 16 lines 3802-3897. The
// row norms keep every line streamed: the mix there (each row read just
// before it is written) measured 0.75x to 1.25x as fast between sittings
// and orders, and even in the last (layer norm 131072 x 64, 1 thread,
// 2000-2208 us against 2004-2192; 2048 x 4096 2176-2600 against
// 2298-2596): no gain shown.
constexpr std::uintptr_t cached_line_period = 16;

inline bool streamed_line(const void* p) {
  return (reinterpret_cast<std::uintptr_t>(p) >> 6) % cached_line_period != 0;
}

// float_sink with non-temporal stores (but one line in cached_line_period):
// for outputs larger than the last-level cache (schedule/thread_policy.hpp),
// which no cache would keep anyway. The same values as float_sink, so the
// same bits.
struct streaming_float_sink {
  float* data;

  template <class Arch>
  void store(std::int64_t i, const xsimd::batch<float, Arch>& v) const {
    if (streamed_line(data + i)) {
      stream_store<Arch>(data + i, v);
    } else {
      v.store_unaligned(data + i);
    }
  }
  template <class Arch>
  std::int64_t unaligned_head() const {
    return alignment_head<Arch>(data);
  }
  void put(std::int64_t i, float v) const { data[i] = v; }
  bool streams() const { return true; }
  streaming_float_sink advanced(std::int64_t k) const { return streaming_float_sink{data + k}; }
};

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_ELEMENT_IO_INL_HPP_
