// The process-wide thread controls of the public API (simdnorm.hpp,
// set_max_threads and set_parallel_for). A call reads them once, the first
// time a schedule asks how many threads it has (dispatch/path.hpp), so that
// a change on another thread applies from the next call and never splits
// one call between two pools.
#ifndef SIMDNORM_LIB_DISPATCH_THREAD_SETTINGS_HPP_
#define SIMDNORM_LIB_DISPATCH_THREAD_SETTINGS_HPP_

#include <stdexcept>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::dispatch {

struct thread_settings {
  int max_threads = 0;                           // 0: no cap
  parallel_for_function parallel_for = nullptr;  // null: oneTBB
  void* pool_context = nullptr;
  int pool_threads = 0;  // with a parallel_for: at least 1
};

// A copy of the settings as they are now; safe from any thread.
thread_settings current_thread_settings();

// Unchecked: the public functions (api/threads.cpp) validate.
void set_max_threads(int max_threads);
void set_parallel_for(parallel_for_function parallel_for, void* pool_context, int pool_threads);

// The caller's parallel_for did not run the items it was given exactly once
// (the C API's SN_ERROR_RESOURCE).
class pool_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_THREAD_SETTINGS_HPP_
