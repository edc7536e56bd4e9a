// The instruction sets of this build, what the CPU has, and the level the
// kernels may use now. The list itself is cmake/instruction_sets.cmake, read
// here through the header CMake generates from it for the target's CPU
// family (dispatch/instruction_set_list.inc), so that names, levels, CPU
// detection, the per-instruction-set translation units and the ctest entries
// never disagree.
#ifndef SIMDNORM_LIB_DISPATCH_INSTRUCTION_SETS_HPP_
#define SIMDNORM_LIB_DISPATCH_INSTRUCTION_SETS_HPP_

#include <cstdint>
#include <optional>
#include <string_view>

namespace simdnorm::dispatch {

// CPU and OS features an instruction set of the list requires; the ones of
// the other CPU family are never detected.
namespace feature {
enum : std::uint32_t {
  sse2 = 1u << 0,
  sse4_2 = 1u << 1,
  avx = 1u << 2,
  fma = 1u << 3,
  avx2 = 1u << 4,
  // The OS saves the YMM (and ZMM, opmask) register state on a context
  // switch (XCR0): a CPU with AVX-512 under an OS or hypervisor that does not
  // enable it faults on the first AVX-512 instruction.
  ymm_state = 1u << 5,
  avx512f = 1u << 6,
  avx512cd = 1u << 7,
  avx512dq = 1u << 8,
  avx512bw = 1u << 9,
  zmm_state = 1u << 10,
  neon = 1u << 11,
  f16c = 1u << 12,
  // Not a level's requirement: see native_bfloat16_rounding.
  avx512bf16 = 1u << 13,
};
}  // namespace feature

// Levels from the scalar path up to this build's best instruction set: each
// level runs wherever the CPU has its features, and a cap at one level allows
// it and those below.
enum class isa : int {
  scalar = 0,
#define SIMDNORM_INSTRUCTION_SET(id, name, arch, features) id,
#include "dispatch/instruction_set_list.inc"
#undef SIMDNORM_INSTRUCTION_SET
};

struct instruction_set {
  isa level;
  const char* name;        // as SIMDNORM_ISA and set_max_isa take it
  std::uint32_t features;  // what detection requires (feature::)
};

// The scalar path, then this build's instruction sets, level by level.
inline constexpr instruction_set instruction_sets[] = {
    {isa::scalar, "scalar", 0},
#define SIMDNORM_INSTRUCTION_SET(id, name, arch, features) {isa::id, name, features},
#include "dispatch/instruction_set_list.inc"
#undef SIMDNORM_INSTRUCTION_SET
};

inline constexpr isa best_level =
    instruction_sets[sizeof instruction_sets / sizeof instruction_sets[0] - 1].level;

// What a level requires (feature::), 0 for the scalar path.
constexpr std::uint32_t features_of(isa level) {
  for (const instruction_set& set : instruction_sets) {
    if (set.level == level) return set.features;
  }
  return 0;
}

const char* name_of(isa level);
// A level by name, or "best" for the best one (no cap); nullopt otherwise.
std::optional<isa> parse_isa(std::string_view name);
// "avx512, avx2, sse4.2, sse2, scalar or best": what parse_isa takes.
const char* accepted_names();

// The best level this CPU and OS can run.
isa detected_isa();

// The level kernels use now: min(detected, SIMDNORM_ISA, set_max_isa).
isa active_isa();

void set_max_isa(isa level);

// Whether the AVX-512 kernels round float32 to bfloat16 with VCVTNEPS2BF16
// (AVX-512 BF16: Zen 4 and later, Cooper Lake, Sapphire Rapids and later):
// the CPU has it and SIMDNORM_NATIVE_BF16 is not "0" (read once; the tests
// use it to run the integer path on such a CPU). Both give the same bits:
// the instruction flushes denormal inputs to zero, so a vector holding one
// takes the integer path.
bool native_bfloat16_rounding();

// Why a call runs on the scalar path: the CPU, SIMDNORM_ISA or set_max_isa
// (for SIMDNORM_VERBOSE). Meaningful when active_isa() was scalar.
const char* why_scalar();

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_INSTRUCTION_SETS_HPP_
