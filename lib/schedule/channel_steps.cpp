#include "schedule/channel_steps.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/call_on_isa.hpp"
#include "kernels/channel_kernels.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "schedule/aligned_vector.hpp"
#include "schedule/last_level_cache.hpp"
#include "schedule/run_items.hpp"
#include "schedule/thread_policy.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::schedule {

namespace {

// Rows of an NHWC tensor per chunk of its statistics: about 64K floats, a
// function of the shape only, so that the chunks (and the order they merge
// in) never depend on the thread count. A chunk's scratch is 32 bytes per
// channel, so: at least 64 rows, which bounds it by an eighth of the tensor
// even for very wide rows (standardize over a million features); and at most
// 256 chunks over the tensor, which bounds it by 8 KiB per channel however
// large the tensor (8 x 256 x 56 x 56 keeps its 98 chunks, 0.8 MB; 256
// channels stay under 2 MB at any size), still 16 chunks a thread on 16
// cores.
std::int64_t rows_per_chunk(const shape& s) {
  constexpr std::int64_t max_chunks = 256;
  std::int64_t rows = (std::int64_t{1} << 16) / s.c;
  rows = rows < 64 ? 64 : rows;
  const std::int64_t for_max_chunks = (s.n * s.spatial + max_chunks - 1) / max_chunks;
  return rows < for_max_chunks ? for_max_chunks : rows;
}

// The tiling of the NHWC statistics' blocks (kernels/channel_kernels.hpp).
// Pipelined where the input and an output of its size take at most three
// quarters of the last-level cache, so that the input is likely still there
// from whoever wrote it: then the next block's prefetch costs more than it
// saves. Past that, eight vectors, prefetching. Measured on Zen 5 (32 MiB by
// the fallback), group norm NHWC 1 thread, both alternating in one process:
// pipelined 1.13-1.18x faster at 2 x 640 x 32 x 32 (10.5 MB in and out),
// 1.07x at 4 x 640 x 32 x 32 (21 MB), 0.97x at 2 x 512 x 3199 (26 MB),
// 0.92-0.98x at 3 x 512 x 3199; batch-norm training 8 x 512 x 784 (26 MB)
// 0.94-0.96x. Both keep two tiles' 64 rows in L1 (32 KiB with AVX-512), so
// they are for L1 data caches of 48 KiB or more. On a smaller L1 (Zen 4's
// 32 KiB), tiles of four past the cache (eight did no better there), and
// pipelined in cache. Zen 4, float32, C API, medians of 3 runs alternating
// with four: group norm G = 32 1 x 320 x 64 x 64 258-281 against 282-296
// us at 1 thread, 127-128 against 141-143 at 2; 2 x 640 x 32 x 32 at 2
// threads 123-124 against 135-137; group norm 4 x 64 x 56 x 56 G = 64 at 2
// threads 84 against 89; batch-norm training 1 x 64 x 112 x 112 146-149
// against 152-154 at 1 thread.
// Whether L1 holds two tiles' 64 rows (32 KiB with AVX-512) with room to
// spare: 48 KiB or more.
bool l1_holds_two_tiles() { return level1_data_cache_bytes() >= (std::int64_t{48} << 10); }

kernels::channel_tiling channel_tiling_for(const shape& s, dtype type) {
  const std::int64_t bytes = s.n * s.c * s.spatial * element_size(type);
  const bool in_cache = stays_in_cache(2 * bytes);
  if (l1_holds_two_tiles()) {
    return in_cache ? kernels::channel_tiling::pipelined : kernels::channel_tiling::eight;
  }
  return in_cache ? kernels::channel_tiling::pipelined : kernels::channel_tiling::four;
}

// Whether a block is copied for its second sweep: float32 blocks whose rows
// crowd into a few L1 sets (rows_share_l1_sets), every 16-bit block. Not
// by pipelined tiles on an L1 under 48 KiB: there the two copies in flight
// would fill L1 alone (pipelined and copied, 2 x 1280 x 16 x 16 ran
// 163-165 us against 153-156 with tiles of four copied), and uncopied, with
// the second sweep reading L2, they beat tiles of four copied. Zen 4,
// float32, 1 thread, 3 runs alternating:
// statistics alone (sn_moments_update) 3199 x 512 rows x features 156-158
// against 176-187 us, 320 x 512 16 against 17, 1600 x 1024 169-171 against
// 202-209, 1024 x 1280 136-137 against 146-156; whole group norm calls,
// where the statistics are 40% of the time, within this VM's noise (1 x
// 512 x 3199 G = 512 516-567 against 501-589 us at 1 thread, 184-191
// against 189-212 at 2; 2 x 1280 x 16 x 16 G = 32 147-154 against 153-155
// at 1 thread, 77-87 against 80-89 at 2). Elsewhere the copy stays: tiles
// of four or eight, prefetching past the cache, and pipelined tiles on
// larger L1s (uncopied not measured there).
//
// bfloat16 and float16 blocks are copied whatever their stride: the second
// sweep then reads floats rather than loading and widening the elements
// again (F16C's widening takes two micro-ops a vector). 2-core Xeon VM (48
// KiB L1), C API, 3 alternating runs, us, 1 / 2 threads, uncopied against
// copied: float16 group norm G = 32 1 x 320 x 64 x 64 322 -> 306 / 142 ->
// 133, 2 x 1280 x 16 x 16 153 -> 128 / 65 -> 59, 4 x 64 x 56 x 56 165 ->
// 143 / 75 -> 65; float16 batch-norm training 1 x 64 x 112 x 112 164 -> 147
// / 78 -> 69, 8 x 256 x 56 x 56 1847 -> 1750 / 908 -> 861; float16
// instance norm 1 x 64 x 256 x 256 1056 -> 967 / 510 -> 466; past the
// cache, float16 group norm 32 x 320 x 64 x 64 24.2 -> 22.0 / 9.5 -> 9.0 ms
// (tiles of eight uncopied against four copied); bfloat16 2-8% at 1 thread
// (1 x 320 x 64 x 64 289 -> 276, 2 x 1280 x 16 x 16 123 -> 113, batch-norm
// training 8 x 256 x 56 x 56 1723 -> 1628) and 0-5% at 2. The same bits
// (the copy holds the x - shift the second sweep would form). On an L1
// under 48 KiB the rule above still keeps pipelined tiles uncopied; AMD not
// measured.
bool blocks_copied_for(const shape& s, dtype type, kernels::channel_tiling tiling) {
  const bool sixteen_bits = type != dtype::float32;
  if (!sixteen_bits && !kernels::rows_share_l1_sets(s.c, element_size(type))) return false;
  return tiling != kernels::channel_tiling::pipelined || l1_holds_two_tiles();
}

// The sizes of nhwc_moments' buffers for a shape, sets of rows_per_set rows.
struct nhwc_moments_sizes {
  std::int64_t set_count, per_chunk, chunks_per_set, chunks, partial_count;
  std::size_t scratch_bytes;

