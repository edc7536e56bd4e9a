// What one call runs on, read once per call: the instruction set level
// (SIMDNORM_ISA and set_max_isa applied), when the call starts, and the size
// of the caller's oneTBB arena, the first time a schedule asks. Every choice
// the call makes (which implementation, whether to split work across
// threads) reads them from here, so a set_max_isa or an arena change on
// another thread never splits one call across two paths.
#ifndef SIMDNORM_LIB_DISPATCH_PATH_HPP_
#define SIMDNORM_LIB_DISPATCH_PATH_HPP_

#include "dispatch/instruction_sets.hpp"

namespace simdnorm::dispatch {

// One call's, on the caller's thread: never shared.
class path {
 public:
  explicit path(isa level, int threads = 0) : level(level), threads_(threads) {}

  isa level;

  // The caller's arena: tbb::this_task_arena::max_concurrency(), asked once.
  // Not at the start of every call: asking costs about 10 ns, a twentieth of
  // a 1 x 768 layer norm, and calls too small to split never need it.
  int threads() const;

  // Set when the call handed work to oneTBB, for SIMDNORM_VERBOSE.
  mutable bool went_parallel = false;

 private:
  mutable int threads_;  // 0 until asked
};

path current_path();

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_PATH_HPP_
