// Instantiates every vectorised kernel for AVX-512 (F, CD, DQ, BW); compiled with that
// instruction set's flags only (lib/CMakeLists.txt), chosen at run time by
// lib/dispatch.
#include "simd/channel_norms-inl.hpp"
#include "simd/contiguous_sets-inl.hpp"

namespace simdnorm::simd {

SIMDNORM_CONTIGUOUS_SET_KERNELS(, xsimd::avx512bw)
SIMDNORM_CHANNEL_KERNELS(, xsimd::avx512bw)

}  // namespace simdnorm::simd
