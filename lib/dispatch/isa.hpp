// Which instruction set the vectorised kernels run on: the best one the CPU
// and the OS support, capped by SIMDNORM_ISA (read once) and by
// set_max_isa() (process wide, like oneDNN's dnnl_set_max_cpu_isa).
#ifndef SIMDNORM_LIB_DISPATCH_ISA_HPP_
#define SIMDNORM_LIB_DISPATCH_ISA_HPP_

#include <optional>
#include <string_view>

namespace simdnorm::dispatch {

// Ordered on x86-64: a higher value implies every lower one. neon64 is the
// one level of AArch64, above every x86 level so that capping by an x86 name
// on an Arm CPU (or by neon64 on x86) leaves min(detected, cap) meaningful:
// an x86 cap on Arm selects no vector path (scalar), neon64 on x86 caps
// nothing.
enum class isa : int { scalar = 0, sse2 = 1, sse4_2 = 2, avx2 = 3, avx512 = 4, neon64 = 5 };

const char* name_of(isa level);
std::optional<isa> parse_isa(std::string_view name);

// The best level this CPU and OS can run (AVX state enabled in XCR0 checked).
isa detected_isa();

// The level kernels use now: min(detected, SIMDNORM_ISA, set_max_isa).
isa active_isa();

void set_max_isa(isa level);

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_ISA_HPP_
