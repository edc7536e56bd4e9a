#include <cmath>
#include <cstdint>
#include <vector>

#include "scalar/kernels.hpp"
#include "scalar/normalize.hpp"

namespace simdnorm::scalar {

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm) {
  // rows x cols is an NCHW tensor of rows samples, one channel, cols spatial
  // positions: one set per row, scaled by g / ||v||, no shift.
  std::vector<double> norms(static_cast<std::size_t>(rows));
  std::vector<set_normalizer> sets(norms.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    norms[r] = std::sqrt(mean_square_of(strided_set{v + r * cols, 1, cols, cols}) *
                         static_cast<double>(cols));
    sets[r] = set_normalizer{0.0f, 0.0f, static_cast<float>(g[r] / norms[r])};
  }
  normalize(v, w, shape{rows, 1, cols, layout::nchw}, sets, set_map{1, 1}, nullptr, nullptr);
  if (norm != nullptr) {
    for (std::int64_t r = 0; r < rows; ++r) norm[r] = static_cast<float>(norms[r]);
  }
}

}  // namespace simdnorm::scalar
