// Calls a kernel functor with the xsimd architecture tag of an instruction
// set level. Unlike xsimd::dispatch, the level is chosen by the caller (once
// per call, dispatch/path.hpp), so that SIMDNORM_ISA and set_max_isa can cap
// it and the kernel testers can run every level in one process.
#ifndef SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_
#define SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_

#include <utility>
#include <xsimd/xsimd.hpp>

#include "dispatch/instruction_sets.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::dispatch {

// level is one of this build's instruction sets, never isa::scalar: the
// scalar path is an implementation of its own (lib/scalar), not a kernel.
template <class Kernel, class... Args>
void call_on_isa(isa level, const Kernel& kernel, Args&&... args) {
  switch (level) {
#define SIMDNORM_INSTRUCTION_SET(id, name, arch, features) \
  case isa::id:                                            \
    kernel(arch{}, std::forward<Args>(args)...);           \
    return;
#include "dispatch/instruction_set_list.inc"
#undef SIMDNORM_INSTRUCTION_SET
    case isa::scalar:
      break;
  }
  SIMDNORM_DEBUG_ASSERT(level != isa::scalar);
}

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_CALL_ON_ISA_HPP_
