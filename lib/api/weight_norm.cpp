// Weight norm: validation, then the vector path's contiguous-set schedule
// or the scalar path.
#include <cstdint>
#include <string>
#include <vector>

#include "dispatch/implementation.hpp"
#include "dispatch/verbose.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "scalar/channel_steps.hpp"
#include "scalar/methods.hpp"
#include "schedule/contiguous_sets.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/set_moments.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

struct weight_call {
  dtype type;  // of v and w
  const void* v;
  const float* g;
  std::int64_t rows;
  std::int64_t cols;
  void* w;
  float* norm;
};

std::string describe(const weight_call& call) {
  return dispatch::describe_rows(call.rows, call.cols);
}

// The scalar path of a 16-bit call: v widened into a float32 tensor, the
// float32 scalar weight norm of it, then w rounded from it; both tensors
// allocated before anything is written (the scalar path is the reference
// the vector kernels are measured against, not a fast one).
void scalar_typed_weight_norm(const weight_call& a) {
  const auto count = static_cast<std::size_t>(a.rows * a.cols);
  std::vector<float> v(count), w(count);
  const statistics::set_values values{a.type, a.v, nullptr, nullptr, a.rows * a.cols};
  for (std::size_t i = 0; i < count; ++i) v[i] = values.at(static_cast<std::int64_t>(i));
  scalar::weight_norm(v.data(), a.g, a.rows, a.cols, w.data(), a.norm);
  for (std::size_t i = 0; i < count; ++i) {
    scalar::store_element(a.type, a.w, static_cast<std::int64_t>(i), w[i]);
  }
}

constexpr dispatch::implementation<weight_call> implementations[] = {
    {"rows",
     [](const weight_call&, const dispatch::path& p) { return dispatch::needs_vector_isa(p); },
     [](const weight_call& a, const dispatch::path& p) {
       // Rows the normalising pass leaves unscaled (their norm is too small
       // for a float factor), finished afterwards in double.
       std::vector<unsigned char> unscaled(static_cast<std::size_t>(a.rows), 0);
       kernels::contiguous_sets_args args{kernels::set_norm_kind::weight,
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
       args.type = a.type;
       schedule::normalize_contiguous_sets(p, args, a.rows);
       scalar::finish_tiny_norm_rows(a.type, unscaled.data(), a.g, a.rows, a.cols, a.w);
     }},
    {"scalar", dispatch::takes_every_call<weight_call>,
     [](const weight_call& a, const dispatch::path&) {
       if (a.type == dtype::float32) {
         scalar::weight_norm(static_cast<const float*>(a.v), a.g, a.rows, a.cols,
                             static_cast<float*>(a.w), a.norm);
       } else {
         scalar_typed_weight_norm(a);
       }
     }},
};

}  // namespace

void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols, float* w,
                 float* norm) {
  weight_norm(dtype::float32, v, g, rows, cols, w, norm);
}

void weight_norm(dtype type, const void* v, const float* g, std::int64_t rows, std::int64_t cols,
                 void* w, float* norm) {
  const validation::checker check("weight_norm");
  check.element_type(type);
  check.positive(rows, "rows");
  check.positive(cols, "cols");
  const std::int64_t count = check.element_count(rows, cols, "v (rows * cols)");
  check.not_null(v, "v");
  check.not_null(g, "g");
  check.not_null(w, "w");
  check.no_overlap({{v, count, "v", role::primary_input, element_size(type)},
                    {w, count, "w", role::primary_output, element_size(type)},
                    {g, rows, "g", role::input},
                    {norm, rows, "norm", role::output}});
  dispatch::run_first_accepting("weight_norm", implementations,
                                weight_call{type, v, g, rows, cols, w, norm});
}

}  // namespace simdnorm
