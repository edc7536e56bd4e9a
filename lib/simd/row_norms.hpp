// Vectorised layer norm and RMS norm over rows x d: the kernel's interface,
// with no SIMD code, so that the API can call every instruction set's
// instantiation (compiled in lib/arch/, one file per instruction set).
#ifndef SIMDNORM_LIB_SIMD_ROW_NORMS_HPP_
#define SIMDNORM_LIB_SIMD_ROW_NORMS_HPP_

#include <cstdint>

#include "simd/architectures.hpp"

namespace simdnorm::simd {

// layer: (x - mean) * rstd; rms: x * rstd (rstd of mean(x^2)); weight:
// x * gain[r] / ||x_r||_2 (weight norm, no eps).
enum class row_norm_kind { layer, rms, weight };

// One call's arguments, already validated. mean is only written by layer
// norm, norm and gain only used by weight norm.
struct row_norm_args {
  row_norm_kind kind;
  const float* x;
  std::int64_t d;
  const float* gamma;
  const float* beta;
  float eps;
  float* y;
  float* mean;
  float* rstd;
  const float* gain = nullptr;
  float* norm = nullptr;
};

// Normalises rows [first, last). Each row is independent of the others, so
// any split of the rows over threads gives the same bits.
struct row_norm_kernel {
  template <class Arch>
  void operator()(Arch, const row_norm_args& args, std::int64_t first, std::int64_t last) const;
};

// The instantiations, explicit (in lib/arch/) or declared extern (here).
#define SIMDNORM_ROW_NORM_KERNELS(PREFIX, ARCH)                                                    \
  PREFIX template void row_norm_kernel::operator()<ARCH>(ARCH, const row_norm_args&, std::int64_t, \
                                                         std::int64_t) const;
SIMDNORM_FOR_EACH_ARCH(SIMDNORM_ROW_NORM_KERNELS, extern)

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_ROW_NORMS_HPP_
