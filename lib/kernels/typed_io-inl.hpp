// Sources and sinks (element_io-inl.hpp) for activations stored as bfloat16
// or float16, and for a residual added before the norm. A vector of floats
// is widened from, or narrowed to, a vector's width of 16-bit elements;
// everything between stays float32, so a 16-bit call computes what the
// float32 call computes on the widened input and rounds once on store
// (DESIGN.md section 7). Included only by -inl kernel headers (lib/arch/).
//
// Conversions per instruction set:
//   - bfloat16 to float: each element placed in the upper half of its lane
//     (VPERMW with a zeroing mask on AVX-512, a broadcast and an in-lane
//     byte shuffle on AVX2, an interleave with zeros on SSE); exact on every
//     path. The statistics' sums on AVX-512 widen 32 elements at a time
//     with a shift and a mask instead, the lanes in another order
//     (four_vector_loads), with the same bits.
//   - float to bfloat16: AVX-512 BF16's VCVTNEPS2BF16 on the AVX-512 path
//     where the CPU has it (dispatch::native_bfloat16_rounding), except for
//     a vector holding a denormal, which the instruction flushes to zero
//     (measured on Zen 5: 1e-39 became 0, not 0x000b); round to nearest
//     even with integer operations otherwise, on every path. The
//     instruction's NaN is the integer path's (quiet bit set, payload
//     truncated). Layer and RMS norm bf16, 1 thread, Zen 5: 1.1-1.3x
//     faster at 128 x 768 to 512 x 4096.
//   - float16: F16C's VCVTPH2PS / VCVTPS2PH (round to nearest even, from the
//     instruction's immediate, not MXCSR) with AVX-512 and AVX2; the exact
//     software conversion of simdnorm/half_float.h lane by lane on SSE and
//     NEON (F16C is not part of those levels; NEON's own conversions are not
//     run-tested yet).
// Every path gives the bits sn_*_from_float gives (tests/typed_rows_test.cpp).
#ifndef SIMDNORM_LIB_KERNELS_TYPED_IO_INL_HPP_
#define SIMDNORM_LIB_KERNELS_TYPED_IO_INL_HPP_

#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "dispatch/instruction_sets.hpp"
#include "kernels/element_io-inl.hpp"
#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

template <class Arch>
constexpr bool is_avx512 = std::is_base_of<xsimd::avx512f, Arch>::value;
template <class Arch>
constexpr bool is_avx2 = !is_avx512<Arch> && std::is_base_of<xsimd::avx2, Arch>::value;
template <class Arch>
constexpr bool is_sse4_1 =
    !is_avx512<Arch> && !is_avx2<Arch> && std::is_base_of<xsimd::sse4_1, Arch>::value;

// The scalar conversions (simdnorm/half_float.h).
float to_float(float e) { return e; }
float to_float(bfloat16 e) { return sn_bfloat16_to_float(e.bits); }
float to_float(float16 e) { return sn_float16_to_float(e.bits); }
void from_float(float v, float& e) { e = v; }
void from_float(float v, bfloat16& e) { e = bfloat16{sn_bfloat16_from_float(v)}; }
void from_float(float v, float16& e) { e = float16{sn_float16_from_float(v)}; }

// The scalar conversions a lane at a time: the paths with no vector
// conversion of their own.
template <class Arch, class Element>
xsimd::batch<float, Arch> load_lanes(const Element* p) {
  alignas(64) float lanes[xsimd::batch<float, Arch>::size];
  for (std::size_t l = 0; l < xsimd::batch<float, Arch>::size; ++l) lanes[l] = to_float(p[l]);
  return xsimd::batch<float, Arch>::load_aligned(lanes);
}

template <class Arch, class Element>
void store_lanes(const xsimd::batch<float, Arch>& v, Element* p) {
  alignas(64) float lanes[xsimd::batch<float, Arch>::size];
  v.store_aligned(lanes);
  for (std::size_t l = 0; l < xsimd::batch<float, Arch>::size; ++l) from_float(lanes[l], p[l]);
}

// One element type's vector conversions.
template <class Element>
struct element_traits;

