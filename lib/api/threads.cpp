// The thread controls of the public API (dispatch/thread_settings.hpp).
#include <string>

#include "dispatch/thread_settings.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

void set_max_threads(int max_threads) {
  if (max_threads < 0) {
    validation::checker("set_max_threads")
        .fail("max_threads must be 0 (no cap) or positive, got " + std::to_string(max_threads));
  }
  dispatch::set_max_threads(max_threads);
}

int max_threads() { return dispatch::current_thread_settings().max_threads; }

void set_parallel_for(parallel_for_function parallel_for, void* pool_context, int pool_threads) {
  if (parallel_for != nullptr && pool_threads < 1) {
    validation::checker("set_parallel_for")
        .fail("pool_threads must be at least 1 with a parallel_for, got " +
              std::to_string(pool_threads));
  }
  dispatch::set_parallel_for(parallel_for, pool_context, pool_threads);
}

}  // namespace simdnorm