  nhwc_moments_sizes(const shape& s, std::int64_t rows_per_set)
      : set_count(s.n * s.spatial / rows_per_set),
        per_chunk(rows_per_chunk(s)),
        chunks_per_set((rows_per_set + per_chunk - 1) / per_chunk),
        chunks(set_count * chunks_per_set),
        partial_count(chunks * s.c),
        scratch_bytes(static_cast<std::size_t>(
            partial_count *
            (2 * sizeof(double) +
             kernels::nhwc_channel_moments_args::states_per_channel * sizeof(float)))) {}
};

// Moments of each group of channels_per_group consecutive channels over each
// set of rows_per_set consecutive NHWC rows (the whole tensor, or one
// sample), index set * groups + group: the chunks of every set in one
// parallel loop, then, in a second, each (set, group) merges its channels'
// chunks in chunk order and then its channels in channel order. A fixed
// order, whatever the thread count; and no serial merge on the calling
// thread (2 x 1280 x 16 x 16 group norm spent 40 us of its 190 at 2 threads
// merging chunks and channels there).
std::vector<statistics::set_moments>& nhwc_moments(const dispatch::path& p, const void* x,
                                                   dtype type, const shape& s,
                                                   std::int64_t rows_per_set,
                                                   std::int64_t channels_per_group,
                                                   channel_workspace& ws) {
  SIMDNORM_DEBUG_ASSERT(s.layout == layout::nhwc && rows_per_set > 0 &&
                        (s.n * s.spatial) % rows_per_set == 0 && channels_per_group > 0 &&
                        s.c % channels_per_group == 0);
  const nhwc_moments_sizes sizes(s, rows_per_set);
  const std::int64_t set_count = sizes.set_count;
  const std::int64_t per_chunk = sizes.per_chunk;
  const std::int64_t chunks_per_set = sizes.chunks_per_set;
  const std::int64_t chunks = sizes.chunks;
  // The kernel's partial means and m2 (double) and its float states, in one
  // allocation. glibc serves a large block from mmap the first time, and its
  // free raises the thresholds so that later calls get it from the heap and
  // leave it there; split in three blocks below the threshold, the freed
  // heap top passed the trim threshold and was handed back to the system
  // after every call, and each call faulted its pages in again: group norm
  // 1 x 320 x 64 x 64 at 1 thread took 480 us rather than 240 on a Zen 4 VM.
  const std::int64_t partial_count = sizes.partial_count;
  if (ws.scratch_size < sizes.scratch_bytes) {
    ws.own_scratch.resize(sizes.scratch_bytes);
    ws.scratch = ws.own_scratch.data();
    ws.scratch_size = sizes.scratch_bytes;
  }
  double* const partial_mean = reinterpret_cast<double*>(ws.scratch);
  double* const partial_m2 = partial_mean + partial_count;
  float* const states = reinterpret_cast<float*>(partial_m2 + partial_count);
  // The merge weights of each chunk of a set into the chunks before it: the
  // same for every set and channel.
  const auto rows_of_chunk = [&](std::int64_t k) {
    return static_cast<double>(std::min(per_chunk, rows_per_set - k * per_chunk));
  };
  std::vector<statistics::merge_weights>& weights = ws.chunk_weights;
  weights.resize(static_cast<std::size_t>(chunks_per_set));
  for (std::int64_t k = 1; k < chunks_per_set; ++k) {
    weights[k] = statistics::merge_weights_of(static_cast<double>(k * per_chunk), rows_of_chunk(k));
  }
  const std::int64_t groups = s.c / channels_per_group;
  std::vector<statistics::set_moments>& sets = ws.sets;
  sets.resize(static_cast<std::size_t>(set_count * groups));
  kernels::nhwc_channel_moments_args args{
      x, s, rows_per_set, per_chunk, chunks_per_set, partial_mean, partial_m2, states, type};
  args.tiling = channel_tiling_for(s, type);
  args.copy_blocks = blocks_copied_for(s, type, args.tiling);
  // Static ranges: each thread one range of chunks, which the kernel takes
  // last to first, so that it ends at the start of its range, about where
  // the normalisation's range on that thread begins (the auto partitioner's
  // first splits are halves; static there as well measured the same at 2
  // threads, and cost batch-norm inference 8 x 2048 x 7 x 7, which has no
  // statistics, 6%). Against the auto partitioner and chunks first to last:
  // 2-core Xeon VM (2 MiB L2), float32, C API, 3 alternating runs, us, 1 /
  // 2 threads: group norm G = 32 1 x 320 x 64 x 64 549 -> 511 / 264 -> 234,
  // 2 x 640 x 32 x 32 559 -> 518 / 271 -> 231, 8 x 256 x 56 x 56 3095 ->
  // 2963 / 1433 -> 1342; instance norm 1 x 64 x 256 x 256 1846 -> 1815 /
  // 939 -> 882; batch-norm training 1 x 64 x 112 x 112 338 -> 291 / 127 ->
  // 114, 8 x 512 x 28 x 28 1400 -> 1361 / 709 -> 668, 8 x 2048 x 7 x 7 363
  // -> 327 / 170 -> 156.
  run_items(p, kernels::nhwc_channel_moments_kernel{}, args, chunks, s.n * s.spatial * s.c,
            parallel_threshold, true);
  // The weights of channel j of a group merged into channels [0, j): the
  // same for every group.
  const auto set_rows = static_cast<double>(rows_per_set);
  std::vector<statistics::merge_weights>& channel_weights = ws.channel_weights;
  channel_weights.resize(static_cast<std::size_t>(channels_per_group));
  for (std::int64_t j = 1; j < channels_per_group; ++j) {
    channel_weights[j] = statistics::merge_weights_of(static_cast<double>(j) * set_rows, set_rows);
  }
  // Each merge depends on the one before it in its chain (a channel's chunks,
  // a group's channels), so the loops run across channels, and across
  // groups, innermost: independent merges side by side, rather than one
  // chain at a time (2 ns a merge on Zen 4, most of it waiting). The merges
  // and their order are the same.
  const auto merge_groups = [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t item = first; item < last;) {
      const std::int64_t set = item / groups;
      const std::int64_t g0 = item % groups;
      const std::int64_t g1 = std::min(last - set * groups, groups);
      item = set * groups + g1;
      // The set's channels' chunks, merged in chunk order into its first
      // chunk's place.
      double* const mean = partial_mean + set * chunks_per_set * s.c;
      double* const m2 = partial_m2 + set * chunks_per_set * s.c;
      const std::int64_t c0 = g0 * channels_per_group, c1 = g1 * channels_per_group;
      // In the call's instruction set's file, in double vectors: merged one
      // at a time here (SSE2's two doubles at best), 2 x 640 x 32 x 32 group
      // norm spent about 9 us on its 14080 chunk merges, serially.
      const kernels::chunk_merge_args chunk_merges{mean, m2, s.c, chunks_per_set, weights.data()};
      dispatch::call_on_isa(p.level, kernels::chunk_merge_kernel{}, chunk_merges, c0, c1);
      // Then each group's channels in channel order.
      for (std::int64_t g = g0; g < g1; ++g) {
        const std::int64_t c = g * channels_per_group;
        sets[set * groups + g] = statistics::set_moments{set_rows, mean[c], m2[c]};
      }
      for (std::int64_t j = 1; j < channels_per_group; ++j) {
        for (std::int64_t g = g0; g < g1; ++g) {
          const std::int64_t c = g * channels_per_group + j;
          statistics::set_moments& group = sets[set * groups + g];
          group = statistics::merge_with(group, statistics::set_moments{set_rows, mean[c], m2[c]},
                                         channel_weights[j]);
        }
      }
    }
  };
  run_scalar_items(p, set_count * groups, chunks * s.c * floats_per_merge, merge_groups);
  return sets;
}

