#include "dispatch/path.hpp"

#include <tbb/task_arena.h>

namespace simdnorm::dispatch {

path current_path() { return path{active_isa(), tbb::this_task_arena::max_concurrency()}; }

}  // namespace simdnorm::dispatch
