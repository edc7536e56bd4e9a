// Batch norm: inference, training, and the mean-only variants. Each entry
// point validates its arguments, then runs on the path chosen for the call
// (api/channel_implementations.hpp).
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "api/channel_implementations.hpp"
#include "dispatch/call_on_isa.hpp"
#include "dispatch/path.hpp"
#include "dispatch/verbose.hpp"
#include "kernels/channel_kernels.hpp"
#include "schedule/channel_steps.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/running_statistics.hpp"
#include "statistics/set_moments.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// A validated training call; mean_only leaves running_var, gamma, eps, kind,
// save_rstd unused.
struct training_call {
  bool mean_only;
  const void* x;  // elements of type, as y
  shape s;
  float* running_mean;
  float* running_var;
  const float* gamma;
  const float* beta;
  float momentum;
  float eps;
  running_var_kind kind;
  void* y;
  float* save_mean;
  float* save_rstd;
  activation act = activation::none;
  dtype type = dtype::float32;
};

std::string describe(const training_call& call) { return dispatch::describe_activation(call.s); }

struct train {
  template <class Steps>
  void operator()(const Steps& steps, const training_call& a) const {
    const auto normaliser_of = [&a](const statistics::set_moments& channel) {
      if (a.mean_only) {
        const statistics::split_mean mean = statistics::split(channel.mean);
        return statistics::set_normalizer{mean.hi, mean.lo, 1.0f};
      }
      return statistics::normalizer_of(channel.mean, channel.variance(), a.eps);
    };
    const float* const gamma = a.mean_only ? nullptr : a.gamma;
    std::vector<statistics::set_moments> channels;
    std::vector<statistics::set_normalizer> sets;
    bool normalized = false;
    if constexpr (std::is_same<Steps, schedule::channel_steps>::value) {
      normalized = steps.normalize_channel_by_channel(a.x, a.s, a.type, normaliser_of, gamma,
                                                      a.beta, a.y, a.act, channels, sets);
    }
    if (!normalized) {
      channels = steps.batch_moments(a.x, a.s, a.type);
      if constexpr (std::is_same<Steps, schedule::channel_steps>::value) {
        if (!a.mean_only) sets = steps.normalizers_of(channels, a.eps);
      }
      if (sets.size() != channels.size()) {
        sets.resize(channels.size());
        for (std::size_t c = 0; c < channels.size(); ++c) sets[c] = normaliser_of(channels[c]);
      }
      steps.normalize(a.x, a.s, sets, false, gamma, a.beta, a.y, a.act, a.type, true);
    }
    for (std::size_t c = 0; c < channels.size(); ++c) {
      if (a.save_mean != nullptr) a.save_mean[c] = static_cast<float>(channels[c].mean);
      if (a.save_rstd != nullptr) a.save_rstd[c] = sets[c].rstd;
    }
    if (a.running_mean != nullptr) {
      statistics::update_running_statistics(channels, a.momentum,
                                            a.mean_only ? running_var_kind::biased : a.kind,
                                            a.running_mean, a.mean_only ? nullptr : a.running_var);
    }
  }
};

void run_training(const char* method, const training_call& call) {
  training_call kernels_call = call;
  kernels_call.s = api::kernel_shape(call.s);
  dispatch::run_first_accepting(method, api::channel_implementations<training_call, train>::list,
                                kernels_call);
}

}  // namespace

void batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                          const float* running_var, const float* gamma, const float* beta,
                          float eps, float* y) {
  batch_norm_inference(dtype::float32, x, s, running_mean, running_var, gamma, beta, eps,
                       activation::none, y);
}

