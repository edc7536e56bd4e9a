#include <cmath>
#include <cstdint>
#include <vector>

#include "scalar/channel_steps.hpp"
#include "scalar/methods.hpp"
#include "scalar/normalize.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::scalar {

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm) {
  // rows x cols is an NCHW tensor of rows samples, one channel, cols spatial
  // positions: one set per row, scaled by g / ||v||, no shift.
  std::vector<double> norms(static_cast<std::size_t>(rows));
  std::vector<statistics::set_normalizer> sets(norms.size());
  std::vector<unsigned char> unscaled(norms.size(), 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    norms[r] =
        std::sqrt(statistics::mean_square_of(statistics::strided_set{v + r * cols, 1, cols, cols}) *
                  static_cast<double>(cols));
    const double factor = g[r] / norms[r];
    unscaled[r] = statistics::factor_overflows(factor, norms[r]) ? 1 : 0;
    sets[r] = statistics::set_normalizer{0.0f, 0.0f,
                                         unscaled[r] != 0 ? 1.0f : static_cast<float>(factor)};
  }
  normalize(v, w, shape{rows, 1, cols, layout::nchw}, sets, set_map{1, 1}, nullptr, nullptr);
  finish_tiny_norm_rows(dtype::float32, unscaled.data(), g, rows, cols, w);
  if (norm != nullptr) {
    for (std::int64_t r = 0; r < rows; ++r) norm[r] = static_cast<float>(norms[r]);
  }
}

void finish_tiny_norm_rows(dtype type, const unsigned char* unscaled, const float* g,
                           std::int64_t rows, std::int64_t cols, void* w) {
  for (std::int64_t r = 0; r < rows; ++r) {
    if (unscaled[r] == 0) continue;
    const std::int64_t first = r * cols;
    const statistics::set_values row{type, static_cast<const char*>(w) + first * element_size(type),
                                     nullptr, nullptr, cols};
    double sum = 0.0;
    for (std::int64_t i = 0; i < cols; ++i) sum += static_cast<double>(row.at(i)) * row.at(i);
    const double norm = std::sqrt(sum);
    // Element i is read before it is overwritten.
    for (std::int64_t i = 0; i < cols; ++i) {
      store_element(
          type, w, first + i,
          static_cast<float>(static_cast<double>(g[r]) * (static_cast<double>(row.at(i)) / norm)));
    }
  }
}

}  // namespace simdnorm::scalar
