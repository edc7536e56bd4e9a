// Inputs shared by the Google Benchmark families: seeded N(0, 1) data and
// affine parameters near (1, 0).
#ifndef SIMDNORM_BENCH_BENCHMARK_BENCHMARK_DATA_HPP_
#define SIMDNORM_BENCH_BENCHMARK_BENCHMARK_DATA_HPP_

#include <cstdint>
#include <vector>

#include "data_family.hpp"

namespace simdnorm::bench {

// One input seed per family. simdnorm and its peers draw their input with the
// same seed, so every implementation normalises the same numbers.
namespace input_seed {
inline constexpr std::uint64_t row_norms = 1;
inline constexpr std::uint64_t batch_norm_inference = 2;
inline constexpr std::uint64_t batch_norm_training = 3;
inline constexpr std::uint64_t group_norm = 4;
inline constexpr std::uint64_t instance_norm = 5;
}  // namespace input_seed

struct affine {
  std::vector<float> gamma;
  std::vector<float> beta;
};

inline affine affine_parameters(std::int64_t count) {
  return {normal_floats(count, 11, 1.0, 0.1), normal_floats(count, 12, 0.0, 0.1)};
}

// Input read once plus output written once: the traffic the rate counts.
inline std::int64_t input_output_bytes(std::int64_t elements) {
  return 2 * elements * static_cast<std::int64_t>(sizeof(float));
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_BENCHMARK_BENCHMARK_DATA_HPP_
