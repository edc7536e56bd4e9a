#include "statistics/set_moments.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "simdnorm/half_float.h"

namespace simdnorm::statistics {

namespace {

// 256 floats = 1 KiB: a gathered block stays in L1 between its two sweeps on
// any CPU. The vector kernels' blocks are 4096 floats
// (kernels/block_statistics-inl.hpp): they read contiguous memory in place,
// and a longer block saves them horizontal reductions. Here every value is
// copied into a buffer on the stack first and a block's sums are in double,
// so a longer block would only grow the stack.
constexpr std::int64_t gather_block_floats = 256;

// Calls block(values, length) for consecutive blocks of the set, in memory
// order, each gathered into a contiguous buffer.
template <class Block>
void for_each_block(const set_values& set, Block&& block) {
  float buffer[gather_block_floats];
  for (std::int64_t start = 0; start < set.length; start += gather_block_floats) {
    const std::int64_t length = std::min(gather_block_floats, set.length - start);
    for (std::int64_t i = 0; i < length; ++i) buffer[i] = set.at(start + i);
    block(buffer, length);
  }
}

template <class Block>
void for_each_block(const strided_set& set, Block&& block) {
  float buffer[gather_block_floats];
  std::int64_t filled = 0;
  for (std::int64_t r = 0; r < set.runs; ++r) {
    const std::int64_t run = r * set.run_stride;
    std::int64_t j = 0;
    while (j < set.run_length) {
      const std::int64_t take = std::min(gather_block_floats - filled, set.run_length - j);
      if (set.type == dtype::float32) {
        const float* floats = static_cast<const float*>(set.base) + run + j;
        std::copy(floats, floats + take, buffer + filled);
      } else {
        for (std::int64_t i = 0; i < take; ++i) buffer[filled + i] = set.at(run + j + i);
      }
      filled += take;
      j += take;
      if (filled == gather_block_floats) {
        block(buffer, filled);
        filled = 0;
      }
    }
  }
  if (filled > 0) block(buffer, filled);
}

// Moments of the set's values relative to shift: the statistics of x - shift,
// each block's sums taken in double. A float32 sum of a 256-long chain is off
// by up to a hundred ulps of its size, which reached 3e-6 in the outputs of
// 1e5 + N(0, 1) rows. In double, x - shift is exact for any two floats within
// 2^29 of each other in magnitude (and within double's rounding otherwise,
// never overflowing), a float's square is exact, and float32's extremes
// squared stay inside double's range: a block's mean and m2 carry no error
// worth naming, and huge and tiny sets need no rescaling.
template <class Set>
set_moments shifted_moments(const Set& set, float shift) {
  const auto origin = static_cast<double>(shift);
  set_moments state;
  for_each_block(set, [&](const float* values, std::int64_t length) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < length; ++i) sum += static_cast<double>(values[i]) - origin;
    const double block_mean = sum / static_cast<double>(length);
    double block_m2 = 0.0;
    for (std::int64_t i = 0; i < length; ++i) {
      const double d = (static_cast<double>(values[i]) - origin) - block_mean;
      block_m2 += d * d;
    }
    state = merge(state, set_moments{static_cast<double>(length), block_mean, block_m2});
  });
  return state;
}

}  // namespace

set_moments merge(const set_moments& a, const set_moments& b) {
  if (a.count == 0.0) return b;
  if (b.count == 0.0) return a;
  return merge_with(a, b, merge_weights_of(a.count, b.count));
}

namespace {

// Shift by the set's first value, so that the mean is the pair (shift, mean
// of the deviations) and the deviations are small numbers.
template <class Set>
set_moments moments_shifted_by(const Set& set, float shift) {
  set_moments moments = shifted_moments(set, shift);
  moments.mean += static_cast<double>(shift);
  return moments;
}

template <class Set>
double mean_square_over(const Set& set, double count) {
  double sum = 0.0;
  for_each_block(set, [&](const float* values, std::int64_t length) {
    for (std::int64_t i = 0; i < length; ++i) {
      const auto v = static_cast<double>(values[i]);
      sum += v * v;
    }
  });
  return sum / count;
}

}  // namespace

set_moments moments_of(const strided_set& set) { return moments_shifted_by(set, set.at(0)); }

double mean_square_of(const strided_set& set) {
  return mean_square_over(set, static_cast<double>(set.runs) * static_cast<double>(set.run_length));
}

set_moments moments_of(const set_values& set) { return moments_shifted_by(set, set.at(0)); }

double mean_square_of(const set_values& set) {
  return mean_square_over(set, static_cast<double>(set.length));
}

namespace {

float element(dtype type, const void* tensor, std::int64_t k) {
  switch (type) {
    case dtype::bfloat16:
      return sn_bfloat16_to_float(static_cast<const bfloat16*>(tensor)[k].bits);
    case dtype::float16:
      return sn_float16_to_float(static_cast<const float16*>(tensor)[k].bits);
    case dtype::float32:
      break;
  }
  return static_cast<const float*>(tensor)[k];
}

}  // namespace

float set_values::at(std::int64_t i) const {
  float h = element(type, x, i);
  if (residual != nullptr) h += element(type, residual, i);
  if (bias != nullptr) h += bias[i];
  return h;
}

float strided_set::at(std::int64_t offset) const { return element(type, base, offset); }

}  // namespace simdnorm::statistics
