// An activation after the norm, as a sink policy (element_io-inl.hpp): the
// value is transformed in registers just before the store, so a fused call
// writes y once. ReLU keeps a NaN (v < 0 is false for it), as PyTorch does;
// SiLU is v / (1 + exp(-v)) with exp_for_silu below. A tail element goes through
// the same vector function (one lane used), so an element's bits do not
// depend on whether it ends a row. Included only by -inl kernel headers
// (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_
#define SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_

#include <cmath>
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "kernels/multiply_add-inl.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// exp(a) for SiLU: xsimd 8.1's float exp (Cephes' reduction by ln 2 in two
// parts and its degree-5 polynomial, the same constants), with every a * b +
// c fused where the instruction set has FMA and 2^k formed in the exponent
// bits: about 19 instructions a vector where xsimd's took about 40 (it fuses
// nothing here: the library is built with -ffp-contract=off, and xsimd 8.1
// has no AVX-512 fma). Group norm + SiLU, 2 x 320 x 64 x 64, 1 thread, Zen
// 5: 1.11-1.26x faster in every type and layout. a is clamped to [-86,
// 88.7], where 2^(k - 1) is a normal float (k = 128 at the top, so 2^k is
// formed as 2^(k - 1) * 2); above 88.7 the result is +inf (exp overflows at
// 88.72); below -86 it stays exp(-86), which 1 + exp rounds away. A NaN a
// is SiLU's own NaN v, which v / d keeps whatever this returns. (A
// reciprocal estimate and a Newton step in place of v / d measured 1.2-1.6x
// slower.)
template <class Arch>
xsimd::batch<float, Arch> exp_for_silu(const xsimd::batch<float, Arch>& a) {
  using batch = xsimd::batch<float, Arch>;
  using ints = xsimd::batch<std::int32_t, Arch>;
  const batch x = xsimd::min(xsimd::max(a, batch(-86.0f)), batch(88.7f));
  const ints k = xsimd::nearbyint_as_int(x * batch(1.44269504088896341f));  // x / ln 2
  const batch kf = xsimd::to_float(k);
  batch r = multiply_add(kf, batch(-0.693359375f), x);  // ln 2's high part, exact in k * it
  r = multiply_add(kf, batch(2.12194440e-4f), r);       // minus its low part
  batch p = multiply_add(batch(1.3997796e-03f), r, batch(8.3955629e-03f));
  p = multiply_add(p, r, batch(4.1665401e-02f));
  p = multiply_add(p, r, batch(1.6666277e-01f));
  p = multiply_add(p, r, batch(5.0000000e-01f));
  const batch e = multiply_add(p, r * r, r) + batch(1.0f);
  const batch half_scale = xsimd::bitwise_cast<batch>((k + ints(126)) << 23);  // 2^(k - 1)
  return xsimd::select(a > batch(88.7f), batch(INFINITY), (e * half_scale) * batch(2.0f));
}

template <activation Act, class Arch>
xsimd::batch<float, Arch> activated(const xsimd::batch<float, Arch>& v) {
  using batch = xsimd::batch<float, Arch>;
  if constexpr (Act == activation::relu) {
    return xsimd::select(v < batch(0.0f), batch(0.0f), v);
  } else if constexpr (Act == activation::silu) {
    return v / (batch(1.0f) + exp_for_silu(-v));
  } else {
    return v;
  }
}

// Sink with Act applied to every value; Arch's vector function for tails too.
template <class Sink, activation Act, class Arch>
struct activated_sink {
  Sink inner;

  template <class A>
  void store(std::int64_t i, const xsimd::batch<float, A>& v) const {
    inner.template store<A>(i, activated<Act>(v));
  }
  void put(std::int64_t i, float v) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    activated<Act>(xsimd::batch<float, Arch>(v)).store_aligned(lanes);
    inner.put(i, lanes[0]);
  }
  activated_sink advanced(std::int64_t k) const { return activated_sink{inner.advanced(k)}; }
};

// Sink with an activation chosen at run time, a switch per vector taken the
// same way for a whole call: for the contiguous-set kernels, whose many
// instantiations (element types, fused add) a compile-time choice would
// multiply again. The same values as activated_sink.
template <class Sink, class Arch>
struct chosen_activation_sink {
  Sink inner;
  activation act;

  template <class A>
  void store(std::int64_t i, const xsimd::batch<float, A>& v) const {
    switch (act) {
      case activation::relu:
        return inner.template store<A>(i, activated<activation::relu>(v));
      case activation::silu:
        return inner.template store<A>(i, activated<activation::silu>(v));
      case activation::none:
        break;
    }
    inner.template store<A>(i, v);
  }
  void put(std::int64_t i, float v) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    const xsimd::batch<float, Arch> b(v);
    (act == activation::relu   ? activated<activation::relu>(b)
     : act == activation::silu ? activated<activation::silu>(b)
                               : b)
        .store_aligned(lanes);
    inner.put(i, lanes[0]);
  }
  chosen_activation_sink advanced(std::int64_t k) const {
    return chosen_activation_sink{inner.advanced(k), act};
  }
};

// Runs body(sink) with sink the call's activation applied to `sink`: one
// instantiation per activation, chosen once per call.
template <class Arch, class Sink, class Body>
void with_activation(activation act, const Sink& sink, Body&& body) {
  switch (act) {
    case activation::relu:
      return body(activated_sink<Sink, activation::relu, Arch>{sink});
    case activation::silu:
      return body(activated_sink<Sink, activation::silu, Arch>{sink});
    case activation::none:
      break;
  }
  body(sink);
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_
