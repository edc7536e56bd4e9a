// When a call's work is split across threads: every such decision of the
// schedules, in one place, each a function of the shape and of the arena
// size the call read once (dispatch/path.hpp). Whatever they decide, the
// bits do not change: work items are independent, and reductions are cut
// into chunks that depend on the shape alone and merge in a fixed order.
#ifndef SIMDNORM_LIB_SCHEDULE_THREAD_POLICY_HPP_
#define SIMDNORM_LIB_SCHEDULE_THREAD_POLICY_HPP_

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include "dispatch/instruction_sets.hpp"
#include "dispatch/path.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "schedule/last_level_cache.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::schedule {

// Below this many floats a call stays on the calling thread. Measured on 2
// cores (layer norm rows of 256, batch norm inference and training with 64
// channels, every call forced parallel; 1 vs 2 threads): 16K floats, one
// task's worth, gains nothing; 32K floats runs 1.12-1.60x faster on two
// threads, 64K 1.39-1.80x. So two tasks' worth is where splitting pays.
constexpr std::int64_t parallel_threshold = std::int64_t{1} << 15;

// Rows of layer and RMS norm stay on the calling thread below twice that:
// their kernels now take about 0.1 ns a float, so 32K floats are 3-5 us,
// of the order of what handing half of them to a second thread costs. On a
// 2-core Zen 5 VM, 2 threads, float32, medians of 7 runs of each build
// twice, time on one thread over time split in two: layer norm 8 x 4096
// 0.89, 128 x 256 0.81, 64 x 768 0.87, 16 x 2048 0.77; RMS norm 0.64-0.76
// at the same shapes. From 64K floats splitting wins some (layer norm 256 x
// 256 1.20, 128 x 768 1.17) and loses some (RMS norm 16 x 4096 0.84, layer
// norm 32 x 2048 0.92), so the threshold stops there. (Not measured past
// 2 cores: where waking a worker costs less, splitting may pay earlier.)
// bfloat16 layer norm gained alike (8 x 4096 0.84, 16 x 2048 0.83); a
// residual added first (add_layer_norm) did not, float32 or bfloat16 (64 x
// 768 1.24-1.28, 128 x 256 1.15-1.18), so those rows keep the 32K
// threshold.
constexpr std::int64_t rows_parallel_threshold = 2 * parallel_threshold;

// The threshold of a call over whole contiguous sets: rows' for rows (one
// affine parameter an element) without a residual add, parallel_threshold
// for every other set, and for rows too on Intel, where splitting 32K floats
// won: 2-core Xeon VM, 2 threads, C API, best of 10-call batches, us, split
// against one thread: layer norm 8 x 4096 4.4 against 5.9 (oneDNN 2.6 4.7
// in the reference run), 16 x 2048 4.1 against 5.4, 64 x 768 5.3 against
// 8.0, 128 x 256 4.4 against 5.9; RMS norm 8 x 4096 3.9 against 4.9.
// (rows_parallel_threshold is Zen 5's measurement.)
inline std::int64_t whole_sets_threshold(bool rows, bool adds_residual) {
  return rows && !adds_residual && !intel_cpu() ? rows_parallel_threshold : parallel_threshold;
}

// Work per task: about 16K floats (64 KiB), a few L2-sized chunks per core.
constexpr std::int64_t floats_per_task = std::int64_t{1} << 14;

// A merge of two sets' moments in double weighs as one float of a vector
// kernel when run_scalar_items decides whether merges are worth splitting:
// so they split only from parallel_threshold (32K) merges. The merge loops
// run independent merges side by side, 0.6 ns each on Zen 4 at 1 thread;
// split over threads, each reads partials another core wrote, and with a
// weight of 32 (parallel from 1K merges) group norm 2 x 640 x 32 x 32 spent
// 13-19 us at 2 threads on merges that take 9 on one: serial, that call and
// NHWC per-channel moments ran 4-10% faster at 2 threads.
constexpr std::int64_t floats_per_merge = 1;

// Whether items independent work items holding floats floats in all go to
// oneTBB rather than run on the calling thread, from threshold floats.
inline bool run_in_parallel(const dispatch::path& p, std::int64_t items, std::int64_t floats,
                            std::int64_t threshold = parallel_threshold) {
  return items > 1 && floats >= threshold && p.threads() > 1;
}

