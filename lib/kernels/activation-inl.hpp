// An activation after the norm, as a sink policy (element_io-inl.hpp): the
// value is transformed in registers just before the store, so a fused call
// writes y once. ReLU keeps a NaN (v < 0 is false for it), as PyTorch does;
// SiLU is v / (1 + exp(-v)) with exp_for_silu below; GELU is gelu below. A
// tail element goes through the same vector function (one lane used), so an
// element's bits do not depend on whether it ends a row. Included only by
// -inl kernel headers (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_
#define SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "kernels/divide-inl.hpp"
#include "kernels/element_io-inl.hpp"
#include "kernels/multiply_add-inl.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// exp(r + k ln 2) / 2^k for the reduced argument of exp_for_silu: xsimd
// 8.1's float exp (Cephes' reduction by ln 2 in two parts and its degree-5
// polynomial, the same constants), with every a * b + c fused where the
// instruction set has FMA. In [0.7, 1.42].
template <class Arch>
xsimd::batch<float, Arch> exp_mantissa(const xsimd::batch<float, Arch>& x,
                                       const xsimd::batch<float, Arch>& kf) {
  using batch = xsimd::batch<float, Arch>;
  batch r = multiply_add(kf, batch(-0.693359375f), x);  // ln 2's high part, exact in k * it
  r = multiply_add(kf, batch(2.12194440e-4f), r);       // minus its low part
  batch p = multiply_add(batch(1.3997796e-03f), r, batch(8.3955629e-03f));
  p = multiply_add(p, r, batch(4.1665401e-02f));
  p = multiply_add(p, r, batch(1.6666277e-01f));
  p = multiply_add(p, r, batch(5.0000000e-01f));
  return multiply_add(p, r * r, r) + batch(1.0f);
}

