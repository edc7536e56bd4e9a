#include <cstdint>

#include "api/contiguous_sets.hpp"
#include "scalar/kernels.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

std::int64_t check_rows(const validation::checker& check, const float* x, std::int64_t rows,
                        std::int64_t d, float eps, const float* y) {
  check.positive(rows, "rows");
  check.positive(d, "d");
  const std::int64_t count = check.element_count({rows, d}, "x (rows * d)");
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.eps(eps);
  return count;
}

}  // namespace

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  const validation::checker check("layer_norm");
  const std::int64_t count = check_rows(check, x, rows, d, eps, y);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {gamma, d, "gamma", role::input},
                    {beta, d, "beta", role::input},
                    {mean, rows, "mean", role::output},
                    {rstd, rows, "rstd", role::output}});
  const simd::contiguous_sets_args args{
      simd::set_norm_kind::standardize, x, d, 1, 1, gamma, beta, eps, y, mean, rstd};
  if (api::normalize_contiguous_sets(args, rows)) return;
  scalar::layer_norm(x, rows, d, gamma, beta, eps, y, mean, rstd);
}

void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd) {
  const validation::checker check("rms_norm");
  const std::int64_t count = check_rows(check, x, rows, d, eps, y);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {gamma, d, "gamma", role::input},
                    {beta, d, "beta", role::input},
                    {rstd, rows, "rstd", role::output}});
  const simd::contiguous_sets_args args{
      simd::set_norm_kind::rms, x, d, 1, 1, gamma, beta, eps, y, nullptr, rstd};
  if (api::normalize_contiguous_sets(args, rows)) return;
  scalar::rms_norm(x, rows, d, gamma, beta, eps, y, rstd);
}

}  // namespace simdnorm
