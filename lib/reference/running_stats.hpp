// Internal to the float64 oracle: the running statistics a training call
// leaves behind, run' = (1 - momentum) * run + momentum * batch (PyTorch's
// convention; DESIGN.md section 1).
#ifndef SIMDNORM_LIB_REFERENCE_RUNNING_STATS_HPP_
#define SIMDNORM_LIB_REFERENCE_RUNNING_STATS_HPP_

#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "reference/tensor_sets.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::reference {

// Moves the running statistics towards the per-channel batch statistics and
// stores the new values in t.running_mean / t.running_var. Each is handled
// only when its pointer is non-null (a null one leaves its vector empty).
// batch holds biased variances over m values per channel; kind says whether
// running_var takes var * m / (m - 1) or var itself.
void update_running(trained& t, const float* running_mean, const float* running_var,
                    const std::vector<set_stats>& batch, std::int64_t m, float momentum,
                    running_var_kind kind);

}  // namespace simdnorm::reference

#endif  // SIMDNORM_LIB_REFERENCE_RUNNING_STATS_HPP_
