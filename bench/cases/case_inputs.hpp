// The parameters every implementation of a case gets (gamma, beta, running
// statistics, eps, momentum) and the comparison with the float64 reference,
// shared by simdnorm's calls and the peers' so that all of them normalise the
// same numbers and are scored the same way.
#ifndef SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_
#define SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "prepared_call.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

inline constexpr float eps = 1e-5f;
inline constexpr float momentum = 0.1f;

// gamma near 1 and beta near 0, as after some training; the same for every
// case and data family of a given size.
struct affine_parameters {
  std::vector<float> gamma, beta;
};
affine_parameters affine_of_size(std::int64_t count);

// Weight norm's g, one per output row, near 1.
std::vector<float> weight_norm_gains(std::int64_t rows);

struct running_statistics {
  std::vector<float> mean, var;
};
// The data's own per-channel statistics (float64, rounded; biased variance),
// so that inference outputs are O(1) on every data family.
running_statistics running_statistics_of(const std::vector<float>& x, const shape& s);
// PyTorch's initial running statistics: mean 0, variance 1.
running_statistics fresh_running_statistics(std::int64_t channels);

// Sets errors.max_abs and errors.mean_abs from the count values of y, and
// counts its non-finite mismatches (see error_figures). Throws
// std::logic_error when count is not the reference's size.
void measure_y(error_figures& errors, const float* y, std::size_t count,
               const std::vector<double>& expected);
// Raises errors.stat_max_abs to the largest error of one statistic output.
void measure_stat(error_figures& errors, const float* actual, std::size_t count,
                  const std::vector<double>& expected);
// The same for outputs held in vectors.
inline void measure_y(error_figures& errors, const std::vector<float>& y,
                      const std::vector<double>& expected) {
  measure_y(errors, y.data(), y.size(), expected);
}
inline void measure_stat(error_figures& errors, const std::vector<float>& actual,
                         const std::vector<double>& expected) {
  measure_stat(errors, actual.data(), actual.size(), expected);
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_
