// simdnorm._torch_ops: the PyTorch operators torch.ops.simdnorm.* (layer_norm,
// rms_norm, group_norm, instance_norm, batch_norm, add_layer_norm,
// add_rms_norm) in C++, on the tensors' own memory (float32, bfloat16 or
// float16 activations), and the switch that runs simdnorm's parallel loops
// on PyTorch's intra-op thread pool. simdnorm/torch.py imports it and keeps
// the Python functions and patch() around it.
//
// Each operator checks its arguments as the Python operators it replaces did
// (the same messages: "simdnorm.<op>: <argument>: ..."), as c10::ValueError,
// which reaches Python as ValueError, before it allocates its output or writes
// anything; the library's own refusals (std::invalid_argument) become the
// same, and the library writes nothing then either. It
// calls the library through simdnorm._simdnorm's table (core_api.hpp), the
// very calls the NumPy functions make, so the bits are theirs.
//
// One translation unit on purpose: Torch's headers cost tens of seconds a
// file to compile (python/CMakeLists.txt keeps them and -fopenmp on this
// file alone).
#include <ATen/MemoryOverlap.h>
#include <ATen/Parallel.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <pybind11/pybind11.h>
#include <torch/library.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>

#include "activation_names.hpp"
#include "core_api.hpp"

namespace simdnorm::python {

namespace {

namespace py = pybind11;

using optional_tensor = c10::optional<at::Tensor>;

// The library, set when the module is imported (PYBIND11_MODULE below); the
// operators are registered a moment earlier, when the shared object loads.
const core_api* core = nullptr;

// ---- simdnorm's parallel loops on PyTorch's intra-op pool -------------------------------------

// simdnorm's parallel_for hook (simdnorm.hpp, set_parallel_for) over
// at::parallel_for: PyTorch's OpenMP team, sized by torch.set_num_threads,
// cuts [0, items) into one range a thread. Called from inside a parallel
// region, at::parallel_for runs the whole range on the calling thread.
void torch_parallel_for(void* /*pool_context*/, std::int64_t items, simdnorm::parallel_task task,
                        void* task_context) {
  at::parallel_for(0, items, 1,
                   [&](std::int64_t first, std::int64_t last) { task(task_context, first, last); });
}

// The pool's thread count as simdnorm was last told it, 0 while the hook is
// off. PyTorch's count changes with torch.set_num_threads, which tells no
// one: every operator compares (sync_pool_threads), so that simdnorm splits
// its work for as many threads as the pool has.
std::mutex pool_lock;
std::atomic<int> pool_threads{0};

void set_torch_threads(bool on) {
  const std::lock_guard<std::mutex> hold(pool_lock);
  if (on) {
    const int threads = at::get_num_threads();
    core->set_parallel_for(&torch_parallel_for, nullptr, threads);
    pool_threads.store(threads, std::memory_order_relaxed);
  } else {
    core->set_parallel_for(nullptr, nullptr, 0);
    pool_threads.store(0, std::memory_order_relaxed);
  }
}

void sync_pool_threads() {
  const int told = pool_threads.load(std::memory_order_relaxed);
  if (told == 0 || told == at::get_num_threads()) return;
  const std::lock_guard<std::mutex> hold(pool_lock);
  if (pool_threads.load(std::memory_order_relaxed) == 0) return;  // turned off meanwhile
  const int threads = at::get_num_threads();
  core->set_parallel_for(&torch_parallel_for, nullptr, threads);
  pool_threads.store(threads, std::memory_order_relaxed);
}

// ---- argument checks --------------------------------------------------------------------------

// ValueError("simdnorm.<op>: <what>").
[[noreturn]] void refuse(const char* op, const std::string& what) {
  C10_THROW_ERROR(ValueError, c10::str("simdnorm.", op, ": ", what));
}

// The input's element type, one of simdnorm's (simdnorm.hpp, dtype); the
// output takes the same.
simdnorm::dtype check_input(const at::Tensor& input, const char* op) {
  if (input.device().type() != c10::DeviceType::CPU) {
    refuse(op, c10::str("input: simdnorm runs on CPU tensors, got one on ", input.device()));
  }
  switch (input.scalar_type()) {
    case at::kFloat:
      return simdnorm::dtype::float32;
    case at::kBFloat16:
      return simdnorm::dtype::bfloat16;
    case at::kHalf:
      return simdnorm::dtype::float16;
    default:
      refuse(op, c10::str("input: expected torch.float32, torch.bfloat16 or torch.float16, got ",
                          input.scalar_type()));
  }
}

void check_not_empty(const at::Tensor& input, const char* op) {
  if (input.numel() == 0) {
    refuse(op, c10::str("input: has no elements (shape ", input.sizes(), ")"));
  }
}

// A parameter (weight, bias, a running statistic) of length elements as a
// flat float32 array: nullptr when absent; a contiguous copy, kept in held,
// when the tensor is not contiguous or not float32. It may be float32 or of
// the input's own type (a model converted with .to(torch.bfloat16) has its
// parameters in bfloat16; a mixed-precision one keeps them in float32): a
// 16-bit value widens to float32 exactly, so both give the bits of the
// float32 parameter of the same values.
const float* parameter(const optional_tensor& tensor, const char* name, const char* op,
                       std::int64_t length, const at::Tensor& input, at::Tensor& held) {
  if (!tensor.has_value() || !tensor->defined()) return nullptr;
  const at::Tensor& t = *tensor;
  const bool float32 = t.scalar_type() == at::kFloat;
  if (t.device().type() != c10::DeviceType::CPU ||
      (!float32 && t.scalar_type() != input.scalar_type())) {
    refuse(op, c10::str(name, ": expected a CPU tensor of torch.float32 or of the input's type (",
                        input.scalar_type(), "), got ", t.scalar_type(), " on ", t.device()));
  }
  if (t.numel() != length) {
    refuse(op, c10::str(name, ": expected ", length, " elements, got shape ", t.sizes()));
  }
  held = float32 ? t.contiguous() : t.to(at::kFloat).contiguous();
  return held.data_ptr<float>();
}

// A running statistic the call updates in place: it must be contiguous
// already, since a copy would drop the update. One of a 16-bit type is
// updated through a float32 copy, which write_back rounds into it (to
// nearest even, as PyTorch's own update of a 16-bit buffer rounds) once the
// call has succeeded: a refused call leaves it untouched. The library
// cannot see such a statistic overlap the input it reads (x, as the call
// passes it), as it sees a float32 one, so that is refused here, as the
// library refuses the float32 one.
struct updated_statistic {
  float* data = nullptr;
  at::Tensor target;  // the caller's tensor, where data is a copy of it
  at::Tensor staged;  // that copy

