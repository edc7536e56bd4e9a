// The library's entry points that simdnorm._torch_ops calls, as a table of
// function pointers that simdnorm._simdnorm hands out in a PyCapsule (its
// attribute _core_api), as NumPy hands out its C API.
//
// Why a table rather than linking the library into the operators' module
// too: libsimdnorm is a static library whose symbols are hidden, so each
// module that linked it would carry its own copy, with its own process-wide
// settings (set_max_isa, set_max_threads, set_parallel_for). Through the
// table, simdnorm.set_max_isa and the thread settings reach the PyTorch
// operators and the NumPy functions alike, and the kernels are in the
// package once.
#ifndef SIMDNORM_PYTHON_CORE_API_HPP_
#define SIMDNORM_PYTHON_CORE_API_HPP_

#include <cstdint>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::python {

// The capsule's name, which PyCapsule_GetPointer checks.
inline constexpr const char* core_api_capsule_name = "simdnorm._simdnorm._core_api";

// Raised whenever the table changes shape, so that a module built from
// another version of this header refuses the table rather than misreading it.
inline constexpr std::uint32_t core_api_version = 2;

// The typed entry points (simdnorm.hpp), which the NumPy functions call too.
struct core_api {
  std::uint32_t version;
  void (*batch_norm_inference)(dtype type, const void* x, const shape& s, const float* running_mean,
                               const float* running_var, const float* gamma, const float* beta,
                               float eps, activation act, void* y);
  void (*batch_norm_training)(dtype type, const void* x, const shape& s, float* running_mean,
                              float* running_var, const float* gamma, const float* beta,
                              float momentum, float eps, running_var_kind kind, activation act,
                              void* y, float* save_mean, float* save_rstd);
  void (*layer_norm)(dtype type, const void* x, std::int64_t rows, std::int64_t d,
                     const float* gamma, const float* beta, float eps, void* y, float* mean,
                     float* rstd);
  void (*rms_norm)(dtype type, const void* x, std::int64_t rows, std::int64_t d, const float* gamma,
                   const float* beta, float eps, void* y, float* rstd);
  void (*group_norm)(dtype type, const void* x, const shape& s, std::int64_t groups,
                     const float* gamma, const float* beta, float eps, activation act, void* y,
                     float* mean, float* rstd);
  void (*instance_norm)(dtype type, const void* x, const shape& s, const float* gamma,
                        const float* beta, float eps, activation act, void* y, float* mean,
                        float* rstd);
  void (*set_parallel_for)(parallel_for_function parallel_for, void* pool_context,
                           int pool_threads);
  // Version 2: the fused residual add.
  void (*add_layer_norm)(dtype type, const void* x, const void* residual, const float* bias,
                         std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                         float eps, void* y, void* sum, float* mean, float* rstd);
  void (*add_rms_norm)(dtype type, const void* x, const void* residual, const float* bias,
                       std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                       float eps, void* y, void* sum, float* rstd);
};

}  // namespace simdnorm::python

#endif  // SIMDNORM_PYTHON_CORE_API_HPP_