// Items per oneTBB task: about floats_per_task floats.
inline std::int64_t grain_of(std::int64_t floats_per_item) {
  return floats_per_item >= floats_per_task ? 1 : floats_per_task / floats_per_item;
}

// Contiguous sets (rows, NCHW groups): whole sets keep each set in one core's
// cache from its statistics to its normalisation, so they win whenever they
// keep every thread busy; a set cut into chunks is read twice (the second
// time from the cache of the thread that read it first), but lets several
// threads share it. So sets are cut when they are fewer than twice the
// threads, long enough to have several chunks, and the call is worth
// splitting at all.
inline bool split_sets_into_chunks(const dispatch::path& p, std::int64_t sets,
                                   std::int64_t chunks_per_set, std::int64_t floats) {
  return chunks_per_set > 1 && floats >= parallel_threshold && p.threads() > 1 &&
         sets < 2 * p.threads();
}

// Whether a call writes its output with non-temporal stores: when what it
// reads and writes (bytes) fills the share of the last-level cache its
// threads can count on (streaming_thresholds_of_this_cpu), so that its
// output would not stay in cache for the next operation anyway. On AMD half
// of it a thread and all of it from two: one core cannot count on the whole
// of its complex's L3 (on Intel, whose L3 serves the socket, a 2-core VM
// kept as much in use at 1 thread as at 2: last_level_cache.cpp). On the 2-core
// Zen 4 VMs (32 MiB L3 reported) one thread's repeated reads of a buffer
// ran at 82 GB/s for 8 MiB, 51 for 16, 29 for 24 and 20 for 32, memory's
// speed (2 threads: 119, 102, 69, 51). The store then skips reading each
// line of y before writing it, a third of the memory traffic of a one-read
// method. Used by the per-channel normalisation (batch norm, NHWC group and
// instance norm). Measured with 1 thread on a 32 MiB-L3 Zen 4: NHWC
// batch-norm inference 8 x 64 x 112 x 112 (51 MiB) 1.10-1.26x faster, NHWC
// batch-norm training 8 x 256 x 56 x 56 1.07x, NHWC group norm 8 x 256 x 56
// x 56 1.06x. Float32 rows and NCHW groups stream y and a fused add's sum
// (contiguous_set_kernels-inl.hpp): on a 2-core Zen 5, medians of 3-6
// alternating runs, 1 / 2 threads, layer norm 2048 x 4096 1.08x / 1.24x
// faster, 8192 x 1024 1.27x / 1.38x, 32768 x 128 1.18x / 1.17x; layer norm
// of x + residual + bias with the sum, 512 x 8192, 1.11x / 1.22x; NCHW group
// norm 8 x 256 x 56 x 56 G=32 1.14x / 1.21x, 4 x 128 x 128 x 128 G=128 1.18x
// / 1.14x. (At 1 thread on a Zen 4 they had measured 1.00x.) Rows also
// prefetch their next rows past the same size (contiguous_sets.cpp).
// Between half the cache and all of it, 1 thread, Zen 4, 2-3 alternating
// runs, the whole cache's threshold against half of it: NHWC batch-norm
// training 8 x 512 x 28 x 28 (25.7 MB) 10.7-11.7 -> 20.8-24.2 GB/s, NHWC
// batch-norm inference of it 29 -> 49-50, layer norm 2560 x 1024 20-21 ->
// 30-35, RMS norm 3584 x 1024 14 -> 32-39, 40000 x 64 40 -> 42-44. At 2
// threads half the cache lost, 3 alternating runs: NCHW batch-norm inference
// 8 x 512 x 28 x 28 120-137 GB/s with ordinary stores, 90-94 streamed; layer
// norm 2560 x 1024 67-74 and 64-68; only RMS norm 3584 x 1024 (28 MiB) was
// faster streamed, 75-78 against 61-72.
// Below that, ordinary stores keep y in cache for its reader.
// Below the one-thread threshold no thread count streams, so a small call
// does not read its thread count (a lock in oneTBB, dispatch/path.cpp) to
// find that.
//
// input_read_before: the call's statistics have just read x, which the
// normalisation reads again, so y's writes must also leave x in cache
// between the two reads (streaming_thresholds' two_reads pair). Instance
// norm NHWC 4 x 128 x 128 x 128 (x and y 67 MB) on the 2-core Xeon VM, 1
// thread, ran 5568 us with ordinary stores and 4078 streamed; group norm 6
// x 320 x 64 x 64 (63 MB) 6733 and 3648; batch-norm training 8 x 256 x 56
// x 56 (51 MB) 3286 and 2889; but instance norm 3 x 128 x 128 x 128 (50
// MB) at 2 threads 1358 and 1407, and 34 MB or less even or slower.
inline bool stream_output(const dispatch::path& p, std::int64_t bytes,
                          bool input_read_before = false) {
  const streaming_thresholds t = streaming_thresholds_of_this_cpu();
  const std::int64_t one = input_read_before ? t.two_reads_one_thread : t.one_thread;
  const std::int64_t more = input_read_before ? t.two_reads_more_threads : t.more_threads;
  if (bytes < one) return false;
  return bytes >= more || p.threads() < 2;
}

