// Instantiates every vectorised kernel for SSE4.2; compiled with that
// instruction set's flags only (lib/CMakeLists.txt), chosen at run time by
// lib/dispatch.
#include "simd/channel_norms-inl.hpp"
#include "simd/contiguous_sets-inl.hpp"

namespace simdnorm::simd {

SIMDNORM_CONTIGUOUS_SET_KERNELS(, xsimd::sse4_2)
SIMDNORM_CHANNEL_KERNELS(, xsimd::sse4_2)

}  // namespace simdnorm::simd
