#include <cstdint>
#include <vector>

#include "scalar/methods.hpp"
#include "scalar/normalize.hpp"
#include "statistics/activation_sets.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::scalar {

void group_norm(dtype type, const void* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, activation act, void* y, float* mean, float* rstd) {
  const std::int64_t width = s.c / groups;
  std::vector<statistics::set_moments> moments(static_cast<std::size_t>(s.n * groups));
  std::vector<statistics::set_normalizer> sets(moments.size());
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t g = 0; g < groups; ++g) {
      const std::int64_t i = n * groups + g;
      moments[i] = statistics::moments_of(statistics::group_set(x, s, n, g, width, type));
      sets[i] = statistics::normalizer_of(moments[i].mean, moments[i].variance(), eps);
    }
  }
  normalize(type, x, y, s, sets, set_map{groups, width}, gamma, beta, act);
  for (std::size_t i = 0; i < moments.size(); ++i) {
    if (mean != nullptr) mean[i] = static_cast<float>(moments[i].mean);
    if (rstd != nullptr) rstd[i] = sets[i].rstd;
  }
}

}  // namespace simdnorm::scalar
