// The statistics sets of an activation tensor, as strided_set views, for both
// layouts. NCHW element (n, c, p) is at (n * c_total + c) * spatial + p; NHWC
// at (n * spatial + p) * c_total + c.
#ifndef SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_
#define SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::statistics {

// Channels [g * width, (g + 1) * width) of sample n, over every spatial
// position: a group-norm set (width = c / groups), an instance-norm set
// (width = 1).
inline strided_set group_set(const float* x, const shape& s, std::int64_t n, std::int64_t g,
                             std::int64_t width) {
  if (s.layout == layout::nchw) {
    return strided_set{x + (n * s.c + g * width) * s.spatial, 1, width * s.spatial, 0};
  }
  return strided_set{x + n * s.spatial * s.c + g * width, s.spatial, width, s.c};
}

// Channel c over every sample and spatial position: a batch-norm set.
inline strided_set channel_set(const float* x, const shape& s, std::int64_t c) {
  if (s.layout == layout::nchw) {
    return strided_set{x + c * s.spatial, s.n, s.spatial, s.c * s.spatial};
  }
  return strided_set{x + c, s.n * s.spatial, 1, s.c};
}

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_
