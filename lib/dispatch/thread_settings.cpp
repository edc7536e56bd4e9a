#include "dispatch/thread_settings.hpp"

#include <mutex>

namespace simdnorm::dispatch {

namespace {

// The one piece of process-wide mutable state besides the instruction-set
// cap, as the API asks: read under the lock, once per call that may split
// its work (a call too small to split never reads it), about 20 ns.
std::mutex settings_lock;
thread_settings settings;

}  // namespace

thread_settings current_thread_settings() {
  const std::lock_guard<std::mutex> hold(settings_lock);
  return settings;
}

void set_max_threads(int max_threads) {
  const std::lock_guard<std::mutex> hold(settings_lock);
  settings.max_threads = max_threads;
}

void set_parallel_for(parallel_for_function parallel_for, void* pool_context, int pool_threads) {
  const std::lock_guard<std::mutex> hold(settings_lock);
  settings.parallel_for = parallel_for;
  settings.pool_context = parallel_for != nullptr ? pool_context : nullptr;
  settings.pool_threads = parallel_for != nullptr ? pool_threads : 0;
}

}  // namespace simdnorm::dispatch
