#include "simd/set_chunks.hpp"

#include <cstdint>

namespace simdnorm::simd {

scalar::set_moments finish_statistics(scalar::set_moments merged, bool safe, const float* set,
                                      std::int64_t length, set_statistic kind) {
  const scalar::strided_set whole{set, 1, length, 0};
  if (kind == set_statistic::moments) {
    if (!safe) return scalar::moments_of(whole);
    merged.mean += static_cast<double>(set[0]);
    return merged;
  }
  if (!safe) {
    const double count = static_cast<double>(length);
    return scalar::set_moments{count, 0.0, scalar::mean_square_of(whole) * count};
  }
  return merged;
}

}  // namespace simdnorm::simd
