// Layer norm and RMS norm over rows x d: validation, then the vector path's
// contiguous-set schedule or the scalar path.
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

// A validated call; rms leaves mean unused. x, y, residual and sum hold
// elements of `type`; residual is null unless the call fuses an add.
struct row_call {
  bool rms;
  dtype type;
  const void* x;
  const void* residual;
  const float* bias;
  std::int64_t rows;
  std::int64_t d;
  const float* gamma;
  const float* beta;
  float eps;
  void* y;
  void* sum;
  float* mean;
  float* rstd;
};

std::string describe(const row_call& call) { return dispatch::describe_rows(call.rows, call.d); }

bool is_plain_float32(const row_call& a) {
  return a.type == dtype::float32 && a.residual == nullptr;
}

// The scalar path of a typed or fused call: every row's h widened into one
// float32 tensor, the float32 scalar norm of it, then y (and sum) rounded
// from it. Both tensors are allocated, and the norm's own scratch with
// them, before anything is written: a norm per row allocated once a row and
// left the rows before a failed allocation written. Two float32 copies of
// the tensor, as the channel methods' scalar path takes: the scalar path is
// the reference the vector kernels are measured against, not a fast one.
void scalar_typed_rows(const row_call& a) {
  const auto count = static_cast<std::size_t>(a.rows * a.d);
  std::vector<float> h(count), out(count);
  const auto bytes = element_size(a.type);
  const auto row_of = [&](const void* tensor, std::int64_t r) {
    return tensor == nullptr ? nullptr : static_cast<const char*>(tensor) + r * a.d * bytes;
  };
  for (std::int64_t r = 0; r < a.rows; ++r) {
    const statistics::set_values row{a.type, row_of(a.x, r), row_of(a.residual, r), a.bias, a.d};
    for (std::int64_t i = 0; i < a.d; ++i) h[r * a.d + i] = row.at(i);
  }
  if (a.rms) {
    scalar::rms_norm(h.data(), a.rows, a.d, a.gamma, a.beta, a.eps, out.data(), a.rstd);
  } else {
    scalar::layer_norm(h.data(), a.rows, a.d, a.gamma, a.beta, a.eps, out.data(), a.mean, a.rstd);
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (a.sum != nullptr) scalar::store_element(a.type, a.sum, static_cast<std::int64_t>(i), h[i]);
    scalar::store_element(a.type, a.y, static_cast<std::int64_t>(i), out[i]);
  }
}

constexpr dispatch::implementation<row_call> implementations[] = {
    // Each row a contiguous set: statistics, then normalisation while the row
    // is in cache.
    {"rows", [](const row_call&, const dispatch::path& p) { return dispatch::needs_vector_isa(p); },
     [](const row_call& a, const dispatch::path& p) {
       // Default-constructed, then assigned: brace-initialised, GCC cleared
       // the whole struct (padding too) with a `rep stos` first, whose
       // start-up cost was a few percent of a one-row call.
       kernels::contiguous_sets_args args;
       args.kind = a.rms ? kernels::set_norm_kind::rms : kernels::set_norm_kind::standardize;
       args.x = a.x;
       args.set_length = a.d;
       args.run_length = 1;
       args.sets_per_sample = 1;
       args.gamma = a.gamma;
       args.beta = a.beta;
       args.eps = a.eps;
       args.y = a.y;
       args.mean = a.mean;
       args.rstd = a.rstd;
       args.type = a.type;
       args.residual = a.residual;
       args.bias = a.bias;
       args.sum = a.sum;
       schedule::normalize_contiguous_sets(p, args, a.rows);
     }},
    {"scalar", dispatch::takes_every_call<row_call>,
     [](const row_call& a, const dispatch::path&) {
       if (!is_plain_float32(a)) {
         scalar_typed_rows(a);
       } else if (a.rms) {
         scalar::rms_norm(static_cast<const float*>(a.x), a.rows, a.d, a.gamma, a.beta, a.eps,
                          static_cast<float*>(a.y), a.rstd);
       } else {
         scalar::layer_norm(static_cast<const float*>(a.x), a.rows, a.d, a.gamma, a.beta, a.eps,
                            static_cast<float*>(a.y), a.mean, a.rstd);
       }
     }},
};

// Checks every argument of a row call (a fused one when fused), then runs
// it.
void run_rows(const char* function, bool fused, const row_call& a) {
  const validation::checker check(function);
  check.element_type(a.type);
  check.positive(a.rows, "rows");
  check.positive(a.d, "d");
  const std::int64_t count = check.element_count(a.rows, a.d, "x (rows * d)");
  check.not_null(a.x, "x");
  if (fused) check.not_null(a.residual, "residual");
  check.not_null(a.y, "y");
  check.eps(a.eps);
  const std::int64_t bytes = element_size(a.type);
  check.no_overlap({{a.x, count, "x", role::primary_input, bytes},
                    {a.residual, count, "residual", role::residual, bytes},
                    {a.bias, a.d, "bias", role::input},
                    {a.y, count, "y", role::primary_output, bytes},
                    {a.sum, count, "sum", role::sum, bytes},
                    {a.gamma, a.d, "gamma", role::input},
                    {a.beta, a.d, "beta", role::input},
                    {a.mean, a.rows, "mean", role::output},
                    {a.rstd, a.rows, "rstd", role::output}});
  dispatch::run_first_accepting(function, implementations, a);
}

}  // namespace

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  run_rows("layer_norm", false,
           row_call{false, dtype::float32, x, nullptr, nullptr, rows, d, gamma, beta, eps, y,
                    nullptr, mean, rstd});
}

void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd) {
  run_rows("rms_norm", false,
           row_call{true, dtype::float32, x, nullptr, nullptr, rows, d, gamma, beta, eps, y,
                    nullptr, nullptr, rstd});
}

void layer_norm(dtype type, const void* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, void* y, float* mean, float* rstd) {
  run_rows("layer_norm", false,
           row_call{false, type, x, nullptr, nullptr, rows, d, gamma, beta, eps, y, nullptr, mean,
                    rstd});
}

void rms_norm(dtype type, const void* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, void* y, float* rstd) {
  run_rows("rms_norm", false,
           row_call{true, type, x, nullptr, nullptr, rows, d, gamma, beta, eps, y, nullptr, nullptr,
                    rstd});
}

void add_layer_norm(dtype type, const void* x, const void* residual, const float* bias,
                    std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                    float eps, void* y, void* sum, float* mean, float* rstd) {
  run_rows("add_layer_norm", true,
           row_call{false, type, x, residual, bias, rows, d, gamma, beta, eps, y, sum, mean, rstd});
}

void add_rms_norm(dtype type, const void* x, const void* residual, const float* bias,
                  std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                  float eps, void* y, void* sum, float* rstd) {
  run_rows(
      "add_rms_norm", true,
      row_call{true, type, x, residual, bias, rows, d, gamma, beta, eps, y, sum, nullptr, rstd});
}

}  // namespace simdnorm
