// PyTorch's ATen in the benchmarks: layer norm, batch norm (inference and
// training), group norm, instance norm (NCHW, and NHWC as channels-last) and
// weight norm, on the case's data and parameters. The timed call is the
// native op a torch.nn module reaches on CPU (native_layer_norm,
// native_batch_norm, native_group_norm, instance_norm,
// _weight_norm_interface), in inference mode; the output tensors it
// allocates and frees are part of its cost, as in every eager PyTorch call.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <c10/core/InferenceMode.h>

#include <cctype>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

#include "case_inputs.hpp"
#include "height_width.hpp"
#include "peer_library.hpp"
#include "reference/reference.hpp"

namespace simdnorm::bench {

namespace {

constexpr bool cudnn_enabled = false;

// Tensors over buffers the benchmark owns. ATen only reads its inputs.
at::Tensor vector_tensor(const std::vector<float>& values, at::IntArrayRef sizes) {
  return at::from_blob(const_cast<float*>(values.data()), sizes, at::kFloat);
}

at::MemoryFormat format_of(const case_spec& s) {
  return s.layout == "nhwc" ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
}

// x in simdnorm's layout as an n x c x h x w tensor with that layout's strides.
at::Tensor activation(const case_spec& s, const std::vector<float>& x) {
  const bench::height_width hw = bench::spatial_as_height_width(s.spatial);
  const std::vector<std::int64_t> sizes{s.n, s.c, hw.h, hw.w};
  const std::vector<std::int64_t> strides =
      s.layout == "nhwc" ? std::vector<std::int64_t>{s.c * s.spatial, 1, hw.w * s.c, s.c}
                         : std::vector<std::int64_t>{s.c * s.spatial, s.spatial, hw.w, 1};
  at::Tensor tensor = at::from_blob(const_cast<float*>(x.data()), sizes, strides, at::kFloat);
  TORCH_CHECK(tensor.is_contiguous(format_of(s)), "the input tensor is not in the case's layout");
  return tensor;
}

// An output in the case's layout, to compare element by element. ATen 1.13's
// instance norm returns NCHW for a channels-last input; the comparison copies
// it, the timed call does not.
void measure_output(error_figures& errors, const at::Tensor& y, at::MemoryFormat format,
                    const std::vector<double>& expected) {
  const at::Tensor laid_out = y.dim() == 4 ? y.contiguous(format) : y.contiguous();
  measure_y(errors, laid_out.data_ptr<float>(), static_cast<std::size_t>(laid_out.numel()),
            expected);
}

void measure_statistic(error_figures& errors, const at::Tensor& statistic,
                       const std::vector<double>& expected) {
  const at::Tensor values = statistic.contiguous();
  measure_stat(errors, values.data_ptr<float>(), static_cast<std::size_t>(values.numel()),
               expected);
}

// The parameters and inputs a timed call reads, owned by the call.
struct aten_inputs {
  std::vector<float> gamma, beta, g;
  running_statistics statistics;
};

// gamma and beta of the case, owned by inputs, as the tensors a call reads.
struct affine_tensors {
  at::Tensor gamma, beta;
};
affine_tensors add_affine(aten_inputs& inputs, std::int64_t count) {
  affine_parameters affine = affine_of_size(count);
  inputs.gamma = std::move(affine.gamma);
  inputs.beta = std::move(affine.beta);
  return {vector_tensor(inputs.gamma, {count}), vector_tensor(inputs.beta, {count})};
}

template <class Op>
prepared_call timed(std::shared_ptr<aten_inputs> inputs, Op op) {
  prepared_call prepared;
  prepared.call = [inputs = std::move(inputs), op] {
    c10::InferenceMode inference;
    op();
  };
  return prepared;
}

prepared_call layer_norm(const case_spec& s, const std::vector<float>& x) {
  auto inputs = std::make_shared<aten_inputs>();
  const affine_tensors affine = add_affine(*inputs, s.d);
  const at::Tensor tensor = vector_tensor(x, {s.n, s.d});
  const std::int64_t d = s.d;
  const auto op = [=] {
    return at::native_layer_norm(tensor, {d}, affine.gamma, affine.beta, eps);
  };
  const reference::normalized expected =
      reference::layer_norm(x.data(), s.n, s.d, inputs->gamma.data(), inputs->beta.data(), eps);
  prepared_call prepared = timed(inputs, op);
  c10::InferenceMode inference;
  const auto [y, mean, rstd] = op();
  measure_output(prepared.errors, y, at::MemoryFormat::Contiguous, expected.y);
  measure_statistic(prepared.errors, mean, expected.mean);
  measure_statistic(prepared.errors, rstd, expected.rstd);
  return prepared;
}

prepared_call batch_norm(const case_spec& s, const std::vector<float>& x, bool training) {
  const shape sh = s.activation_shape();
  auto inputs = std::make_shared<aten_inputs>();
  const affine_tensors affine = add_affine(*inputs, s.c);
  inputs->statistics = training ? fresh_running_statistics(s.c) : running_statistics_of(x, sh);
  const at::Tensor tensor = activation(s, x);
  // Training updates these in place on every call (unbiased variance, as
  // simdnorm's row does).
  const at::Tensor running_mean = vector_tensor(inputs->statistics.mean, {s.c});
  const at::Tensor running_var = vector_tensor(inputs->statistics.var, {s.c});
  const auto op = [=] {
    return at::native_batch_norm(tensor, affine.gamma, affine.beta, running_mean, running_var,
                                 training, momentum, eps);
  };
  prepared_call prepared = timed(inputs, op);
  c10::InferenceMode inference;
  if (training) {
    const reference::trained expected = reference::batch_norm_training(
        x.data(), sh, inputs->statistics.mean.data(), inputs->statistics.var.data(),
        inputs->gamma.data(), inputs->beta.data(), momentum, eps, running_var_kind::unbiased);
    const auto [y, save_mean, save_invstd] = op();
    measure_output(prepared.errors, y, format_of(s), expected.y);
    measure_statistic(prepared.errors, save_mean, expected.save_mean);
    measure_statistic(prepared.errors, save_invstd, expected.save_rstd);
    measure_statistic(prepared.errors, running_mean, expected.running_mean);
    measure_statistic(prepared.errors, running_var, expected.running_var);
  } else {
    const std::vector<double> expected = reference::batch_norm_inference(
        x.data(), sh, inputs->statistics.mean.data(), inputs->statistics.var.data(),
        inputs->gamma.data(), inputs->beta.data(), eps);
    measure_output(prepared.errors, std::get<0>(op()), format_of(s), expected);
  }
  return prepared;
}

prepared_call group_norm(const case_spec& s, const std::vector<float>& x) {
  auto inputs = std::make_shared<aten_inputs>();
  const affine_tensors affine = add_affine(*inputs, s.c);
  const at::Tensor tensor = activation(s, x);
  const case_spec shape_of = s;
  const auto op = [=] {
    return at::native_group_norm(tensor, affine.gamma, affine.beta, shape_of.n, shape_of.c,
                                 shape_of.spatial, shape_of.groups, eps);
  };
  const reference::normalized expected = reference::group_norm(
      x.data(), s.activation_shape(), s.groups, inputs->gamma.data(), inputs->beta.data(), eps);
  prepared_call prepared = timed(inputs, op);
  c10::InferenceMode inference;
  const auto [y, mean, rstd] = op();
  measure_output(prepared.errors, y, format_of(s), expected.y);
  measure_statistic(prepared.errors, mean, expected.mean);
  measure_statistic(prepared.errors, rstd, expected.rstd);
  return prepared;
}

prepared_call instance_norm(const case_spec& s, const std::vector<float>& x) {
  auto inputs = std::make_shared<aten_inputs>();
  const affine_tensors affine = add_affine(*inputs, s.c);
  const at::Tensor tensor = activation(s, x);
  // The statistics of each input and no running statistics, as simdnorm's
  // instance_norm. ATen returns no statistics here, so the row has no
  // statistic error.
  const auto op = [=] {
    const bool use_input_stats = true;
    return at::instance_norm(tensor, affine.gamma, affine.beta, {}, {}, use_input_stats, momentum,
                             eps, cudnn_enabled);
  };
  const reference::normalized expected = reference::instance_norm(
      x.data(), s.activation_shape(), inputs->gamma.data(), inputs->beta.data(), eps);
  prepared_call prepared = timed(inputs, op);
  c10::InferenceMode inference;
  measure_output(prepared.errors, op(), format_of(s), expected.y);
  return prepared;
}

prepared_call weight_norm(const case_spec& s, const std::vector<float>& x) {
  auto inputs = std::make_shared<aten_inputs>();
  inputs->g = weight_norm_gains(s.n);
  const at::Tensor v = vector_tensor(x, {s.n, s.d});
  const at::Tensor g = vector_tensor(inputs->g, {s.n, 1});
  // dim 0: one norm per output row, as torch.nn.utils.weight_norm on a
  // Linear layer's n x d weight.
  const auto op = [=] { return at::_weight_norm_interface(v, g, 0); };
  const reference::weight_normalized expected =
      reference::weight_norm(x.data(), inputs->g.data(), s.n, s.d);
  prepared_call prepared = timed(inputs, op);
  c10::InferenceMode inference;
  const auto [w, norm] = op();
  measure_output(prepared.errors, w, at::MemoryFormat::Contiguous, expected.w);
  measure_statistic(prepared.errors, norm, expected.norm);
  return prepared;
}

prepared_call prepare_aten(const case_spec& spec, const std::vector<float>& x) {
  if (spec.method == "layer_norm") return layer_norm(spec, x);
  if (spec.method == "batch_norm_inference") return batch_norm(spec, x, false);
  if (spec.method == "batch_norm_training") return batch_norm(spec, x, true);
  if (spec.method == "group_norm") return group_norm(spec, x);
  if (spec.method == "instance_norm") return instance_norm(spec, x);
  if (spec.method == "weight_norm") return weight_norm(spec, x);
  throw std::invalid_argument("ATen has no " + spec.method);
}

// ATen's intra-op pool (OpenMP in Debian's build), out of reach of oneTBB's
// global_control.
void set_aten_threads(int threads) { at::set_num_threads(threads); }

// "CPU capability usage: AVX512" in ATen's build report: the kernels its CPU
// dispatch chose on this machine.
std::string dispatched_isa() {
  const std::string config = at::show_config();
  const std::string key = "CPU capability usage: ";
  const std::size_t start = config.find(key);
  if (start == std::string::npos) return "unknown";
  std::string isa = config.substr(start + key.size());
  isa = isa.substr(0, isa.find_first_of("\r\n"));
  for (char& ch : isa) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return isa;
}

}  // namespace

peer_library aten_peer() {
#ifdef TORCH_VERSION
  const std::string version = std::string("ATen ") + TORCH_VERSION;
#else
  const std::string version = "ATen (version unknown)";
#endif
  return {"aten", "", version, dispatched_isa(), aten_covers, set_aten_threads, prepare_aten};
}

}  // namespace simdnorm::bench
