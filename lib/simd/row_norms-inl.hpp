// The row kernels' bodies, written once for every instruction set; included
// only by the per-architecture files in lib/arch/, each compiled with its own
// flags.
#ifndef SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_
#define SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simd/block_statistics-inl.hpp"
#include "simd/normalize-inl.hpp"
#include "simd/row_norms.hpp"

namespace simdnorm::simd {

template <class Arch>
void row_norm_kernel::operator()(Arch, const row_norm_args& a, std::int64_t first,
                                 std::int64_t last) const {
  for (std::int64_t r = first; r < last; ++r) {
    const float* x = a.x + r * a.d;
    scalar::set_normalizer set;
    if (a.kind == row_norm_kind::layer) {
      const scalar::set_moments m = run_moments<Arch>(x, a.d);
      set = scalar::normalizer_of(m.mean, m.m2 / m.count, a.eps);
      if (a.mean != nullptr) a.mean[r] = static_cast<float>(m.mean);
    } else {
      const double mean_square = run_mean_square<Arch>(x, a.d);
      if (a.kind == row_norm_kind::rms) {
        set = scalar::set_normalizer{0.0f, 0.0f, scalar::rstd_of(mean_square, a.eps)};
      } else {
        const double norm = __builtin_sqrt(mean_square * static_cast<double>(a.d));
        set = scalar::set_normalizer{0.0f, 0.0f, static_cast<float>(a.gain[r] / norm)};
        if (a.norm != nullptr) a.norm[r] = static_cast<float>(norm);
      }
    }
    normalize_row<Arch>(x, a.d, set, a.gamma, a.beta, a.y + r * a.d);
    if (a.rstd != nullptr) a.rstd[r] = set.rstd;
  }
}

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_ROW_NORMS_INL_HPP_
