// Per-channel batch statistics and the running-statistics update shared by
// batch norm, mean-only batch norm, batch-instance norm and switchable norm.
#ifndef SIMDNORM_LIB_SCALAR_BATCH_STATISTICS_HPP_
#define SIMDNORM_LIB_SCALAR_BATCH_STATISTICS_HPP_

#include <vector>

#include "scalar/set_statistics.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::scalar {

// Moments of each channel over all samples and spatial positions.
std::vector<set_moments> channel_moments(const float* x, const shape& s);

// Batch moments of each channel, merged from instance moments in sample order
// (no second read of the data).
std::vector<set_moments> merge_over_samples(const std::vector<set_moments>& instances,
                                            const shape& s);

// run = (1 - momentum) * run + momentum * batch, in double, rounded once.
// running_var may be null (mean-only batch norm); the batch variance is
// unbiased (times m / (m - 1)) or biased as kind says.
void update_running_statistics(const std::vector<set_moments>& channels, float momentum,
                               running_var_kind kind, float* running_mean, float* running_var);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_BATCH_STATISTICS_HPP_