// exp(a) for SiLU: exp_mantissa times 2^k, k = round(a / ln 2), formed in
// the exponent bits: about 19 instructions a vector where xsimd's took
// about 40 (it fuses nothing here: the library is built with
// -ffp-contract=off, and xsimd 8.1 has no AVX-512 fma). Group norm + SiLU,
// 2 x 320 x 64 x 64, 1 thread, Zen 5: 1.11-1.26x faster in every type and
// layout. a is clamped to [-86, 88.7], where 2^(k - 1) is a normal float (k
// = 128 at the top, so 2^k is formed as 2^(k - 1) * 2); above 88.7 the
// result is +inf (exp overflows at 88.72); below -86 it stays exp(-86),
// which 1 + exp rounds away. A NaN a is SiLU's own NaN v, which v / d keeps
// whatever this returns. (A reciprocal estimate and a Newton step in place
// of v / d measured 1.2-1.6x slower.)
//
// AVX-512 rounds a / ln 2 to an integral float (vrndscaleps, to nearest
// even as the conversion to int) and scales by 2^k with vscalefps: two
// instructions where the integer path takes six (to int and back, add,
// shift, two multiplies). The same k, and the same bits: over the clamped
// range both scalings are exact (exp_mantissa times 2^k is normal, and
// finite: 0.98 * 2^128 at a = 88.7). Zen 5, 1 thread: SiLU alone on an
// L1-resident array 3.32 -> 2.74 ns a vector, the same bits for 1.2 million
// inputs (random bit patterns and ranges around the clamps); group norm +
// SiLU 1 x 320 x 64 x 64 (and 32 x 32), medians of 2 alternating passes of
// the typed bench: float32 NCHW 1.23x (1.16x), NHWC 1.30x (1.31x);
// bfloat16 1.11-1.12x, where the conversions take their share.
template <class Arch>
xsimd::batch<float, Arch> exp_for_silu(const xsimd::batch<float, Arch>& a) {
  using batch = xsimd::batch<float, Arch>;
  using ints = xsimd::batch<std::int32_t, Arch>;
  const batch x = xsimd::min(xsimd::max(a, batch(-86.0f)), batch(88.7f));
  const batch in_octaves = x * batch(1.44269504088896341f);  // x / ln 2
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (std::is_base_of<xsimd::avx512f, Arch>::value) {
    const batch kf =
        _mm512_roundscale_ps(in_octaves, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const batch scaled = _mm512_scalef_ps(exp_mantissa(x, kf), kf);
    return xsimd::select(a > batch(88.7f), batch(INFINITY), scaled);
  }
#endif
  const ints k = xsimd::nearbyint_as_int(in_octaves);
  const batch e = exp_mantissa(x, xsimd::to_float(k));
  const batch half_scale = xsimd::bitwise_cast<batch>((k + ints(126)) << 23);  // 2^(k - 1)
  return xsimd::select(a > batch(88.7f), batch(INFINITY), (e * half_scale) * batch(2.0f));
}

// GELU(v) = v / 2 erfc(w), w = -v / sqrt 2, with erfc as xsimd 8.1 computes
// it for float (boost.simd's: erfc(x) = (1 - z) P(z) for x = |w| < 2/3,
// exp(-x^2) Q(z - 0.4) above, z = x / (1 + x); the same constants, every
// step fused where the ISA has FMA), and three changes for accuracy where
// v < 0 and erfc(x) is tiny:
// - exp(-x^2) from v^2 = h + l exactly (product_error), so x^2 = (h + l) /
//   2 carries no rounding of v / sqrt 2, which would cost 2 x^2 ulps (160 at
//   x = 9);
// - exp(-x^2) is formed times 2^64 and the 2^-64 goes into v / 2 (exact for
//   |v| >= 0.94, which x >= 2/3 implies), so the result is rounded once even
//   where it is subnormal, instead of erfc underflowing first;
// - |v| > 16.1 gives v for v > 0 and v * 0 below (-0, or NaN at -inf:
//   0.5 * v * erfc(w) there, as the reference and PyTorch give it), and a
//   NaN v gives v * 0 too; the true value is below 2^-149 from v = -14.3
//   down.
// For v > 0, GELU = v - (v / 2) erfc(x), one fused step. About 60
// instructions a vector where SiLU takes about 20: 2.7x its time. (One
// polynomial in z over the whole range, 12 terms, would drop the first
// branch, but evaluated in float it is 13-24 ulps off, against 4 here.)
template <class Arch>
xsimd::batch<float, Arch> gelu(const xsimd::batch<float, Arch>& v) {
  using batch = xsimd::batch<float, Arch>;
  using ints = xsimd::batch<std::int32_t, Arch>;
  const batch x = xsimd::abs(v) * batch(0.70710678118654752f);
  const batch z = divide(x, batch(1.0f) + x);
  const auto near_zero = x < batch(2.0f / 3.0f);
  batch erfc_scaled(0.0f);  // erfc(x), times 2^64 where !near_zero
  if (xsimd::any(near_zero)) {
    batch p = multiply_add(batch(2.1319498e+01f), z, batch(2.4271545e+00f));
    p = multiply_add(p, z, batch(-2.2632651e+00f));
    p = multiply_add(p, z, batch(6.7576951e-01f));
    p = multiply_add(p, z, batch(-2.3560498e+00f));
    p = multiply_add(p, z, batch(-1.9732213e+00f));
    p = multiply_add(p, z, batch(-1.2585020e+00f));
    p = multiply_add(p, z, batch(-1.2834737e-01f));
    p = multiply_add(p, z, batch(9.9999988e-01f));
    erfc_scaled = (batch(1.0f) - z) * p;
  }
  if (!xsimd::all(near_zero)) {
    const batch h = v * v;
    const batch l = product_error(v, v, h);
    // exp(-x^2) = exp(a + b), a = -h / 2 (exact), b = -l / 2, reduced as
    // exp_for_silu reduces: a + b - k ln 2.
    const batch a = xsimd::max(batch(-0.5f) * h, batch(-130.0f));
    const ints k = xsimd::nearbyint_as_int(a * batch(1.44269504088896341f));
    const batch kf = xsimd::to_float(k);
    batch r = multiply_add(kf, batch(-0.693359375f), a);
    r = multiply_add(kf, batch(2.12194440e-4f), r);
    r = multiply_add(batch(-0.5f), l, r);
    batch e = multiply_add(batch(1.3997796e-03f), r, batch(8.3955629e-03f));
    e = multiply_add(e, r, batch(4.1665401e-02f));
    e = multiply_add(e, r, batch(1.6666277e-01f));
    e = multiply_add(e, r, batch(5.0000000e-01f));
    e = multiply_add(e, r * r, r) + batch(1.0f);
    // 2^(k + 64): normal for every k >= -188 (a >= -130).
    e = e * xsimd::bitwise_cast<batch>((k + ints(127 + 64)) << 23);
    const batch t = z - batch(0.4f);
    batch q = multiply_add(batch(-2.628299919293280e+00f), t, batch(6.702908785399893e+00f));
    q = multiply_add(q, t, batch(-6.409487379234005e+00f));
    q = multiply_add(q, t, batch(3.260765682222576e+00f));
    q = multiply_add(q, t, batch(-1.364514006347145e+00f));
    q = multiply_add(q, t, batch(1.562764709849380e-01f));
    q = multiply_add(q, t, batch(1.420508523645926e-01f));
    q = multiply_add(q, t, batch(3.843569094305250e-01f));
    q = multiply_add(q, t, batch(1.603704761054187e-01f));
    q = multiply_add(q, t, batch(-1.137035586823118e+00f));
    q = multiply_add(q, t, batch(5.392844046572836e-01f));
    erfc_scaled = xsimd::select(near_zero, erfc_scaled, e * q);
  }
  const batch half_v = v * xsimd::select(near_zero, batch(0.5f), batch(0x1p-65f));
  const batch below = half_v * erfc_scaled;                   // v <= 0
  const batch above = multiply_add(-half_v, erfc_scaled, v);  // v > 0
  const batch y = xsimd::select(v <= batch(0.0f), below, above);
  // A NaN v counts as far, so that it comes out as v * 0, v's own NaN: y's
  // NaN took its sign from whichever NaN operand the compiler put first
  // (v's, or |v|'s through erfc), which differed between builds of the
  // same source (SSE4.2, 0xffc00000 against 0x7fc00000).
  const auto far = !(xsimd::abs(v) <= batch(16.1f));
  return xsimd::select(far, xsimd::select(v > batch(0.0f), v, v * batch(0.0f)), y);
}

template <activation Act, class Arch>
xsimd::batch<float, Arch> activated(const xsimd::batch<float, Arch>& v) {
  using batch = xsimd::batch<float, Arch>;
  if constexpr (Act == activation::relu) {
    return xsimd::select(v < batch(0.0f), batch(0.0f), v);
  } else if constexpr (Act == activation::silu) {
    return divide(v, batch(1.0f) + exp_for_silu(-v));
  } else if constexpr (Act == activation::gelu) {
    return gelu(v);
  } else {
    return v;
  }
}

// The head (head_length) of a sink that applies act to inner's values: only
// where inner's stores stream or act is ReLU. An element of a head takes a
// whole vector's activation, so with SiLU or GELU the head of a row or an
// NHWC position cost more than the split stores it saves. Group norm +
// activation NHWC 1 x 320 x 64 x 64 float32, y 16 bytes off a 64-byte
// boundary, 1 thread, Zen 5, 3 runs alternating with a head, us: SiLU
// 618-649 -> 422-439, GELU 1849-2190 -> 939-998 (float16, which has no head
// in cache, 411-423 and 738-794); without one, ReLU NCHW took 1.06x as
// long. The same bits either way: the head's operations are the tail's
// (normalize-inl.hpp, head_length).
template <class Arch, class Sink>
std::int64_t activated_head(activation act, const Sink& inner) {
  return act == activation::relu || inner.streams() ? inner.template unaligned_head<Arch>() : 0;
}

// Sink with Act applied to every value; Arch's vector function for tails too.
template <class Sink, activation Act, class Arch>
struct activated_sink {
  Sink inner;

  template <class A>
  void store(std::int64_t i, const xsimd::batch<float, A>& v) const {
    inner.template store<A>(i, activated<Act>(v));
  }
  template <class A>
  void store_pair(std::int64_t i, const xsimd::batch<float, A>& a,
                  const xsimd::batch<float, A>& b) const {
    inner.template store_pair<A>(i, activated<Act>(a), activated<Act>(b));
  }
  void put(std::int64_t i, float v) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    activated<Act>(xsimd::batch<float, Arch>(v)).store_aligned(lanes);
    inner.put(i, lanes[0]);
  }
  template <class A>
  std::int64_t unaligned_head() const {
    return activated_head<A>(Act, inner);
  }
  activated_sink advanced(std::int64_t k) const { return activated_sink{inner.advanced(k)}; }
};

