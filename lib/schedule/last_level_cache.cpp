#include "schedule/last_level_cache.hpp"

#include <cstdint>

#if defined(__unix__)
#include <unistd.h>
#endif

namespace simdnorm::schedule {

namespace {

// A Zen 4 core complex's L3; the common case where the system does not say.
constexpr std::int64_t fallback_bytes = std::int64_t{32} << 20;

// Above any last-level cache one core reaches today (Sapphire Rapids: 105
// MiB a socket; Zen 4 with 3D V-Cache: 96 MiB a complex). Larger figures
// come from hypervisors summing every cache of the host (this project's VM
// reports 508 MiB), and would switch non-temporal stores off for good.
constexpr std::int64_t plausible_bytes = std::int64_t{256} << 20;

// What sysconf reports for a cache-size name, or 0 (also where the system
// has no such name: `name` is then -1).
std::int64_t reported_bytes(int name) {
#if defined(__unix__)
  if (name >= 0) {
    const long bytes = sysconf(name);
    if (bytes > 0) return bytes;
  }
#else
  (void)name;
#endif
  return 0;
}

// The L3's size, or 0. Not the L2's where no L3 is reported: a CPU whose L3
// the system does not describe may still have one, and taking a 1-2 MiB L2
// for the last level would stream the output of calls that fit in it.
#if defined(_SC_LEVEL3_CACHE_SIZE)
constexpr int level3_name = _SC_LEVEL3_CACHE_SIZE;
#else
constexpr int level3_name = -1;
#endif
#if defined(_SC_LEVEL1_DCACHE_SIZE)
constexpr int level1_name = _SC_LEVEL1_DCACHE_SIZE;
#else
constexpr int level1_name = -1;
#endif

}  // namespace

std::int64_t level1_data_cache_bytes() {
  // Computed once, at the first call (thread-safe), constant after. Above 1
  // MiB no core's L1 is: a figure that large is not one.
  static const std::int64_t bytes = [] {
    constexpr std::int64_t smallest = std::int64_t{32} << 10, largest = std::int64_t{1} << 20;
    const std::int64_t reported = reported_bytes(level1_name);
    return reported > 0 && reported <= largest ? reported : smallest;
  }();
  return bytes;
}

std::int64_t last_level_cache_bytes() {
  // Computed once, at the first call (thread-safe), constant after.
  static const std::int64_t bytes = [] {
    const std::int64_t reported = reported_bytes(level3_name);
    return reported > 0 && reported <= plausible_bytes ? reported : fallback_bytes;
  }();
  return bytes;
}

}  // namespace simdnorm::schedule
