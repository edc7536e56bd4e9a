// One parallel loop of a call on the caller's pool (set_parallel_for): the
// pool calls a plain function with a context, as a C engine's thread pool
// does, and simdnorm checks what it did, since a pool that skips a range
// would otherwise leave part of an output unwritten without a word.
#ifndef SIMDNORM_LIB_SCHEDULE_CALLER_POOL_HPP_
#define SIMDNORM_LIB_SCHEDULE_CALLER_POOL_HPP_

#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>

#include "dispatch/thread_settings.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::schedule {

namespace detail {

template <class Body>
struct pool_loop {
  const Body* body;
  std::int64_t items;
  std::atomic<std::int64_t> run{0};  // items run, over every range
  std::atomic<bool> out_of_range{false};
  std::atomic<bool> failed{false};  // set with error, under error_lock
  std::mutex error_lock;
  std::exception_ptr error;
};

// The task handed to the pool. It may not throw (it runs inside the
// caller's code, maybe C): an exception of body is kept for the calling
// thread, and the ranges after it are skipped.
template <class Body>
void pool_task(void* context, std::int64_t first, std::int64_t last) noexcept {
  auto& loop = *static_cast<pool_loop<Body>*>(context);
  if (first < 0 || last > loop.items || first > last) {
    loop.out_of_range.store(true, std::memory_order_relaxed);
    return;
  }
  loop.run.fetch_add(last - first, std::memory_order_relaxed);
  if (first == last || loop.failed.load(std::memory_order_relaxed)) return;
  try {
    (*loop.body)(first, last);
  } catch (...) {
    const std::lock_guard<std::mutex> hold(loop.error_lock);
    if (!loop.error) loop.error = std::current_exception();
    loop.failed.store(true, std::memory_order_relaxed);
  }
}

}  // namespace detail

// body(first, last) over [0, items) through pool(pool_context, items, ...).
// Throws what body threw, or dispatch::pool_failure when the pool handed a
// range outside [0, items) or did not run items items in all (a count: a
// pool that runs one range twice and skips another of the same size is not
// seen).
template <class Body>
void run_on_caller_pool(parallel_for_function pool, void* pool_context, std::int64_t items,
                        const Body& body) {
  detail::pool_loop<Body> loop;
  loop.body = &body;
  loop.items = items;
  pool(pool_context, items, &detail::pool_task<Body>, &loop);
  // The pool has returned: every task it ran has finished, and what they
  // wrote is visible here (the pool's own synchronisation).
  if (loop.error) std::rethrow_exception(loop.error);
  if (loop.out_of_range.load(std::memory_order_relaxed)) {
    throw dispatch::pool_failure("parallel_for: the caller's pool ran a range outside [0, " +
                                 std::to_string(items) + ")");
  }
  const std::int64_t run = loop.run.load(std::memory_order_relaxed);
  if (run != items) {
    throw dispatch::pool_failure("parallel_for: the caller's pool ran " + std::to_string(run) +
                                 " of " + std::to_string(items) + " items");
  }
}

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_CALLER_POOL_HPP_
