// The add an engine runs before a norm when it has no fused call:
// h = (x + residual) + bias, per row of d, each addition in float32 and h
// rounded to the element type, over the calling arena's threads. The
// unfused side of the fused residual add's benchmarks (simdnorm_sweep's
// "unfused" rows, simdnorm_typed_bench).
#ifndef SIMDNORM_BENCH_COMMON_RESIDUAL_ADD_HPP_
#define SIMDNORM_BENCH_COMMON_RESIDUAL_ADD_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

// bias (length d) may be null; h may be x or residual exactly.
void residual_add(dtype type, const void* x, const void* residual, const float* bias,
                  std::int64_t rows, std::int64_t d, void* h);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_COMMON_RESIDUAL_ADD_HPP_