#if defined(__x86_64__) || defined(__i386__)
// Stores 16-bit results: a vector's (an __m128i or __m256i), or a pair's
// (an __m512i, store_pair). With a non-temporal store where stream is set
// and p is aligned to the store's width (element_sink), and a pair at an
// address aligned to 32 bytes but not 64 as two 32-byte ones, as its two
// vectors would go alone; otherwise an ordinary store. A template, so that
// an instruction set's file instantiates only the widths it has.
template <class Bits>
void put_halves(void* p, Bits bits, bool stream) {
  const auto address = reinterpret_cast<std::uintptr_t>(p);
  if constexpr (sizeof(Bits) == 64) {
    if (stream && (address & 63) == 0) return _mm512_stream_si512(static_cast<__m512i*>(p), bits);
    if (stream && (address & 31) == 0) {
      put_halves(p, _mm512_castsi512_si256(bits), true);
      put_halves(static_cast<char*>(p) + 32, _mm512_extracti64x4_epi64(bits, 1), true);
      return;
    }
    _mm512_storeu_si512(p, bits);
  } else if constexpr (sizeof(Bits) == 32) {
    if (stream && (address & 31) == 0) return _mm256_stream_si256(static_cast<__m256i*>(p), bits);
    _mm256_storeu_si256(static_cast<__m256i*>(p), bits);
  } else {
    if (stream && (address & 15) == 0) return _mm_stream_si128(static_cast<__m128i*>(p), bits);
    _mm_storeu_si128(static_cast<__m128i*>(p), bits);
  }
}
#endif

template <>
struct element_traits<bfloat16> {
  template <class Arch>
  static xsimd::batch<float, Arch> load(const bfloat16* p) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (is_avx512<Arch>) {
      const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
#if defined(__AVX512BW__)
      // Element i to the upper half of lane i, the lower halves zeroed by
      // the mask: one VPERMW where zero-extending and shifting took two
      // instructions. A sum over L1 of x - shift ran at 1.90 rather than
      // 2.41 cycles a vector (Zen 4; subtract_on_fma in both). bfloat16,
      // 1 thread, 2-core Zen 4, 3 runs alternating, Gelem/s: group norm NCHW
      // 2 x 640 x 32 x 32 5.94-6.02 -> 6.82-7.05, NHWC 4.82-4.89 ->
      // 5.53-5.57; layer norm 512 x 4096 4.4-5.4 -> 6.1-6.2; RMS norm
      // 7.5-7.7 -> 8.0.
      const __m512i upper_halves =
          _mm512_set_epi16(15, 15, 14, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6,
                           5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
      return _mm512_castsi512_ps(_mm512_maskz_permutexvar_epi16(
          __mmask32{0xAAAAAAAAu}, upper_halves, _mm512_castsi256_si512(half)));
#else
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
#endif
    } else if constexpr (is_avx2<Arch>) {
      // The eight elements in both 128-bit halves (a broadcasting load, no
      // shuffle), then one in-lane byte shuffle: elements 0-3 to the upper
      // halves of the low lanes, 4-7 of the high ones, the rest zeroed. A
      // sum over L1 of x - shift: 0.98 rather than 1.38 cycles a vector
      // with zero-extension and shift (Zen 4, a probe loop outside the
      // project). bfloat16 on the AVX2 path, 1 thread, Zen 4, 3 runs
      // alternating, Gelem/s: group norm NCHW 2 x 640 x 32 x 32 3.48-3.50 ->
      // 4.03-4.05, NHWC 3.28-3.30 -> 3.47-3.49; layer norm 512 x 4096
      // 3.02-3.15 -> 3.50-3.54.
      const __m128i half = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      const __m256i upper_halves =
          _mm256_setr_epi8(-1, -1, 0, 1, -1, -1, 2, 3, -1, -1, 4, 5, -1, -1, 6, 7, -1, -1, 8, 9, -1,
                           -1, 10, 11, -1, -1, 12, 13, -1, -1, 14, 15);
      return _mm256_castsi256_ps(
          _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(half), upper_halves));
    } else if constexpr (std::is_base_of<xsimd::sse2, Arch>::value) {
      // Each 16-bit element in the upper half of a zero 32-bit lane.
      const __m128i half = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      return _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), half));
    }
