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
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#if __has_include(<torch/version.h>)
#include <torch/version.h>
#endif

#include "case_inputs.hpp"
#include "height_width.hpp"
#include "peer_library.hpp"

namespace simdnorm::bench {

namespace {

using methods::arguments;
using methods::member;

constexpr bool cudnn_enabled = false;

// Every tensor an op returns, in order.
template <class Result>
std::vector<at::Tensor> tensors_of(const Result& result) {
  if constexpr (std::is_same_v<Result, at::Tensor>) {
    return {result};
  } else {
    return std::apply([](const auto&... t) { return std::vector<at::Tensor>{t...}; }, result);
  }
}

// One case's filled buffers as ATen sees them, and the scoring of an op on
// them. ATen only reads its inputs, but for the running statistics that
// training updates in place.
class aten_case {
 public:
  aten_case(const case_spec& spec, const std::vector<float>& x, reference_cache* cache)
      : buffers_(fill_call(spec, x)) {
    reference_cache local;
    expected_ = reference_of(*buffers_, cache != nullptr ? *cache : local);
  }

  const methods::method& method() const { return *buffers_->method; }
  const arguments& args() const { return buffers_->args; }
  const methods::problem& p() const { return buffers_->args.p; }

  // The element type of the call's buffer at field: a bfloat16 variant's
  // tensors hold bfloat16, everything else floats.
  at::ScalarType scalar_type(member field) const {
    for (const methods::buffer& b : method().buffers) {
      if (b.field == field && b.size == methods::extent::tensor &&
          method().type == dtype::bfloat16) {
        return at::kBFloat16;
      }
    }
    return at::kFloat;
  }

  // The call's buffer at field as a dense tensor of these sizes.
  at::Tensor tensor(member field, at::IntArrayRef sizes) const {
    return at::from_blob(args().*field, sizes, scalar_type(field));
  }
  // ATen 1.13's bfloat16 layer and group norm take gamma and beta in the
  // input's type (a bfloat16 model's parameters); its batch norm takes
  // them as floats.
  at::Tensor parameter(const at::Tensor& floats) const {
    return method().type == dtype::bfloat16 ? floats.to(at::kBFloat16) : floats;
  }
  // A per-channel buffer of an activation method.
  at::Tensor per_channel(member field) const { return tensor(field, {p().c}); }

  at::MemoryFormat format() const {
    return p().layout == methods::layout_kind::nhwc ? at::MemoryFormat::ChannelsLast
                                                    : at::MemoryFormat::Contiguous;
  }

  // x in simdnorm's layout as an n x c x h x w tensor with that layout's
  // strides.
  at::Tensor activation() const {
    const std::int64_t n = p().n, c = p().c, spatial = p().spatial;
    const bench::height_width hw = bench::spatial_as_height_width(spatial);
    const std::vector<std::int64_t> strides =
        format() == at::MemoryFormat::ChannelsLast
            ? std::vector<std::int64_t>{c * spatial, 1, hw.w * c, c}
            : std::vector<std::int64_t>{c * spatial, spatial, hw.w, 1};
    at::Tensor t = at::from_blob(args().x, {n, c, hw.h, hw.w}, strides, scalar_type(&arguments::x));
    TORCH_CHECK(t.is_contiguous(format()), "the input tensor is not in the case's layout");
    return t;
  }

  // Calls op once and scores what it returns, each tensor as the buffer at
  // the same place in returns (ATen returns more than the call has in places:
  // those are left out), copied into that buffer in its element type, and
  // each buffer in updated, which ATen updates in place; then hands back op
  // as the timed call.
  template <class Op>
  prepared_call finish(Op op, std::initializer_list<member> returns,
                       std::initializer_list<member> updated = {}) const {
    prepared_call prepared;
    prepared.call = [buffers = buffers_, op] {
      c10::InferenceMode inference;
      op();
    };
    c10::InferenceMode inference;
    const std::vector<at::Tensor> results = tensors_of(op());
    std::size_t i = 0;
    std::vector<member> scored(updated);
    for (const member field : returns) {
      // ATen 1.13's instance norm returns NCHW for a channels-last input:
      // the comparison copies it into the case's layout, the timed call
      // does not. Its bfloat16 group norm returns bfloat16 statistics.
      const at::Tensor& result = results.at(i++);
      const at::Tensor laid_out =
          (result.dim() == 4 ? result.contiguous(format()) : result.contiguous())
              .to(scalar_type(field));
      const std::size_t bytes = static_cast<std::size_t>(laid_out.nbytes());
      if (bytes > count_of(*buffers_, field) * sizeof(float)) {
        throw std::logic_error("ATen returned more than the call's buffer holds");
      }
      std::memcpy(args().*field, laid_out.data_ptr(), bytes);
      scored.push_back(field);
    }
    measure_outputs(prepared.errors, *buffers_, *expected_, scored);
    return prepared;
  }