// Whether a call's bytes fit in `fits` bytes of cache per thread, all its
// threads together. A call within one thread's share does not read its
// thread count (a lock in oneTBB, as for stream_output).
inline bool fits_in_threads_caches(const dispatch::path& p, std::int64_t bytes, std::int64_t fits) {
  return bytes <= fits || bytes <= fits * std::max<std::int64_t>(p.threads(), 1);
}

// Whether float32 rows of layer and RMS norm (and the kernels that share
// theirs) go through statistics and normalisation one at a time, rather than in
// groups of 32 KiB (contiguous_set_kernels-inl.hpp): on Intel, rows of d >= 256
// floats whose call's tensors do not fit in its threads' L2s (bytes read and
// written, split over the threads), up to d = 3072, and at any d from 768
// once the output streams. The rows then come from L3 or memory; likely one row's stores
// drain while the next row is read, where a group's stores came all at once
// after all its reads (not verified with counters). 2-core Xeon VM (2 MiB L2),
// C API, best of 10-call batches, layer norm float32, us, one at a time against
// groups: 1 thread, 512 x 1024 144 against 159, 1024 x 1024 295 against 328,
// 2048 x 768 487 against 520, 1024 x 1536 477 against 558, 512 x 2048 312
// against 331, 1024 x 3072 1020 against 1042, but 512 x 4096 725 against 695,
// and 2048 x 512 and 4096 x 256 within 1%; streamed, 16384 x 1024 5581 against
// 6502 at 1 thread and 2637 against 3057 at 2, 8192 x 2048 5572 against 6345,
// 4096 x 4096 6129 against 6674 and 3034 against 3233; 2 threads, 512 x 2048
// 154 against 166, but 512 x 1024 (exactly 2 MiB a thread) 59 against 56-59, so
// a call must exceed its threads' L2s; in L2 groups win (128 x 768 19.3 against
// 15.9 at 1 thread). RMS norm 512 x 1024 139 against 147. 16-bit rows lost one
// at a time (bfloat16 512 x 1024 111 against 94 us), so they keep their groups;
// AMD, not measured, too. From d = 256 since s35: 1 thread, 3 alternating
// runs (2 at 2 threads), us, one at a time against groups: 8192 x 256 656
// against 701, 4096 x 512 629 against 681, 4096 x 256 323 against 344,
// 2048 x 512 316 against 336, 16384 x 256 1340 against 1408; 2 threads
// 8192 x 256 335 against 353, 4096 x 512 339 against 348 (oneDNN 2.6 still
// ahead: 574, 573, 283, 283, 1158; 284, 285). Same bits either way (the
// probe's outputs compared, d = 256, 300, 384, 512, 1 and 2 threads). But
// not once they stream: 204800 x 256 (400 MiB) took 33.8 ms one at a time
// against 30.7 in groups at 1 thread, 17.3 against 15.3 at 2 (likely: one row's
// prefetch reaches one short row ahead, a group's a group ahead).
//
// Rows whose sweeps the AVX-512 kernels unroll (kernels::known_row_lengths)
// go one at a time from calls above three quarters of the threads' L2s,
// where groups lost to them (why, not verified with counters). Same VM, one
// at a time unrolled against groups, us: 1 thread, 256 x 1024 (2 MiB) 41
// against 50, 341 x 768 43 against 49; 2 threads, 512 x 1024 47 against 53,
// 682 x 768 49 against 55 (oneDNN 2.6: 39, 38, 42, 41). At three quarters,
// 192 x 1024 27 against 29 and 256 x 768 30 against 29; below, 128 x 1024
// 18 against 18 and 192 x 768 22 against 20. Rows of 512 too (450 x 512, 1
// thread, 39.5 against 44.7), but not 256, which keep the whole L2 (900 x
// 256 52.0 against 48.1). Past the L2s, unrolled against the loops, 1
// thread: 8192 x 256 580 against 671, 16384 x 256 1188 against 1402, 4096 x
// 512 581 against 646; 2 threads 294 against 348 and 311 against 363
// (oneDNN 2.6: 578, 1172, 577; 296, 290).
inline bool rows_one_at_a_time(const dispatch::path& p, dtype type, std::int64_t d,
                               std::int64_t bytes, bool streamed) {
  if (!intel_cpu() || type != dtype::float32 || d < 256) return false;
  if ((d > 3072 && !streamed) || (d < 768 && streamed)) return false;
  const std::int64_t l2 = level2_cache_bytes();
  const bool avx512 = (dispatch::features_of(p.level) & dispatch::feature::avx512f) != 0;
  const std::int64_t fits = kernels::is_known_row_length(d) && d >= 512 && avx512 ? l2 / 4 * 3 : l2;
  return !fits_in_threads_caches(p, bytes, fits);
}

