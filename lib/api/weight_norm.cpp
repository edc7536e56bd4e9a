// Weight norm: validation, then the vector path's contiguous-set schedule
// or the scalar path.
#include <cstdint>
#include <string>
#include <vector>

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

struct weight_call {
  const float* v;
  const float* g;
  std::int64_t rows;
  std::int64_t cols;
  float* w;
  float* norm;
};

std::string describe(const weight_call& call) {
  return dispatch::describe_rows(call.rows, call.cols);
}

constexpr dispatch::implementation<weight_call> implementations[] = {
    {"rows",
     [](const weight_call&, const dispatch::path& p) { return dispatch::needs_vector_isa(p); },
     [](const weight_call& a, const dispatch::path& p) {
       // Rows the normalising pass leaves unscaled (their norm is too small
       // for a float factor), finished afterwards in double.
       std::vector<unsigned char> unscaled(static_cast<std::size_t>(a.rows), 0);
       const kernels::contiguous_sets_args args{kernels::set_norm_kind::weight,
                                                a.v,
                                                a.cols,
                                                1,
                                                1,
                                                nullptr,
                                                nullptr,
                                                0.0f,
                                                a.w,
                                                nullptr,
                                                nullptr,
                                                a.g,
                                                a.norm,
                                                unscaled.data()};
       schedule::normalize_contiguous_sets(p, args, a.rows);
       scalar::finish_tiny_norm_rows(unscaled.data(), a.g, a.rows, a.cols, a.w);
     }},
    {"scalar", dispatch::takes_every_call<weight_call>,
     [](const weight_call& a, const dispatch::path&) {
       scalar::weight_norm(a.v, a.g, a.rows, a.cols, a.w, a.norm);
     }},
};

}  // namespace

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
  dispatch::run_first_accepting("weight_norm", implementations,
                                weight_call{v, g, rows, cols, w, norm});
}

}  // namespace simdnorm
