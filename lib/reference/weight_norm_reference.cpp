// Weight norm (PyTorch dim = 0): each output row of v rescaled to norm g.
#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"

namespace simdnorm::reference {

weight_normalized weight_norm(const float* v, const float* g, std::int64_t rows,
                              std::int64_t cols) {
  weight_normalized result;
  result.w.resize(static_cast<std::size_t>(rows * cols));
  result.norm.resize(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (std::int64_t j = 0; j < cols; ++j) {
      const double vj = static_cast<double>(v[r * cols + j]);
      squares += vj * vj;
    }
    const double norm = std::sqrt(squares);
    result.norm[r] = norm;
    for (std::int64_t j = 0; j < cols; ++j) {
      result.w[r * cols + j] =
          static_cast<double>(g[r]) * static_cast<double>(v[r * cols + j]) / norm;
    }
  }
  return result;
}

}  // namespace simdnorm::reference