#endif
    return load_lanes<Arch>(p);
  }

  // native: VCVTNEPS2BF16 may be used (native_stores); stream: as
  // element_sink's (not on SSE, whose 8-byte store has no such form).
  template <class Arch>
  static void store(const xsimd::batch<float, Arch>& v, bfloat16* p, [[maybe_unused]] bool native,
                    [[maybe_unused]] bool stream) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (is_avx512<Arch>) {
#if defined(__AVX512BF16__)
      constexpr int denormal = 0x20;  // VFPCLASSPS's class
      if (native && _mm512_fpclass_ps_mask(v, denormal) == 0) {
        const __m256bh rounded = _mm512_cvtneps_pbh(v);
        put_halves(p, reinterpret_cast<const __m256i&>(rounded), stream);
        return;
      }
#endif
      const __m512i bits = _mm512_castps_si512(v);
      const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
      const __m512i rounded = _mm512_srli_epi32(
          _mm512_add_epi32(bits, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff))), 16);
      const __m512i quiet = _mm512_or_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(0x40));
      const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      const __m512i result = _mm512_mask_mov_epi32(rounded, nan, quiet);
      put_halves(p, _mm512_cvtepi32_epi16(result), stream);
      return;
    } else if constexpr (is_avx2<Arch>) {
      const __m256i bits = _mm256_castps_si256(v);
      const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
      const __m256i rounded = _mm256_srli_epi32(
          _mm256_add_epi32(bits, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
      const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x40));
      const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      const __m256i result = _mm256_blendv_epi8(rounded, quiet, nan);
      // Every lane is below 2^16, so the saturating pack keeps it; the pack
      // works within 128-bit halves, so the 64-bit pieces are put in order.
      const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(result, result), 0x08);
      put_halves(p, _mm256_castsi256_si128(packed), stream);
      return;
    } else if constexpr (is_sse4_1<Arch>) {
      const __m128i bits = _mm_castps_si128(v);
      const __m128i odd = _mm_and_si128(_mm_srli_epi32(bits, 16), _mm_set1_epi32(1));
      const __m128i rounded =
          _mm_srli_epi32(_mm_add_epi32(bits, _mm_add_epi32(odd, _mm_set1_epi32(0x7fff))), 16);
      const __m128i quiet = _mm_or_si128(_mm_srli_epi32(bits, 16), _mm_set1_epi32(0x40));
      const __m128i nan = _mm_castps_si128(_mm_cmpunord_ps(v, v));
      const __m128i result = _mm_blendv_epi8(rounded, quiet, nan);
      _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi32(result, result));
      return;
    }
#endif
    store_lanes<Arch>(v, p);
  }

  // a, then b one vector on, as two store()s write them. Where store()
  // would use VCVTNEPS2BF16, one VCVTNE2PS2BF16 (the same rounding, the same
  // NaN) converts both, and one test covers both for denormals: the
  // per-vector test (VFPCLASSPS, KORTEST, a branch) had cost about as much
  // as the conversion it guards, 0.79 against 0.53 ns a vector in an L1
  // loop on Zen 5, and 0.52 a vector in pairs. bfloat16 norms, 1 thread,
  // Zen 5, min of 15-20 runs alternating with the one-vector loops: RMS
  // norm 128 x 768 to 512 x 4096 1.14-1.18x, layer norm 1.02-1.07x, add +
  // RMS / layer norm at 128 x 768 and 512 x 2048 1.06-1.13x (0.97-0.98x at
  // 512 x 4096, past L2, within that shape's noise), batch norm + ReLU and
  // group norm + SiLU 1.15-1.23x, group norm 1.02-1.10x.
  template <class Arch>
  SIMDNORM_ALWAYS_INLINE static void store_pair(const xsimd::batch<float, Arch>& a,
                                                const xsimd::batch<float, Arch>& b, bfloat16* p,
                                                bool native, bool stream) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__AVX512BF16__)
    if constexpr (is_avx512<Arch>) {
      constexpr int denormal = 0x20;  // VFPCLASSPS's class
      if (__builtin_expect(native && _kortestz_mask16_u8(_mm512_fpclass_ps_mask(a, denormal),
                                                         _mm512_fpclass_ps_mask(b, denormal)),
                           1)) {
        const __m512bh rounded = _mm512_cvtne2ps_pbh(b, a);  // a in the low half
        put_halves(p, reinterpret_cast<const __m512i&>(rounded), stream);
        return;
      }
      store_apart<Arch>(a, b, p, native, stream);
      return;
    }
