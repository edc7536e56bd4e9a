#include <cstdint>
#include <string>
#include <vector>

#include "api/channel_steps.hpp"
#include "api/contiguous_sets.hpp"
#include "dispatch/isa.hpp"
#include "scalar/kernels.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// NHWC group norm on the engine: the per-(n, c) moments of every sample in
// one parallel pass, merged into groups in channel order, then one parallel
// normalisation with per-(n, c) factors. False, doing nothing, when the
// active level is scalar.
bool nhwc_group_norm_on_engine(const float* x, const shape& s, std::int64_t groups,
                               const float* gamma, const float* beta, float eps, float* y,
                               float* mean, float* rstd) {
  if (dispatch::active_isa() == dispatch::isa::scalar) return false;
  const std::int64_t width = s.c / groups;
  const std::vector<scalar::set_moments> instances = api::instance_moments(x, s);
  std::vector<scalar::set_normalizer> per_instance(instances.size());
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t g = 0; g < groups; ++g) {
      const std::int64_t first = n * s.c + g * width;
      scalar::set_moments group;
      for (std::int64_t c = first; c < first + width; ++c)
        group = scalar::merge(group, instances[c]);
      const scalar::set_normalizer set = scalar::normalizer_of(group.mean, group.variance(), eps);
      for (std::int64_t c = first; c < first + width; ++c) per_instance[c] = set;
      if (mean != nullptr) mean[n * groups + g] = static_cast<float>(group.mean);
      if (rstd != nullptr) rstd[n * groups + g] = set.rstd;
    }
  }
  api::normalize_per_instance(x, s, per_instance, gamma, beta, y);
  return true;
}

// Instance norm is group norm with one channel a group; both validate the
// same arguments, under their own names.
void checked_group_norm(const validation::checker& check, const float* x, const shape& s,
                        std::int64_t groups, const float* gamma, const float* beta, float eps,
                        float* y, float* mean, float* rstd) {
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
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {gamma, s.c, "gamma", role::input},
                    {beta, s.c, "beta", role::input},
                    {mean, sets, "mean", role::output},
                    {rstd, sets, "rstd", role::output}});
  if (s.layout == layout::nchw) {
    // An NCHW group is the contiguous run of its channels' planes.
    const simd::contiguous_sets_args args{simd::set_norm_kind::standardize,
                                          x,
                                          count / sets,
                                          s.spatial,
                                          groups,
                                          gamma,
                                          beta,
                                          eps,
                                          y,
                                          mean,
                                          rstd};
    if (api::normalize_contiguous_sets(args, sets)) return;
  }
  if (s.layout == layout::nhwc &&
      nhwc_group_norm_on_engine(x, s, groups, gamma, beta, eps, y, mean, rstd)) {
    return;
  }
  scalar::group_norm(x, s, groups, gamma, beta, eps, y, mean, rstd);
}

}  // namespace

void instance_norm(const float* x, const shape& s, const float* gamma, const float* beta, float eps,
                   float* y, float* mean, float* rstd) {
  checked_group_norm(validation::checker("instance_norm"), x, s, s.c, gamma, beta, eps, y, mean,
                     rstd);
}

void group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  checked_group_norm(validation::checker("group_norm"), x, s, groups, gamma, beta, eps, y, mean,
                     rstd);
}

}  // namespace simdnorm