 private:
  std::shared_ptr<case_call> buffers_;  // shared with the timed call
  std::shared_ptr<const methods::reference_outputs> expected_;
};

prepared_call layer_norm(const aten_case& k) {
  const std::int64_t d = k.p().d;
  const double eps = k.args().eps;
  const at::Tensor x = k.tensor(&arguments::x, {k.p().n, d});
  const at::Tensor gamma = k.parameter(k.tensor(&arguments::gamma, {d}));
  const at::Tensor beta = k.parameter(k.tensor(&arguments::beta, {d}));
  return k.finish([=] { return at::native_layer_norm(x, {d}, gamma, beta, eps); },
                  {&arguments::y, &arguments::mean, &arguments::rstd});
}

prepared_call batch_norm(const aten_case& k) {
  const bool training = k.method().training;
  const double momentum = k.args().momentum, eps = k.args().eps;
  const at::Tensor x = k.activation();
  const at::Tensor gamma = k.per_channel(&arguments::gamma);
  const at::Tensor beta = k.per_channel(&arguments::beta);
  const at::Tensor running_mean = k.per_channel(&arguments::running_mean);
  const at::Tensor running_var = k.per_channel(&arguments::running_var);
  const auto op = [=] {
    return at::native_batch_norm(x, gamma, beta, running_mean, running_var, training, momentum,
                                 eps);
  };
  if (!training) return k.finish(op, {&arguments::y});
  // Training updates the running statistics on every call (unbiased
  // variance, as simdnorm's row does).
  return k.finish(op, {&arguments::y, &arguments::save_mean, &arguments::save_rstd},
                  {&arguments::running_mean, &arguments::running_var});
}

prepared_call group_norm(const aten_case& k) {
  const methods::problem p = k.p();
  const double eps = k.args().eps;
  const at::Tensor x = k.activation();
  const at::Tensor gamma = k.parameter(k.per_channel(&arguments::gamma));
  const at::Tensor beta = k.parameter(k.per_channel(&arguments::beta));
  return k.finish(
      [=] { return at::native_group_norm(x, gamma, beta, p.n, p.c, p.spatial, p.groups, eps); },
      {&arguments::y, &arguments::mean, &arguments::rstd});
}

prepared_call instance_norm(const aten_case& k) {
  const double momentum = k.args().momentum, eps = k.args().eps;
  const at::Tensor x = k.activation();
  const at::Tensor gamma = k.per_channel(&arguments::gamma);
  const at::Tensor beta = k.per_channel(&arguments::beta);
  // The statistics of each input and no running statistics, as simdnorm's
  // instance_norm. ATen returns no statistics here, so the row has no
  // statistic error.
  return k.finish(
      [=] {
        const bool use_input_stats = true;
        return at::instance_norm(x, gamma, beta, {}, {}, use_input_stats, momentum, eps,
                                 cudnn_enabled);
      },
      {&arguments::y});
}

prepared_call weight_norm(const aten_case& k) {
  // dim 0: one norm per output row, as torch.nn.utils.weight_norm on a
  // Linear layer's n x d weight.
  const at::Tensor v = k.tensor(&arguments::x, {k.p().n, k.p().d});
  const at::Tensor g = k.tensor(&arguments::gain, {k.p().n, 1});
  return k.finish([=] { return at::_weight_norm_interface(v, g, 0); },
                  {&arguments::y, &arguments::norm});
}

// ATen's op for each method the table says it has.
struct aten_op {
  const char* method;
  prepared_call (*prepare)(const aten_case& k);
};

// A variant's op is its function's (the table says which variants ATen has:
// bfloat16 layer, group and batch norm).
constexpr aten_op aten_ops[] = {
    {"layer_norm", layer_norm},          {"batch_norm_inference", batch_norm},
    {"batch_norm_training", batch_norm}, {"group_norm", group_norm},
    {"instance_norm", instance_norm},    {"weight_norm", weight_norm},
};

prepared_call prepare_aten(const case_spec& spec, const std::vector<float>& x,
                           reference_cache* cache) {
  const std::string function = method_of(spec).function;
  for (const aten_op& op : aten_ops) {
    if (function == op.method) return op.prepare(aten_case(spec, x, cache));
  }
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
  return {"aten",           "",          version, dispatched_isa(), &methods::method::aten,
          set_aten_threads, prepare_aten};
}

}  // namespace simdnorm::bench
