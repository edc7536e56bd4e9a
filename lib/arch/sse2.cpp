// Instantiates the kernels for SSE2, the x86-64 baseline; compiled with that instruction set's
// flags only (lib/CMakeLists.txt) and chosen at run time by lib/dispatch.
#include "simd/channel_norms-inl.hpp"
#include "simd/row_norms-inl.hpp"

namespace simdnorm::simd {

template void row_norm_kernel::operator()<xsimd::sse2>(xsimd::sse2, const row_norm_args&,
                                                       std::int64_t, std::int64_t) const;

template void nchw_group_norm_kernel::operator()<xsimd::sse2>(xsimd::sse2, const group_norm_args&,
                                                              std::int64_t, std::int64_t) const;
template void channel_affine_kernel::operator()<xsimd::sse2>(xsimd::sse2,
                                                             const channel_affine_args&,
                                                             std::int64_t, std::int64_t) const;

}  // namespace simdnorm::simd