  void write_back() {
    if (target.defined()) target.copy_(staged);
  }
};

updated_statistic updated_parameter(const optional_tensor& tensor, const char* name, const char* op,
                                    std::int64_t length, const at::Tensor& input,
                                    const at::Tensor& x) {
  if (!tensor.has_value() || !tensor->defined()) return {};
  if (!tensor->is_contiguous()) {
    refuse(op, c10::str(name, ": must be contiguous (it is updated in place)"));
  }
  if (tensor->scalar_type() != at::kFloat &&
      at::get_overlap_status(*tensor, x) != at::MemOverlapStatus::No) {
    refuse(op, c10::str(name, ": overlaps the input"));
  }
  updated_statistic statistic;
  parameter(tensor, name, op, length, input, statistic.staged);
  if (tensor->scalar_type() == at::kFloat) {
    statistic.data = tensor->data_ptr<float>();
  } else {
    statistic.target = *tensor;
    statistic.data = statistic.staged.data_ptr<float>();
  }
  return statistic;
}

// The input of a channel method in the layout it is dense in (contiguous:
// NCHW; channels-last, 4-d or 5-d: NHWC; any other strides: a contiguous
// copy, NCHW), and its shape.
struct channel_input {
  at::Tensor x;
  simdnorm::shape s;
};

channel_input channel_view(const at::Tensor& input, const char* op) {
  if (input.dim() < 2) {
    refuse(op, c10::str("input: expected at least two dimensions (N, C, ...), got shape ",
                        input.sizes()));
  }
  simdnorm::layout layout = simdnorm::layout::nchw;
  at::Tensor x = input;
  if (!input.is_contiguous()) {
    if ((input.dim() == 4 && input.is_contiguous(at::MemoryFormat::ChannelsLast)) ||
        (input.dim() == 5 && input.is_contiguous(at::MemoryFormat::ChannelsLast3d))) {
      layout = simdnorm::layout::nhwc;
    } else {
      x = input.contiguous();
    }
  }
  // PyTorch keeps the logical order (N, C, spatial...) whatever the strides.
  std::int64_t spatial = 1;
  for (std::int64_t i = 2; i < x.dim(); ++i) spatial *= x.size(i);
  return {x, {x.size(0), x.size(1), spatial, layout}};
}

// The output of a channel method: the input's memory format.
at::Tensor output_for(const channel_input& in) {
  return in.s.layout == simdnorm::layout::nhwc
             ? at::empty_like(in.x)  // dense: the same channels-last strides
             : at::empty_like(in.x, at::MemoryFormat::Contiguous);
}

// d, the elements of a row: the product of normalized_shape, which must be
// the end of the input's shape.
std::int64_t row_length(const at::Tensor& input, c10::IntArrayRef normalized_shape,
                        const char* op) {
  const auto count = static_cast<std::int64_t>(normalized_shape.size());
  if (count > input.dim() || input.sizes().slice(input.dim() - count) != normalized_shape) {
    refuse(op, c10::str("normalized_shape ", normalized_shape,
                        " is not the end of the input's shape ", input.sizes()));
  }
  std::int64_t d = 1;
  for (const std::int64_t size : normalized_shape) d *= size;
  return d;
}

// Runs a library call with PyTorch's thread count passed on, its refusals as
// ValueError.
template <class Call>
void run(const char* op, const Call& call) {
  TORCH_CHECK(core != nullptr, "simdnorm.", op, ": simdnorm._torch_ops did not finish loading");
  sync_pool_threads();
  try {
    call();
  } catch (const std::invalid_argument& e) {
    refuse(op, e.what());
  }
}

const void* data_of(const at::Tensor& t) { return t.data_ptr(); }
void* data_of(at::Tensor& t) { return t.data_ptr(); }

// The activation a channel operator applies to its output, by the name the
// NumPy functions take (simdnorm.hpp, activation).
simdnorm::activation activation_named(c10::string_view name, const char* op) {
  if (const std::optional<simdnorm::activation> act =
          activation_called(std::string_view(name.data(), name.size()))) {
    return *act;
  }
  refuse(op,
         c10::str("activation: expected ", activation_names, ", got \"", std::string(name), "\""));
}

// ---- the operators ----------------------------------------------------------------------------

// Layer norm, or RMS norm when rms (no bias then).
at::Tensor row_norm(const char* op, bool rms, const at::Tensor& input,
                    c10::IntArrayRef normalized_shape, const optional_tensor& weight,
                    const optional_tensor& bias, double eps) {
  const simdnorm::dtype type = check_input(input, op);
  const std::int64_t d = row_length(input, normalized_shape, op);
  at::Tensor gamma_held, beta_held;
  const float* gamma = parameter(weight, "weight", op, d, input, gamma_held);
  const float* beta = parameter(bias, "bias", op, d, input, beta_held);
  check_not_empty(input, op);
  const at::Tensor x = input.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  const std::int64_t rows = x.numel() / d;
  run(op, [&] {
    if (rms) {
      core->rms_norm(type, data_of(x), rows, d, gamma, nullptr, static_cast<float>(eps), data_of(y),
                     nullptr);
    } else {
      core->layer_norm(type, data_of(x), rows, d, gamma, beta, static_cast<float>(eps), data_of(y),
                       nullptr, nullptr);
    }
  });
  return y;
}

// Layer norm (or RMS norm when rms, no beta then) of h = input + residual +
// residual_bias, with h itself, rounded to the input's type, as the second
// output: the residual stream a transformer block hands to the next, as ONNX
// Runtime's SkipLayerNormalization returns it.
std::tuple<at::Tensor, at::Tensor> add_row_norm(const char* op, bool rms, const at::Tensor& input,
                                                const at::Tensor& residual,
                                                c10::IntArrayRef normalized_shape,
                                                const optional_tensor& weight,
                                                const optional_tensor& bias, double eps,
                                                const optional_tensor& residual_bias) {
  const simdnorm::dtype type = check_input(input, op);
  if (residual.device().type() != c10::DeviceType::CPU ||
      residual.scalar_type() != input.scalar_type() || !residual.sizes().equals(input.sizes())) {
    refuse(op, c10::str("residual: expected a CPU tensor of the input's type and shape (",
                        input.scalar_type(), ", ", input.sizes(), "), got ", residual.scalar_type(),
                        ", ", residual.sizes(), " on ", residual.device()));
  }
  const std::int64_t d = row_length(input, normalized_shape, op);
  at::Tensor gamma_held, beta_held, added_held;
  const float* gamma = parameter(weight, "weight", op, d, input, gamma_held);
  const float* beta = parameter(bias, "bias", op, d, input, beta_held);
  const float* added = parameter(residual_bias, "residual_bias", op, d, input, added_held);
  check_not_empty(input, op);
  const at::Tensor x = input.contiguous();
  const at::Tensor r = residual.contiguous();
  at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
  at::Tensor sum = at::empty_like(x, at::MemoryFormat::Contiguous);
  const std::int64_t rows = x.numel() / d;
  run(op, [&] {
    if (rms) {
      core->add_rms_norm(type, data_of(x), data_of(r), added, rows, d, gamma, nullptr,
                         static_cast<float>(eps), data_of(y), data_of(sum), nullptr);
    } else {
      core->add_layer_norm(type, data_of(x), data_of(r), added, rows, d, gamma, beta,
                           static_cast<float>(eps), data_of(y), data_of(sum), nullptr, nullptr);
    }
  });
  return {y, sum};
}

std::tuple<at::Tensor, at::Tensor> add_layer_norm(const at::Tensor& input,
                                                  const at::Tensor& residual,
                                                  c10::IntArrayRef normalized_shape,
                                                  const optional_tensor& weight,
                                                  const optional_tensor& bias, double eps,
                                                  const optional_tensor& residual_bias) {
  return add_row_norm("add_layer_norm", false, input, residual, normalized_shape, weight, bias, eps,
                      residual_bias);
}

std::tuple<at::Tensor, at::Tensor> add_rms_norm(const at::Tensor& input, const at::Tensor& residual,
                                                c10::IntArrayRef normalized_shape,
                                                const optional_tensor& weight, double eps,
                                                const optional_tensor& residual_bias) {
  return add_row_norm("add_rms_norm", true, input, residual, normalized_shape, weight, c10::nullopt,
                      eps, residual_bias);
}

at::Tensor layer_norm(const at::Tensor& input, c10::IntArrayRef normalized_shape,
                      const optional_tensor& weight, const optional_tensor& bias, double eps) {
  return row_norm("layer_norm", false, input, normalized_shape, weight, bias, eps);
}

at::Tensor rms_norm(const at::Tensor& input, c10::IntArrayRef normalized_shape,
                    const optional_tensor& weight, double eps) {
  return row_norm("rms_norm", true, input, normalized_shape, weight, c10::nullopt, eps);
}

// num_groups = 0 is instance norm.
at::Tensor group_or_instance_norm(const char* op, const at::Tensor& input, std::int64_t num_groups,
                                  const optional_tensor& weight, const optional_tensor& bias,
                                  double eps, c10::string_view activation) {
  const simdnorm::dtype type = check_input(input, op);
  const simdnorm::activation act = activation_named(activation, op);
  const channel_input t = channel_view(input, op);
  at::Tensor gamma_held, beta_held;
  const float* gamma = parameter(weight, "weight", op, t.s.c, input, gamma_held);
  const float* beta = parameter(bias, "bias", op, t.s.c, input, beta_held);
  check_not_empty(input, op);
  at::Tensor y = output_for(t);
  run(op, [&] {
    if (num_groups == 0) {
      core->instance_norm(type, data_of(t.x), t.s, gamma, beta, static_cast<float>(eps), act,
                          data_of(y), nullptr, nullptr);
    } else {
      core->group_norm(type, data_of(t.x), t.s, num_groups, gamma, beta, static_cast<float>(eps),
                       act, data_of(y), nullptr, nullptr);
    }
  });
  return y;
}

at::Tensor group_norm(const at::Tensor& input, std::int64_t num_groups,
                      const optional_tensor& weight, const optional_tensor& bias, double eps,
                      c10::string_view activation) {
  if (num_groups <= 0) {
    refuse("group_norm", c10::str("num_groups: must be positive, got ", num_groups));
  }
  return group_or_instance_norm("group_norm", input, num_groups, weight, bias, eps, activation);
}

at::Tensor instance_norm(const at::Tensor& input, const optional_tensor& weight,
                         const optional_tensor& bias, double eps, c10::string_view activation) {
  return group_or_instance_norm("instance_norm", input, 0, weight, bias, eps, activation);
}

// Training updates running_mean and running_var in place (both or neither)
// with the unbiased batch variance, as torch.nn.functional.batch_norm does.
at::Tensor batch_norm(const at::Tensor& input, const optional_tensor& running_mean,
                      const optional_tensor& running_var, const optional_tensor& weight,
                      const optional_tensor& bias, bool training, double momentum, double eps,
                      c10::string_view activation) {
  const char* op = "batch_norm";
  const simdnorm::dtype type = check_input(input, op);
  const simdnorm::activation act = activation_named(activation, op);
  const channel_input t = channel_view(input, op);
  at::Tensor gamma_held, beta_held;
  const float* gamma = parameter(weight, "weight", op, t.s.c, input, gamma_held);
  const float* beta = parameter(bias, "bias", op, t.s.c, input, beta_held);
  if (training) {
    updated_statistic mean = updated_parameter(running_mean, "running_mean", op, t.s.c, input, t.x);
    updated_statistic var = updated_parameter(running_var, "running_var", op, t.s.c, input, t.x);
    check_not_empty(input, op);
    at::Tensor y = output_for(t);
    run(op, [&] {
      core->batch_norm_training(type, data_of(t.x), t.s, mean.data, var.data, gamma, beta,
                                static_cast<float>(momentum), static_cast<float>(eps),
                                running_var_kind::unbiased, act, data_of(y), nullptr, nullptr);
    });
    mean.write_back();
    var.write_back();
    return y;
  }
  const auto present = [](const optional_tensor& v) { return v.has_value() && v->defined(); };
  if (!present(running_mean) || !present(running_var)) {
    refuse(op, "running_mean and running_var are required when training is False");
  }
  at::Tensor mean_held, var_held;
  const float* mean = parameter(running_mean, "running_mean", op, t.s.c, input, mean_held);
  const float* var = parameter(running_var, "running_var", op, t.s.c, input, var_held);
  check_not_empty(input, op);
  at::Tensor y = output_for(t);
  run(op, [&] {
    core->batch_norm_inference(type, data_of(t.x), t.s, mean, var, gamma, beta,
                               static_cast<float>(eps), act, data_of(y));
  });
  return y;
}

}  // namespace

}  // namespace simdnorm::python

