// Schedules the contiguous-set kernels (rows; NCHW groups) on the active
// instruction set: whole sets per task when there are enough of them, and
// chunks of sets in two parallel phases (statistics, then normalisation) when
// sets are fewer than threads. Both schedules give the same bits.
#ifndef SIMDNORM_LIB_API_CONTIGUOUS_SETS_HPP_
#define SIMDNORM_LIB_API_CONTIGUOUS_SETS_HPP_

#include <cstdint>

#include "simd/contiguous_sets.hpp"

namespace simdnorm::api {

// Returns false, doing nothing, when the active level is scalar.
bool normalize_contiguous_sets(const simd::contiguous_sets_args& args, std::int64_t sets);

}  // namespace simdnorm::api

#endif  // SIMDNORM_LIB_API_CONTIGUOUS_SETS_HPP_
