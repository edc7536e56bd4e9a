#include "case_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "data_family.hpp"
#include "reference/reference.hpp"

namespace simdnorm::bench {

namespace {

constexpr std::uint64_t parameter_seed = 0x5eed'0001;

// |actual - expected|, 0 where both are non-finite, infinite where only one
// is (counted as a mismatch). A reference value past float32's range (a
// variance of 1e60 from data of 1e30) is non-finite as a float: an infinite
// output is then right.
double abs_error(float actual, double expected, std::int64_t& mismatches) {
  const bool finite = std::isfinite(actual);
  const bool expected_finite = std::isfinite(static_cast<float>(expected));
  if (finite && expected_finite) return std::fabs(static_cast<double>(actual) - expected);
  if (!finite && !expected_finite) return 0.0;
  ++mismatches;
  return std::numeric_limits<double>::infinity();
}

}  // namespace

affine_parameters affine_of_size(std::int64_t count) {
  return {bench::normal_floats(count, parameter_seed, 1.0, 0.1),
          bench::normal_floats(count, parameter_seed + 1, 0.0, 0.1)};
}

std::vector<float> weight_norm_gains(std::int64_t rows) {
  return bench::normal_floats(rows, parameter_seed + 2, 1.0, 0.1);
}

running_statistics running_statistics_of(const std::vector<float>& x, const shape& s) {
  const reference::trained stats = reference::batch_norm_training(
      x.data(), s, nullptr, nullptr, nullptr, nullptr, momentum, eps, running_var_kind::biased);
  running_statistics running;
  running.mean.resize(stats.save_mean.size());
  running.var.resize(stats.save_rstd.size());
  for (std::size_t i = 0; i < stats.save_mean.size(); ++i) {
    running.mean[i] = static_cast<float>(stats.save_mean[i]);
    const double rstd = stats.save_rstd[i];
    running.var[i] = static_cast<float>(1.0 / (rstd * rstd) - static_cast<double>(eps));
  }
  return running;
}

running_statistics fresh_running_statistics(std::int64_t channels) {
  const auto count = static_cast<std::size_t>(channels);
  return {std::vector<float>(count, 0.0f), std::vector<float>(count, 1.0f)};
}

void measure_y(error_figures& errors, const float* y, std::size_t count,
               const std::vector<double>& expected) {
  if (count != expected.size()) throw std::logic_error("reference y has another size");
  double max = 0.0, sum = 0.0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double error = abs_error(y[i], expected[i], errors.nonfinite_mismatches);
    max = std::max(max, error);
    sum += error;
  }
  errors.max_abs = max;
  errors.mean_abs = expected.empty() ? 0.0 : sum / static_cast<double>(expected.size());
}

void measure_stat(error_figures& errors, const float* actual, std::size_t count,
                  const std::vector<double>& expected) {
  if (count != expected.size()) throw std::logic_error("reference statistic has another size");
  double max = std::isnan(errors.stat_max_abs) ? 0.0 : errors.stat_max_abs;
  for (std::size_t i = 0; i < expected.size(); ++i)
    max = std::max(max, abs_error(actual[i], expected[i], errors.nonfinite_mismatches));
  errors.stat_max_abs = max;
}

}  // namespace simdnorm::bench