// NCHW channel (per_instance false) or plane (true) moments.
std::vector<statistics::set_moments> nchw_moments(const dispatch::path& p, const void* x,
                                                  dtype type, const shape& s, bool per_instance) {
  SIMDNORM_DEBUG_ASSERT(s.layout == layout::nchw);
  if (!per_instance && split_channels_along_n(p, s)) {
    // Plane by plane in parallel, merged in sample order as the per-channel
    // kernel merges them: the same bits.
    const std::vector<statistics::set_moments> planes = nchw_moments(p, x, type, s, true);
    std::vector<statistics::set_moments> sets(static_cast<std::size_t>(s.c));
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t c = 0; c < s.c; ++c) {
        sets[c] = statistics::merge(sets[c], planes[n * s.c + c]);
      }
    }
    return sets;
  }
  const std::int64_t count = per_instance ? s.n * s.c : s.c;
  std::vector<statistics::set_moments> sets(static_cast<std::size_t>(count));
  const kernels::channel_moments_args args{x, s, per_instance, sets.data(), type};
  // Static ranges, as nhwc_moments' (the kernel takes planes last to first).
  run_items(p, kernels::nchw_channel_moments_kernel{}, args, count, s.n * s.c * s.spatial,
            parallel_threshold, true);
  return sets;
}