#endif
    store<Arch>(a, p, native, stream);
    store<Arch>(b, p + xsimd::batch<float, Arch>::size, native, stream);
  }

  // store_pair's other way on AVX-512 (a denormal, or the CPU without AVX-512
  // BF16, or SIMDNORM_NATIVE_BF16=0): store() for each, out of line, the
  // vectors taken by value. With store() called from store_pair itself,
  // whose vectors it takes by reference, GCC wrote both vectors to the stack
  // on every step of the loops, before the test that almost never leads
  // there. (Where the CPU lacks the instruction every pair comes here: one
  // call a pair, where GCC had made two calls to store(). Other instruction
  // sets keep store() inline in store_pair.) 2-core Zen 5, C API, processes alternating, 3
  // runs, medians, us: bfloat16 rows 2048 x 4096 (past the last-level cache),
  // 1 thread, layer norm 1305 -> 1220, RMS norm with beta 1115 -> 1029; with
  // the integer rounding (SIMDNORM_NATIVE_BF16=0) 1736 -> 1569 and 1562 ->
  // 1387. A first version, also marked cold (and so called on AVX2 and SSE
  // too, where it was inline before), measured at 2 threads 562 -> 541 and 477
  // -> 425, and nothing changed at 512 x 4096 (in L3) nor for NHWC group
  // norm and batch norm + ReLU 8 x 256 x 3136.
  template <class Arch>
  [[gnu::noinline]] static void store_apart(xsimd::batch<float, Arch> a,
                                            xsimd::batch<float, Arch> b, bfloat16* p, bool native,
                                            bool stream) {
    store<Arch>(a, p, native, stream);
    store<Arch>(b, p + xsimd::batch<float, Arch>::size, native, stream);
  }
};

template <>
struct element_traits<float16> {
  template <class Arch>
  static xsimd::batch<float, Arch> load(const float16* p) {
#if defined(__F16C__)
    if constexpr (is_avx512<Arch>) {
      return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    } else if constexpr (is_avx2<Arch>) {
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
#endif
    return load_lanes<Arch>(p);
  }

  template <class Arch>
  static void store(const xsimd::batch<float, Arch>& v, float16* p, bool,
                    [[maybe_unused]] bool stream) {
#if defined(__F16C__)
    constexpr int nearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    if constexpr (is_avx512<Arch>) {
      put_halves(p, _mm512_cvtps_ph(v, nearest), stream);
      return;
    } else if constexpr (is_avx2<Arch>) {
      put_halves(p, _mm256_cvtps_ph(v, nearest), stream);
      return;
    }
#endif
    store_lanes<Arch>(v, p);
  }
};

template <>
struct element_traits<float> {
  template <class Arch>
  static xsimd::batch<float, Arch> load(const float* p) {
    return xsimd::batch<float, Arch>::load_unaligned(p);
  }
  template <class Arch>
  static void store(const xsimd::batch<float, Arch>& v, float* p, bool, bool stream) {
    if (stream) return stream_store<Arch>(p, v);
    v.store_unaligned(p);
  }
};

// Reads Element data as floats.
template <class Element>
struct element_source {
  const Element* data;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    return element_traits<Element>::template load<Arch>(data + i);
  }
  float at(std::int64_t i) const { return to_float(data[i]); }
  element_source advanced(std::int64_t k) const { return element_source{data + k}; }
};

