#include "simd/contiguous_sets.hpp"

#include <cmath>
#include <cstdint>

namespace simdnorm::simd {

scalar::set_normalizer finish_set(const contiguous_sets_args& a, std::int64_t set,
                                  const scalar::set_moments& statistics) {
  scalar::set_normalizer normalizer;
  switch (a.kind) {
    case set_norm_kind::standardize:
      normalizer = scalar::normalizer_of(statistics.mean, statistics.variance(), a.eps);
      if (a.mean != nullptr) a.mean[set] = static_cast<float>(statistics.mean);
      break;
    case set_norm_kind::rms:
      normalizer.rstd = scalar::rstd_of(statistics.variance(), a.eps);
      break;
    case set_norm_kind::weight: {
      // m2 is the sum of squares here, so the norm is its square root.
      const double norm = std::sqrt(statistics.m2);
      normalizer.rstd = static_cast<float>(static_cast<double>(a.gain[set]) / norm);
      if (a.norm != nullptr) a.norm[set] = static_cast<float>(norm);
      break;
    }
  }
  if (a.rstd != nullptr) a.rstd[set] = normalizer.rstd;
  return normalizer;
}

}  // namespace simdnorm::simd
