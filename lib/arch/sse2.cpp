// Instantiates every vectorised kernel for SSE2, the x86-64 baseline; compiled with that
// instruction set's flags only (lib/CMakeLists.txt), chosen at run time by
// lib/dispatch.
#include "simd/channel_norms-inl.hpp"
#include "simd/contiguous_sets-inl.hpp"

namespace simdnorm::simd {

SIMDNORM_CONTIGUOUS_SET_KERNELS(, xsimd::sse2)
SIMDNORM_CHANNEL_KERNELS(, xsimd::sse2)

}  // namespace simdnorm::simd
