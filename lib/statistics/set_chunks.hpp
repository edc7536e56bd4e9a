// How the statistics of one contiguous set are cut into chunks, so that a set
// can be reduced by several threads when sets are fewer than threads (N = 1
// group norm, one long row) and still give the same bits as one thread: the
// chunks are fixed by the set's length alone, and their statistics always
// merge in chunk order. No SIMD code here: shared by the per-instruction-set
// kernels and the schedule that runs them (schedule/contiguous_sets.cpp).
#ifndef SIMDNORM_LIB_STATISTICS_SET_CHUNKS_HPP_
#define SIMDNORM_LIB_STATISTICS_SET_CHUNKS_HPP_

#include <cstdint>

#include "statistics/set_moments.hpp"

namespace simdnorm::statistics {

// 16K floats = 64 KiB: a unit of work for one thread, a few hundred
// nanoseconds of reading, large enough that a task's overhead is small.
constexpr std::int64_t chunk_floats = std::int64_t{1} << 14;

inline std::int64_t chunks_in(std::int64_t set_length) {
  return (set_length + chunk_floats - 1) / chunk_floats;
}

// What a set's normalisation needs: mean and variance (layer, group, instance
// norm), or the mean of squares (RMS norm, weight norm).
enum class set_statistic { moments, mean_square };

// One chunk's contribution. For moments: count, mean and m2 of the values
// minus the set's first value. For mean_square: count, mean 0 and the sum of
// squares as m2 (Chan's merge then simply adds them). safe is false when some
// deviations left the range where float32 squares are exact enough.
struct chunk_statistics {
  set_moments moments;
  bool safe = true;
};

// The set's statistics from its chunks merged in order: adds the shift back
// (moments), or, when a chunk was unsafe, recomputes the set on the scalar
// path, which sums in double. Inline with internal linkage, like finish_set
// (kernels/contiguous_set_kernels.hpp).
namespace {

// shift is the set's first value as the kernels read it (set.at(0)).
inline set_moments finish_statistics(set_moments merged, bool safe, float shift,
                                     const set_values& set, set_statistic kind) {
  if (kind == set_statistic::moments) {
    if (!safe) return moments_of(set);
    merged.mean += static_cast<double>(shift);
    return merged;
  }
  if (!safe) {
    const double count = static_cast<double>(set.length);
    return set_moments{count, 0.0, mean_square_of(set) * count};
  }
  return merged;
}

// The same for a float32 set.
inline set_moments finish_statistics(set_moments merged, bool safe, const float* set,
                                     std::int64_t length, set_statistic kind) {
  return finish_statistics(merged, safe, set[0],
                           set_values{dtype::float32, set, nullptr, nullptr, length}, kind);
}

}  // namespace

}  // namespace simdnorm::statistics

#endif  // SIMDNORM_LIB_STATISTICS_SET_CHUNKS_HPP_
