#include "statistics/running_statistics.hpp"

#include <cstdint>
#include <vector>

namespace simdnorm::statistics {

std::vector<set_moments> merge_over_samples(const std::vector<set_moments>& instances,
                                            const shape& s) {
  std::vector<set_moments> channels(static_cast<std::size_t>(s.c));
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t c = 0; c < s.c; ++c) channels[c] = merge(channels[c], instances[n * s.c + c]);
  }
  return channels;
}

void update_running_statistics(const std::vector<set_moments>& channels, float momentum,
                               running_var_kind kind, float* running_mean, float* running_var) {
  const double m = momentum;
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const set_moments& batch = channels[c];
    running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * batch.mean);
    if (running_var == nullptr) continue;
    const double var =
        kind == running_var_kind::unbiased ? batch.m2 / (batch.count - 1.0) : batch.variance();
    running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * var);
  }
}

}  // namespace simdnorm::statistics
