// The scalar path: every method in plain float32 on top of the statistics
// core (statistics/), one implementation among the others, chosen when no
// vector instruction set is active (SIMDNORM_ISA=scalar or set_max_isa, or a
// CPU without one). It is the baseline the vector kernels are measured and
// tested against. Arguments are valid (validated in lib/api); signatures
// mirror simdnorm.hpp.
#ifndef SIMDNORM_LIB_SCALAR_METHODS_HPP_
#define SIMDNORM_LIB_SCALAR_METHODS_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::scalar {

// The methods whose statistics are per channel (batch norm, standardize, the
// mixed norms) are composed in lib/api from channel_steps (channel_steps.hpp).

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd);
void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd);

// Instance norm is group norm with groups = c. x and y hold elements of
// type; act is applied to each y.
void group_norm(dtype type, const void* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, activation act, void* y, float* mean, float* rstd);

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm);

// Weight norm's rows that no float factor scales (statistics::factor_overflows),
// left as they are by a normalising pass: finished here, in double, from their
// own values (so in place works too), w holding elements of type. The vector
// path calls it too.
void finish_tiny_norm_rows(dtype type, const unsigned char* unscaled, const float* g,
                           std::int64_t rows, std::int64_t cols, void* w);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_METHODS_HPP_
