#include "schedule/last_level_cache.hpp"

#include <cstdint>

#if defined(__unix__)
#include <unistd.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace simdnorm::schedule {

namespace {

// Whether the CPU is Intel's, whose L3 is one cache shared by the whole
// socket (a mesh of slices that every core reaches), rather than AMD's, one
// L3 per core complex (32 MiB on Zen 2 to Zen 5).
bool intel_vendor() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return false;
  // "GenuineIntel", in the order ebx, edx, ecx.
  return ebx == 0x756e6547u && edx == 0x49656e69u && ecx == 0x6c65746eu;
#else
  return false;
#endif
}

// Above any last-level cache one core reaches in a share it can count on
// (Zen 4 with 3D V-Cache: 96 MiB a complex). Larger figures come from
// hypervisors summing every complex's cache (a 2-core Zen 5 VM here
// reported 508 MiB, its complex has 32), or from Intel's largest sockets
// (Granite Rapids: 480-504 MiB, shared with every other core and VM on it),
// and would switch non-temporal stores off for good.
constexpr std::int64_t plausible_bytes = std::int64_t{256} << 20;

// Where the system says nothing plausible: a Zen core complex's L3; on
// Intel, what a 2-core Xeon VM reporting 480 MiB (AMX, AVX-512 FP16) kept
// in use. Layer norm float32, rows of 4096, C API, best of 10-call batches
// over 2 s, its output streamed against stored, us: 1536 rows (48 MiB read
// and written) 2383 against 2115 at 1 thread, 1207 against 1064 at 2; 2048
// (64 MiB) 3204 against 3088, 1611 against 1460; 2560 (80 MiB) 4000 against
// 4875, 2028 against 2012; 3072 (96 MiB) 4879 against 6611, 2412 against
// 2609; 4096 (128 MiB) 6714 against 10775, 3280 against 4737. The
// crossover, 64-80 MiB at both thread counts, is three quarters of 96.
constexpr std::int64_t fallback_bytes = std::int64_t{32} << 20;
constexpr std::int64_t intel_fallback_bytes = std::int64_t{96} << 20;

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

// What the system reports for a cache-size name where it lies in [smallest,
// largest], fallback otherwise (nothing reported, or a figure no such cache
// has).
std::int64_t reported_within(int name, std::int64_t smallest, std::int64_t largest,
                             std::int64_t fallback) {
  const std::int64_t reported = reported_bytes(name);
  return reported >= smallest && reported <= largest ? reported : fallback;
}

// The L3's size, or 0. Not the L2's where no L3 is reported: a CPU whose L3
// the system does not describe may still have one, and taking a 1-2 MiB L2
// for the last level would stream the output of calls that fit in it.
#if defined(_SC_LEVEL3_CACHE_SIZE)
constexpr int level3_name = _SC_LEVEL3_CACHE_SIZE;
#else
constexpr int level3_name = -1;
#endif
#if defined(_SC_LEVEL2_CACHE_SIZE)
constexpr int level2_name = _SC_LEVEL2_CACHE_SIZE;
#else
constexpr int level2_name = -1;
#endif
#if defined(_SC_LEVEL1_DCACHE_SIZE)
constexpr int level1_name = _SC_LEVEL1_DCACHE_SIZE;
#else
constexpr int level1_name = -1;
#endif

}  // namespace

bool intel_cpu() {
  static const bool intel = intel_vendor();
  return intel;
}

std::int64_t level2_cache_bytes() {
  // Computed once, at the first call (thread-safe), constant after. 256 KiB
  // to 4 MiB: the L2s of x86 and Arm cores with vector units we target.
  static const std::int64_t bytes = reported_within(level2_name, std::int64_t{256} << 10,
                                                    std::int64_t{4} << 20, std::int64_t{1} << 20);
  return bytes;
}

std::int64_t level1_data_cache_bytes() {
  // Computed once, at the first call (thread-safe), constant after. Above 1
  // MiB no core's L1 is: a figure that large is not one.
  static const std::int64_t bytes =
      reported_within(level1_name, 1, std::int64_t{1} << 20, std::int64_t{32} << 10);
  return bytes;
}

std::int64_t last_level_cache_bytes() {
  // Computed once, at the first call (thread-safe), constant after.
  static const std::int64_t bytes = reported_within(
      level3_name, 1, plausible_bytes, intel_cpu() ? intel_fallback_bytes : fallback_bytes);
  return bytes;
}

streaming_thresholds streaming_thresholds_of_this_cpu() {
  // Computed once, at the first call (thread-safe), constant after.
  static const streaming_thresholds thresholds = [] {
    const std::int64_t cache = last_level_cache_bytes();
    if (intel_cpu()) {
      return streaming_thresholds{cache / 4 * 3, cache / 4 * 3, cache / 2, cache / 8 * 5};
    }
    return streaming_thresholds{cache / 2, cache, cache / 2, cache};
  }();
  return thresholds;
}

}  // namespace simdnorm::schedule
