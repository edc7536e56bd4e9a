#include "dispatch/path.hpp"

#include <tbb/task_arena.h>

#include "dispatch/thread_settings.hpp"

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

void path::read_threads() const {
  const thread_settings settings = current_thread_settings();
  pool_ = settings.parallel_for;
  pool_context_ = settings.pool_context;
  const int available =
      pool_ != nullptr ? settings.pool_threads : tbb::this_task_arena::max_concurrency();
  capped_ = settings.max_threads > 0 && settings.max_threads < available;
  threads_ = capped_ ? settings.max_threads : available;
}

path current_path() { return path(active_isa()); }

}  // namespace simdnorm::dispatch
