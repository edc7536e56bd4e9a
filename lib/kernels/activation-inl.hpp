// An activation after the norm, as a sink policy (element_io-inl.hpp): the
// value is transformed in registers just before the store, so a fused call
// writes y once. ReLU keeps a NaN (v < 0 is false for it), as PyTorch does;
// SiLU is v / (1 + exp(-v)) with xsimd's exp. A tail element goes through
// the same vector function (one lane used), so an element's bits do not
// depend on whether it ends a row. Included only by -inl kernel headers
// (lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_
#define SIMDNORM_LIB_KERNELS_ACTIVATION_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

template <activation Act, class Arch>
xsimd::batch<float, Arch> activated(const xsimd::batch<float, Arch>& v) {
  using batch = xsimd::batch<float, Arch>;
  if constexpr (Act == activation::relu) {
    return xsimd::select(v < batch(0.0f), batch(0.0f), v);
  } else if constexpr (Act == activation::silu) {
    return v / (batch(1.0f) + xsimd::exp(-v));
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
