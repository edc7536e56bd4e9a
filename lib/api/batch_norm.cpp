#include <cstdint>
#include <vector>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/batch_statistics.hpp"
#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simd/channel_norms.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// Batch norm's statistics sets are channels, shared by every sample.
constexpr scalar::set_map per_channel{0, 1};

// Rows of an NHWC tensor per chunk of its statistics: about 64K floats, a
// function of the shape only, so that the chunks (and the order they merge
// in) never depend on the thread count.
std::int64_t rows_per_chunk(const shape& s) {
  const std::int64_t rows = (std::int64_t{1} << 16) / s.c;
  return rows < 1 ? 1 : rows;
}

// Moments of every channel over n and spatial: the engine when active, the
// scalar path otherwise.
std::vector<scalar::set_moments> batch_moments(const float* x, const shape& s) {
  if (s.layout == layout::nhwc) {
    const std::int64_t rows = s.n * s.spatial;
    const std::int64_t per_chunk = rows_per_chunk(s);
    const std::int64_t chunks = (rows + per_chunk - 1) / per_chunk;
    std::vector<scalar::set_moments> partials(static_cast<std::size_t>(chunks * s.c));
    const simd::nhwc_channel_moments_args args{x, s, per_chunk, partials.data()};
    if (dispatch::run_on_active_isa(simd::nhwc_channel_moments_kernel{}, args, chunks,
                                    per_chunk * s.c)) {
      std::vector<scalar::set_moments> channels(static_cast<std::size_t>(s.c));
      for (std::int64_t k = 0; k < chunks; ++k) {
        for (std::int64_t c = 0; c < s.c; ++c) {
          channels[c] = scalar::merge(channels[c], partials[k * s.c + c]);
        }
      }
      return channels;
    }
  }
  if (s.layout == layout::nchw) {
    std::vector<scalar::set_moments> channels(static_cast<std::size_t>(s.c));
    const simd::channel_moments_args args{x, s, channels.data()};
    if (dispatch::run_on_active_isa(simd::nchw_channel_moments_kernel{}, args, s.c,
                                    s.n * s.spatial)) {
      return channels;
    }
  }
  return scalar::channel_moments(x, s);
}

// y = ((x - hi) - lo) * (rstd * gamma) + beta per channel: the engine over NCHW
// planes or NHWC positions, or the scalar path. Both form scale = rstd * gamma
// the same way, so they differ only in the order of operations inside fma.
void normalize_per_channel(const float* x, const shape& s,
                           const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                           const float* beta, float* y) {
  if (dispatch::active_isa() != dispatch::isa::scalar) {
    std::vector<float> hi(sets.size()), lo(sets.size()), scale(sets.size()), shift(sets.size());
    for (std::size_t c = 0; c < sets.size(); ++c) {
      hi[c] = sets[c].hi;
      lo[c] = sets[c].lo;
      scale[c] = gamma != nullptr ? sets[c].rstd * gamma[c] : sets[c].rstd;
      shift[c] = beta != nullptr ? beta[c] : 0.0f;
    }
    const simd::channel_affine_args args{x, s, hi.data(), lo.data(), scale.data(), shift.data(), y};
    const bool planes = s.layout == layout::nchw;
    if (dispatch::run_on_active_isa(simd::channel_affine_kernel{}, args,
                                    planes ? s.n * s.c : s.n * s.spatial,
                                    planes ? s.spatial : s.c)) {
      return;
    }
  }
  scalar::normalize(x, y, s, sets, per_channel, gamma, beta);
}

}  // namespace

void batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                          const float* running_var, const float* gamma, const float* beta,
                          float eps, float* y) {
  const validation::checker check("batch_norm_inference");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(running_var, "running_var");
  check.not_null(y, "y");
  check.eps(eps);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::input},
                    {running_var, s.c, "running_var", role::input},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input}});
  // The running mean is a float already: subtracted first, it has no second
  // part to carry.
  std::vector<scalar::set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    sets[c] = scalar::set_normalizer{running_mean[c], 0.0f, scalar::rstd_of(running_var[c], eps)};
  }
  normalize_per_channel(x, s, sets, gamma, beta, y);
}

void batch_norm_training(const float* x, const shape& s, float* running_mean, float* running_var,
                         const float* gamma, const float* beta, float momentum, float eps,
                         running_var_kind kind, float* y, float* save_mean, float* save_rstd) {
  const validation::checker check("batch_norm_training");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.both_or_neither(running_mean, "running_mean", running_var, "running_var");
  check.unit_interval(momentum, "momentum");
  check.eps(eps);
  if (kind != running_var_kind::unbiased && kind != running_var_kind::biased) {
    check.fail("running_var_kind must be unbiased or biased, got " +
               std::to_string(static_cast<int>(kind)));
  }
  check.several_values_per_channel(s);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {running_var, s.c, "running_var", role::in_out},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output},
                    {save_rstd, s.c, "save_rstd", role::output}});
  const std::vector<scalar::set_moments> channels = batch_moments(x, s);
  std::vector<scalar::set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    sets[c] = scalar::normalizer_of(channels[c].mean, channels[c].variance(), eps);
  }
  normalize_per_channel(x, s, sets, gamma, beta, y);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
    if (save_rstd != nullptr) save_rstd[c] = sets[c].rstd;
  }
  if (running_mean != nullptr) {
    scalar::update_running_statistics(channels, momentum, kind, running_mean, running_var);
  }
}

void batch_norm_mean_only_training(const float* x, const shape& s, float* running_mean,
                                   const float* beta, float momentum, float* y, float* save_mean) {
  const validation::checker check("batch_norm_mean_only_training");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.unit_interval(momentum, "momentum");
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output}});
  const std::vector<scalar::set_moments> channels = batch_moments(x, s);
  std::vector<scalar::set_normalizer> sets(channels.size());
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const scalar::split_mean mean = scalar::split(channels[c].mean);
    sets[c] = scalar::set_normalizer{mean.hi, mean.lo, 1.0f};
  }
  normalize_per_channel(x, s, sets, nullptr, beta, y);
  for (std::size_t c = 0; c < channels.size(); ++c) {
    if (save_mean != nullptr) save_mean[c] = static_cast<float>(channels[c].mean);
  }
  if (running_mean != nullptr) {
    scalar::update_running_statistics(channels, momentum, running_var_kind::biased, running_mean,
                                      nullptr);
  }
}

void batch_norm_mean_only_inference(const float* x, const shape& s, const float* running_mean,
                                    const float* beta, float* y) {
  const validation::checker check("batch_norm_mean_only_inference");
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(y, "y");
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {running_mean, s.c, "running_mean", role::input},
                    {beta, s.c, "beta", role::input}});
  std::vector<scalar::set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    sets[c] = scalar::set_normalizer{running_mean[c], 0.0f, 1.0f};
  }
  normalize_per_channel(x, s, sets, nullptr, beta, y);
}

}  // namespace simdnorm