// Four consecutive vectors of a source, for sums whose lanes are independent
// chains (lane_sums, piecewise_sum): load(p, i, v) fills v[0..3] with the
// values at [i, i + 4 * width), in an order of its choosing, and
// to_memory_order(a, b, c, d) turns four accumulators fed v[0], ..., v[3]
// into those fed the vectors at i, i + width, ...; from_memory_order is its
// inverse (per-lane constants, such as NHWC tiles' per-channel shifts, put
// in load order). A sum whose chain k adds the same values in the same order
// whatever lane holds it gives the same bits. By default the order is memory
// order.
struct four_loads_in_memory_order {
  template <class Arch, class Source>
  static void load(const Source& p, std::int64_t i, xsimd::batch<float, Arch>* v) {
    constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
    for (int k = 0; k < 4; ++k) v[k] = p.template load<Arch>(i + k * width);
  }
  template <class Arch>
  static void to_memory_order(xsimd::batch<float, Arch>&, xsimd::batch<float, Arch>&,
                              xsimd::batch<float, Arch>&, xsimd::batch<float, Arch>&) {}
  template <class Arch>
  static void from_memory_order(xsimd::batch<float, Arch>&, xsimd::batch<float, Arch>&,
                                xsimd::batch<float, Arch>&, xsimd::batch<float, Arch>&) {}
};

template <class Source>
struct four_vector_loads : four_loads_in_memory_order {};

// bfloat16 on AVX-512: a bfloat16 is the upper half of its float, so a
// vector's width of element pairs, as 32-bit lanes, is two vectors of
// floats: the even elements shifted up 16 bits, the odd ones with the lower
// 16 bits cleared. Two integer operations for two vectors, where widening
// in memory order took a VPERMW for each. The vectors hold elements i, i +
// 2, ... (v[0]) and i + 1, i + 3, ... (v[1]), then the same from i + 2 *
// width; each lane still adds the elements of one residue of the index
// modulo 4 * width, in index order, as in memory order, so the chains, and
// the bits, are those of memory order once to_memory_order has interleaved
// the lanes back (once per sum or piece, not per vector). bfloat16, 2-core
// Zen 4, C API, medians of 1 s, 3 runs alternating, Gelem/s at 1 / 2
// threads: layer norm 128 x 768 6.58 -> 7.03 / 10.7 -> 11.2-11.4, 512 x
// 4096 6.1-6.5 -> 6.8-7.0 / 12.5 -> 13.6-13.7, 512 x 8192 4.2-4.5 ->
// 4.6-4.7 / 11.2-11.7 -> 12.2-12.5; group norm NCHW 2 x 640 x 32 x 32
// 7.1-7.2 -> 7.7-7.8 / 12.7-13.9 -> 14.2-15.1; RMS norm (one sweep of
// squares) 0-4%. AVX2 keeps its memory-order loads: the same change there,
// one in-lane shuffle a vector saved, measured no faster on Zen 4.
template <>
struct four_vector_loads<element_source<bfloat16>> {
  template <class Arch>
  static void load(const element_source<bfloat16>& p, std::int64_t i,
                   xsimd::batch<float, Arch>* v) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (is_avx512<Arch>) {
      const __m512i upper = _mm512_set1_epi32(static_cast<int>(0xffff0000u));
      for (int half = 0; half < 2; ++half) {
        const __m512i pairs = _mm512_loadu_si512(p.data + i + half * 32);
        v[2 * half] = _mm512_castsi512_ps(_mm512_slli_epi32(pairs, 16));
        v[2 * half + 1] = _mm512_castsi512_ps(_mm512_and_si512(pairs, upper));
      }
      return;
    }
#endif
    four_loads_in_memory_order::load(p, i, v);
  }

  template <class Arch>
  static void to_memory_order(xsimd::batch<float, Arch>& a, xsimd::batch<float, Arch>& b,
                              xsimd::batch<float, Arch>& c, xsimd::batch<float, Arch>& d) {
    // Lanes 0-7 of the even and odd vectors, interleaved, then lanes 8-15.
    permute_pairs({0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23},
                  {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}, a, b, c, d);
  }

  template <class Arch>
  static void from_memory_order(xsimd::batch<float, Arch>& a, xsimd::batch<float, Arch>& b,
                                xsimd::batch<float, Arch>& c, xsimd::batch<float, Arch>& d) {
    permute_pairs({0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30},
                  {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}, a, b, c, d);
  }

 private:
  // (a, b) becomes (lanes first of a:b, lanes second of a:b), b's lanes
  // numbered from 16; the same for (c, d).
  template <class Arch>
  static void permute_pairs([[maybe_unused]] const std::int32_t (&first)[16],
                            [[maybe_unused]] const std::int32_t (&second)[16],
                            [[maybe_unused]] xsimd::batch<float, Arch>& a,
                            [[maybe_unused]] xsimd::batch<float, Arch>& b,
                            [[maybe_unused]] xsimd::batch<float, Arch>& c,
                            [[maybe_unused]] xsimd::batch<float, Arch>& d) {
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (is_avx512<Arch>) {
      const __m512i to_first = _mm512_loadu_si512(first);
      const __m512i to_second = _mm512_loadu_si512(second);
      const auto permute = [&](xsimd::batch<float, Arch>& low, xsimd::batch<float, Arch>& high) {
        const __m512 firsts = _mm512_permutex2var_ps(low, to_first, high);
        high = _mm512_permutex2var_ps(low, to_second, high);
        low = firsts;
      };
      permute(a, b);
      permute(c, d);
    }
#endif
  }
};

