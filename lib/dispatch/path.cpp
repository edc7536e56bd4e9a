#include "dispatch/path.hpp"

#include <tbb/task_arena.h>

namespace simdnorm::dispatch {

int path::threads() const {
  if (threads_ == 0) threads_ = tbb::this_task_arena::max_concurrency();
  return threads_;
}

path current_path() { return path(active_isa()); }

}  // namespace simdnorm::dispatch
