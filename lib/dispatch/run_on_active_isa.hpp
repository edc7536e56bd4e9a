// Runs a vectorised kernel over a call's work items on the active
// instruction set, in parallel over oneTBB in the caller's task arena (so an
// engine that limits its arena limits us), or on the calling thread when the
// call is small. Kernels take (arch, args, first, last) and must make each
// work item independent of the others: then any split gives the same bits.
#ifndef SIMDNORM_LIB_DISPATCH_RUN_ON_ACTIVE_ISA_HPP_
#define SIMDNORM_LIB_DISPATCH_RUN_ON_ACTIVE_ISA_HPP_

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstdint>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/isa.hpp"

namespace simdnorm::dispatch {

// Below this many floats a call stays on the calling thread. Measured on 2
// cores (layer norm rows of 256, batch norm inference and training with 64
// channels, every call forced parallel; 1 vs 2 threads): 16K floats, one
// task's worth, gains nothing; 32K floats runs 1.12-1.60x faster on two
// threads, 64K 1.39-1.80x. So two tasks' worth is where splitting pays.
constexpr std::int64_t parallel_threshold = std::int64_t{1} << 15;
// Work per task: about 16K floats (64 KiB), a few L2-sized chunks per core.
constexpr std::int64_t floats_per_task = std::int64_t{1} << 14;

// Returns false, running nothing, when the active level is scalar.
template <class Kernel, class Args>
bool run_on_active_isa(const Kernel& kernel, const Args& args, std::int64_t items,
                       std::int64_t floats_per_item) {
  const isa level = active_isa();
  if (level == isa::scalar) return false;
  const auto run = [&](std::int64_t first, std::int64_t last) {
    call_on_isa(level, kernel, args, first, last);
  };
  if (items == 1 || items * floats_per_item < parallel_threshold) {
    run(0, items);
  } else {
    const std::int64_t grain =
        floats_per_item >= floats_per_task ? 1 : floats_per_task / floats_per_item;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, items, grain),
                      [&](const tbb::blocked_range<std::int64_t>& r) { run(r.begin(), r.end()); });
  }
  return true;
}

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_RUN_ON_ACTIVE_ISA_HPP_