// Whether element_traits<Element>::store may use the CPU's own bfloat16
// rounding: asked once per sink (a row, a call's share), not per vector.
template <class Element>
bool native_stores() {
#if defined(__AVX512BF16__)
  if constexpr (std::is_same<Element, bfloat16>::value) return dispatch::native_bfloat16_rounding();
#endif
  return false;
}

// Writes floats as Element data, rounded to nearest even. stream: vectors
// go out with non-temporal stores where aligned (stream_store, put_halves;
// 16-bit ones not on SSE), for outputs past the last-level cache; the
// caller ends its range with stream_fence.
template <class Element>
struct element_sink {
  Element* data;
  bool native = native_stores<Element>();
  bool stream = false;

  template <class Arch>
  void store(std::int64_t i, const xsimd::batch<float, Arch>& v) const {
    element_traits<Element>::template store<Arch>(v, data + i, native, stream);
  }
  // Where stores_in_pairs says so (bfloat16).
  template <class Arch>
  SIMDNORM_ALWAYS_INLINE void store_pair(std::int64_t i, const xsimd::batch<float, Arch>& a,
                                         const xsimd::batch<float, Arch>& b) const {
    element_traits<Element>::template store_pair<Arch>(a, b, data + i, native, stream);
  }
  void put(std::int64_t i, float v) const { from_float(v, data[i]); }
  bool streams() const { return stream; }
  // In cache, 16-bit outputs keep their stores where they fall: a head and
  // tail of elements converted one at a time cost more than the split
  // stores they save. Layer norm float16 128 x 768, 1 thread, 2-core Intel
  // Xeon VM, y 16 bytes off a 64-byte boundary: 16.7 us without a head,
  // 22.7 with one (512 x 4096: 480 against 533); bfloat16 likewise.
  template <class Arch>
  std::int64_t unaligned_head() const {
    return std::is_same<Element, float>::value || stream ? alignment_head<Arch>(data) : 0;
  }
  element_sink advanced(std::int64_t k) const { return element_sink{data + k, native, stream}; }
};

template <>
struct stores_in_pairs<element_sink<bfloat16>> : std::true_type {};

