// Batch statistics from per-sample ones, and the running-statistics update,
// shared by every path of batch norm, mean-only batch norm, batch-instance
// norm and switchable norm.
#ifndef SIMDNORM_LIB_STATISTICS_RUNNING_STATISTICS_HPP_
#define SIMDNORM_LIB_STATISTICS_RUNNING_STATISTICS_HPP_

#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::statistics {

// Batch moments of each channel, merged from instance moments (index
// n * c + c) in sample order: no second read of the data.
std::vector<set_moments> merge_over_samples(const std::vector<set_moments>& instances,
                                            const shape& s);

// run = (1 - momentum) * run + momentum * batch, in double, rounded once.
// running_var may be null (mean-only batch norm); the batch variance is
// unbiased (times m / (m - 1)) or biased as kind says.
void update_running_statistics(const std::vector<set_moments>& channels, float momentum,
                               running_var_kind kind, float* running_mean, float* running_var);

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_RUNNING_STATISTICS_HPP_
