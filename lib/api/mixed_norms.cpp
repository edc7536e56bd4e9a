#include <cstdint>
#include <vector>

#include "api/channel_steps.hpp"
#include "scalar/kernels.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// What batch-instance and switchable norm check alike: the tensor, eps, and
// in training the running statistics (optional, together), momentum and the
// PyTorch rule of more than one value per channel; in inference the running
// statistics are required. Returns the element count.
std::int64_t check_mixed(const validation::checker& check, const float* x, const shape& s,
                         const scalar::batch_source& batch, float eps, const float* y,
                         const float* gamma, const float* beta, const float* rho) {
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  if (batch.training) {
    check.both_or_neither(batch.update_mean, "running_mean", batch.update_var, "running_var");
    check.unit_interval(batch.momentum, "momentum");
    check.several_values_per_channel(s);
  } else {
    check.not_null(batch.running_mean, "running_mean");
    check.not_null(batch.running_var, "running_var");
  }
  check.eps(eps);
  const role running = batch.training ? role::in_out : role::input;
  check.no_overlap(
      {{x, count, "x", role::primary_input},
       {y, count, "y", role::primary_output},
       {batch.training ? batch.update_mean : batch.running_mean, s.c, "running_mean", running},
       {batch.training ? batch.update_var : batch.running_var, s.c, "running_var", running},
       {gamma, s.c, "gamma", role::input},
       {beta, s.c, "beta", role::input},
       {rho, s.c, "rho", role::input}});
  return count;
}

scalar::batch_source measured(float* running_mean, float* running_var, float momentum) {
  return scalar::batch_source{true, nullptr, nullptr, running_mean, running_var, momentum};
}

scalar::batch_source given(const float* running_mean, const float* running_var) {
  return scalar::batch_source{false, running_mean, running_var, nullptr, nullptr, 0.0f};
}

void checked_batch_instance_norm(const char* function, const float* x, const shape& s,
                                 const scalar::batch_source& batch, const float* gamma,
                                 const float* beta, const float* rho, float eps, float* y) {
  const validation::checker check(function);
  check.not_null(rho, "rho");
  check_mixed(check, x, s, batch, eps, y, gamma, beta, rho);
  check.unit_interval(rho, s.c, "rho");
  const std::vector<scalar::set_moments> instances = api::instance_moments(x, s);
  api::normalize_per_instance(
      x, s, scalar::batch_instance_normalizers(instances, s, batch, rho, eps), gamma, beta, y);
  scalar::update_running(instances, s, batch);
}

void checked_switchable_norm(const char* function, const float* x, const shape& s,
                             const scalar::batch_source& batch, const float* gamma,
                             const float* beta, const switch_weights& weights, float eps,
                             float* y) {
  const validation::checker check(function);
  check_mixed(check, x, s, batch, eps, y, gamma, beta, nullptr);
  check.mixing_weights(weights.mean.data(), 3, "mean_weights");
  check.mixing_weights(weights.var.data(), 3, "var_weights");
  const std::vector<scalar::set_moments> instances = api::instance_moments(x, s);
  api::normalize_per_instance(
      x, s, scalar::switchable_normalizers(instances, s, batch, weights, eps), gamma, beta, y);
  scalar::update_running(instances, s, batch);
}

}  // namespace

void batch_instance_norm_training(const float* x, const shape& s, float* running_mean,
                                  float* running_var, const float* gamma, const float* beta,
                                  const float* rho, float momentum, float eps, float* y) {
  checked_batch_instance_norm("batch_instance_norm_training", x, s,
                              measured(running_mean, running_var, momentum), gamma, beta, rho, eps,
                              y);
}

void batch_instance_norm_inference(const float* x, const shape& s, const float* running_mean,
                                   const float* running_var, const float* gamma, const float* beta,
                                   const float* rho, float eps, float* y) {
  checked_batch_instance_norm("batch_instance_norm_inference", x, s,
                              given(running_mean, running_var), gamma, beta, rho, eps, y);
}

void switchable_norm_training(const float* x, const shape& s, float* running_mean,
                              float* running_var, const float* gamma, const float* beta,
                              const switch_weights& weights, float momentum, float eps, float* y) {
  checked_switchable_norm("switchable_norm_training", x, s,
                          measured(running_mean, running_var, momentum), gamma, beta, weights, eps,
                          y);
}

void switchable_norm_inference(const float* x, const shape& s, const float* running_mean,
                               const float* running_var, const float* gamma, const float* beta,
                               const switch_weights& weights, float eps, float* y) {
  checked_switchable_norm("switchable_norm_inference", x, s, given(running_mean, running_var),
                          gamma, beta, weights, eps, y);
}

}  // namespace simdnorm
