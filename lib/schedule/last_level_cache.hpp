// The size of the last-level cache, for the schedules' choice of non-
// temporal stores (thread_policy.hpp).
#ifndef SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
#define SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_

#include <cstdint>

namespace simdnorm::schedule {

// What the system reports for the L3 (read once, then constant), or 32 MiB
// where it reports nothing or something implausible.
std::int64_t last_level_cache_bytes();

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_LAST_LEVEL_CACHE_HPP_