// The normalisation's arguments over ws's factors (hi, scale, shift), y
// streamed past the last-level cache (stream_output; input_read_before as
// there).
kernels::channel_affine_args affine_args(const dispatch::path& p, const void* x, const shape& s,
                                         std::int64_t factors_per_sample, channel_workspace& ws,
                                         void* y, activation act, dtype type,
                                         bool input_read_before) {
  const std::int64_t bytes = distinct_tensors({x, y}) * s.n * s.c * s.spatial * element_size(type);
  return kernels::channel_affine_args{x,
                                      s,
                                      factors_per_sample,
                                      ws.hi.data(),
                                      ws.scale.data(),
                                      ws.shift.data(),
                                      y,
                                      false,
                                      stream_output(p, bytes, input_read_before),
                                      act,
                                      type};
}

}  // namespace

channel_steps::channel_steps(const dispatch::path& p) : path_(p) {
  SIMDNORM_DEBUG_ASSERT(p.level != dispatch::isa::scalar);
}

std::size_t channel_workspace::scratch_bytes(const shape& s) {
  constexpr std::size_t line = 64;
  return (nhwc_moments_sizes(s, s.spatial).scratch_bytes + line - 1) / line * line;
}

void channel_workspace::reserve(const shape& s, std::int64_t groups, std::byte* given_scratch) {
  SIMDNORM_DEBUG_ASSERT(s.layout == layout::nhwc && groups > 0 && s.c % groups == 0);
  const nhwc_moments_sizes sizes(s, s.spatial);
  scratch = given_scratch;
  scratch_size = scratch_bytes(s);
  chunk_weights.reserve(static_cast<std::size_t>(sizes.chunks_per_set));
  channel_weights.reserve(static_cast<std::size_t>(s.c / groups));
  sets.reserve(static_cast<std::size_t>(sizes.set_count * groups));
  const auto per_instance = static_cast<std::size_t>(s.n * s.c);
  normalizers.reserve(per_instance);
  hi.reserve(per_instance);
  scale.reserve(per_instance);
  shift.reserve(per_instance);
}

