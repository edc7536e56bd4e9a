#include "dispatch/path.hpp"

#include <tbb/task_arena.h>

namespace simdnorm::dispatch {

namespace {

// oneTBB initialises itself once, on first use, and an exception thrown
// from inside that (an allocation failing) leaves it half done: every later
// oneTBB call in the process then waits for it forever. So the library
// makes that first use when it is loaded, before main and before any call
// whose allocations can fail (tests/fault_injection/tbb_startup_test.cpp).
// A failure there ends the program at start-up, which is not a hang.
[[maybe_unused]] const int arena_size_at_load = tbb::this_task_arena::max_concurrency();

}  // namespace

int path::threads() const {
  if (threads_ == 0) threads_ = tbb::this_task_arena::max_concurrency();
  return threads_;
}

path current_path() { return path(active_isa()); }

}  // namespace simdnorm::dispatch
