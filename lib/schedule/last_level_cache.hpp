// The sizes of the caches the schedules fit their work to: the last-level
// cache, for the choice of non-temporal stores (thread_policy.hpp), and the
// L1 data cache, for the NHWC statistics' tiles (channel_steps.cpp).
#ifndef SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
#define SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_

#include <cstdint>

namespace simdnorm::schedule {

// What the system reports for the L3 (read once, then constant), or, where
// it reports nothing or something implausible, 96 MiB on Intel and 32 MiB
// elsewhere (last_level_cache.cpp says why).
std::int64_t last_level_cache_bytes();

// The bytes (read and written, as stream_output counts them) from which a
// call's output no longer stays in the last-level cache for its reader, at
// one thread and at two or more: half of the cache and all of it where the
// L3 serves a core complex (AMD), three quarters of it at every thread
// count where it serves the whole socket (Intel). Read once, then constant.
// The two_reads pair is for a normalisation whose statistics read x just
// before (x must then stay in cache while y is written): on Intel half of
// the cache at one thread and five eighths from two (thread_policy.hpp,
// stream_output); elsewhere the same as the others.
struct streaming_thresholds {
  std::int64_t one_thread;
  std::int64_t more_threads;
  std::int64_t two_reads_one_thread;
  std::int64_t two_reads_more_threads;
};
streaming_thresholds streaming_thresholds_of_this_cpu();

// What the system reports for one core's L2 (read once), or 1 MiB (Zen 4's)
// where it reports nothing or something implausible.
std::int64_t level2_cache_bytes();

// Whether the CPU is Intel's (read once): cores whose L3 is one cache for
// the whole socket, reached over a mesh, which the schedules' measured
// choices (streaming, rows one at a time) distinguish from AMD's.
bool intel_cpu();

// What the system reports for one core's L1 data cache (read once), or 32
// KiB, the smallest of the x86 cores with AVX-512, where it reports nothing
// or something implausible.
std::int64_t level1_data_cache_bytes();

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
