// Peers want 4-D tensors while simdnorm takes a flat spatial extent: a square
// H x W when spatial is a perfect square (every benchmark shape), else H x 1.
#ifndef SIMDNORM_BENCH_COMMON_HEIGHT_WIDTH_HPP_
#define SIMDNORM_BENCH_COMMON_HEIGHT_WIDTH_HPP_

#include <cmath>
#include <cstdint>

namespace simdnorm::bench {

struct height_width {
  std::int64_t h;
  std::int64_t w;
};

inline height_width spatial_as_height_width(std::int64_t spatial) {
  auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(spatial))));
  if (side * side == spatial) return {side, side};
  return {spatial, 1};
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_COMMON_HEIGHT_WIDTH_HPP_
