// PyTorch's ATen beside simdnorm: layer norm, batch norm (inference and
// training), group norm and instance norm, NCHW and NHWC (ChannelsLast), on
// the shapes and the seeded data of simdnorm's families. Only the op call is
// timed; the output tensor ATen allocates inside the op, and frees when it
// goes out of scope, is part of its cost, as it is for every eager PyTorch
// call.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <cstdint>
#include <string>
#include <vector>

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "peer_registry.hpp"

namespace simdnorm::bench {
namespace {

constexpr double eps = 1e-5;
constexpr double momentum = 0.1;
constexpr bool cudnn_enabled = false;

// A tensor ATen owns, from values in simdnorm's layout: NCHW for
// MemoryFormat::Contiguous, channels innermost for ChannelsLast.
at::Tensor activation(std::vector<float>& values, std::int64_t n, std::int64_t c,
                      std::int64_t spatial, at::MemoryFormat format) {
  const height_width hw = spatial_as_height_width(spatial);
  const std::vector<std::int64_t> sizes{n, c, hw.h, hw.w};
  const std::vector<std::int64_t> strides =
      format == at::MemoryFormat::ChannelsLast
          ? std::vector<std::int64_t>{c * spatial, 1, hw.w * c, c}
          : std::vector<std::int64_t>{c * spatial, spatial, hw.w, 1};
  at::Tensor tensor = at::from_blob(values.data(), sizes, strides, at::kFloat).clone(format);
  TORCH_CHECK(tensor.is_contiguous(format), "the input tensor is not in the requested layout");
  return tensor;
}

at::Tensor per_channel(std::vector<float>& values) {
  return at::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, at::kFloat)
      .clone();
}

// One untimed call first: it checks that ATen returns the layout it was
// given and labels the row when it does not, since the comparison with
// simdnorm, which always writes its input's layout, is then not like for like.
template <typename Op>
void time_op(benchmark::State& state, Op op, at::MemoryFormat format, std::int64_t elements) {
  const at::Tensor first = op();
  if (!first.is_contiguous(format)) {
    state.SetLabel(first.is_contiguous() ? "ATen returned NCHW" : "ATen returned another layout");
  }
  for (auto _ : state) {
    at::Tensor y = op();
    benchmark::DoNotOptimize(y.data_ptr());
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(elements));
}

void LayerNorm_aten(benchmark::State& state) {
  c10::InferenceMode inference;
  const std::int64_t rows = state.range(0), d = state.range(1);
  std::vector<float> x_values = normal_floats(rows * d, input_seed::row_norms);
  affine params = affine_parameters(d);
  const at::Tensor x = at::from_blob(x_values.data(), {rows, d}, at::kFloat).clone();
  const at::Tensor gamma = per_channel(params.gamma), beta = per_channel(params.beta);
  time_op(
      state, [&] { return at::layer_norm(x, {d}, gamma, beta, eps, cudnn_enabled); },
      at::MemoryFormat::Contiguous, rows * d);
}

void batch_norm(benchmark::State& state, at::MemoryFormat format, bool training) {
  c10::InferenceMode inference;
  const std::int64_t n = state.range(0), c = state.range(1), spatial = state.range(2);
  std::vector<float> x_values =
      normal_floats(n * c * spatial,
                    training ? input_seed::batch_norm_training : input_seed::batch_norm_inference);
  affine params = affine_parameters(c);
  const at::Tensor x = activation(x_values, n, c, spatial, format);
  const at::Tensor gamma = per_channel(params.gamma), beta = per_channel(params.beta);
  // Training updates these in place on every call, as simdnorm's does.
  const at::Tensor running_mean = at::zeros({c}), running_var = at::ones({c});
  time_op(
      state,
      [&] {
        return at::batch_norm(x, gamma, beta, running_mean, running_var, training, momentum, eps,
                              cudnn_enabled);
      },
      format, n * c * spatial);
}

void BatchNormInference_aten(benchmark::State& state, at::MemoryFormat format) {
  batch_norm(state, format, false);
}

void BatchNormTraining_aten(benchmark::State& state, at::MemoryFormat format) {
  batch_norm(state, format, true);
}

void GroupNorm_aten(benchmark::State& state, at::MemoryFormat format) {
  c10::InferenceMode inference;
  const std::int64_t n = state.range(0), c = state.range(1), spatial = state.range(2);
  const std::int64_t groups = state.range(3);
  std::vector<float> x_values = normal_floats(n * c * spatial, input_seed::group_norm);
  affine params = affine_parameters(c);
  const at::Tensor x = activation(x_values, n, c, spatial, format);
  const at::Tensor gamma = per_channel(params.gamma), beta = per_channel(params.beta);
  time_op(
      state, [&] { return at::group_norm(x, groups, gamma, beta, eps, cudnn_enabled); }, format,
      n * c * spatial);
}

void InstanceNorm_aten(benchmark::State& state, at::MemoryFormat format) {
  c10::InferenceMode inference;
  const std::int64_t n = state.range(0), c = state.range(1), spatial = state.range(2);
  std::vector<float> x_values = normal_floats(n * c * spatial, input_seed::instance_norm);
  affine params = affine_parameters(c);
  const at::Tensor x = activation(x_values, n, c, spatial, format);
  const at::Tensor gamma = per_channel(params.gamma), beta = per_channel(params.beta);
  // Statistics of each input, no running statistics: what simdnorm computes.
  // ATen 1.13 runs batch norm on input.contiguous() viewed as
  // 1 x (n * c) x h x w, so a channels-last input is copied to NCHW inside
  // the op and the output is NCHW; time_op labels those rows.
  const bool use_input_stats = true;
  time_op(
      state,
      [&] {
        return at::instance_norm(x, gamma, beta, {}, {}, use_input_stats, momentum, eps,
                                 cudnn_enabled);
      },
      format, n * c * spatial);
}

BENCHMARK(LayerNorm_aten)->Apply(RowShapes);
BENCHMARK_CAPTURE(BatchNormInference_aten, nchw, at::MemoryFormat::Contiguous)
    ->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormInference_aten, nhwc, at::MemoryFormat::ChannelsLast)
    ->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining_aten, nchw, at::MemoryFormat::Contiguous)
    ->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining_aten, nhwc, at::MemoryFormat::ChannelsLast)
    ->Apply(ActivationShapes);
BENCHMARK_CAPTURE(GroupNorm_aten, nchw, at::MemoryFormat::Contiguous)->Apply(GroupShapes);
BENCHMARK_CAPTURE(GroupNorm_aten, nhwc, at::MemoryFormat::ChannelsLast)->Apply(GroupShapes);
BENCHMARK_CAPTURE(InstanceNorm_aten, nchw, at::MemoryFormat::Contiguous)->Apply(InstanceShapes);
BENCHMARK_CAPTURE(InstanceNorm_aten, nhwc, at::MemoryFormat::ChannelsLast)->Apply(InstanceShapes);

// ATen's intra-op pool is its own (OpenMP in Debian's build), out of reach of
// main's tbb::global_control.
void set_aten_threads(int threads) { at::set_num_threads(threads); }

void add_aten_context() {
#ifdef TORCH_VERSION
  benchmark::AddCustomContext("torch_version", TORCH_VERSION);
#else
  benchmark::AddCustomContext("torch_version", "unknown");
#endif
}

[[maybe_unused]] const bool registered = register_peer({set_aten_threads, add_aten_context});

}  // namespace
}  // namespace simdnorm::bench