// Whether a call over contiguous sets hands them to its threads in fixed
// ranges (oneTBB's static partitioner: the same sets to the same threads in
// every call of the same shape) rather than balancing them as they go:
// where each thread's share of what the call reads and writes (bytes) fits
// in its L2, a call repeated on the same tensors, or one after a producer
// that split them alike, finds each thread's rows in its own L2 rather than
// in another core's. 2-core Xeon VM, 2 threads, C API, best of 10-call
// batches, 3 alternating runs, us, fixed against balanced: layer norm 512 x
// 1024 46.9 against 49.6, 128 x 768 8.6 against 8.9, 256 x 1024 20.1
// against 20.7, 8 x 4096 3.9 against 4.1, 2048 x 128 30.1 against 30.5
// (oneDNN 2.6, whose OpenMP loop is static too: 45.2, 8.0); but 65536 x 64
// (32 MiB) 678 against 656, so not past the L2s. A call within one L2 does
// not read its thread count (fits_in_threads_caches).
inline bool keeps_threads_on_their_sets(const dispatch::path& p, std::int64_t bytes) {
  return fits_in_threads_caches(p, bytes, level2_cache_bytes());
}

// How many distinct tensors of a call's buffers (null ones left out) its
// memory holds, for stream_output's bytes: an output written in place over
// an input (y over x, a fused add's sum over its residual) is one tensor,
// read and written once. Counted as two, a call in place of 8 to 16 MiB
// streamed its output from a cache it fitted in. Layer norm 512 x 4096 and
// 768 x 4096 in place, 1 thread, 2-core Zen 4, best of 5 alternating runs:
// 19.0 -> 48.1 and 18.4 -> 43.1 GB/s; 1024 x 4096 and 1536 x 4096 at 2
// threads 35.4 -> 90.0 and 36.1 -> 76.1; NHWC batch-norm inference in place,
// 1 thread, 8 x 256 x 32 x 32 357-375 -> 203-204 us and 8 x 512 x 28 x 28
// 550-602 -> 293-298 (3 alternating runs).
inline std::int64_t distinct_tensors(std::initializer_list<const void*> buffers) {
  std::int64_t count = 0;
  for (auto it = buffers.begin(); it != buffers.end(); ++it) {
    if (*it != nullptr && std::find(buffers.begin(), it, *it) == it) ++count;
  }
  return count;
}

// Whether a call that reads and writes bytes in all (its input and an
// output of its size) likely finds its input in the last-level cache, where
// whoever wrote it left it, and leaves room there for the rest: at most
// three quarters of the cache. What NHWC statistics are tiled for
// (channel_steps.cpp) and what per-sample pipelines need (group_norms.cpp).
inline bool stays_in_cache(std::int64_t bytes) { return bytes <= last_level_cache_bytes() / 4 * 3; }

// NCHW batch statistics: with fewer channels than twice the threads, each
// channel's n planes are reduced in parallel (split along n, DESIGN.md
// section 3) and merged in sample order, as one thread merges them.
inline bool split_channels_along_n(const dispatch::path& p, const shape& s) {
  return s.n > 1 && s.c < 2 * p.threads();
}

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_THREAD_POLICY_HPP_