// h = (x + residual) + bias, in float32: x and residual of Element, bias a
// float per feature starting at the source's first feature, or null (no
// bias: a branch per vector, taken the same way throughout a call, rather
// than a second instantiation of every kernel this source reaches).
template <class Element>
struct residual_source {
  const Element* x;
  const Element* residual;
  const float* bias;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    const xsimd::batch<float, Arch> h = element_traits<Element>::template load<Arch>(x + i) +
                                        element_traits<Element>::template load<Arch>(residual + i);
    return bias != nullptr ? h + xsimd::batch<float, Arch>::load_unaligned(bias + i) : h;
  }
  float at(std::int64_t i) const {
    const float h = to_float(x[i]) + to_float(residual[i]);
    return bias != nullptr ? h + bias[i] : h;
  }
  residual_source advanced(std::int64_t k) const {
    return residual_source{x + k, residual + k, bias != nullptr ? bias + k : nullptr};
  }
};

// Source, whose every value is also written to sum (Element, rounded as a
// sink rounds) when sum is not null: a fused call's residual stream, written
// by the normalisation sweep from the values it normalises, so that each
// element of x and residual is read before y or sum overwrites it (either
// may alias its input exactly).
template <class Source, class Element>
struct summing_source {
  Source inner;
  Element* sum;
  bool native = native_stores<Element>();
  bool stream = false;  // as element_sink's

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    const xsimd::batch<float, Arch> h = inner.template load<Arch>(i);
    if (sum != nullptr) element_sink<Element>{sum + i, native, stream}.template store<Arch>(0, h);
    return h;
  }
  float at(std::int64_t i) const {
    const float h = inner.at(i);
    if (sum != nullptr) from_float(h, sum[i]);
    return h;
  }
  summing_source advanced(std::int64_t k) const {
    return summing_source{inner.advanced(k), sum != nullptr ? sum + k : nullptr, native, stream};
  }
};

// Source that also writes every value it reads to `staged` (float32, at
// the same index), and to `sum` (Element, rounded as a sink rounds) when
// that is not null: the first statistics sweep over a fused add's staged
// rows, which forms h = x + residual + bias there for the sweeps after it
// (contiguous_set_kernels-inl.hpp, staged_io), and writes the residual
// stream.
template <class Source, class Element>
struct staging_source {
  Source inner;
  float* staged;
  element_sink<Element> sum;  // sum.data may be null

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    const xsimd::batch<float, Arch> h = inner.template load<Arch>(i);
    h.store_unaligned(staged + i);
    if (sum.data != nullptr) sum.template store<Arch>(i, h);
    return h;
  }
  float at(std::int64_t i) const {
    staged[i] = inner.at(i);
    if (sum.data != nullptr) sum.put(i, staged[i]);
    return staged[i];
  }
  staging_source advanced(std::int64_t k) const {
    return staging_source{inner.advanced(k), staged + k,
                          sum.data != nullptr ? sum.advanced(k) : sum};
  }
};

// A source's first value, read without the writes some sources make as they
// read (staging_source): the shift that the first sweep is measured from,
// read before that sweep (whose outputs may alias its inputs exactly).
template <class Source>
float first_value(const Source& p) {
  return p.at(0);
}
template <class Source, class Element>
float first_value(const staging_source<Source, Element>& p) {
  return p.inner.at(0);
}

// Four vectors formed, then stored: a load waits on an earlier store whose
// address matches its own modulo 4 KiB (an output 64 bytes past its input:
// element_io-inl.hpp, led_steps); in groups, only the first loads of a
// group can meet the last stores of the group before it.
template <class Source, class Element>
struct four_vector_loads<staging_source<Source, Element>> : four_loads_in_memory_order {
  template <class Arch>
  static void load(const staging_source<Source, Element>& p, std::int64_t i,
                   xsimd::batch<float, Arch>* v) {
    constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
    for (int k = 0; k < 4; ++k) v[k] = p.inner.template load<Arch>(i + k * width);
    for (int k = 0; k < 4; ++k) v[k].store_unaligned(p.staged + i + k * width);
    if (p.sum.data == nullptr) return;
    if constexpr (stores_in_pairs<element_sink<Element>>::value) {
      p.sum.template store_pair<Arch>(i, v[0], v[1]);
      p.sum.template store_pair<Arch>(i + 2 * width, v[2], v[3]);
    } else {
      for (int k = 0; k < 4; ++k) p.sum.template store<Arch>(i + k * width, v[k]);
    }
  }
};

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_TYPED_IO_INL_HPP_
