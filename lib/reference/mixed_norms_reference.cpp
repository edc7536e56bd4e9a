// Batch-instance norm and switchable norm: methods that mix the statistics of
// several kinds of set. Training takes the batch-norm part from the batch,
// inference from the running statistics; the instance and layer parts always
// come from the input.
#include <array>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/running_stats.hpp"
#include "reference/tensor_sets.hpp"

namespace simdnorm::reference {

namespace {

// Running statistics standing in for the batch statistics at inference.
std::vector<set_stats> as_batch_stats(const float* running_mean, const float* running_var,
                                      std::int64_t channels) {
  std::vector<set_stats> stats;
  for (std::int64_t c = 0; c < channels; ++c) {
    stats.push_back(
        set_stats{static_cast<double>(running_mean[c]), static_cast<double>(running_var[c])});
  }
  return stats;
}

// y = (rho * xhat_batch + (1 - rho) * xhat_instance) * gamma + beta, both
// xhat with the same eps.
std::vector<double> batch_instance_mix(const float* x, const shape& s,
                                       const std::vector<set_stats>& batch, const float* gamma,
                                       const float* beta, const float* rho, float eps) {
  const std::vector<set_stats> instance = group_stats(x, s, s.c);
  return map_elements(x, s, [&](double v, std::int64_t n, std::int64_t c) {
    const set_stats& b = batch[c];
    const set_stats& i = instance[n * s.c + c];
    const double xhat_batch = (v - b.mean) * rstd_of(b.var, eps);
    const double xhat_instance = (v - i.mean) * rstd_of(i.var, eps);
    const double r = static_cast<double>(rho[c]);
    return (r * xhat_batch + (1.0 - r) * xhat_instance) * gamma_at(gamma, c) + beta_at(beta, c);
  });
}

// Per (n, c): mean = sum_k w.mean[k] * mean_k, var = sum_k w.var[k] * var_k
// over k = instance, layer, batch (switch_weights' order); then
// y = (x - mean) / sqrt(var + eps) * gamma + beta. Each var_k is the exact
// biased variance of its own set, not one derived from another's E[x^2].
std::vector<double> switchable_mix(const float* x, const shape& s,
                                   const std::vector<set_stats>& batch, const float* gamma,
                                   const float* beta, const switch_weights& w, float eps) {
  const std::vector<set_stats> instance = group_stats(x, s, s.c);
  const std::vector<set_stats> layer = group_stats(x, s, 1);
  const auto mix = [](const std::array<float, 3>& weights, double in, double ln, double bn) {
    return static_cast<double>(weights[0]) * in + static_cast<double>(weights[1]) * ln +
           static_cast<double>(weights[2]) * bn;
  };
  return map_elements(x, s, [&](double v, std::int64_t n, std::int64_t c) {
    const set_stats& in = instance[n * s.c + c];
    const set_stats& ln = layer[n];
    const set_stats& bn = batch[c];
    const double mean = mix(w.mean, in.mean, ln.mean, bn.mean);
    const double var = mix(w.var, in.var, ln.var, bn.var);
    return (v - mean) * rstd_of(var, eps) * gamma_at(gamma, c) + beta_at(beta, c);
  });
}

}  // namespace

trained batch_instance_norm_training(const float* x, const shape& s, const float* running_mean,
                                     const float* running_var, const float* gamma,
                                     const float* beta, const float* rho, float momentum,
                                     float eps) {
  const std::vector<set_stats> batch = batch_stats(x, s);
  trained t;
  t.y = batch_instance_mix(x, s, batch, gamma, beta, rho, eps);
  update_running(t, running_mean, running_var, batch, s.n * s.spatial, momentum,
                 running_var_kind::unbiased);
  return t;
}

std::vector<double> batch_instance_norm_inference(const float* x, const shape& s,
                                                  const float* running_mean,
                                                  const float* running_var, const float* gamma,
                                                  const float* beta, const float* rho, float eps) {
  return batch_instance_mix(x, s, as_batch_stats(running_mean, running_var, s.c), gamma, beta, rho,
                            eps);
}

trained switchable_norm_training(const float* x, const shape& s, const float* running_mean,
                                 const float* running_var, const float* gamma, const float* beta,
                                 const switch_weights& weights, float momentum, float eps) {
  const std::vector<set_stats> batch = batch_stats(x, s);
  trained t;
  t.y = switchable_mix(x, s, batch, gamma, beta, weights, eps);
  update_running(t, running_mean, running_var, batch, s.n * s.spatial, momentum,
                 running_var_kind::unbiased);
  return t;
}

std::vector<double> switchable_norm_inference(const float* x, const shape& s,
                                              const float* running_mean, const float* running_var,
                                              const float* gamma, const float* beta,
                                              const switch_weights& weights, float eps) {
  return switchable_mix(x, s, as_batch_stats(running_mean, running_var, s.c), gamma, beta, weights,
                        eps);
}

}  // namespace simdnorm::reference
