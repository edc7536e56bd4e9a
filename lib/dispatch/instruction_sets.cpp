#include "dispatch/instruction_sets.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace simdnorm::dispatch {

namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register state the OS saves on a context switch. xsimd 8.1
// does not check it.
unsigned long long xcr0() {
  unsigned int eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

std::uint32_t detected_features() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  std::uint32_t have = 0;
  const auto bit = [](unsigned int reg, int n) { return ((reg >> n) & 1u) != 0; };
  if (bit(edx, 26)) have |= feature::sse2;
  if (bit(ecx, 20)) have |= feature::sse4_2;
  if (bit(ecx, 12)) have |= feature::fma;
  if (bit(ecx, 29)) have |= feature::f16c;
  if (bit(ecx, 28)) have |= feature::avx;
  if (bit(ecx, 27)) {  // OSXSAVE: xgetbv is there to ask
    const unsigned long long xcr = xcr0();
    if ((xcr & 0x6u) == 0x6u) have |= feature::ymm_state;    // XMM and YMM
    if ((xcr & 0xe6u) == 0xe6u) have |= feature::zmm_state;  // plus opmask and ZMM
  }
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    if (bit(ebx, 5)) have |= feature::avx2;
    if (bit(ebx, 16)) have |= feature::avx512f;
    if (bit(ebx, 17)) have |= feature::avx512dq;
    if (bit(ebx, 28)) have |= feature::avx512cd;
    if (bit(ebx, 30)) have |= feature::avx512bw;
  }
  if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && bit(eax, 5)) {
    have |= feature::avx512bf16;
  }
  return have;
}
#elif defined(__aarch64__)
// Advanced SIMD is part of the AArch64 base architecture.
std::uint32_t detected_features() { return feature::neon; }
#else
std::uint32_t detected_features() { return 0; }
#endif

std::uint32_t features_here() {
  static const std::uint32_t have = detected_features();
  return have;
}

isa detect() {
  const std::uint32_t have = features_here();
  isa best = isa::scalar;
  for (const instruction_set& set : instruction_sets) {
    if ((set.features & have) == set.features) best = set.level;
  }
  return best;
}

isa environment_cap() {
  const char* value = std::getenv("SIMDNORM_ISA");
  if (value == nullptr || *value == '\0') return best_level;
  if (const std::optional<isa> level = parse_isa(value)) return *level;
  // An unknown name caps nothing rather than failing every call, but a typo
  // must not pass for a cap: said once, as the variable is read once, and
  // quoted in part as set_max_isa quotes its argument.
  constexpr int quoted = 32;
  const bool longer = std::string_view(value).size() > quoted;
  std::fprintf(stderr, "simdnorm: SIMDNORM_ISA=%.*s%s is not one of %s; ignored\n", quoted, value,
               longer ? "..." : "", accepted_names());
  return best_level;
}

isa from_environment() {
  static const isa cap = environment_cap();
  return cap;
}

// Set by set_max_isa; atomic so that a concurrent call sees either level
// (each call reads it once: dispatch/path.hpp).
std::atomic<int> api_cap{static_cast<int>(best_level)};

isa from_api() { return static_cast<isa>(api_cap.load(std::memory_order_relaxed)); }

// ASCII only, whatever the locale: the names are "avx2", "sse4.2" and the
// like, and "AVX2" names the same level.
bool same_ignoring_case(std::string_view a, std::string_view b) {
  const auto lower = [](char ch) {
    return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch;
  };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char p, char q) { return lower(p) == lower(q); });
}

std::string list_names() {
  std::string names;
  for (auto set = std::rbegin(instruction_sets); set != std::rend(instruction_sets); ++set) {
    names += set->name;
    names += ", ";
  }
  return names + "or best";
}

}  // namespace

const char* name_of(isa level) {
  for (const instruction_set& set : instruction_sets) {
    if (set.level == level) return set.name;
  }
  return "unknown";
}

std::optional<isa> parse_isa(std::string_view name) {
  if (same_ignoring_case(name, "best")) return best_level;
  for (const instruction_set& set : instruction_sets) {
    if (same_ignoring_case(name, set.name)) return set.level;
  }
  return std::nullopt;
}

const char* accepted_names() {
  static const std::string names = list_names();
  return names.c_str();
}

isa detected_isa() {
  static const isa detected = detect();
  return detected;
}

isa active_isa() { return std::min({detected_isa(), from_environment(), from_api()}); }

void set_max_isa(isa level) { api_cap.store(static_cast<int>(level), std::memory_order_relaxed); }

bool native_bfloat16_rounding() {
  static const bool native = [] {
    const char* value = std::getenv("SIMDNORM_NATIVE_BF16");
    const bool refused = value != nullptr && std::string_view(value) == "0";
    return !refused && (features_here() & feature::avx512bf16) != 0;
  }();
  return native;
}

const char* why_scalar() {
  if (detected_isa() == isa::scalar) return "no vector instruction set of this build on this CPU";
  if (from_environment() == isa::scalar) return "SIMDNORM_ISA=scalar";
  return "set_max_isa(scalar)";
}

}  // namespace simdnorm::dispatch
