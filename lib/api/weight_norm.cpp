#include <cstdint>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/kernels.hpp"
#include "simd/row_norms.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm) {
  const validation::checker check("weight_norm");
  check.positive(rows, "rows");
  check.positive(cols, "cols");
  const std::int64_t count = check.element_count({rows, cols}, "v (rows * cols)");
  check.not_null(v, "v");
  check.not_null(g, "g");
  check.not_null(w, "w");
  check.no_overlap({{v, count, "v", role::primary_input},
                    {w, count, "w", role::primary_output},
                    {g, rows, "g", role::input},
                    {norm, rows, "norm", role::output}});
  simd::row_norm_args args{
      simd::row_norm_kind::weight, v, cols, nullptr, nullptr, 0.0f, w, nullptr, nullptr};
  args.gain = g;
  args.norm = norm;
  if (dispatch::run_on_active_isa(simd::row_norm_kernel{}, args, rows, cols)) return;
  scalar::weight_norm(v, g, rows, cols, w, norm);
}

}  // namespace simdnorm
