// Layer norm and RMS norm: one statistics set per row of rows x d.
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"

namespace simdnorm::reference {

namespace {

// rows x d (d contiguous) is a tensor of rows samples with d channels and one
// position; a row is then the single group (G = 1) of its sample.
shape as_samples(std::int64_t rows, std::int64_t d) { return shape{rows, d, 1, layout::nhwc}; }

}  // namespace

normalized layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                      const float* beta, float eps) {
  const shape s = as_samples(rows, d);
  normalized result;
  for (const set_stats& row : group_stats(x, s, 1)) {
    result.mean.push_back(row.mean);
    result.rstd.push_back(rstd_of(row.var, eps));
  }
  result.y = map_elements(x, s, [&](double v, std::int64_t r, std::int64_t j) {
    return (v - result.mean[r]) * result.rstd[r] * gamma_at(gamma, j) + beta_at(beta, j);
  });
  return result;
}

normalized rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                    const float* beta, float eps) {
  const shape s = as_samples(rows, d);
  normalized result;
  for (std::int64_t r = 0; r < rows; ++r) {
    double squares = 0.0;
    for (std::int64_t j = 0; j < d; ++j) {
      const double v = static_cast<double>(x[r * d + j]);
      squares += v * v;
    }
    result.rstd.push_back(rstd_of(squares / static_cast<double>(d), eps));
  }
  result.y = map_elements(x, s, [&](double v, std::int64_t r, std::int64_t j) {
    return v * result.rstd[r] * gamma_at(gamma, j) + beta_at(beta, j);
  });
  return result;
}

}  // namespace simdnorm::reference
