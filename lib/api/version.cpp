#include "simdnorm/simdnorm.hpp"

namespace simdnorm {

const char* version() { return "0.1.0"; }

}  // namespace simdnorm
