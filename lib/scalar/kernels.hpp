// The portable float32 path: every method, written plainly on top of
// set_statistics (shifted, blocked single-pass moments) and normalize
// (subtract-first). It is the correctness baseline that faster paths are
// measured against. Arguments are assumed valid: the public entry points in
// lib/api validate them first. Signatures mirror simdnorm.hpp.
#ifndef SIMDNORM_LIB_SCALAR_KERNELS_HPP_
#define SIMDNORM_LIB_SCALAR_KERNELS_HPP_

#include <cstdint>
#include <vector>

#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::scalar {

// Batch norm and standardize are composed in lib/api (batch_norm.cpp,
// standardize.cpp, channel_steps.cpp) from channel_moments
// (scalar/batch_statistics.hpp), normalize and update_running_statistics,
// each step on the engine where it has one.

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd);
void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd);

// Instance norm is group norm with groups = c.
void group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd);

// The batch part of batch-instance and switchable norm: in training it is
// measured, and folded into update_mean/update_var when they are not null; in
// inference it is read from running_mean/running_var.
struct batch_source {
  bool training;
  const float* running_mean;
  const float* running_var;
  float* update_mean;
  float* update_var;
  float momentum;
};

// One normaliser per (n, c), index n * c_total + c, from the instance moments
// (same index) and the batch part.
std::vector<set_normalizer> batch_instance_normalizers(const std::vector<set_moments>& instances,
                                                       const shape& s, const batch_source& batch,
                                                       const float* rho, float eps);
std::vector<set_normalizer> switchable_normalizers(const std::vector<set_moments>& instances,
                                                   const shape& s, const batch_source& batch,
                                                   const switch_weights& weights, float eps);
// In training with running statistics given: folds the batch moments (the
// instance moments merged over samples) into them, unbiased variance.
void update_running(const std::vector<set_moments>& instances, const shape& s,
                    const batch_source& batch);

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm);

// Weight norm's rows that no float factor scales (factor_overflows,
// normalize.hpp), left as they are by the normalising pass: finished here, in
// double, from their own values (so in place works too).
void finish_tiny_norm_rows(const unsigned char* unscaled, const float* g, std::int64_t rows,
                           std::int64_t cols, float* w);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_KERNELS_HPP_
