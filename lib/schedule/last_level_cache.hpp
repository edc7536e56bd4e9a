// The sizes of the caches the schedules fit their work to: the last-level
// cache, for the choice of non-temporal stores (thread_policy.hpp), and the
// L1 data cache, for the NHWC statistics' tiles (channel_steps.cpp).
#ifndef SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
#define SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_

#include <cstdint>

namespace simdnorm::schedule {

// What the system reports for the L3 (read once, then constant), or 32 MiB
// where it reports nothing or something implausible.
std::int64_t last_level_cache_bytes();

// What the system reports for one core's L1 data cache (read once), or 32
// KiB, the smallest of the x86 cores with AVX-512, where it reports nothing
// or something implausible.
std::int64_t level1_data_cache_bytes();

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
