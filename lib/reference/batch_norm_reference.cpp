// Batch norm: inference with running statistics, training with batch
// statistics per channel over n and spatial, and the mean-only variant.
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/running_stats.hpp"
#include "reference/tensor_sets.hpp"

namespace simdnorm::reference {

std::vector<double> batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                                         const float* running_var, const float* gamma,
                                         const float* beta, float eps) {
  return map_elements(x, s, [&](double v, std::int64_t, std::int64_t c) {
    const double rstd = rstd_of(static_cast<double>(running_var[c]), eps);
    return (v - static_cast<double>(running_mean[c])) * rstd * gamma_at(gamma, c) +
           beta_at(beta, c);
  });
}

trained batch_norm_training(const float* x, const shape& s, const float* running_mean,
                            const float* running_var, const float* gamma, const float* beta,
                            float momentum, float eps, running_var_kind kind) {
  const std::vector<set_stats> batch = batch_stats(x, s);
  trained t;
  for (const set_stats& b : batch) {
    t.save_mean.push_back(b.mean);
    t.save_rstd.push_back(rstd_of(b.var, eps));
  }
  t.y = map_elements(x, s, [&](double v, std::int64_t, std::int64_t c) {
    return (v - t.save_mean[c]) * t.save_rstd[c] * gamma_at(gamma, c) + beta_at(beta, c);
  });
  update_running(t, running_mean, running_var, batch, s.n * s.spatial, momentum, kind);
  return t;
}

trained batch_norm_mean_only_training(const float* x, const shape& s, const float* running_mean,
                                      const float* beta, float momentum) {
  const std::vector<set_stats> batch = batch_stats(x, s);
  trained t;
  for (const set_stats& b : batch) t.save_mean.push_back(b.mean);
  t.y = map_elements(x, s, [&](double v, std::int64_t, std::int64_t c) {
    return v - t.save_mean[c] + beta_at(beta, c);
  });
  // No running variance here: the kind of variance fed to it is irrelevant.
  update_running(t, running_mean, nullptr, batch, s.n * s.spatial, momentum,
                 running_var_kind::biased);
  return t;
}

std::vector<double> batch_norm_mean_only_inference(const float* x, const shape& s,
                                                   const float* running_mean, const float* beta) {
  return map_elements(x, s, [&](double v, std::int64_t, std::int64_t c) {
    return v - static_cast<double>(running_mean[c]) + beta_at(beta, c);
  });
}

}  // namespace simdnorm::reference
