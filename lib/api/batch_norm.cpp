#include <cstdint>
#include <vector>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/kernels.hpp"
#include "scalar/set_statistics.hpp"
#include "simd/channel_norms.hpp"
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
  // Per-channel factors, as the scalar path forms them: the running mean
  // subtracted first, then scale = gamma * rstd.
  std::vector<float> scale(static_cast<std::size_t>(s.c));
  std::vector<float> shift(scale.size());
  for (std::int64_t c = 0; c < s.c; ++c) {
    const float rstd = scalar::rstd_of(running_var[c], eps);
    scale[c] = gamma != nullptr ? rstd * gamma[c] : rstd;
    shift[c] = beta != nullptr ? beta[c] : 0.0f;
  }
  const simd::channel_affine_args args{x, s, running_mean, scale.data(), shift.data(), y};
  const bool planes = s.layout == layout::nchw;
  if (dispatch::run_on_active_isa(simd::channel_affine_kernel{}, args,
                                  planes ? s.n * s.c : s.n * s.spatial, planes ? s.spatial : s.c)) {
    return;
  }
  scalar::batch_norm_inference(x, s, running_mean, running_var, gamma, beta, eps, y);
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
  scalar::batch_norm_training(x, s, running_mean, running_var, gamma, beta, momentum, eps, kind, y,
                              save_mean, save_rstd);
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
  scalar::batch_norm_mean_only_training(x, s, running_mean, beta, momentum, y, save_mean);
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
  scalar::batch_norm_mean_only_inference(x, s, running_mean, beta, y);
}

}  // namespace simdnorm
