// a * b + c rounded once wherever the instruction set has a fused
// multiply-add, for vectors and for single elements alike, so that a tail
// element gets the bits a full vector would give it (an element's bits must
// not depend on where a run was cut, or on the thread count).
//
// xsimd 8.1 has no AVX-512 fma: its fallback computes x * y + z, rounded
// twice unless the compiler happens to contract it (GCC did at -O3 and not at
// -O2 with the sanitizers, which broke determinism across thread counts).
// The library is built with -ffp-contract=off, so nothing is fused behind
// the code's back and the AVX-512 case is spelled out here.
#ifndef SIMDNORM_LIB_KERNELS_MULTIPLY_ADD_INL_HPP_
#define SIMDNORM_LIB_KERNELS_MULTIPLY_ADD_INL_HPP_

#include <type_traits>
#include <xsimd/xsimd.hpp>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

template <class Arch>
xsimd::batch<float, Arch> multiply_add(const xsimd::batch<float, Arch>& a,
                                       const xsimd::batch<float, Arch>& b,
                                       const xsimd::batch<float, Arch>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_base_of_v<xsimd::avx512f, Arch>) {
    return xsimd::batch<float, Arch>(_mm512_fmadd_ps(a, b, c));
  }
#endif
  return xsimd::fma(a, b, c);  // fused on FMA3 and NEON64, two roundings on SSE
}

// v - s, given minus_s = -s, on the multiply-add pipes: fma(v, 1, -s)
// rounds v * 1 + (-s), and v * 1 is exact, so it is v - s to the bit
// (signed zeros included; only a NaN's sign may differ, and a NaN sends its
// set to the scalar path). The statistics' first sweep is a subtraction and
// an addition per vector, both for the adder pipes of Zen 4 (and Zen 2-3),
// one 512-bit operation a cycle, while the multiply-add pipes idle: with the
// subtraction moved there, a sum over L1 took 1.35 rather than 1.99 cycles
// a vector on a 2-core Zen 4 (a probe loop outside the project). Whole
// calls, 1 thread, 3 runs alternating: bfloat16 group norm 2 x 640 x 32 x 32
// 5.68-5.73 -> 5.94-6.02 Gelem/s; float32 rows and groups within the noise,
// as the memory hierarchy bounds them. Intel cores run both on the same
// ports, so it changes nothing there. Without FMA (SSE) the subtraction
// itself. The same bits: compare-outputs, 120130 digests.
template <class Arch>
xsimd::batch<float, Arch> subtract_on_fma(const xsimd::batch<float, Arch>& v,
                                          const xsimd::batch<float, Arch>& minus_s) {
#if defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_FEATURE_FMA)
  return multiply_add(v, xsimd::batch<float, Arch>(1.0f), minus_s);
#else
  return v + minus_s;
#endif
}

// a * b - ab exactly, where ab is a * b rounded (and no product
// over- or underflows): one fused step where the ISA has FMA; Dekker's
// product with Veltkamp's split where it does not (SSE), so that the files of
// every ISA give the same value.
template <class Arch>
xsimd::batch<float, Arch> product_error(const xsimd::batch<float, Arch>& a,
                                        const xsimd::batch<float, Arch>& b,
                                        const xsimd::batch<float, Arch>& ab) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return multiply_add(a, b, -ab);
#else
  using batch = xsimd::batch<float, Arch>;
  const auto split = [](const batch& v, batch& high, batch& low) {
    const batch c = v * batch(4097.0f);  // 2^12 + 1: halves of 12 bits
    high = c - (c - v);
    low = v - high;
  };
  batch a_high, a_low, b_high, b_low;
  split(a, a_high, a_low);
  split(b, b_high, b_low);
  return ((a_high * b_high - ab) + a_high * b_low + a_low * b_high) + a_low * b_low;
#endif
}

// One element, rounded as multiply_add rounds a vector on the instruction set
// this file is compiled for: once where FMA exists (the AVX2, AVX-512 and
// NEON64 files), twice where it does not (SSE).
float multiply_add(float a, float b, float c) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_MULTIPLY_ADD_INL_HPP_
