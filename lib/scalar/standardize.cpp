#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "scalar/activation_sets.hpp"
#include "scalar/kernels.hpp"
#include "scalar/normalize.hpp"

namespace simdnorm::scalar {

namespace {

// A matrix of rows x features is an NHWC tensor with one spatial position:
// each feature is a channel, each row a sample.
shape as_channels(std::int64_t rows, std::int64_t features) {
  return shape{rows, features, 1, layout::nhwc};
}

// Keras divides by max(sqrt(var), epsilon) with its backend epsilon 1e-7, so
// that a constant feature maps to 0 rather than to NaN.
double keras_std(float var) { return std::max(std::sqrt(static_cast<double>(var)), 1e-7); }

}  // namespace

void moments_update(std::vector<set_moments>& features, const float* x, std::int64_t rows) {
  const shape s = as_channels(rows, static_cast<std::int64_t>(features.size()));
  for (std::int64_t f = 0; f < s.c; ++f) {
    features[f] = merge(features[f], moments_of(channel_set(x, s, f)));
  }
}

void standardize_apply(const float* x, std::int64_t rows, std::int64_t features, const float* mean,
                       const float* var, float* y) {
  std::vector<set_normalizer> sets(static_cast<std::size_t>(features));
  for (std::int64_t f = 0; f < features; ++f) {
    sets[f] = set_normalizer{mean[f], 0.0f, static_cast<float>(1.0 / keras_std(var[f]))};
  }
  normalize(x, y, as_channels(rows, features), sets, set_map{0, 1}, nullptr, nullptr);
}

void standardize_invert(const float* y, std::int64_t rows, std::int64_t features, const float* mean,
                        const float* var, float* x) {
  std::vector<set_normalizer> sets(static_cast<std::size_t>(features));
  for (std::int64_t f = 0; f < features; ++f) {
    sets[f] = set_normalizer{0.0f, 0.0f, static_cast<float>(keras_std(var[f]))};
  }
  // x = y * std + mean: the mean is the per-feature shift.
  normalize(y, x, as_channels(rows, features), sets, set_map{0, 1}, nullptr, mean);
}

}  // namespace simdnorm::scalar
