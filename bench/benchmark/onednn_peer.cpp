// oneDNN beside simdnorm: layer norm and batch norm (inference and training,
// NCHW and NHWC) on the shapes and the seeded data of simdnorm's families.
// Primitives and memories are made before the timed loop, which times only
// execute plus stream::wait: what a framework pays per call once it has
// cached the primitive.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "onednn_runtime.hpp"
#include "peer_registry.hpp"

namespace simdnorm::bench {
namespace {

using dnnl::memory;
using dnnl::normalization_flags;
using dnnl::prop_kind;
using tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

// One CPU engine and stream for every family, as a framework holds them.
struct cpu_engine {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

cpu_engine& cpu() {
  static cpu_engine instance;
  return instance;
}

using primitive_args = std::unordered_map<int, memory>;

void time_execute(benchmark::State& state, const dnnl::primitive& primitive,
                  const primitive_args& args, std::int64_t elements) {
  dnnl::stream& stream = cpu().stream;
  for (auto _ : state) {
    primitive.execute(stream, args);
    stream.wait();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(elements));
}

void LayerNorm_onednn(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  std::vector<float> x = normal_floats(rows * d, input_seed::row_norms);
  affine params = affine_parameters(d);
  std::vector<float> y(x.size()), mean(rows), variance(rows);

  const dnnl::engine& engine = cpu().engine;
  const memory::desc data({rows, d}, f32, tag::ab);
  const memory::desc statistics({rows}, f32, tag::a);
  const memory::desc per_feature({d}, f32, tag::a);
  // forward_training, so that oneDNN writes the mean and variance it
  // computes, as simdnorm's LayerNorm writes mean and rstd.
  const dnnl::layer_normalization_forward::primitive_desc descriptor(
      {prop_kind::forward_training, data, statistics, 1e-5f,
       normalization_flags::use_scale | normalization_flags::use_shift},
      engine);
  const dnnl::layer_normalization_forward primitive(descriptor);
  const primitive_args args{{DNNL_ARG_SRC, memory(data, engine, x.data())},
                            {DNNL_ARG_DST, memory(data, engine, y.data())},
                            {DNNL_ARG_SCALE, memory(per_feature, engine, params.gamma.data())},
                            {DNNL_ARG_SHIFT, memory(per_feature, engine, params.beta.data())},
                            {DNNL_ARG_MEAN, memory(statistics, engine, mean.data())},
                            {DNNL_ARG_VARIANCE, memory(statistics, engine, variance.data())}};
  time_execute(state, primitive, args, rows * d);
}

// format_tag nchw or nhwc: oneDNN's logical dimensions are always n, c, h, w;
// the tag gives the order in memory, so nhwc reads simdnorm's NHWC buffer.
void batch_norm(benchmark::State& state, tag layout, bool training) {
  const std::int64_t n = state.range(0), c = state.range(1), spatial = state.range(2);
  const height_width hw = spatial_as_height_width(spatial);
  std::vector<float> x =
      normal_floats(n * c * spatial,
                    training ? input_seed::batch_norm_training : input_seed::batch_norm_inference);
  affine params = affine_parameters(c);
  // Inference reads these as running statistics; training overwrites them
  // with the batch statistics.
  std::vector<float> y(x.size()), mean(c, 0.0f), variance(c, 1.0f);

  const dnnl::engine& engine = cpu().engine;
  const memory::desc data({n, c, hw.h, hw.w}, f32, layout);
  const memory::desc per_channel({c}, f32, tag::a);
  // Training writes the batch mean and (biased) variance only: oneDNN has no
  // running-statistics update, which frameworks do outside the primitive, so
  // this row does a little less work than simdnorm's BatchNormTraining.
  const normalization_flags affine_flags =
      normalization_flags::use_scale | normalization_flags::use_shift;
  const dnnl::batch_normalization_forward::primitive_desc descriptor(
      {training ? prop_kind::forward_training : prop_kind::forward_inference, data, 1e-5f,
       training ? affine_flags : affine_flags | normalization_flags::use_global_stats},
      engine);
  const dnnl::batch_normalization_forward primitive(descriptor);
  const primitive_args args{{DNNL_ARG_SRC, memory(data, engine, x.data())},
                            {DNNL_ARG_DST, memory(data, engine, y.data())},
                            {DNNL_ARG_SCALE, memory(per_channel, engine, params.gamma.data())},
                            {DNNL_ARG_SHIFT, memory(per_channel, engine, params.beta.data())},
                            {DNNL_ARG_MEAN, memory(per_channel, engine, mean.data())},
                            {DNNL_ARG_VARIANCE, memory(per_channel, engine, variance.data())}};
  time_execute(state, primitive, args, n * c * spatial);
}

void BatchNormInference_onednn(benchmark::State& state, tag layout) {
  batch_norm(state, layout, false);
}

void BatchNormTraining_onednn(benchmark::State& state, tag layout) {
  batch_norm(state, layout, true);
}

// Registered so that the peer shows up as skipped beside simdnorm's rows
// rather than silently absent.
void GroupNorm_onednn(benchmark::State& state, tag) {
  state.SkipWithError("oneDNN 2.6 has no group normalization primitive");
}

void InstanceNorm_onednn(benchmark::State& state, tag) {
  state.SkipWithError("oneDNN 2.6 has no group normalization primitive");
}

BENCHMARK(LayerNorm_onednn)->Apply(RowShapes);
BENCHMARK_CAPTURE(BatchNormInference_onednn, nchw, tag::nchw)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormInference_onednn, nhwc, tag::nhwc)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining_onednn, nchw, tag::nchw)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining_onednn, nhwc, tag::nhwc)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(GroupNorm_onednn, nchw, tag::nchw)->Apply(GroupShapes);
BENCHMARK_CAPTURE(GroupNorm_onednn, nhwc, tag::nhwc)->Apply(GroupShapes);
BENCHMARK_CAPTURE(InstanceNorm_onednn, nchw, tag::nchw)->Apply(InstanceShapes);
BENCHMARK_CAPTURE(InstanceNorm_onednn, nhwc, tag::nhwc)->Apply(InstanceShapes);

void add_onednn_context() {
  benchmark::AddCustomContext("onednn_version", onednn_version());
  benchmark::AddCustomContext("onednn_cpu_runtime", onednn_runtime());
  benchmark::AddCustomContext("onednn_isa", onednn_isa());
}

[[maybe_unused]] const bool registered = register_peer({set_onednn_threads, add_onednn_context});

}  // namespace
}  // namespace simdnorm::bench
