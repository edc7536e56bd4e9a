// Group norm and instance norm (group norm with one channel a group):
// validation, then the first implementation that takes the call.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "api/channel_implementations.hpp"
#include "dispatch/implementation.hpp"
#include "dispatch/verbose.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "scalar/methods.hpp"
#include "schedule/channel_steps.hpp"
#include "schedule/contiguous_sets.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

struct group_call {
  const void* x;  // elements of type, as y
  shape s;
  std::int64_t groups;
  const float* gamma;
  const float* beta;
  float eps;
  void* y;
  float* mean;
  float* rstd;
  activation act;
  dtype type;
};

std::string describe(const group_call& call) {
  return dispatch::describe_activation(call.s) + " groups:" + std::to_string(call.groups);
}

// An NCHW group is one contiguous run of its channels' planes: the
// contiguous-set schedule, as rows.
void nchw_sets(const group_call& a, const dispatch::path& p) {
  const std::int64_t sets = a.s.n * a.groups;
  kernels::contiguous_sets_args args{kernels::set_norm_kind::standardize,
                                     a.x,
                                     a.s.c * a.s.spatial / a.groups,
                                     a.s.spatial,
                                     a.groups,
                                     a.gamma,
                                     a.beta,
                                     a.eps,
                                     a.y,
                                     a.mean,
                                     a.rstd};
  args.act = a.act;
  args.type = a.type;
  schedule::normalize_contiguous_sets(p, args, sets);
}

// NHWC: the per-(n, c) moments of every sample in one parallel pass, merged
// into groups in channel order, then one parallel normalisation with
// per-(n, c) factors.
void nhwc_channels(const group_call& a, const dispatch::path& p) {
  const schedule::channel_steps steps(p);
  const std::int64_t width = a.s.c / a.groups;
  const std::vector<statistics::set_moments> groups =
      steps.group_moments(a.x, a.s, a.groups, a.type);
  std::vector<statistics::set_normalizer> per_instance(static_cast<std::size_t>(a.s.n * a.s.c));
  for (std::int64_t set = 0; set < a.s.n * a.groups; ++set) {
    const statistics::set_normalizer normalizer =
        statistics::normalizer_of(groups[set].mean, groups[set].variance(), a.eps);
    std::fill_n(per_instance.begin() + set * width, width, normalizer);
  }
  steps.normalize(a.x, a.s, per_instance, true, a.gamma, a.beta, a.y, a.act, a.type);
  // The statistics outputs last: normalize allocates before it writes y,
  // and nothing after its first write can fail. hi is the group's mean
  // rounded to float.
  for (std::int64_t set = 0; set < a.s.n * a.groups; ++set) {
    const statistics::set_normalizer& first = per_instance[set * width];
    if (a.mean != nullptr) a.mean[set] = first.hi;
    if (a.rstd != nullptr) a.rstd[set] = first.rstd;
  }
}

constexpr dispatch::implementation<group_call> implementations[] = {
    {"nchw_sets", api::unless_vector_in<group_call, layout::nchw>, nchw_sets},
    {"nhwc_channels", api::unless_vector_in<group_call, layout::nhwc>, nhwc_channels},
    {"scalar", dispatch::takes_every_call<group_call>,
     [](const group_call& a, const dispatch::path&) {
       scalar::group_norm(a.type, a.x, a.s, a.groups, a.gamma, a.beta, a.eps, a.act, a.y, a.mean,
                          a.rstd);
     }},
};

// Instance norm and group norm validate the same arguments, under their own
// names.
void checked_group_norm(const char* function, dtype type, const void* x, const shape& s,
                        std::int64_t groups, const float* gamma, const float* beta, float eps,
                        activation act, void* y, float* mean, float* rstd) {
  const validation::checker check(function);
  check.element_type(type);
  check.activation_kind(act);
  const std::int64_t count = check.activation(s);
  check.positive(groups, "groups");
  if (s.c % groups != 0) {
    check.fail("groups (" + std::to_string(groups) + ") must divide c (" + std::to_string(s.c) +
               ")");
  }
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.eps(eps);
  const std::int64_t sets = s.n * groups;
  const std::int64_t bytes = element_size(type);
  check.no_overlap({{x, count, "x", role::primary_input, bytes},
                    {y, count, "y", role::primary_output, bytes},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {mean, sets, "mean", role::output},
                    {rstd, sets, "rstd", role::output}});
  dispatch::run_first_accepting(
      function, implementations,
      group_call{x, s, groups, gamma, beta, eps, y, mean, rstd, act, type});
}

}  // namespace

void instance_norm(const float* x, const shape& s, const float* gamma, const float* beta, float eps,
                   float* y, float* mean, float* rstd) {
  checked_group_norm("instance_norm", dtype::float32, x, s, s.c, gamma, beta, eps, activation::none,
                     y, mean, rstd);
}

void group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  checked_group_norm("group_norm", dtype::float32, x, s, groups, gamma, beta, eps, activation::none,
                     y, mean, rstd);
}

void instance_norm(dtype type, const void* x, const shape& s, const float* gamma, const float* beta,
                   float eps, activation act, void* y, float* mean, float* rstd) {
  checked_group_norm("instance_norm", type, x, s, s.c, gamma, beta, eps, act, y, mean, rstd);
}

void group_norm(dtype type, const void* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, activation act, void* y, float* mean, float* rstd) {
  checked_group_norm("group_norm", type, x, s, groups, gamma, beta, eps, act, y, mean, rstd);
}

}  // namespace simdnorm
