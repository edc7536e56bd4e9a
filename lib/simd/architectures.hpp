// The architectures the vectorised kernels are compiled for, best first: one
// list that every kernel header's extern declarations iterate, so adding an
// instruction set is one line here, one file in lib/arch/ and one case in
// dispatch/call_on_isa.hpp.
#ifndef SIMDNORM_LIB_SIMD_ARCHITECTURES_HPP_
#define SIMDNORM_LIB_SIMD_ARCHITECTURES_HPP_

#include <xsimd/xsimd.hpp>

// F(PREFIX, ARCH) for each architecture; PREFIX is `extern` for declarations.
#if defined(__aarch64__)
#define SIMDNORM_FOR_EACH_ARCH(F, PREFIX) F(PREFIX, xsimd::neon64)
#else
#define SIMDNORM_FOR_EACH_ARCH(F, PREFIX) \
  F(PREFIX, xsimd::avx512bw)              \
  F(PREFIX, xsimd::fma3<xsimd::avx2>)     \
  F(PREFIX, xsimd::sse4_2)                \
  F(PREFIX, xsimd::sse2)
#endif

#endif  // SIMDNORM_LIB_SIMD_ARCHITECTURES_HPP_
