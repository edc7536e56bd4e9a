// The schedule of the contiguous-set kernels (rows of layer, RMS and weight
// norm; NCHW groups): whole sets per task when there are enough of them, and
// sets cut into chunks in two parallel phases (statistics, then
// normalisation) when sets are fewer than threads (thread_policy.hpp). Both
// schedules give the same bits.
#ifndef SIMDNORM_LIB_SCHEDULE_CONTIGUOUS_SETS_HPP_
#define SIMDNORM_LIB_SCHEDULE_CONTIGUOUS_SETS_HPP_

#include <cstdint>

#include "dispatch/path.hpp"
#include "kernels/contiguous_set_kernels.hpp"

namespace simdnorm::schedule {

// Normalises sets [0, sets) of args on the path's instruction set (never
// the scalar level).
void normalize_contiguous_sets(const dispatch::path& p, const kernels::contiguous_sets_args& args,
                               std::int64_t sets);

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_CONTIGUOUS_SETS_HPP_
