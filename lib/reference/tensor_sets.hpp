// Internal to the float64 oracle: how the oracle walks a tensor and takes the
// statistics of a set. Every method's sets are built from the two walks here
// (per channel over n and spatial; per sample over a range of channels and
// spatial), so the index conventions live in one place.
#ifndef SIMDNORM_LIB_REFERENCE_TENSOR_SETS_HPP_
#define SIMDNORM_LIB_REFERENCE_TENSOR_SETS_HPP_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::reference {

// Mean and biased variance of a set of values.
struct set_stats {
  double mean;
  double var;
};

// The textbook two passes in double: mean = sum(x) / n, then
// var = sum((x - mean)^2) / n. No shift and no blocking, so that the oracle is
// obviously right; NaN and Inf propagate by IEEE rules. `for_each_value(f)`
// must call f(double) once for every value of the set, the same way each time.
template <class ForEachValue>
set_stats two_pass(ForEachValue for_each_value) {
  std::int64_t count = 0;
  double sum = 0.0;
  for_each_value([&](double v) {
    sum += v;
    ++count;
  });
  const double mean = sum / static_cast<double>(count);
  double squares = 0.0;
  for_each_value([&](double v) {
    const double d = v - mean;
    squares += d * d;
  });
  return set_stats{mean, squares / static_cast<double>(count)};
}

// Where element (sample, channel, position) lives: NCHW at
// ((n * C + c) * S + p), NHWC at ((n * S + p) * C + c).
inline std::int64_t offset(const shape& s, std::int64_t n, std::int64_t c, std::int64_t p) {
  return s.layout == layout::nchw ? (n * s.c + c) * s.spatial + p : (n * s.spatial + p) * s.c + c;
}

inline std::int64_t element_count(const shape& s) { return s.n * s.c * s.spatial; }

// y[i] = f(x[i], n, c) for every element of the tensor, y in x's layout.
template <class ElementFn>
std::vector<double> map_elements(const float* x, const shape& s, ElementFn f) {
  std::vector<double> y(static_cast<std::size_t>(element_count(s)));
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t c = 0; c < s.c; ++c) {
      for (std::int64_t p = 0; p < s.spatial; ++p) {
        const std::int64_t i = offset(s, n, c, p);
        y[static_cast<std::size_t>(i)] = f(static_cast<double>(x[i]), n, c);
      }
    }
  }
  return y;
}

// Batch-norm sets: one per channel c, over every sample and position.
std::vector<set_stats> batch_stats(const float* x, const shape& s);

// Group-norm sets: one per (n, g), over channels [g * C / G, (g + 1) * C / G)
// and every position; indexed n * G + g. G = C gives instance-norm sets
// (index n * C + c), G = 1 layer-norm sets over C x spatial (index n).
std::vector<set_stats> group_stats(const float* x, const shape& s, std::int64_t groups);

// 1 / sqrt(var + eps), eps widened from float.
inline double rstd_of(double var, float eps) {
  return 1.0 / std::sqrt(var + static_cast<double>(eps));
}

// Optional affine parameters: an absent gamma is 1, an absent beta 0.
inline double gamma_at(const float* gamma, std::int64_t i) {
  return gamma != nullptr ? static_cast<double>(gamma[i]) : 1.0;
}
inline double beta_at(const float* beta, std::int64_t i) {
  return beta != nullptr ? static_cast<double>(beta[i]) : 0.0;
}

// A float array of count values, widened to double.
std::vector<double> widen(const float* v, std::int64_t count);

}  // namespace simdnorm::reference

#endif  // SIMDNORM_LIB_REFERENCE_TENSOR_SETS_HPP_
