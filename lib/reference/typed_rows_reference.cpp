// Layer norm and RMS norm of rows given in float64: the oracle of the typed
// (bfloat16, float16) and fused residual-add calls, whose rows are formed
// from several tensors before they are normalised.
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"
#include "simdnorm/half_float.h"

namespace simdnorm::reference {

namespace {

double element(dtype type, const void* tensor, std::int64_t i) {
  switch (type) {
    case dtype::bfloat16:
      return sn_bfloat16_to_float(static_cast<const bfloat16*>(tensor)[i].bits);
    case dtype::float16:
      return sn_float16_to_float(static_cast<const float16*>(tensor)[i].bits);
    case dtype::float32:
      break;
  }
  return static_cast<const float*>(tensor)[i];
}

// Two passes per row in double: mean, then squared deviations from it.
template <class Center>
normalized rows_normalized(const std::vector<double>& h, std::int64_t rows, std::int64_t d,
                           const float* gamma, const float* beta, float eps, Center center) {
  normalized result;
  result.y.resize(h.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* row = h.data() + r * d;
    const double mean = center(row);
    double m2 = 0.0;
    for (std::int64_t j = 0; j < d; ++j) m2 += (row[j] - mean) * (row[j] - mean);
    const double rstd = rstd_of(m2 / static_cast<double>(d), eps);
    result.rstd.push_back(rstd);
    for (std::int64_t j = 0; j < d; ++j) {
      result.y[r * d + j] = (row[j] - mean) * rstd * gamma_at(gamma, j) + beta_at(beta, j);
    }
  }
  return result;
}

}  // namespace

std::vector<double> rows_of(dtype type, const void* x, const void* residual, const float* bias,
                            std::int64_t rows, std::int64_t d) {
  // Each addition rounded to float32, as the API defines h (and as the
  // unfused float32 calls would form it): the float64 sum differs from it by
  // the caller's choice of a float32 residual stream, not by an error of
  // the norm. The norm of h is then taken in float64.
  std::vector<double> h(static_cast<std::size_t>(rows * d));
  for (std::int64_t i = 0; i < rows * d; ++i) {
    float v = static_cast<float>(element(type, x, i));
    if (residual != nullptr) v += static_cast<float>(element(type, residual, i));
    if (bias != nullptr) v += bias[i % d];
    h[i] = v;
  }
  return h;
}

normalized layer_norm(const std::vector<double>& h, std::int64_t rows, std::int64_t d,
                      const float* gamma, const float* beta, float eps) {
  std::vector<double> means;
  normalized result = rows_normalized(h, rows, d, gamma, beta, eps, [&](const double* row) {
    double sum = 0.0;
    for (std::int64_t j = 0; j < d; ++j) sum += row[j];
    means.push_back(sum / static_cast<double>(d));
    return means.back();
  });
  result.mean = means;
  return result;
}

normalized rms_norm(const std::vector<double>& h, std::int64_t rows, std::int64_t d,
                    const float* gamma, const float* beta, float eps) {
  // RMS norm is layer norm about 0: m2 about 0 is the sum of squares.
  return rows_normalized(h, rows, d, gamma, beta, eps, [](const double*) { return 0.0; });
}

}  // namespace simdnorm::reference
