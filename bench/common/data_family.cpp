#include "data_family.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace simdnorm::bench {

namespace {

// A double in (0, 1) from the top 53 bits: never 0, so log() is finite.
double open_unit(std::mt19937_64& engine) {
  return (static_cast<double>(engine() >> 11) + 0.5) * 0x1.0p-53;
}

}  // namespace

std::vector<float> normal_floats(std::int64_t count, std::uint64_t seed, double offset,
                                 double scale) {
  std::mt19937_64 engine(seed);
  std::vector<float> values(static_cast<std::size_t>(count));
  constexpr double two_pi = 6.283185307179586;
  for (std::int64_t i = 0; i < count; i += 2) {
    // Box-Muller: two independent N(0, 1) values from two uniforms.
    const double radius = std::sqrt(-2.0 * std::log(open_unit(engine)));
    const double angle = two_pi * open_unit(engine);
    values[i] = static_cast<float>(offset + scale * radius * std::cos(angle));
    if (i + 1 < count)
      values[i + 1] = static_cast<float>(offset + scale * radius * std::sin(angle));
  }
  return values;
}

std::vector<float> family_floats(const data_family& family, std::int64_t count, std::int64_t outer,
                                 std::uint64_t seed) {
  if (family.shape == data_shape::constant) {
    return std::vector<float>(static_cast<std::size_t>(count), static_cast<float>(family.offset));
  }
  std::vector<float> values = normal_floats(count, seed, family.offset, family.scale);
  switch (family.shape) {
    case data_shape::tiny:
      // 1e-40 is below float32's smallest normal (1.2e-38).
      for (std::int64_t i = 0; i < count; i += 16) values[i] *= 1e-10f;
      break;
    case data_shape::mixed: {
      const std::int64_t block = outer > 0 ? (count + outer - 1) / outer : count;
      for (std::int64_t i = 0; i < count; ++i) {
        const auto exponent = static_cast<int>((i / block) % 9) * 5 - 20;
        values[i] = static_cast<float>(values[i] * std::pow(10.0, exponent));
      }
      break;
    }
    case data_shape::extreme:
      for (float& v : values) {
        const double t = std::clamp(static_cast<double>(v), -1.0, 1.0);
        v = static_cast<float>(t * std::numeric_limits<float>::max());
      }
      break;
    case data_shape::poisoned:
      values.front() = std::numeric_limits<float>::quiet_NaN();
      values.back() = std::numeric_limits<float>::infinity();
      break;
    default:
      break;
  }
  return values;
}

std::vector<float> uniform_floats(std::int64_t count, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::vector<float> values(static_cast<std::size_t>(count));
  for (float& value : values) value = static_cast<float>(open_unit(engine));
  return values;
}

}  // namespace simdnorm::bench
