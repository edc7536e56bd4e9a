#include "statistics/mixed_normalizers.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

#include "statistics/running_statistics.hpp"

namespace simdnorm::statistics {

namespace {

double rstd_double(double var, float eps) { return 1.0 / std::sqrt(var + eps); }

// Mean and variance of channel c's batch part: measured in training, the
// running statistics in inference.
struct batch_part {
  std::vector<double> mean;
  std::vector<double> var;
};

batch_part batch_statistics(const std::vector<set_moments>& batch_moments, const shape& s,
                            const batch_source& source) {
  batch_part batch{std::vector<double>(static_cast<std::size_t>(s.c)),
                   std::vector<double>(static_cast<std::size_t>(s.c))};
  for (std::int64_t c = 0; c < s.c; ++c) {
    batch.mean[c] = source.training ? batch_moments[c].mean : source.running_mean[c];
    batch.var[c] = source.training ? batch_moments[c].variance() : source.running_var[c];
  }
  return batch;
}

}  // namespace

std::vector<set_moments> batch_moments(const std::vector<set_moments>& instances, const shape& s,
                                       const batch_source& source) {
  if (!source.training) return {};
  return merge_over_samples(instances, s);
}

void update_running(const std::vector<set_moments>& batch_moments, const batch_source& source) {
  if (!source.training || source.update_mean == nullptr) return;
  update_running_statistics(batch_moments, source.momentum, running_var_kind::unbiased,
                            source.update_mean, source.update_var);
}

std::vector<set_normalizer> batch_instance_normalizers(
    const std::vector<set_moments>& instances, const std::vector<set_moments>& batch_moments,
    const shape& s, const batch_source& source, const float* rho, float eps) {
  const batch_part batch = batch_statistics(batch_moments, s, source);
  // rho * (x - mb) * rb + (1 - rho) * (x - mi) * ri is linear in x: it is
  // (x - m) * r with r = rho * rb + (1 - rho) * ri and m the r-weighted mean of
  // mb and mi, written from the mean of the larger weight, the base:
  // m = base + correction, correction = (w_other / r) * (other - base). hi is
  // m rounded to float, and lo = (base - hi) + correction the rest, which
  // keeps the correction when it is below m's double rounding (|m| 2^-53), an
  // error r multiplies: forming lo as m - hi lost y entirely on a
  // near-constant instance of data near 1e38 (r ~ 316), and gave 113.7 for 0
  // with rho = 0 and eps = 1e-30 (r = 1e15). lo stays within about an ulp of
  // hi, as the kernels need: they fold lo * scale into the shift (with lo the
  // whole correction, a batch mean of 1000 against an instance of -1.75e38
  // overflowed that shift, and y came out +inf for -inf).
  std::vector<set_normalizer> sets(instances.size());
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t c = 0; c < s.c; ++c) {
      const set_moments& instance = instances[n * s.c + c];
      const double w_batch = rho[c] * rstd_double(batch.var[c], eps);
      const double w_instance = (1.0 - rho[c]) * rstd_double(instance.variance(), eps);
      const double r = w_batch + w_instance;
      const bool instance_based = w_instance >= w_batch;
      const double base = instance_based ? instance.mean : batch.mean[c];
      const double other = instance_based ? batch.mean[c] : instance.mean;
      const double correction = ((instance_based ? w_batch : w_instance) / r) * (other - base);
      const float hi = static_cast<float>(base + correction);
      // A non-finite mean has no rounding error to carry (as split()).
      const double lo =
          __builtin_isfinite(hi) ? (base - static_cast<double>(hi)) + correction : 0.0;
      sets[n * s.c + c] = set_normalizer{hi, static_cast<float>(lo), static_cast<float>(r)};
    }
  }
  return sets;
}

std::vector<set_normalizer> switchable_normalizers(const std::vector<set_moments>& instances,
                                                   const std::vector<set_moments>& batch_moments,
                                                   const shape& s, const batch_source& source,
                                                   const switch_weights& weights, float eps) {
  const batch_part batch = batch_statistics(batch_moments, s, source);
  std::vector<set_normalizer> sets(instances.size());
  for (std::int64_t n = 0; n < s.n; ++n) {
    set_moments layer;
    for (std::int64_t c = 0; c < s.c; ++c) layer = merge(layer, instances[n * s.c + c]);
    for (std::int64_t c = 0; c < s.c; ++c) {
      const set_moments& instance = instances[n * s.c + c];
      const double mean = weights.mean[0] * instance.mean + weights.mean[1] * layer.mean +
                          weights.mean[2] * batch.mean[c];
      const double var = weights.var[0] * instance.variance() + weights.var[1] * layer.variance() +
                         weights.var[2] * batch.var[c];
      sets[n * s.c + c] = normalizer_of(mean, var, eps);
    }
  }
  return sets;
}

}  // namespace simdnorm::statistics
