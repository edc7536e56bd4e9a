#include <cstdint>
#include <vector>

#include "api/channel_steps.hpp"
#include "scalar/batch_statistics.hpp"
#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

void batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                          const float* running_var, const float* gamma, const float* beta,
                          float eps, float* y) {
  const validation::checker check("batch_norm_inference");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(running_var, "running_var");
  check.not_null(y, "y");
  check.eps(eps);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::input},
                    {running_var, s.c, "running_var", role::input},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input}});
  // The running mean is a float already: subtracted first, it has no second
  // part to carry.
  std::vector<scalar::set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    sets[c] = scalar::set_normalizer{running_mean[c], 0.0f, scalar::rstd_of(running_var[c], eps)};
  }
  api::normalize_per_channel(x, s, sets, gamma, beta, y);
}

void batch_norm_training(const float* x, const shape& s, float* running_mean, float* running_var,
                         const float* gamma, const float* beta, float momentum, float eps,
                         running_var_kind kind, float* y, float* save_mean, float* save_rstd) {
  const validation::checker check("batch_norm_training");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.both_or_neither(running_mean, "running_mean", running_var, "running_var");
  check.unit_interval(momentum, "momentum");
  check.eps(eps);
  if (kind != running_var_kind::unbiased && kind != running_var_kind::biased) {
    check.fail("running_var_kind must be unbiased or biased, got " +
               std::to_string(static_cast<int>(kind)));
  }
  check.several_values_per_channel(s);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {running_var, s.c, "running_var", role::in_out},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output},
                    {save_rstd, s.c, "save_rstd", role::output}});
  const std::vector<scalar::set_moments> channels = api::batch_moments(x, s);
  std::vector<scalar::set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    sets[c] = scalar::normalizer_of(channels[c].mean, channels[c].variance(), eps);
  }
  api::normalize_per_channel(x, s, sets, gamma, beta, y);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
    if (save_rstd != nullptr) save_rstd[c] = sets[c].rstd;
  }
  if (running_mean != nullptr) {
    scalar::update_running_statistics(channels, momentum, kind, running_mean, running_var);
  }
}

void batch_norm_mean_only_training(const float* x, const shape& s, float* running_mean,
                                   const float* beta, float momentum, float* y, float* save_mean) {
  const validation::checker check("batch_norm_mean_only_training");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.unit_interval(momentum, "momentum");
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output}});
  const std::vector<scalar::set_moments> channels = api::batch_moments(x, s);
  std::vector<scalar::set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const scalar::split_mean mean = scalar::split(channels[c].mean);
    sets[c] = scalar::set_normalizer{mean.hi, mean.lo, 1.0f};
  }
  api::normalize_per_channel(x, s, sets, nullptr, beta, y);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
  }
  if (running_mean != nullptr) {
    scalar::update_running_statistics(channels, momentum, running_var_kind::biased, running_mean,
                                      nullptr);
  }
}

void batch_norm_mean_only_inference(const float* x, const shape& s, const float* running_mean,
                                    const float* beta, float* y) {
  const validation::checker check("batch_norm_mean_only_inference");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(y, "y");
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::input},
                    {beta, s.c, "beta", role::input}});
  std::vector<scalar::set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    sets[c] = scalar::set_normalizer{running_mean[c], 0.0f, 1.0f};
  }
  api::normalize_per_channel(x, s, sets, nullptr, beta, y);
}

}  // namespace simdnorm
