#include "scalar/set_statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace simdnorm::scalar {

namespace {

// 256 floats = 1 KiB: a block stays in L1 between its two sweeps on any CPU.
constexpr std::int64_t block_floats = 256;

// Squares of deviations outside [2^-50, 2^50] leave float32's comfortable
// range once summed over a block (and 2^-63 is where float32 squares become
// subnormal); such sets are recomputed on values scaled by a power of two.
constexpr double smallest_safe_deviation = 0x1p-50;
constexpr double largest_safe_deviation = 0x1p50;

// Calls block(values, length) for consecutive blocks of the set, in memory
// order, each gathered into a contiguous buffer.
template <class Block>
void for_each_block(const strided_set& set, Block&& block) {
  float buffer[block_floats];
  std::int64_t filled = 0;
  for (std::int64_t r = 0; r < set.runs; ++r) {
    const float* run = set.base + r * set.run_stride;
    std::int64_t j = 0;
    while (j < set.run_length) {
      const std::int64_t take = std::min(block_floats - filled, set.run_length - j);
      std::copy(run + j, run + j + take, buffer + filled);
      filled += take;
      j += take;
      if (filled == block_floats) {
        block(buffer, filled);
        filled = 0;
      }
    }
  }
  if (filled > 0) block(buffer, filled);
}

// Moments of the set's values relative to shift, each multiplied by scale (a
// power of two, so the scaling is exact): the statistics of (x - shift) * scale.
// Also reports the largest |x - shift| seen (exact, in double; NaN ignored).
set_moments shifted_moments(const strided_set& set, float shift, float scale,
                            double& largest_deviation) {
  const float scaled_shift = shift * scale;
  set_moments state;
  largest_deviation = 0.0;
  for_each_block(set, [&](float* values, std::int64_t length) {
    float sum = 0.0f;
    for (std::int64_t i = 0; i < length; ++i) {
      largest_deviation = std::max(largest_deviation, std::fabs(static_cast<double>(values[i]) -
                                                                static_cast<double>(shift)));
      values[i] = values[i] * scale - scaled_shift;
      sum += values[i];
    }
    const float block_mean = sum / static_cast<float>(length);
    float block_m2 = 0.0f;
    for (std::int64_t i = 0; i < length; ++i) {
      const float d = values[i] - block_mean;
      block_m2 += d * d;
    }
    state = merge(state, set_moments{static_cast<double>(length), block_mean, block_m2});
  });
  return state;
}

// Sum of (x * scale)^2 over the set, blocks in float, blocks added in double;
// also reports the largest |x| seen (NaN ignored).
double scaled_sum_of_squares(const strided_set& set, float scale, double& largest) {
  double sum = 0.0;
  largest = 0.0;
  for_each_block(set, [&](const float* values, std::int64_t length) {
    float block_sum = 0.0f;
    for (std::int64_t i = 0; i < length; ++i) {
      largest = std::max(largest, std::fabs(static_cast<double>(values[i])));
      const float v = values[i] * scale;
      block_sum += v * v;
    }
    sum += block_sum;
  });
  return sum;
}

// The power of two that brings a largest magnitude into [1, 2), or 1 when the
// magnitude is already in the safe range (or zero, or not finite).
float safe_scale(double largest) {
  if (!(largest > 0.0) || !std::isfinite(largest)) return 1.0f;
  if (largest >= smallest_safe_deviation && largest <= largest_safe_deviation) return 1.0f;
  // Kept within float32's normal powers of two: the scale itself must be exact.
  const int exponent = std::clamp(-std::ilogb(largest), -126, 127);
  return static_cast<float>(std::ldexp(1.0, exponent));
}

}  // namespace

set_moments merge(const set_moments& a, const set_moments& b) {
  if (a.count == 0.0) return b;
  if (b.count == 0.0) return a;
  const double count = a.count + b.count;
  const double delta = b.mean - a.mean;
  return set_moments{count, a.mean + delta * (b.count / count),
                     a.m2 + b.m2 + delta * delta * (a.count * (b.count / count))};
}

set_moments moments_of(const strided_set& set) {
  // Shift by the set's first value: the deviations, not the values, are what
  // float32 must hold accurately.
  const float shift = set.base[0];
  double largest_deviation = 0.0;
  set_moments moments = shifted_moments(set, shift, 1.0f, largest_deviation);
  // Rare: squares of the deviations over- or underflow float32. Read the set
  // once more on values scaled by a power of two (DESIGN.md section 2).
  const float scale = safe_scale(largest_deviation);
  if (scale != 1.0f) {
    moments = shifted_moments(set, shift, scale, largest_deviation);
  }
  const double unscale = 1.0 / static_cast<double>(scale);
  moments.mean = static_cast<double>(shift) + moments.mean * unscale;
  moments.m2 *= unscale * unscale;
  return moments;
}

double mean_square_of(const strided_set& set) {
  double largest = 0.0;
  double sum = scaled_sum_of_squares(set, 1.0f, largest);
  const float scale = safe_scale(largest);
  if (scale != 1.0f) sum = scaled_sum_of_squares(set, scale, largest);
  const double unscale = 1.0 / static_cast<double>(scale);
  const double count = static_cast<double>(set.runs) * static_cast<double>(set.run_length);
  return sum / count * unscale * unscale;
}

}  // namespace simdnorm::scalar
