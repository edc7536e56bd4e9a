// Layer norm and RMS norm over rows x d: validation, then the vector path's
// contiguous-set schedule or the scalar path.
#include <cstdint>
#include <string>

#include "dispatch/implementation.hpp"
#include "dispatch/verbose.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "scalar/methods.hpp"
#include "schedule/contiguous_sets.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

// A validated call; rms leaves mean unused.
struct row_call {
  bool rms;
  const float* x;
  std::int64_t rows;
  std::int64_t d;
  const float* gamma;
  const float* beta;
  float eps;
  float* y;
  float* mean;
  float* rstd;
};

std::string describe(const row_call& call) { return dispatch::describe_rows(call.rows, call.d); }

constexpr dispatch::implementation<row_call> implementations[] = {
    // Each row a contiguous set: statistics, then normalisation while the row
    // is in cache.
    {"rows", [](const row_call&, const dispatch::path& p) { return dispatch::needs_vector_isa(p); },
     [](const row_call& a, const dispatch::path& p) {
       const kernels::contiguous_sets_args args{
           a.rms ? kernels::set_norm_kind::rms : kernels::set_norm_kind::standardize,
           a.x,
           a.d,
           1,
           1,
           a.gamma,
           a.beta,
           a.eps,
           a.y,
           a.mean,
           a.rstd};
       schedule::normalize_contiguous_sets(p, args, a.rows);
     }},
    {"scalar", dispatch::takes_every_call<row_call>,
     [](const row_call& a, const dispatch::path&) {
       if (a.rms) {
         scalar::rms_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.rstd);
       } else {
         scalar::layer_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
       }
     }},
};

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
  dispatch::run_first_accepting("layer_norm", implementations,
                                row_call{false, x, rows, d, gamma, beta, eps, y, mean, rstd});
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
  dispatch::run_first_accepting("rms_norm", implementations,
                                row_call{true, x, rows, d, gamma, beta, eps, y, nullptr, rstd});
}

}  // namespace simdnorm
