// oneDNN in the benchmarks: layer norm and batch norm (inference and training,
// NCHW and NHWC) on the case's data and parameters. The primitive and its
// memories are made once; the timed call is execute plus stream::wait, what
// a framework pays per call once it has cached the primitive.
#include <cstdint>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "case_inputs.hpp"
#include "height_width.hpp"
#include "onednn_runtime.hpp"
#include "peer_library.hpp"
#include "reference/reference.hpp"

namespace simdnorm::bench {

namespace {

using dnnl::memory;
using dnnl::normalization_flags;
using dnnl::prop_kind;
using tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

// What one timed call needs, owned by the call.
struct onednn_call {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
  affine_parameters affine;
  running_statistics statistics;  // written by training: the batch mean and variance
  std::vector<float> y;

  void run() {
    primitive.execute(stream, args);
    stream.wait();
  }
  memory wrap(const memory::desc& desc, const float* data) {
    return memory(desc, engine, const_cast<float*>(data));  // oneDNN reads sources only
  }
};

prepared_call timed(std::shared_ptr<onednn_call> call) {
  prepared_call prepared;
  prepared.call = [call = std::move(call)] { call->run(); };
  return prepared;
}

// oneDNN writes the variance; the reference gives rstd = 1 / sqrt(var + eps).
std::vector<double> variance_of(const std::vector<double>& rstd) {
  std::vector<double> var(rstd.size());
  for (std::size_t i = 0; i < rstd.size(); ++i) {
    var[i] = 1.0 / (rstd[i] * rstd[i]) - static_cast<double>(eps);
  }
  return var;
}

prepared_call layer_norm(const case_spec& s, const std::vector<float>& x) {
  auto call = std::make_shared<onednn_call>();
  call->affine = affine_of_size(s.d);
  call->y.resize(x.size());
  call->statistics.mean.resize(static_cast<std::size_t>(s.n));
  call->statistics.var.resize(static_cast<std::size_t>(s.n));
  const memory::desc data({s.n, s.d}, f32, tag::ab);
  const memory::desc per_row({s.n}, f32, tag::a);
  const memory::desc per_feature({s.d}, f32, tag::a);
  // forward_training, so that oneDNN writes the mean and variance it
  // computes, as simdnorm's layer_norm writes mean and rstd.
  const dnnl::layer_normalization_forward::primitive_desc descriptor(
      {prop_kind::forward_training, data, per_row, eps,
       normalization_flags::use_scale | normalization_flags::use_shift},
      call->engine);
  call->primitive = dnnl::layer_normalization_forward(descriptor);
  call->args = {{DNNL_ARG_SRC, call->wrap(data, x.data())},
                {DNNL_ARG_DST, call->wrap(data, call->y.data())},
                {DNNL_ARG_SCALE, call->wrap(per_feature, call->affine.gamma.data())},
                {DNNL_ARG_SHIFT, call->wrap(per_feature, call->affine.beta.data())},
                {DNNL_ARG_MEAN, call->wrap(per_row, call->statistics.mean.data())},
                {DNNL_ARG_VARIANCE, call->wrap(per_row, call->statistics.var.data())}};
  const reference::normalized expected = reference::layer_norm(
      x.data(), s.n, s.d, call->affine.gamma.data(), call->affine.beta.data(), eps);
  call->run();
  prepared_call prepared = timed(call);
  measure_y(prepared.errors, call->y, expected.y);
  measure_stat(prepared.errors, call->statistics.mean, expected.mean);
  measure_stat(prepared.errors, call->statistics.var, variance_of(expected.rstd));
  return prepared;
}

// oneDNN's logical dimensions are always n, c, h, w; the format tag gives the
// order in memory, so tag::nhwc reads simdnorm's NHWC buffer as it is.
prepared_call batch_norm(const case_spec& s, const std::vector<float>& x, bool training) {
  const shape sh = s.activation_shape();
  const bench::height_width hw = bench::spatial_as_height_width(s.spatial);
  auto call = std::make_shared<onednn_call>();
  call->affine = affine_of_size(s.c);
  // Inference reads the data's own statistics as running statistics;
  // training overwrites these with the batch mean and biased variance.
  // oneDNN has no running-statistics update (frameworks do it outside the
  // primitive), so its training row does a little less work than simdnorm's.
  call->statistics = training ? fresh_running_statistics(s.c) : running_statistics_of(x, sh);
  call->y.resize(x.size());
  const memory::desc data({s.n, s.c, hw.h, hw.w}, f32, s.layout == "nhwc" ? tag::nhwc : tag::nchw);
  const memory::desc per_channel({s.c}, f32, tag::a);
  const normalization_flags affine =
      normalization_flags::use_scale | normalization_flags::use_shift;
  const dnnl::batch_normalization_forward::primitive_desc descriptor(
      {training ? prop_kind::forward_training : prop_kind::forward_inference, data, eps,
       training ? affine : affine | normalization_flags::use_global_stats},
      call->engine);
  call->primitive = dnnl::batch_normalization_forward(descriptor);
  call->args = {{DNNL_ARG_SRC, call->wrap(data, x.data())},
                {DNNL_ARG_DST, call->wrap(data, call->y.data())},
                {DNNL_ARG_SCALE, call->wrap(per_channel, call->affine.gamma.data())},
                {DNNL_ARG_SHIFT, call->wrap(per_channel, call->affine.beta.data())},
                {DNNL_ARG_MEAN, call->wrap(per_channel, call->statistics.mean.data())},
                {DNNL_ARG_VARIANCE, call->wrap(per_channel, call->statistics.var.data())}};
  prepared_call prepared;
  if (training) {
    const reference::trained expected = reference::batch_norm_training(
        x.data(), sh, nullptr, nullptr, call->affine.gamma.data(), call->affine.beta.data(),
        momentum, eps, running_var_kind::unbiased);
    call->run();
    prepared = timed(call);
    measure_y(prepared.errors, call->y, expected.y);
    measure_stat(prepared.errors, call->statistics.mean, expected.save_mean);
    measure_stat(prepared.errors, call->statistics.var, variance_of(expected.save_rstd));
  } else {
    const std::vector<double> expected = reference::batch_norm_inference(
        x.data(), sh, call->statistics.mean.data(), call->statistics.var.data(),
        call->affine.gamma.data(), call->affine.beta.data(), eps);
    call->run();
    prepared = timed(call);
    measure_y(prepared.errors, call->y, expected);
  }
  return prepared;
}

prepared_call prepare_onednn(const case_spec& spec, const std::vector<float>& x) {
  if (spec.method == "layer_norm") return layer_norm(spec, x);
  if (spec.method == "batch_norm_inference") return batch_norm(spec, x, false);
  if (spec.method == "batch_norm_training") return batch_norm(spec, x, true);
  throw std::invalid_argument("oneDNN has no " + spec.method);
}

}  // namespace

peer_library onednn_peer() {
  return {"onednn",
          "",
          "oneDNN " + bench::onednn_version() + " (" + bench::onednn_runtime() + " runtime)",
          bench::onednn_isa(),
          onednn_covers,
          bench::set_onednn_threads,
          prepare_onednn};
}

}  // namespace simdnorm::bench
