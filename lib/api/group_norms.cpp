#include <cstdint>
#include <string>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/kernels.hpp"
#include "simd/channel_norms.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

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
    const simd::group_norm_args args{x, s, groups, gamma, beta, eps, y, mean, rstd};
    if (dispatch::run_on_active_isa(simd::nchw_group_norm_kernel{}, args, sets, count / sets)) {
      return;
    }
  }
  // NHWC groups are not vectorised yet.
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
