// Keras Normalization: adapt (per-feature moments), apply and invert.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"

namespace simdnorm::reference {

namespace {

// rows x features (features contiguous) is an NHWC tensor with one position:
// each feature a channel, each row a sample.
shape as_channels(std::int64_t rows, std::int64_t features) {
  return shape{rows, features, 1, layout::nhwc};
}

// Keras divides by max(sqrt(var), 1e-7), its backend epsilon, so that a
// constant feature maps to 0 rather than NaN. sqrt first: a NaN var stays NaN.
double keras_std(float var) { return std::max(std::sqrt(static_cast<double>(var)), 1e-7); }

}  // namespace

feature_moments moments(const float* x, std::int64_t rows, std::int64_t features) {
  feature_moments result;
  for (const set_stats& f : batch_stats(x, as_channels(rows, features))) {
    result.mean.push_back(f.mean);
    result.var.push_back(f.var);
  }
  return result;
}

std::vector<double> standardize_apply(const float* x, std::int64_t rows, std::int64_t features,
                                      const float* mean, const float* var) {
  return map_elements(x, as_channels(rows, features), [&](double v, std::int64_t, std::int64_t f) {
    return (v - static_cast<double>(mean[f])) / keras_std(var[f]);
  });
}

std::vector<double> standardize_invert(const float* y, std::int64_t rows, std::int64_t features,
                                       const float* mean, const float* var) {
  return map_elements(y, as_channels(rows, features), [&](double v, std::int64_t, std::int64_t f) {
    return v * keras_std(var[f]) + static_cast<double>(mean[f]);
  });
}

}  // namespace simdnorm::reference
