// Runs a vector kernel over a call's work items on the call's instruction
// set: in parallel over oneTBB in the caller's task arena (so an engine that
// limits its arena limits us) or over the caller's pool (set_parallel_for),
// at most set_max_threads threads at once, or on the calling thread when the
// call is small (thread_policy.hpp). Kernels take (arch, args, first, last)
// and make each work item independent of the others: then any split gives
// the same bits.
#ifndef SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_
#define SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <algorithm>
#include <cstdint>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/path.hpp"
#include "schedule/caller_pool.hpp"
#include "schedule/thread_policy.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::schedule {

// The first item of piece k when items are dealt into pieces pieces as evenly
// as they go (the first items % pieces pieces one item longer).
inline std::int64_t first_of_piece(std::int64_t k, std::int64_t items, std::int64_t pieces) {
  return k * (items / pieces) + std::min(k, items % pieces);
}

// A caller's pool gets a loop in at most this many pieces per thread (of
// at least grain items each): a few, so that a pool that balances its
// threads dynamically can (one of them may be late from other work), but
// not one per grain-sized range, since a plain pool pays a lock and maybe a
// wake-up per item. The test's pthread pool (tests/pthread_pool.hpp: one
// lock and one item at a time), 2 threads, 2-core Zen 5, layer norm 512 x
// 4096: 404 us in 128 pieces, 288-293 us in 2 or 8 (oneTBB: 220-227 us).
constexpr std::int64_t pool_pieces_per_thread = 4;

// body(first, last) over [0, items), in parallel on the call's threads:
// oneTBB's, in ranges of at least grain items (under the static
// partitioner, the same ranges on the same threads in two loops over the
// same items, if static_ranges); under set_max_threads' cap, in threads()
// pieces, one a task, so that no more threads than that take part; on the
// caller's pool, uncapped, in pool_pieces_per_thread pieces per thread.
template <class Body>
void run_parallel(const dispatch::path& p, std::int64_t items, std::int64_t grain,
                  bool static_ranges, const Body& body) {
  p.went_parallel = true;
  if (p.pool() == nullptr && !p.capped()) {
    const tbb::blocked_range<std::int64_t> range(0, items, grain);
    const auto run = [&](const tbb::blocked_range<std::int64_t>& r) { body(r.begin(), r.end()); };
    if (static_ranges) {
      tbb::parallel_for(range, run, tbb::static_partitioner());
    } else {
      tbb::parallel_for(range, run);
    }
    return;
  }
  const std::int64_t ranges = (items + grain - 1) / grain;
  const std::int64_t pieces = std::min<std::int64_t>(
      ranges, p.capped() ? p.threads() : pool_pieces_per_thread * p.threads());
  const auto run_pieces = [&](std::int64_t first, std::int64_t last) {
    body(first_of_piece(first, items, pieces), first_of_piece(last, items, pieces));
  };
  if (pieces == 1) {
    body(std::int64_t{0}, items);
  } else if (p.pool() != nullptr) {
    run_on_caller_pool(p.pool(), p.pool_context(), pieces, run_pieces);
  } else {
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, pieces, 1),
        [&](const tbb::blocked_range<std::int64_t>& r) { run_pieces(r.begin(), r.end()); },
        tbb::simple_partitioner());
  }
}

// floats: what the items hold in all, for the decision to split (at
// threshold floats, thread_policy.hpp). static_ranges: as run_parallel's.
template <class Kernel, class Args>
void run_items(const dispatch::path& p, const Kernel& kernel, const Args& args, std::int64_t items,
               std::int64_t floats, std::int64_t threshold = parallel_threshold,
               bool static_ranges = false) {
  SIMDNORM_DEBUG_ASSERT(p.level != dispatch::isa::scalar && items > 0 && floats > 0);
  if (!run_in_parallel(p, items, floats, threshold)) {
    dispatch::call_on_isa(p.level, kernel, args, std::int64_t{0}, items);
    return;
  }
  run_parallel(p, items, grain_of(floats / items), static_ranges,
               [&](std::int64_t first, std::int64_t last) {
                 dispatch::call_on_isa(p.level, kernel, args, first, last);
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
  run_parallel(p, items, grain_of(floats / items), false, body);
}

// The same, one item a task under the static partitioner: it hands the same
// items to the same threads in two consecutive loops over the same range, so
// the second loop finds each item in the cache of the thread that read it in
// the first (contiguous_sets.cpp's two phases).
template <class Kernel, class Args>
void run_items_statically(const dispatch::path& p, const Kernel& kernel, const Args& args,
                          std::int64_t items) {
  SIMDNORM_DEBUG_ASSERT(p.level != dispatch::isa::scalar && items > 0);
  run_parallel(p, items, 1, true, [&](std::int64_t first, std::int64_t last) {
    dispatch::call_on_isa(p.level, kernel, args, first, last);
  });
}

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_RUN_ITEMS_HPP_
