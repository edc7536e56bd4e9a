#include <cstdint>
#include <vector>

#include "api/contiguous_sets.hpp"
#include "scalar/kernels.hpp"
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
  // Rows the normalising pass leaves unscaled (their norm is too small for a
  // float factor), finished afterwards in double.
  std::vector<unsigned char> unscaled(static_cast<std::size_t>(rows), 0);
  const simd::contiguous_sets_args args{simd::set_norm_kind::weight,
                                        v,
                                        cols,
                                        1,
                                        1,
                                        nullptr,
                                        nullptr,
                                        0.0f,
                                        w,
                                        nullptr,
                                        nullptr,
                                        g,
                                        norm,
                                        unscaled.data()};
  if (api::normalize_contiguous_sets(args, rows)) {
    scalar::finish_tiny_norm_rows(unscaled.data(), g, rows, cols, w);
    return;
  }
  scalar::weight_norm(v, g, rows, cols, w, norm);
}

}  // namespace simdnorm
