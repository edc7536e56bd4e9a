// The instruction-set controls of the public API (dispatch/instruction_sets.hpp).
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/instruction_sets.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

const char* active_isa() { return dispatch::name_of(dispatch::active_isa()); }

void set_max_isa(const char* name) {
  const validation::checker check("set_max_isa");
  check.not_null(name, "name");
  const std::optional<dispatch::isa> level = dispatch::parse_isa(name);
  if (!level) {
    // Quoted in part: the argument may be any string at all.
    constexpr std::size_t quoted = 32;
    const std::string_view given(name);
    check.fail(std::string("name must be ") + dispatch::accepted_names() + ", got \"" +
               std::string(given.substr(0, quoted)) + (given.size() > quoted ? "...\"" : "\""));
  }
  dispatch::set_max_isa(*level);
}

}  // namespace simdnorm