std::vector<statistics::set_moments> channel_steps::batch_moments(const void* x, const shape& s,
                                                                  dtype type) const {
  if (s.layout == layout::nhwc) {
    channel_workspace ws;
    return std::move(nhwc_moments(path_, x, type, s, s.n * s.spatial, 1, ws));
  }
  return nchw_moments(path_, x, type, s, false);
}

std::vector<statistics::set_moments> channel_steps::instance_moments(const void* x, const shape& s,
                                                                     dtype type) const {
  if (s.layout == layout::nhwc) {
    channel_workspace ws;
    return std::move(nhwc_moments(path_, x, type, s, s.spatial, 1, ws));
  }
  return nchw_moments(path_, x, type, s, true);
}

std::vector<statistics::set_moments> channel_steps::group_moments(const void* x, const shape& s,
                                                                  std::int64_t groups,
                                                                  dtype type) const {
  SIMDNORM_DEBUG_ASSERT(s.layout == layout::nhwc && groups > 0 && s.c % groups == 0);
  channel_workspace ws;
  return std::move(nhwc_moments(path_, x, type, s, s.spatial, s.c / groups, ws));
}

const std::vector<statistics::set_moments>& channel_steps::group_moments(
    const void* x, const shape& s, std::int64_t groups, dtype type,
    channel_workspace& workspace) const {
  SIMDNORM_DEBUG_ASSERT(s.layout == layout::nhwc && groups > 0 && s.c % groups == 0);
  return nhwc_moments(path_, x, type, s, s.spatial, s.c / groups, workspace);
}

