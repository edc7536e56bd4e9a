// Calls a kernel functor with the xsimd architecture tag of an instruction
// set level. Unlike xsimd::dispatch, the level is chosen by the caller, so
// that SIMDNORM_ISA and set_max_isa can cap it.
#ifndef SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_
#define SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_

#include <utility>
#include <xsimd/xsimd.hpp>

#include "dispatch/isa.hpp"

namespace simdnorm::dispatch {

// Returns false (calling nothing) for isa::scalar: the caller runs its
// scalar path.
template <class Kernel, class... Args>
bool call_on_isa(isa level, const Kernel& kernel, Args&&... args) {
#if defined(__x86_64__)
  switch (level) {
    case isa::avx512:
      kernel(xsimd::avx512bw{}, std::forward<Args>(args)...);
      return true;
    case isa::avx2:
      kernel(xsimd::fma3<xsimd::avx2>{}, std::forward<Args>(args)...);
      return true;
    case isa::sse4_2:
      kernel(xsimd::sse4_2{}, std::forward<Args>(args)...);
      return true;
    case isa::sse2:
      kernel(xsimd::sse2{}, std::forward<Args>(args)...);
      return true;
    case isa::scalar:
    case isa::neon64:
      break;
  }
#elif defined(__aarch64__)
  if (level == isa::neon64) {
    kernel(xsimd::neon64{}, std::forward<Args>(args)...);
    return true;
  }
#else
  (void)level;
  (void)kernel;
#endif
  return false;
}

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_
