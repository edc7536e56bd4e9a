#include "schedule/contiguous_sets.hpp"

#include <cstdint>
#include <vector>

#include "schedule/run_items.hpp"
#include "schedule/thread_policy.hpp"
#include "statistics/set_chunks.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::schedule {

void normalize_contiguous_sets(const dispatch::path& p, const kernels::contiguous_sets_args& args,
                               std::int64_t sets) {
  SIMDNORM_DEBUG_ASSERT(sets > 0 && args.set_length > 0 && args.run_length > 0 &&
                        args.set_length % args.run_length == 0 && args.sets_per_sample > 0);
  const std::int64_t chunks = statistics::chunks_in(args.set_length);
  if (!split_sets_into_chunks(p, sets, chunks, sets * args.set_length)) {
    // Every tensor the call reads or writes, at its own width.
    const std::int64_t tensors = distinct_tensors({args.x, args.residual, args.y, args.sum});
    kernels::contiguous_sets_args rows = args;
    const std::int64_t bytes = tensors * sets * args.set_length * element_size(args.type);
    rows.past_last_level_cache = stream_output(p, bytes);
    const bool are_rows = args.run_length == 1 && args.sets_per_sample == 1;
    rows.one_row_a_group =
        are_rows && args.residual == nullptr &&
        rows_one_at_a_time(p, args.type, args.set_length, bytes, rows.past_last_level_cache);
    run_items(p, kernels::contiguous_sets_kernel{}, rows, sets, sets * args.set_length,
              whole_sets_threshold(are_rows, args.residual != nullptr),
              keeps_threads_on_their_sets(p, bytes));
    return;
  }
  const std::int64_t items = sets * chunks;
  std::vector<statistics::chunk_statistics> partials(static_cast<std::size_t>(items));
  run_items_statically(p, kernels::set_chunk_statistics_kernel{},
                       kernels::set_chunk_statistics_args{&args, chunks, partials.data()}, items);
  // Merged in chunk order, as set_statistics_of merges them on one thread.
  std::vector<statistics::set_normalizer> normalizers(static_cast<std::size_t>(sets));
  for (std::int64_t set = 0; set < sets; ++set) {
    statistics::set_moments merged;
    bool safe = true;
    for (std::int64_t k = 0; k < chunks; ++k) {
      const statistics::chunk_statistics& chunk = partials[set * chunks + k];
      safe = safe && chunk.safe;
      merged = statistics::merge(merged, chunk.moments);
    }
    const statistics::set_values values = kernels::values_of_set(args, set);
    const statistics::set_moments moments = statistics::finish_statistics(
        merged, safe, values.at(0), values, kernels::statistic_of(args.kind));
    normalizers[set] = kernels::finish_set(args, set, moments);
  }
  run_items_statically(p, kernels::set_chunk_normalize_kernel{},
                       kernels::set_chunk_normalize_args{&args, chunks, normalizers.data()}, items);
}

}  // namespace simdnorm::schedule
