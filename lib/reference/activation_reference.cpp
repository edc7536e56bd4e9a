// The activations a norm's output may go through (simdnorm.h,
// sn_activation), in double.
#include <cmath>

#include "reference/reference.hpp"

namespace simdnorm::reference {

double activated(activation act, double v) {
  switch (act) {
    case activation::relu:
      return v < 0.0 ? 0.0 : v;  // NaN kept
    case activation::silu:
      return v / (1.0 + std::exp(-v));
    case activation::gelu:
      // Not v / 2 (1 + erf(v / sqrt 2)), which cancels for v < -3 or so.
      return 0.5 * v * std::erfc(-v * 0.70710678118654752440);
    case activation::none:
      break;
  }
  return v;
}

}  // namespace simdnorm::reference