// The schemas the Python operators had, so torch.ops.simdnorm.* and the
// profiler's names stay; the channel operators have since taken an
// activation applied to their output in the same pass (default "none", so
// calls without it are as before). CUDA too, so that a CUDA tensor reaches
// check_input's clear refusal rather than the dispatcher's list of backends.
TORCH_LIBRARY(simdnorm, m) {
  m.def(
      "layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, "
      "float eps) -> Tensor");
  m.def("rms_norm(Tensor input, int[] normalized_shape, Tensor? weight, float eps) -> Tensor");
  m.def(
      "add_layer_norm(Tensor input, Tensor residual, int[] normalized_shape, Tensor? weight, "
      "Tensor? bias, float eps, Tensor? residual_bias=None) -> (Tensor, Tensor)");
  m.def(
      "add_rms_norm(Tensor input, Tensor residual, int[] normalized_shape, Tensor? weight, "
      "float eps, Tensor? residual_bias=None) -> (Tensor, Tensor)");
  m.def(
      "group_norm(Tensor input, int num_groups, Tensor? weight, Tensor? bias, float eps, "
      "str activation=\"none\") -> Tensor");
  m.def(
      "instance_norm(Tensor input, Tensor? weight, Tensor? bias, float eps, "
      "str activation=\"none\") -> Tensor");
  m.def(
      "batch_norm(Tensor input, Tensor(a!)? running_mean, Tensor(b!)? running_var, "
      "Tensor? weight, Tensor? bias, bool training, float momentum, float eps, "
      "str activation=\"none\") -> Tensor");
}

