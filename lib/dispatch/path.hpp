// What one call runs on, read once when the call starts: the instruction set
// level (SIMDNORM_ISA and set_max_isa applied) and the size of the caller's
// oneTBB arena. Every choice the call makes (which implementation, whether
// to split work across threads) reads it from here, so a set_max_isa or an
// arena change on another thread never splits one call across two paths.
#ifndef SIMDNORM_LIB_DISPATCH_PATH_HPP_
#define SIMDNORM_LIB_DISPATCH_PATH_HPP_

#include "dispatch/instruction_sets.hpp"

namespace simdnorm::dispatch {

struct path {
  isa level;
  int threads;  // the caller's arena: tbb::this_task_arena::max_concurrency()
  // Set when the call handed work to oneTBB, for SIMDNORM_VERBOSE; the
  // path belongs to one call on one thread.
  mutable bool went_parallel = false;
};

path current_path();

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_PATH_HPP_
