// Group norm, one statistics set per (sample, group of C / G channels) over
// all positions; instance norm is group norm with one channel a group.
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"

namespace simdnorm::reference {

normalized group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                      const float* beta, float eps) {
  const std::int64_t per_group = s.c / groups;
  normalized result;
  for (const set_stats& g : group_stats(x, s, groups)) {
    result.mean.push_back(g.mean);
    result.rstd.push_back(rstd_of(g.var, eps));
  }
  result.y = map_elements(x, s, [&](double v, std::int64_t n, std::int64_t c) {
    const std::int64_t set = n * groups + c / per_group;
    return (v - result.mean[set]) * result.rstd[set] * gamma_at(gamma, c) + beta_at(beta, c);
  });
  return result;
}

normalized instance_norm(const float* x, const shape& s, const float* gamma, const float* beta,
                         float eps) {
  return group_norm(x, s, s.c, gamma, beta, eps);
}

}  // namespace simdnorm::reference
