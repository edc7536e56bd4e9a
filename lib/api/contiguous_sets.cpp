#include "api/contiguous_sets.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <vector>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/run_on_active_isa.hpp"

namespace simdnorm::api {

namespace {

// Whole sets keep each set in one core's cache from its statistics to its
// normalisation, so they win whenever they keep every thread busy; a set cut
// into chunks is read twice (the second time from the cache of the thread
// that read it first, see below), but lets several threads share it.
bool split_sets(std::int64_t sets, std::int64_t chunks, std::int64_t floats) {
  if (chunks == 1 || floats < dispatch::parallel_threshold) return false;
  const std::int64_t threads = tbb::this_task_arena::max_concurrency();
  return threads > 1 && sets < 2 * threads;
}

// Runs kernel over items [0, count) on the given level. The static
// partitioner gives the same items to the same threads in both phases, so a
// chunk is normalised by the thread whose cache holds it.
template <class Kernel, class Args>
void for_each_item(dispatch::isa level, const Kernel& kernel, const Args& args,
                   std::int64_t count) {
  tbb::parallel_for(
      tbb::blocked_range<std::int64_t>(0, count, 1),
      [&](const tbb::blocked_range<std::int64_t>& r) {
        dispatch::call_on_isa(level, kernel, args, r.begin(), r.end());
      },
      tbb::static_partitioner());
}

}  // namespace

bool normalize_contiguous_sets(const simd::contiguous_sets_args& args, std::int64_t sets) {
  const dispatch::isa level = dispatch::active_isa();
  if (level == dispatch::isa::scalar) return false;
  const std::int64_t chunks = simd::chunks_in(args.set_length);
  if (!split_sets(sets, chunks, sets * args.set_length)) {
    return dispatch::run_on_active_isa(simd::contiguous_sets_kernel{}, args, sets, args.set_length);
  }
  const std::int64_t items = sets * chunks;
  std::vector<simd::chunk_statistics> partials(static_cast<std::size_t>(items));
  for_each_item(level, simd::set_chunk_statistics_kernel{},
                simd::set_chunk_statistics_args{&args, chunks, partials.data()}, items);
  // Merged in chunk order, as set_statistics_of merges them on one thread.
  std::vector<scalar::set_normalizer> normalizers(static_cast<std::size_t>(sets));
  for (std::int64_t set = 0; set < sets; ++set) {
    scalar::set_moments merged;
    bool safe = true;
    for (std::int64_t k = 0; k < chunks; ++k) {
      const simd::chunk_statistics& chunk = partials[set * chunks + k];
      safe = safe && chunk.safe;
      merged = scalar::merge(merged, chunk.moments);
    }
    const scalar::set_moments statistics =
        simd::finish_statistics(merged, safe, args.x + set * args.set_length, args.set_length,
                                simd::statistic_of(args.kind));
    normalizers[set] = simd::finish_set(args, set, statistics);
  }
  for_each_item(level, simd::set_chunk_normalize_kernel{},
                simd::set_chunk_normalize_args{&args, chunks, normalizers.data()}, items);
  return true;
}

}  // namespace simdnorm::api
