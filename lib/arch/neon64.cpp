// Instantiates every vectorised kernel for AArch64's Advanced SIMD (NEON),
// part of the base architecture; compiled only on AArch64 (lib/CMakeLists.txt),
// chosen at run time by lib/dispatch. Compile-checked with Debian's
// aarch64-linux-gnu-g++; not run here (no Arm machine).
#include "simd/channel_norms-inl.hpp"
#include "simd/contiguous_sets-inl.hpp"

namespace simdnorm::simd {

SIMDNORM_CONTIGUOUS_SET_KERNELS(, xsimd::neon64)
SIMDNORM_CHANNEL_KERNELS(, xsimd::neon64)

}  // namespace simdnorm::simd
