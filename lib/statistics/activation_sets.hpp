// The statistics sets of an activation tensor, as strided_set views, for both
// layouts. NCHW element (n, c, p) is at (n * c_total + c) * spatial + p; NHWC
// at (n * spatial + p) * c_total + c.
#ifndef SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_
#define SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::statistics {

// Element i of a tensor of type: its address.
inline const void* element_address(dtype type, const void* tensor, std::int64_t i) {
  return static_cast<const char*>(tensor) + i * element_size(type);
}

// Channels [g * width, (g + 1) * width) of sample n, over every spatial
// position: a group-norm set (width = c / groups), an instance-norm set
// (width = 1). x holds elements of type.
inline strided_set group_set(const void* x, const shape& s, std::int64_t n, std::int64_t g,
                             std::int64_t width, dtype type = dtype::float32) {
  if (s.layout == layout::nchw) {
    return strided_set{element_address(type, x, (n * s.c + g * width) * s.spatial), 1,
                       width * s.spatial, 0, type};
  }
  return strided_set{element_address(type, x, n * s.spatial * s.c + g * width), s.spatial, width,
                     s.c, type};
}

// Channel c over every sample and spatial position: a batch-norm set.
inline strided_set channel_set(const void* x, const shape& s, std::int64_t c,
                               dtype type = dtype::float32) {
  if (s.layout == layout::nchw) {
    return strided_set{element_address(type, x, c * s.spatial), s.n, s.spatial, s.c * s.spatial,
                       type};
  }
  return strided_set{element_address(type, x, c), s.n * s.spatial, 1, s.c, type};
}

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_ACTIVATION_SETS_HPP_
