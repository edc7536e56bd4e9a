#include <cstdint>
#include <vector>

#include "scalar/batch_statistics.hpp"
#include "scalar/kernels.hpp"
#include "scalar/normalize.hpp"

namespace simdnorm::scalar {

namespace {

// Batch norm's sets are channels, shared by every sample.
constexpr set_map per_channel{0, 1};

}  // namespace

void batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                          const float* running_var, const float* gamma, const float* beta,
                          float eps, float* y) {
  std::vector<set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    // The running mean is a float already: subtracting it first is exact
    // enough, there is no second part to carry.
    sets[c] = set_normalizer{running_mean[c], 0.0f, rstd_of(running_var[c], eps)};
  }
  normalize(x, y, s, sets, per_channel, gamma, beta);
}

void batch_norm_training(const float* x, const shape& s, float* running_mean, float* running_var,
                         const float* gamma, const float* beta, float momentum, float eps,
                         running_var_kind kind, float* y, float* save_mean, float* save_rstd) {
  const std::vector<set_moments> channels = channel_moments(x, s);
  std::vector<set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    sets[c] = normalizer_of(channels[c].mean, channels[c].variance(), eps);
  }
  normalize(x, y, s, sets, per_channel, gamma, beta);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
    if (save_rstd != nullptr) save_rstd[c] = sets[c].rstd;
  }
  if (running_mean != nullptr) {
    update_running_statistics(channels, momentum, kind, running_mean, running_var);
  }
}

void batch_norm_mean_only_training(const float* x, const shape& s, float* running_mean,
                                   const float* beta, float momentum, float* y, float* save_mean) {
  const std::vector<set_moments> channels = channel_moments(x, s);
  std::vector<set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const split_mean mean = split(channels[c].mean);
    sets[c] = set_normalizer{mean.hi, mean.lo, 1.0f};
  }
  normalize(x, y, s, sets, per_channel, nullptr, beta);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
  }
  if (running_mean != nullptr) {
    update_running_statistics(channels, momentum, running_var_kind::biased, running_mean, nullptr);
  }
}

void batch_norm_mean_only_inference(const float* x, const shape& s, const float* running_mean,
                                    const float* beta, float* y) {
  std::vector<set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) sets[c] = set_normalizer{running_mean[c], 0.0f, 1.0f};
  normalize(x, y, s, sets, per_channel, nullptr, beta);
}

}  // namespace simdnorm::scalar
