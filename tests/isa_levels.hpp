// The instruction-set levels a test loops over: every one this CPU runs,
// best first, then the scalar path (only the capped one under a cap); and a
// cap that lifts itself.
#ifndef SIMDNORM_TESTS_ISA_LEVELS_HPP_
#define SIMDNORM_TESTS_ISA_LEVELS_HPP_

#include <string>
#include <vector>

#include "dispatch/instruction_sets.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {

// Under a cap (SIMDNORM_ISA: the per-instruction-set runs of the suite),
// only the capped level: the uncapped run covers every level, and each
// capped run repeating all of them below its own cost the sanitizer runs
// minutes.
inline std::vector<std::string> levels_here() {
  const dispatch::isa active = dispatch::active_isa();
  if (active < dispatch::detected_isa()) return {dispatch::name_of(active)};
  std::vector<std::string> names;
  for (const dispatch::instruction_set& level : dispatch::instruction_sets) {
    if (level.level <= dispatch::detected_isa()) names.insert(names.begin(), level.name);
  }
  return names;
}

// set_max_isa(name) for the scope, "best" after it.
class isa_cap {
 public:
  explicit isa_cap(const std::string& name) { set_max_isa(name.c_str()); }
  ~isa_cap() { set_max_isa("best"); }
  isa_cap(const isa_cap&) = delete;
  isa_cap& operator=(const isa_cap&) = delete;
};

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_ISA_LEVELS_HPP_