std::vector<statistics::set_normalizer> channel_steps::normalizers_of(
    const std::vector<statistics::set_moments>& moments, float eps) const {
  std::vector<statistics::set_normalizer> sets(moments.size());
  const kernels::moment_normalizers_args args{moments.data(), eps, sets.data()};
  dispatch::call_on_isa(path_.level, kernels::moment_normalizers_kernel{}, args, std::int64_t{0},
                        static_cast<std::int64_t>(moments.size()));
  return sets;
}

void channel_steps::normalize(const void* x, const shape& s,
                              const std::vector<statistics::set_normalizer>& sets,
                              bool per_instance, const float* gamma, const float* beta, void* y,
                              activation act, dtype type, bool input_read_before) const {
  channel_workspace ws;
  normalize(x, s, sets, per_instance, gamma, beta, y, act, type, ws, input_read_before);
}

void channel_steps::normalize(const void* x, const shape& s,
                              const std::vector<statistics::set_normalizer>& sets,
                              bool per_instance, const float* gamma, const float* beta, void* y,
                              activation act, dtype type, channel_workspace& ws,
                              bool input_read_before) const {
  SIMDNORM_DEBUG_ASSERT(sets.size() == static_cast<std::size_t>(per_instance ? s.n * s.c : s.c));
  // 64-byte aligned: every AVX-512 load of a row of factors then stays in
  // one cache line (a heap vector's 16 bytes left most of them split, and
  // the NHWC normalisation's speed to wherever the allocator put them).
  ws.hi.resize(sets.size());
  ws.scale.resize(sets.size());
  ws.shift.resize(sets.size());
  float* const hi = ws.hi.data();
  float* const scale = ws.scale.data();
  // In the call's instruction set's file (kernels/channel_kernels-inl.hpp),
  // vectorised: every call pays this loop before its first output.
  const kernels::channel_factors_args factors{sets.data(), s.c,   gamma,          beta,
                                              hi,          scale, ws.shift.data()};
  dispatch::call_on_isa(path_.level, kernels::channel_factors_kernel{}, factors, std::int64_t{0},
                        static_cast<std::int64_t>(sets.size()));
  const std::int64_t elements = s.n * s.c * s.spatial;
  const kernels::channel_affine_args args =
      affine_args(path_, x, s, per_instance ? s.c : 0, ws, y, act, type, input_read_before);
  if (s.layout == layout::nchw) {
    // NCHW runs halve per plane in the kernel.
    run_items(path_, kernels::channel_affine_kernel{}, args, s.n * s.c, elements);
    return;
  }
  // An NHWC row mixes its sample's factors in one vector, so a set whose x -
  // mean could overflow halves its sample, or the call where the sets are
  // per channel (statistics/normalizer.hpp): the same bits for every other
  // set, unless its data or its differences from the mean are below 2^-125,
  // where x/2 rounds. Per sample rather than per call, so that a sample's
  // bits are the same whether it is normalised alone (the per-sample
  // pipelines of api/group_norms.cpp) or with the others.
  //
  // halve: halves the factors of sets [first, last) where one of them needs it;
  // whether it did.
  const auto halve = [&](std::size_t first, std::size_t last) {
    bool halved = false;
    for (std::size_t i = first; i < last && !halved; ++i) {
      halved = statistics::subtraction_may_overflow(hi[i]);
    }
    for (std::size_t i = first; halved && i < last; ++i) {
      hi[i] *= 0.5f;
      scale[i] *= 2.0f;
    }
    return halved;
  };
  // Per-channel sets, or one sample: the call is one sample.
  const bool samples_apart = per_instance && s.n > 1;
  if (!samples_apart || std::none_of(hi, hi + sets.size(), statistics::subtraction_may_overflow)) {
    kernels::channel_affine_args whole = args;
    whole.halved_input = !samples_apart && halve(0, sets.size());
    run_items(path_, kernels::channel_affine_kernel{}, whole, s.n * s.spatial, elements);
    return;
  }
  // Rare: some samples halve, some perhaps not. One sample at a time.
  const std::int64_t bytes = s.c * s.spatial * element_size(type);
  for (std::int64_t n = 0; n < s.n; ++n) {
    const auto first = static_cast<std::size_t>(n * s.c);
    kernels::channel_affine_args sample = args;
    sample.x = static_cast<const std::byte*>(x) + n * bytes;
    sample.y = static_cast<std::byte*>(y) + n * bytes;
    sample.s.n = 1;
    sample.mean_hi = hi + first;
    sample.scale = scale + first;
    sample.shift = ws.shift.data() + first;
    sample.halved_input = halve(first, first + static_cast<std::size_t>(s.c));
    run_items(path_, kernels::channel_affine_kernel{}, sample, s.spatial, s.c * s.spatial);
  }
}

