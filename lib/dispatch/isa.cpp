#include "dispatch/isa.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <optional>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace simdnorm::dispatch {

namespace {

constexpr isa all_levels[] = {isa::scalar, isa::sse2,   isa::sse4_2,
                              isa::avx2,   isa::avx512, isa::neon64};

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register state the OS saves on a context switch. A CPU with
// AVX-512 under an OS (or hypervisor) that does not enable the ZMM state
// faults on the first AVX-512 instruction; xsimd 8.1 does not check this.
unsigned long long xcr0() {
  unsigned int eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

isa detect() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return isa::scalar;
  const bool sse2 = (edx >> 26) & 1u;
  const bool sse4_2 = (ecx >> 20) & 1u;
  const bool fma = (ecx >> 12) & 1u;
  const bool osxsave = (ecx >> 27) & 1u;
  const bool avx = (ecx >> 28) & 1u;
  if (!sse2) return isa::scalar;
  if (!sse4_2) return isa::sse2;
  const unsigned long long xcr = osxsave ? xcr0() : 0;
  const bool ymm_state = (xcr & 0x6u) == 0x6u;    // XMM and YMM
  const bool zmm_state = (xcr & 0xe6u) == 0xe6u;  // plus opmask and ZMM
  if (!(avx && fma && ymm_state)) return isa::sse4_2;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return isa::sse4_2;
  const bool avx2 = (ebx >> 5) & 1u;
  if (!avx2) return isa::sse4_2;
  const bool avx512 = ((ebx >> 16) & 1u) && ((ebx >> 17) & 1u) &&  // F, DQ
                      ((ebx >> 28) & 1u) && ((ebx >> 30) & 1u);    // CD, BW
  return avx512 && zmm_state ? isa::avx512 : isa::avx2;
}
#elif defined(__aarch64__)
// Advanced SIMD is part of the AArch64 base architecture.
isa detect() { return isa::neon64; }
#else
isa detect() { return isa::scalar; }
#endif

isa environment_cap() {
  const char* value = std::getenv("SIMDNORM_ISA");
  if (value == nullptr || *value == '\0') return isa::neon64;
  // An unknown name caps nothing rather than failing every call; the test
  // entries only set known names.
  return parse_isa(value).value_or(isa::neon64);
}

// Set by set_max_isa; atomic so that a concurrent call sees either level.
std::atomic<int> api_cap{static_cast<int>(isa::neon64)};

}  // namespace

const char* name_of(isa level) {
  switch (level) {
    case isa::scalar:
      return "scalar";
    case isa::sse2:
      return "sse2";
    case isa::sse4_2:
      return "sse4.2";
    case isa::avx2:
      return "avx2";
    case isa::avx512:
      return "avx512";
    case isa::neon64:
      return "neon64";
  }
  return "unknown";
}

std::optional<isa> parse_isa(std::string_view name) {
  for (isa level : all_levels) {
    if (name == name_of(level)) return level;
  }
  return std::nullopt;
}

isa detected_isa() {
  static const isa detected = detect();
  return detected;
}

isa active_isa() {
  static const isa from_environment = environment_cap();
  const isa from_api = static_cast<isa>(api_cap.load(std::memory_order_relaxed));
  return std::min({detected_isa(), from_environment, from_api});
}

void set_max_isa(isa level) { api_cap.store(static_cast<int>(level), std::memory_order_relaxed); }

}  // namespace simdnorm::dispatch
