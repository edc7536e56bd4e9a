// What one call runs on, read once per call: the instruction set level
// (SIMDNORM_ISA and set_max_isa applied), when the call starts, and its
// threads (the caller's pool or oneTBB's arena, and the cap of
// set_max_threads: dispatch/thread_settings.hpp), the first time a schedule
// asks. Every choice the call makes (which implementation, whether to split
// work across threads, on which pool) reads them from here, so a
// set_max_isa, set_parallel_for or an arena change on another thread never
// splits one call across two paths.
#ifndef SIMDNORM_LIB_DISPATCH_PATH_HPP_
#define SIMDNORM_LIB_DISPATCH_PATH_HPP_

#include "dispatch/instruction_sets.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::dispatch {

// One call's, on the caller's thread: never shared.
class path {
 public:
  explicit path(isa level, int threads = 0) : level(level), threads_(threads) {}

  isa level;

  // The threads the call splits its work for: the caller's pool's
  // (set_parallel_for) or else tbb::this_task_arena::max_concurrency(), at
  // most set_max_threads' cap; asked once. Not at the start of every call:
  // asking costs tens of ns, a tenth of a 1 x 768 layer norm, and calls too
  // small to split never need it.
  int threads() const;

  // The caller's pool, null for oneTBB; read with threads().
  parallel_for_function pool() const {
    threads();
    return pool_;
  }
  void* pool_context() const {
    threads();
    return pool_context_;
  }
  // Whether set_max_threads holds the call below the threads its pool or
  // arena has: then its loops go out in at most threads() pieces, so that
  // no more threads than that take part. Read with threads().
  bool capped() const {
    threads();
    return capped_;
  }

  // Set when the call handed work to other threads, for SIMDNORM_VERBOSE.
  mutable bool went_parallel = false;

 private:
  void read_threads() const;

  mutable int threads_;  // 0 until asked
  mutable parallel_for_function pool_ = nullptr;
  mutable void* pool_context_ = nullptr;
  mutable bool capped_ = false;
};

inline int path::threads() const {
  if (threads_ == 0) read_threads();
  return threads_;
}

path current_path();

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_PATH_HPP_
