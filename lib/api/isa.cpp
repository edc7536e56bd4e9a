#include "dispatch/isa.hpp"

#include <optional>
#include <string>

#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

const char* active_isa() { return dispatch::name_of(dispatch::active_isa()); }

void set_max_isa(const char* name) {
  const validation::checker check("set_max_isa");
  check.not_null(name, "name");
  const std::optional<dispatch::isa> level = dispatch::parse_isa(name);
  if (!level) {
    check.fail(std::string("name must be avx512, avx2, sse4.2, sse2, neon64 or scalar, got \"") +
               name + "\"");
  }
  dispatch::set_max_isa(*level);
}

}  // namespace simdnorm
