#include <cstdint>
#include <vector>

#include "scalar/methods.hpp"
#include "scalar/normalize.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::scalar {

namespace {

// rows x d is an NHWC tensor of rows samples with one spatial position and d
// channels, one set per sample: gamma and beta are then per channel.
shape as_samples(std::int64_t rows, std::int64_t d) { return shape{rows, d, 1, layout::nhwc}; }

statistics::strided_set row(const float* x, std::int64_t r, std::int64_t d) {
  return statistics::strided_set{x + r * d, 1, d, d};
}

}  // namespace

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  std::vector<statistics::set_moments> moments(static_cast<std::size_t>(rows));
  std::vector<statistics::set_normalizer> sets(moments.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    moments[r] = statistics::moments_of(row(x, r, d));
    sets[r] = statistics::normalizer_of(moments[r].mean, moments[r].variance(), eps);
  }
  normalize(x, y, as_samples(rows, d), sets, set_map{1, d}, gamma, beta);
  for (std::int64_t r = 0; r < rows; ++r) {
    if (mean != nullptr) mean[r] = static_cast<float>(moments[r].mean);
    if (rstd != nullptr) rstd[r] = sets[r].rstd;
  }
}

void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd) {
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) {
    sets[r] = statistics::set_normalizer{
        0.0f, 0.0f, statistics::rstd_of(statistics::mean_square_of(row(x, r, d)), eps)};
  }
  normalize(x, y, as_samples(rows, d), sets, set_map{1, d}, gamma, beta);
  if (rstd != nullptr) {
    for (std::int64_t r = 0; r < rows; ++r) rstd[r] = sets[r].rstd;
  }
}

}  // namespace simdnorm::scalar
