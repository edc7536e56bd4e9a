#include "dispatch/path.hpp"

#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cstddef>

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

// The threads oneTBB lets a call of this thread use: its task arena's
// concurrency, or fewer under a tbb::global_control limit on
// max_allowed_parallelism, which caps every arena's workers without changing
// what max_concurrency() reports. A call that believed in the arena's size
// took the schedules of that many threads and ran them on fewer: NHWC group
// norm under global_control(1), 2-core Zen 5, medians of 300 calls, 243-246
// us at 2 x 640 x 32 x 32 G=32 and 2391 us at 4 x 512 x 3199 G=512, against
// 212-233 and 1916 us under sn_set_max_threads(1). Reading the limit takes
// a lock (about 8 ns here), paid by calls large enough to split and by NCHW
// batch statistics with n > 1 (split_channels_along_n asks first): not by
// the small row calls whose latency is measured in nanoseconds.
int tbb_threads() {
  const int arena = tbb::this_task_arena::max_concurrency();
  const std::size_t limit =
      tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
  return limit < static_cast<std::size_t>(arena) ? static_cast<int>(limit) : arena;
}

}  // namespace

void path::read_threads() const {
  const thread_settings settings = current_thread_settings();
  pool_ = settings.parallel_for;
  pool_context_ = settings.pool_context;
  const int available = pool_ != nullptr ? settings.pool_threads : tbb_threads();
  capped_ = settings.max_threads > 0 && settings.max_threads < available;
  threads_ = capped_ ? settings.max_threads : available;
}

path current_path() { return path(active_isa()); }

}  // namespace simdnorm::dispatch