// Batch-norm training NCHW read each channel's planes from L3 (or memory)
// twice, the statistics of every channel first: per block of channels
// instead, the normalisation finds them in L2. C API, 2-core Xeon VM (2 MiB
// L2), 3 alternating runs, us, 1 / 2 threads: 8 x 256 x 56 x 56 2834 ->
// 2168 / 1384 -> 1014, 8 x 512 x 28 x 28 1457 -> 1131 / 731 -> 550, 1 x 64
// x 112 x 112 332 -> 250 / 119 -> 113, 8 x 2048 x 7 x 7 921 -> 854 / 447
// -> 423; past the last-level cache (streamed), 32 x 256 x 56 x 56 12737 ->
// 10454 / 6238 -> 5150.
bool channel_steps::normalize_channel_by_channel(
    const void* x, const shape& s, dtype type,
    const std::function<statistics::set_normalizer(const statistics::set_moments&)>& normaliser_of,
    const float* gamma, const float* beta, void* y, activation act,
    std::vector<statistics::set_moments>& channels,
    std::vector<statistics::set_normalizer>& sets) const {
  const std::int64_t channel_bytes = s.n * s.spatial * element_size(type);
  const std::int64_t block_bytes = level2_cache_bytes() / 2;
  if (s.layout != layout::nchw || channel_bytes > block_bytes || split_channels_along_n(path_, s)) {
    return false;
  }
  const auto count = static_cast<std::size_t>(s.c);
  channels.assign(count, statistics::set_moments{});
  sets.assign(count, statistics::set_normalizer{});
  channel_workspace ws;
  ws.hi.resize(count);
  ws.scale.resize(count);
  ws.shift.resize(count);
  const std::int64_t elements = s.n * s.c * s.spatial;
  const kernels::channel_moments_args moments{x, s, false, channels.data(), type};
  const kernels::channel_factors_args factors{
      sets.data(), s.c, gamma, beta, ws.hi.data(), ws.scale.data(), ws.shift.data()};
  // The second read comes from L2: as one read.
  const kernels::channel_affine_args affine = affine_args(path_, x, s, 0, ws, y, act, type, false);
  const std::int64_t per_block = std::max<std::int64_t>(block_bytes / channel_bytes, 1);
  run_scalar_items(path_, s.c, elements, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t c0 = first; c0 < last; c0 += per_block) {
      const std::int64_t c1 = std::min(c0 + per_block, last);
      dispatch::call_on_isa(path_.level, kernels::nchw_channel_moments_kernel{}, moments, c0, c1);
      for (std::int64_t c = c0; c < c1; ++c) sets[c] = normaliser_of(channels[c]);
      dispatch::call_on_isa(path_.level, kernels::channel_factors_kernel{}, factors, c0, c1);
      for (std::int64_t n = 0; n < s.n; ++n) {
        dispatch::call_on_isa(path_.level, kernels::channel_affine_kernel{}, affine, n * s.c + c0,
                              n * s.c + c1);
      }
    }
  });
  return true;
}

}  // namespace simdnorm::schedule