#define SIMDNORM_TORCH_IMPLS(m)                                         \
  m.impl("layer_norm", TORCH_FN(simdnorm::python::layer_norm));         \
  m.impl("rms_norm", TORCH_FN(simdnorm::python::rms_norm));             \
  m.impl("add_layer_norm", TORCH_FN(simdnorm::python::add_layer_norm)); \
  m.impl("add_rms_norm", TORCH_FN(simdnorm::python::add_rms_norm));     \
  m.impl("group_norm", TORCH_FN(simdnorm::python::group_norm));         \
  m.impl("instance_norm", TORCH_FN(simdnorm::python::instance_norm));   \
  m.impl("batch_norm", TORCH_FN(simdnorm::python::batch_norm))

TORCH_LIBRARY_IMPL(simdnorm, CPU, m) { SIMDNORM_TORCH_IMPLS(m); }
TORCH_LIBRARY_IMPL(simdnorm, CUDA, m) { SIMDNORM_TORCH_IMPLS(m); }

PYBIND11_MODULE(_torch_ops, m) {
  namespace py = pybind11;
  using simdnorm::python::core_api;
  m.doc() = "simdnorm's PyTorch operators (torch.ops.simdnorm.*) and the thread-pool switch";
  const py::object capsule = py::module_::import("simdnorm._simdnorm").attr("_core_api");
  const void* table = PyCapsule_GetPointer(capsule.ptr(), simdnorm::python::core_api_capsule_name);
  if (table == nullptr) throw py::error_already_set();
  const auto* api = static_cast<const core_api*>(table);
  if (api->version != simdnorm::python::core_api_version) {
    throw py::import_error(
        "simdnorm._torch_ops: simdnorm._simdnorm is from another build "
        "(core API version " +
        std::to_string(api->version) + ", expected " +
        std::to_string(simdnorm::python::core_api_version) + ")");
  }
  simdnorm::python::core = api;
  m.def("use_torch_threads", &simdnorm::python::set_torch_threads, py::arg("enabled"),
        "Runs simdnorm's parallel loops on PyTorch's intra-op pool (True) or on oneTBB (False), "
        "process-wide.");
  m.def(
      "uses_torch_threads",
      [] { return simdnorm::python::pool_threads.load(std::memory_order_relaxed) != 0; },
      "Whether simdnorm's parallel loops run on PyTorch's intra-op pool.");
}
