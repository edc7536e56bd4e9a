#include <cstdint>
#include <string>
#include <vector>

#include "api/channel_implementations.hpp"
#include "dispatch/verbose.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/mixed_normalizers.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// What batch-instance and switchable norm check alike: the tensor, eps, and
// in training the running statistics (optional, together), momentum and the
// PyTorch rule of more than one value per channel; in inference the running
// statistics are required, the variances not negative. Returns the element
// count.
std::int64_t check_mixed(const validation::checker& check, dtype type, const void* x,
                         const shape& s, const statistics::batch_source& batch, float eps,
                         const void* y, const float* gamma, const float* beta, const float* rho) {
  check.element_type(type);
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
  const std::int64_t bytes = element_size(type);
  check.no_overlap(
      {{x, count, "x", role::primary_input, bytes},
       {y, count, "y", role::primary_output, bytes},
       {batch.training ? batch.update_mean : batch.running_mean, s.c, "running_mean", running},
       {batch.training ? batch.update_var : batch.running_var, s.c, "running_var", running},
       {gamma, s.c, "gamma", role::input},
       {beta, s.c, "beta", role::input},
       {rho, s.c, "rho", role::input}});
  // Given running variances are read (training updates its own).
  if (!batch.training) check.non_negative(batch.running_var, s.c, "running_var");
  return count;
}

statistics::batch_source measured(float* running_mean, float* running_var, float momentum) {
  return statistics::batch_source{true, nullptr, nullptr, running_mean, running_var, momentum};
}

statistics::batch_source given(const float* running_mean, const float* running_var) {
  return statistics::batch_source{false, running_mean, running_var, nullptr, nullptr, 0.0f};
}

// A validated call of either method: rho for batch-instance norm, weights
// for switchable norm.
struct mixed_call {
  const void* x;  // elements of type, as y
  shape s;
  statistics::batch_source batch;
  const float* gamma;
  const float* beta;
  const float* rho;
  const switch_weights* weights;
  float eps;
  void* y;
  dtype type;
};

std::string describe(const mixed_call& call) { return dispatch::describe_activation(call.s); }

// The per-(n, c) moments, taken once; the batch (and layer) statistics are
// merges of them (statistics/mixed_normalizers.hpp).
struct mix {
  template <class Steps>
  void operator()(const Steps& steps, const mixed_call& a) const {
    const std::vector<statistics::set_moments> instances = steps.instance_moments(a.x, a.s, a.type);
    const std::vector<statistics::set_moments> batch =
        statistics::batch_moments(instances, a.s, a.batch);
    const std::vector<statistics::set_normalizer> sets =
        a.rho != nullptr
            ? statistics::batch_instance_normalizers(instances, batch, a.s, a.batch, a.rho, a.eps)
            : statistics::switchable_normalizers(instances, batch, a.s, a.batch, *a.weights, a.eps);
    // Everything allocated: from the first write of y on, nothing can fail.
    steps.normalize(a.x, a.s, sets, true, a.gamma, a.beta, a.y, activation::none, a.type, true);
    statistics::update_running(batch, a.batch);
  }
};

void checked_batch_instance_norm(const char* function, dtype type, const void* x, const shape& s,
                                 const statistics::batch_source& batch, const float* gamma,
                                 const float* beta, const float* rho, float eps, void* y) {
  const validation::checker check(function);
  check.not_null(rho, "rho");
  check_mixed(check, type, x, s, batch, eps, y, gamma, beta, rho);
  check.unit_interval(rho, s.c, "rho");
  dispatch::run_first_accepting(function, api::channel_implementations<mixed_call, mix>::list,
                                mixed_call{x, s, batch, gamma, beta, rho, nullptr, eps, y, type});
}

void checked_switchable_norm(const char* function, dtype type, const void* x, const shape& s,
                             const statistics::batch_source& batch, const float* gamma,
                             const float* beta, const switch_weights& weights, float eps, void* y) {
  const validation::checker check(function);
  check_mixed(check, type, x, s, batch, eps, y, gamma, beta, nullptr);
  check.mixing_weights(weights.mean.data(), 3, "mean_weights");
  check.mixing_weights(weights.var.data(), 3, "var_weights");
  dispatch::run_first_accepting(
      function, api::channel_implementations<mixed_call, mix>::list,
      mixed_call{x, s, batch, gamma, beta, nullptr, &weights, eps, y, type});
}

}  // namespace

void batch_instance_norm_training(const float* x, const shape& s, float* running_mean,
                                  float* running_var, const float* gamma, const float* beta,
                                  const float* rho, float momentum, float eps, float* y) {
  batch_instance_norm_training(dtype::float32, x, s, running_mean, running_var, gamma, beta, rho,
                               momentum, eps, y);
}

void batch_instance_norm_training(dtype type, const void* x, const shape& s, float* running_mean,
                                  float* running_var, const float* gamma, const float* beta,
                                  const float* rho, float momentum, float eps, void* y) {
  checked_batch_instance_norm("batch_instance_norm_training", type, x, s,
                              measured(running_mean, running_var, momentum), gamma, beta, rho, eps,
                              y);
}

void batch_instance_norm_inference(const float* x, const shape& s, const float* running_mean,
                                   const float* running_var, const float* gamma, const float* beta,
                                   const float* rho, float eps, float* y) {
  batch_instance_norm_inference(dtype::float32, x, s, running_mean, running_var, gamma, beta, rho,
                                eps, y);
}

void batch_instance_norm_inference(dtype type, const void* x, const shape& s,
                                   const float* running_mean, const float* running_var,
                                   const float* gamma, const float* beta, const float* rho,
                                   float eps, void* y) {
  checked_batch_instance_norm("batch_instance_norm_inference", type, x, s,
                              given(running_mean, running_var), gamma, beta, rho, eps, y);
}

void switchable_norm_training(const float* x, const shape& s, float* running_mean,
                              float* running_var, const float* gamma, const float* beta,
                              const switch_weights& weights, float momentum, float eps, float* y) {
  switchable_norm_training(dtype::float32, x, s, running_mean, running_var, gamma, beta, weights,
                           momentum, eps, y);
}

void switchable_norm_training(dtype type, const void* x, const shape& s, float* running_mean,
                              float* running_var, const float* gamma, const float* beta,
                              const switch_weights& weights, float momentum, float eps, void* y) {
  checked_switchable_norm("switchable_norm_training", type, x, s,
                          measured(running_mean, running_var, momentum), gamma, beta, weights, eps,
                          y);
}

void switchable_norm_inference(const float* x, const shape& s, const float* running_mean,
                               const float* running_var, const float* gamma, const float* beta,
                               const switch_weights& weights, float eps, float* y) {
  switchable_norm_inference(dtype::float32, x, s, running_mean, running_var, gamma, beta, weights,
                            eps, y);
}

void switchable_norm_inference(dtype type, const void* x, const shape& s, const float* running_mean,
                               const float* running_var, const float* gamma, const float* beta,
                               const switch_weights& weights, float eps, void* y) {
  checked_switchable_norm("switchable_norm_inference", type, x, s, given(running_mean, running_var),
                          gamma, beta, weights, eps, y);
}

}  // namespace simdnorm
