// What the interim 16-bit benchmarks share (typed_rows_bench.cpp,
// typed_channels_bench.cpp): a data type's size and short name, and a
// tensor of random values stored in it.
#ifndef SIMDNORM_BENCH_TYPED_TYPED_TENSORS_HPP_
#define SIMDNORM_BENCH_TYPED_TYPED_TENSORS_HPP_

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

inline const char* name_of(dtype t) {
  return t == dtype::float32 ? "f32" : (t == dtype::bfloat16 ? "bf16" : "f16");
}

// count elements of N(mean, 1) in the type's bytes.
inline std::vector<unsigned char> tensor(dtype t, std::int64_t count, unsigned seed, float mean) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> normal(mean, 1.0f);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(count * element_size(t)));
  for (std::int64_t i = 0; i < count; ++i) {
    const float v = normal(engine);
    if (t == dtype::float32) {
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    } else {
      const std::uint16_t h =
          t == dtype::bfloat16 ? sn_bfloat16_from_float(v) : sn_float16_from_float(v);
      std::memcpy(bytes.data() + 2 * i, &h, 2);
    }
  }
  return bytes;
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_TYPED_TYPED_TENSORS_HPP_
