#include "reference/tensor_sets.hpp"

#include <cstdint>
#include <vector>

namespace simdnorm::reference {

std::vector<set_stats> batch_stats(const float* x, const shape& s) {
  std::vector<set_stats> stats;
  stats.reserve(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    stats.push_back(two_pass([&](auto&& visit) {
      for (std::int64_t n = 0; n < s.n; ++n) {
        for (std::int64_t p = 0; p < s.spatial; ++p) visit(x[offset(s, n, c, p)]);
      }
    }));
  }
  return stats;
}

std::vector<set_stats> group_stats(const float* x, const shape& s, std::int64_t groups) {
  const std::int64_t per_group = s.c / groups;
  std::vector<set_stats> stats;
  stats.reserve(static_cast<std::size_t>(s.n * groups));
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t g = 0; g < groups; ++g) {
      stats.push_back(two_pass([&](auto&& visit) {
        for (std::int64_t c = g * per_group; c < (g + 1) * per_group; ++c) {
          for (std::int64_t p = 0; p < s.spatial; ++p) visit(x[offset(s, n, c, p)]);
        }
      }));
    }
  }
  return stats;
}

std::vector<double> widen(const float* v, std::int64_t count) {
  return std::vector<double>(v, v + count);
}

}  // namespace simdnorm::reference
