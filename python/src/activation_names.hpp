// The activations by the names both Python modules take (the NumPy
// functions' and the PyTorch operators' activation argument), in one list,
// so that an activation added to simdnorm.hpp is named once here.
#ifndef SIMDNORM_PYTHON_SRC_ACTIVATION_NAMES_HPP_
#define SIMDNORM_PYTHON_SRC_ACTIVATION_NAMES_HPP_

#include <optional>
#include <string_view>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::python {

// The names, as a refusal lists them.
inline constexpr const char* activation_names = "\"none\", \"relu\", \"silu\" or \"gelu\"";

// The activation called name; none when no activation is.
inline std::optional<simdnorm::activation> activation_called(std::string_view name) {
  if (name == "none") return simdnorm::activation::none;
  if (name == "relu") return simdnorm::activation::relu;
  if (name == "silu") return simdnorm::activation::silu;
  if (name == "gelu") return simdnorm::activation::gelu;
  return std::nullopt;
}

}  // namespace simdnorm::python

#endif  // SIMDNORM_PYTHON_SRC_ACTIVATION_NAMES_HPP_
