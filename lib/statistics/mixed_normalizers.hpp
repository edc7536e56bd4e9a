// Batch-instance norm's and switchable norm's normalisers: from the
// per-(n, c) moments, taken once by whichever path measured them, the batch
// and layer moments are Chan merges (DESIGN.md section 2), never a second
// read; what is left is the mixing into one normaliser per (n, c).
#ifndef SIMDNORM_LIB_STATISTICS_MIXED_NORMALIZERS_HPP_
#define SIMDNORM_LIB_STATISTICS_MIXED_NORMALIZERS_HPP_

#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::statistics {

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

// The batch moments of a training call, one per channel: the instance
// moments merged over samples. Empty in inference.
std::vector<set_moments> batch_moments(const std::vector<set_moments>& instances, const shape& s,
                                       const batch_source& batch);

// One normaliser per (n, c), index n * c_total + c, from the instance moments
// (same index) and the batch part: batch_moments in training, the running
// statistics in inference.
std::vector<set_normalizer> batch_instance_normalizers(
    const std::vector<set_moments>& instances, const std::vector<set_moments>& batch_moments,
    const shape& s, const batch_source& batch, const float* rho, float eps);
std::vector<set_normalizer> switchable_normalizers(const std::vector<set_moments>& instances,
                                                   const std::vector<set_moments>& batch_moments,
                                                   const shape& s, const batch_source& batch,
                                                   const switch_weights& weights, float eps);

// In training with running statistics given: folds the batch moments into
// them, unbiased variance. Allocates nothing, so that it can follow the
// writing of y without a failure in between.
void update_running(const std::vector<set_moments>& batch_moments, const batch_source& batch);

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_MIXED_NORMALIZERS_HPP_
