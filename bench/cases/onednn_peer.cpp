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

namespace simdnorm::bench {

namespace {

using dnnl::memory;
using dnnl::normalization_flags;
using dnnl::prop_kind;
using methods::arguments;
using tag = memory::format_tag;
constexpr memory::data_type f32 = memory::data_type::f32;

// The methods oneDNN has, each a primitive over the call's buffers. oneDNN's
// statistics are a mean and a variance: written by training (layer norm's
// forward_training too, so that it writes what simdnorm's layer_norm does)
// into the buffers named here, read by inference from the running
// statistics. oneDNN 2.6 has no group normalization primitive (3.3 added
// one), and its batch norm has no running-statistics update or mean-only
// variant.
struct onednn_method {
  const char* name;
  bool layer_normalization;  // else batch normalization
  bool training;
  methods::member mean;  // where it writes its mean; null where it reads one
  methods::member rstd;  // the statistic its variance is scored against
};

constexpr onednn_method onednn_methods[] = {
    {"layer_norm", true, true, &arguments::mean, &arguments::rstd},
    {"batch_norm_inference", false, false, nullptr, nullptr},
    {"batch_norm_training", false, true, &arguments::save_mean, &arguments::save_rstd},
};

// What one timed call needs, owned by the call.
struct onednn_call {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::primitive primitive;
  std::unordered_map<int, memory> args;
  std::shared_ptr<case_call> buffers;
  std::vector<float> variance;  // written by training

  void run() {
    primitive.execute(stream, args);
    stream.wait();
  }
  memory wrap(const memory::desc& desc, const void* data) {
    return memory(desc, engine, const_cast<void*>(data));  // oneDNN reads sources only
  }
};

// oneDNN writes the variance; the reference gives rstd = 1 / sqrt(var + eps).
std::vector<double> variance_of(const std::vector<double>& rstd, float eps) {
  std::vector<double> var(rstd.size());
  for (std::size_t i = 0; i < rstd.size(); ++i) {
    var[i] = 1.0 / (rstd[i] * rstd[i]) - static_cast<double>(eps);
  }
  return var;
}

prepared_call prepare_onednn(const case_spec& spec, const std::vector<float>& x,
                             reference_cache* cache) {
  const onednn_method* found = nullptr;
  const std::string function = method_of(spec).function;  // a variant's is its function's
  for (const onednn_method& method : onednn_methods) {
    if (function == method.name) found = &method;
  }
  if (found == nullptr) throw std::invalid_argument("oneDNN has no " + spec.method);
  const onednn_method& method = *found;

  auto call = std::make_shared<onednn_call>();
  call->buffers = fill_call(spec, x);
  const methods::method& m = *call->buffers->method;
  const arguments& a = call->buffers->args;
  const methods::problem& p = a.p;
  // A statistic per row of a layer norm, per channel of a batch norm. oneDNN's
  // logical dimensions are always n, c, h, w; the format tag gives the order
  // in memory, so tag::nhwc reads simdnorm's NHWC buffer as it is.
  const std::int64_t sets = method.layer_normalization ? p.n : p.c;
  const bench::height_width hw = bench::spatial_as_height_width(p.spatial);
  // A bfloat16 variant's x and y hold bfloat16 (the table gives oneDNN those
  // alone); scale, shift and the statistics stay f32 in oneDNN too.
  const memory::data_type element =
      m.type == dtype::bfloat16 ? memory::data_type::bf16 : memory::data_type::f32;
  const memory::desc data =
      method.layer_normalization
          ? memory::desc({p.n, p.d}, element, tag::ab)
          : memory::desc({p.n, p.c, hw.h, hw.w}, element,
                         p.layout == methods::layout_kind::nhwc ? tag::nhwc : tag::nchw);
  const memory::desc per_set({sets}, f32, tag::a);
  const memory::desc per_affine({method.layer_normalization ? p.d : p.c}, f32, tag::a);

  const float* mean = a.running_mean;
  const float* variance = a.running_var;
  if (method.training) {
    call->variance.resize(static_cast<std::size_t>(sets));
    mean = a.*method.mean;
    variance = call->variance.data();
  }
  const prop_kind kind =
      method.training ? prop_kind::forward_training : prop_kind::forward_inference;
  const normalization_flags flags =
      normalization_flags::use_scale | normalization_flags::use_shift |
      (method.training ? normalization_flags::none : normalization_flags::use_global_stats);
  if (method.layer_normalization) {
    const dnnl::layer_normalization_forward::primitive_desc descriptor(
        {kind, data, per_set, a.eps, flags}, call->engine);
    call->primitive = dnnl::layer_normalization_forward(descriptor);
  } else {
    const dnnl::batch_normalization_forward::primitive_desc descriptor({kind, data, a.eps, flags},
                                                                       call->engine);
    call->primitive = dnnl::batch_normalization_forward(descriptor);
  }
  call->args = {{DNNL_ARG_SRC, call->wrap(data, a.x)},
                {DNNL_ARG_DST, call->wrap(data, a.y)},
                {DNNL_ARG_SCALE, call->wrap(per_affine, a.gamma)},
                {DNNL_ARG_SHIFT, call->wrap(per_affine, a.beta)},
                {DNNL_ARG_MEAN, call->wrap(per_set, mean)},
                {DNNL_ARG_VARIANCE, call->wrap(per_set, variance)}};

  reference_cache local;
  const auto expected = reference_of(*call->buffers, cache != nullptr ? *cache : local);
  call->run();
  prepared_call prepared;
  measure_outputs(prepared.errors, *call->buffers, *expected, {&arguments::y});
  if (method.training) {
    measure_output(prepared.errors, m, *expected, method.mean, mean,
                   count_of(*call->buffers, method.mean));
    measure_stat(prepared.errors, call->variance.data(), call->variance.size(),
                 variance_of(expected_of(m, *expected, method.rstd), a.eps));
  }
  prepared.call = [call = std::move(call)] { call->run(); };
  return prepared;
}

}  // namespace

peer_library onednn_peer() {
  return {"onednn",
          "",
          "oneDNN " + bench::onednn_version() + " (" + bench::onednn_runtime() + " runtime)",
          bench::onednn_isa(),
          &methods::method::onednn,
          bench::set_onednn_threads,
          prepare_onednn};
}

}  // namespace simdnorm::bench
