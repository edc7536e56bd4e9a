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
    case activation::none:
      break;
  }
  return v;
}

}  // namespace simdnorm::reference
