// a / b rounded once, on every instruction set.
//
// xsimd 8.1's float division on NEON (and so on NEON64, which inherits it)
// is a reciprocal estimate refined by two Newton steps, then a multiply: a
// few ulps off, and not even the same bits as a scalar a / b on the same
// machine. Under qemu-aarch64 that took GELU's tail past its 16-ulp bound
// (20.8 ulps: z = x / (1 + x) feeds a degree-11 polynomial). AArch64 has a
// correctly rounded vector division (FDIV, vdivq_f32), which is what the x86
// files get from xsimd's operator/ (DIVPS); it is spelled out here.
#ifndef SIMDNORM_LIB_KERNELS_DIVIDE_INL_HPP_
#define SIMDNORM_LIB_KERNELS_DIVIDE_INL_HPP_

#include <type_traits>
#include <xsimd/xsimd.hpp>

#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace simdnorm::kernels {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

template <class Arch>
xsimd::batch<float, Arch> divide(const xsimd::batch<float, Arch>& a,
                                 const xsimd::batch<float, Arch>& b) {
#if defined(__aarch64__)
  if constexpr (std::is_base_of_v<xsimd::neon64, Arch>) {
    return xsimd::batch<float, Arch>(vdivq_f32(a, b));
  }
#endif
  return a / b;
}

}  // namespace

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_DIVIDE_INL_HPP_
