// Runs a vector kernel over a call's work items on the call's instruction
// set: in parallel over oneTBB in the caller's task arena (so an engine that
// limits its arena limits us), or on the calling thread when the call is
// small (thread_policy.hpp). Kernels take (arch, args, first, last) and make
// each work item independent of the others: then any split gives the same
// bits.
#ifndef SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_
#define SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <cstdint>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/path.hpp"
#include "schedule/thread_policy.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::schedule {

// floats: what the items hold in all, for the decision to split.
template <class Kernel, class Args>
void run_items(const dispatch::path& p, const Kernel& kernel, const Args& args, std::int64_t items,
               std::int64_t floats) {
  SIMDNORM_DEBUG_ASSERT(p.level != dispatch::isa::scalar && items > 0 && floats > 0);
  if (!run_in_parallel(p, items, floats)) {
    dispatch::call_on_isa(p.level, kernel, args, std::int64_t{0}, items);
    return;
  }
  p.went_parallel = true;
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, items, grain_of(floats / items)),
                    [&](const tbb::blocked_range<std::int64_t>& r) {
                      dispatch::call_on_isa(p.level, kernel, args, r.begin(), r.end());
                    });
}

// Scalar work over independent items (merging partial statistics, per-set
// factors): body(first, last), in parallel on the same terms as a kernel's
// items. floats: the work's worth in floats of a kernel's work, for the
// decision to split (thread_policy.hpp's floats_per_merge).
template <class Body>
void run_scalar_items(const dispatch::path& p, std::int64_t items, std::int64_t floats,
                      const Body& body) {
  SIMDNORM_DEBUG_ASSERT(items > 0 && floats > 0);
  if (!run_in_parallel(p, items, floats)) {
    body(std::int64_t{0}, items);
    return;
  }
  p.went_parallel = true;
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, items, grain_of(floats / items)),
                    [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); });
}

// The same, one item a task under the static partitioner: it hands the same
// items to the same threads in two consecutive loops over the same range, so
// the second loop finds each item in the cache of the thread that read it in
// the first (contiguous_sets.cpp's two phases).
template <class Kernel, class Args>
void run_items_statically(const dispatch::path& p, const Kernel& kernel, const Args& args,
                          std::int64_t items) {
  SIMDNORM_DEBUG_ASSERT(p.level != dispatch::isa::scalar && items > 0);
  p.went_parallel = true;
  tbb::parallel_for(
      tbb::blocked_range<std::int64_t>(0, items, 1),
      [&](const tbb::blocked_range<std::int64_t>& r) {
        dispatch::call_on_isa(p.level, kernel, args, r.begin(), r.end());
      },
      tbb::static_partitioner());
}

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_
