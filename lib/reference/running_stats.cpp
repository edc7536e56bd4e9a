#include "reference/running_stats.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace simdnorm::reference {

namespace {

double moved(float running, double batch, float momentum) {
  const double mu = static_cast<double>(momentum);
  return (1.0 - mu) * static_cast<double>(running) + mu * batch;
}

}  // namespace

void update_running(trained& t, const float* running_mean, const float* running_var,
                    const std::vector<set_stats>& batch, std::int64_t m, float momentum,
                    running_var_kind kind) {
  const std::size_t channels = batch.size();
  // Bessel's correction, as PyTorch applies it to its running_var.
  const auto fed_var = [&](double var) {
    return kind == running_var_kind::unbiased
               ? var * static_cast<double>(m) / static_cast<double>(m - 1)
               : var;
  };
  if (running_mean != nullptr) {
    t.running_mean.resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      t.running_mean[c] = moved(running_mean[c], batch[c].mean, momentum);
    }
  }
  if (running_var != nullptr) {
    t.running_var.resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      t.running_var[c] = moved(running_var[c], fed_var(batch[c].var), momentum);
    }
  }
}

}  // namespace simdnorm::reference
