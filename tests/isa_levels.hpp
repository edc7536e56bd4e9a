// The instruction-set levels a test loops over: every one this CPU runs,
// best first, then the scalar path; and a cap that lifts itself.
#ifndef SIMDNORM_TESTS_ISA_LEVELS_HPP_
#define SIMDNORM_TESTS_ISA_LEVELS_HPP_

#include <string>
#include <vector>

#include "dispatch/instruction_sets.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {

inline std::vector<std::string> levels_here() {
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