void batch_norm_inference(dtype type, const void* x, const shape& s, const float* running_mean,
                          const float* running_var, const float* gamma, const float* beta,
                          float eps, activation act, void* y) {
  const validation::checker check("batch_norm_inference");
  check.element_type(type);
  check.activation_kind(act);
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(running_var, "running_var");
  check.not_null(y, "y");
  check.eps(eps);
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {running_mean, s.c, "running_mean", role::input},
                    {running_var, s.c, "running_var", role::input},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input}});
  check.non_negative(running_var, s.c, "running_var");
  // The running mean is a float already: subtracted first, it has no second
  // part to carry.
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(s.c));
  // Vectorised in the instruction set's file where the call has one (the
  // same IEEE operations, so the same bits as the scalar loop).
  const kernels::running_normalizers_args normalizers{running_mean, running_var, eps, sets.data()};
  const dispatch::path p = dispatch::current_path();
  if (p.level != dispatch::isa::scalar) {
    dispatch::call_on_isa(p.level, kernels::running_normalizers_kernel{}, normalizers,
                          std::int64_t{0}, s.c);
  } else {
    for (std::int64_t c = 0; c < s.c; ++c) {
      sets[c] = statistics::set_normalizer{running_mean[c], 0.0f,
                                           statistics::rstd_of(running_var[c], eps)};
    }
  }
  api::run_channel_normalization("batch_norm_inference", {x, s, sets, gamma, beta, y, act, type});
}

void batch_norm_training(const float* x, const shape& s, float* running_mean, float* running_var,
                         const float* gamma, const float* beta, float momentum, float eps,
                         running_var_kind kind, float* y, float* save_mean, float* save_rstd) {
  batch_norm_training(dtype::float32, x, s, running_mean, running_var, gamma, beta, momentum, eps,
                      kind, activation::none, y, save_mean, save_rstd);
}

void batch_norm_training(dtype type, const void* x, const shape& s, float* running_mean,
                         float* running_var, const float* gamma, const float* beta, float momentum,
                         float eps, running_var_kind kind, activation act, void* y,
                         float* save_mean, float* save_rstd) {
  const validation::checker check("batch_norm_training");
  check.element_type(type);
  check.activation_kind(act);
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
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {running_var, s.c, "running_var", role::in_out},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output},
                    {save_rstd, s.c, "save_rstd", role::output}});
  run_training("batch_norm_training", {false, x, s, running_mean, running_var, gamma, beta,
                                       momentum, eps, kind, y, save_mean, save_rstd, act, type});
}

void batch_norm_mean_only_training(const float* x, const shape& s, float* running_mean,
                                   const float* beta, float momentum, float* y, float* save_mean) {
  batch_norm_mean_only_training(dtype::float32, x, s, running_mean, beta, momentum, y, save_mean);
}

void batch_norm_mean_only_training(dtype type, const void* x, const shape& s, float* running_mean,
                                   const float* beta, float momentum, void* y, float* save_mean) {
  const validation::checker check("batch_norm_mean_only_training");
  check.element_type(type);
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.unit_interval(momentum, "momentum");
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {running_mean, s.c, "running_mean", role::in_out},
                    {beta, s.c, "beta", role::input},
                    {save_mean, s.c, "save_mean", role::output}});
  run_training("batch_norm_mean_only_training",
               {true, x, s, running_mean, nullptr, nullptr, beta, momentum, 0.0f,
                running_var_kind::biased, y, save_mean, nullptr, activation::none, type});
}

void batch_norm_mean_only_inference(const float* x, const shape& s, const float* running_mean,
                                    const float* beta, float* y) {
  batch_norm_mean_only_inference(dtype::float32, x, s, running_mean, beta, y);
}

void batch_norm_mean_only_inference(dtype type, const void* x, const shape& s,
                                    const float* running_mean, const float* beta, void* y) {
  const validation::checker check("batch_norm_mean_only_inference");
  check.element_type(type);
  const std::int64_t count = check.activation(s);
  check.not_null(x, "x");
  check.not_null(running_mean, "running_mean");
  check.not_null(y, "y");
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {running_mean, s.c, "running_mean", role::input},
                    {beta, s.c, "beta", role::input}});
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(s.c));
  for (std::int64_t c = 0; c < s.c; ++c) {
    sets[c] = statistics::set_normalizer{running_mean[c], 0.0f, 1.0f};
  }
  api::run_channel_normalization("batch_norm_mean_only_inference",
                                 {x, s, sets, nullptr, beta, y, activation::none, type});
}

}  // namespace simdnorm