template <class Sink, activation Act, class Arch>
struct stores_in_pairs<activated_sink<Sink, Act, Arch>> : stores_in_pairs<Sink> {};

// Sink with an activation chosen at run time, a switch per vector taken the
// same way for a whole call: for the contiguous-set kernels, whose many
// instantiations (element types, fused add) a compile-time choice would
// multiply again. The same values as activated_sink.
template <class Sink, class Arch>
struct chosen_activation_sink {
  Sink inner;
  activation act;

  // Inlined whole into the normalisation loops (always_inline, and flatten
  // for what it calls; SiLU written out, as activated<silu> stayed a call
  // in the bfloat16 loops): left to GCC, they called exp_for_silu once a
  // vector, and since every vector register is caller-saved, the
  // normalisation's live vectors went to the stack and back around each
  // call. Group norm + SiLU NCHW 1 x 320 x 64 x 64 G = 32, 1 thread, Zen 5,
  // 3 runs alternating with the build before, us: float32 500-547 ->
  // 427-466, bfloat16 513-547 -> 435-467, float16 514-529 -> 422-448; GELU
  // float16 754-781 -> 719-729, float32 and bfloat16 unchanged; plain group
  // norm unchanged; AVX2, which GCC inlined already, unchanged. Only here:
  // with SiLU always inlined for activated_sink too, GCC stopped inlining
  // other activations' NHWC loops into channel_affine_kernel, and batch-norm
  // inference + ReLU NHWC float16 8 x 64 x 112 x 112 ran 1.6x slower.
  template <class A>
  SIMDNORM_ALWAYS_INLINE __attribute__((flatten)) xsimd::batch<float, A> applied(
      const xsimd::batch<float, A>& v) const {
    using batch = xsimd::batch<float, A>;
    switch (act) {
      case activation::relu:
        return activated<activation::relu>(v);
      case activation::silu:
        return divide(v, batch(1.0f) + exp_for_silu(-v));
      case activation::gelu:
        return activated<activation::gelu>(v);
      case activation::none:
        break;
    }
    return v;
  }
  template <class A>
  SIMDNORM_ALWAYS_INLINE void store(std::int64_t i, const xsimd::batch<float, A>& v) const {
    inner.template store<A>(i, applied(v));
  }
  template <class A>
  SIMDNORM_ALWAYS_INLINE void store_pair(std::int64_t i, const xsimd::batch<float, A>& a,
                                         const xsimd::batch<float, A>& b) const {
    inner.template store_pair<A>(i, applied(a), applied(b));
  }
  void put(std::int64_t i, float v) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    applied(xsimd::batch<float, Arch>(v)).store_aligned(lanes);
    inner.put(i, lanes[0]);
  }
  template <class A>
  std::int64_t unaligned_head() const {
    return activated_head<A>(act, inner);
  }
  chosen_activation_sink advanced(std::int64_t k) const {
    return chosen_activation_sink{inner.advanced(k), act};
  }
};

template <class Sink, class Arch>
struct stores_in_pairs<chosen_activation_sink<Sink, Arch>> : stores_in_pairs<Sink> {};

// Runs body(sink) with sink the call's activation applied to `sink`: one
// instantiation per activation, chosen once per call.
template <class Arch, class Sink, class Body>
void with_activation(activation act, const Sink& sink, Body&& body) {
  switch (act) {
    case activation::relu:
      return body(activated_sink<Sink, activation::relu, Arch>{sink});
    case activation::silu:
      return body(activated_sink<Sink, activation::silu, Arch>{sink});
    case activation::gelu:
      return body(activated_sink<Sink, activation::gelu, Arch>{sink});
    case activation::none:
      break;
  }
  body(sink);
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_
