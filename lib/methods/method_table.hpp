// The method table: every public method variant of simdnorm described once,
// as data, for the programs that drive the library from outside: the tests,
// the benchmarks, the accuracy gate, the fuzzer and the peer adapters. An
// entry gives the variant's name, the layouts it takes, its buffers (API
// name, role, size, what an input holds), the scalars it takes, its C++ and
// C calls, its float64 reference, and which peers have it; the bytes a call
// moves follow from its buffers. Adding a method or a variant (a data type, a
// fused neighbour) is one entry in method_table.cpp plus its kernel: every
// harness that loops over all() picks it up. The data types and the fused
// neighbours are such entries: "group_norm_silu_bf16" is group norm on
// bfloat16 tensors followed by SiLU, "add_rms_norm_f16" RMS norm of
// x + residual on float16 ones. Not installed.
#ifndef SIMDNORM_LIB_METHODS_METHOD_TABLE_HPP_
#define SIMDNORM_LIB_METHODS_METHOD_TABLE_HPP_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::methods {

// How a call's tensor is laid out: an n x c x spatial activation in either
// layout, or rows x d with d contiguous.
enum class layout_kind { nchw, nhwc, rows };

// "nchw", "nhwc", "rows": the benchmarks' CSV layout column.
const char* name_of(layout_kind kind);

// The layout and sizes of one call. Sizes that do not apply are 0:
// activation variants use n, c, spatial (and groups where grouped); rows
// variants use n as the row count, and d.
struct problem {
  layout_kind layout = layout_kind::nchw;
  std::int64_t n = 0;
  std::int64_t c = 0;
  std::int64_t spatial = 0;
  std::int64_t groups = 0;
  std::int64_t d = 0;

  std::int64_t elements() const { return layout == layout_kind::rows ? n * d : n * c * spatial; }
  shape activation_shape() const {
    return {n, c, spatial, layout == layout_kind::nhwc ? layout::nhwc : layout::nchw};
  }
  sn_shape c_shape() const {
    return {n, c, spatial, layout == layout_kind::nhwc ? SN_LAYOUT_NHWC : SN_LAYOUT_NCHW};
  }
};

// The size of a buffer, as a function of the problem.
enum class extent {
  tensor,     // every element: n * c * spatial, or rows * d
  channels,   // c
  features,   // d
  rows,       // n of a rows problem
  groups,     // n * groups: one per group of each sample
  instances,  // n * c: one per channel of each sample
};

std::int64_t size_of(extent size, const problem& p);

// What a buffer is to a call. The primary input and the primary output may be
// one buffer (in place); no other buffer may overlap an output.
enum class role { primary_input, input, primary_output, output, in_out };

inline bool is_output(role r) { return r != role::primary_input && r != role::input; }

// What a buffer holds, so that each harness fills an input with values of
// the kind the method expects, and judges an output's error on its scale.
enum class contents {
  data,          // the tensor normalised (or its output)
  gamma,         // per-channel or per-feature scale
  beta,          // per-channel or per-feature shift
  running_mean,  // read by inference, updated by training
  running_var,   // positive; read by inference, updated by training
  rho,           // batch-instance norm's mixing, in [0, 1]
  gain,          // weight norm's g, one per row
  mean,          // a mean: standardize's adapted (or given) means; per-set means
  var,           // a biased variance: standardize's adapted (or given) ones
  rstd,          // 1 / sqrt(var + eps) per set or channel
  norm,          // weight norm's ||v|| per row
  bias,          // the fused residual add's bias, one per feature
};

// The arguments of one call. Every pointer any variant takes has a member,
// named for what it is rather than for each API's argument name (which the
// buffer's name gives): the primary input is x and the primary output y
// (standardize_invert's y and x, weight norm's v and w). Null where a call
// leaves the buffer out. A buffer of extent::tensor holds elements of the
// method's type (method::type) from its address on: for bfloat16 and
// float16, count 16-bit elements in the first half of count floats'
// storage (store_elements, load_elements).
struct arguments {
  problem p;
  float* x = nullptr;
  float* y = nullptr;
  float* residual = nullptr;  // the fused add's second tensor
  float* bias = nullptr;
  float* sum = nullptr;  // the fused add's x + residual + bias
  float* gamma = nullptr;
  float* beta = nullptr;
  float* running_mean = nullptr;
  float* running_var = nullptr;
  float* rho = nullptr;
  float* gain = nullptr;
  float* mean = nullptr;
  float* var = nullptr;
  float* rstd = nullptr;
  float* save_mean = nullptr;
  float* save_rstd = nullptr;
  float* norm = nullptr;
  float eps = 1e-5f;
  float momentum = 0.1f;
  running_var_kind kind = running_var_kind::unbiased;
  switch_weights weights{{0.5f, 0.3f, 0.2f}, {0.2f, 0.3f, 0.5f}};

  // What a caller can pass that the typed members above cannot hold, so
  // that harnesses check refusals through the table too: the layout and the
  // running-variance kind as the raw integers a C caller may store (a value
  // out of range must be refused), and null switch-weight arrays (the C API
  // only: the C++ one takes the weights by value). When set, they replace
  // p.layout, kind and weights in the calls.
  std::optional<int> layout_value;
  std::optional<int> kind_value;
  // The data type and activation of a typed call, as raw integers; they
  // replace the method's own.
  std::optional<int> dtype_value;
  std::optional<int> activation_value;
  bool null_mean_weights = false;
  bool null_var_weights = false;

  // The shape, kind and weights each API receives.
  shape cpp_shape() const;
  sn_shape c_shape() const;
  running_var_kind cpp_kind() const;
  sn_running_var c_kind() const;
  dtype cpp_type(dtype of_method) const;
  activation cpp_activation(activation of_method) const;
  // The C API's data type and activation as integers, converted to the enum
  // in the call's argument list: a value no enumerator has must reach the
  // library as a C caller's would, with no load of an enum out of its range
  // on this side.
  int c_type(dtype of_method) const;
  int c_activation(activation of_method) const;
  const float* c_mean_weights() const { return null_mean_weights ? nullptr : weights.mean.data(); }
  const float* c_var_weights() const { return null_var_weights ? nullptr : weights.var.data(); }
};

using member = float* arguments::*;

struct buffer {
  const char* name;  // the API's argument name, as error messages name it
  member field;      // where arguments holds it
  role kind;
  extent size;
  contents holds;
  bool optional;  // may be null
  // Whether the benchmarks pass an optional buffer (RMS norm's beta is left
  // out there, as in LLaMA-style models).
  bool benchmarked = true;
};

// The float64 reference of a call: one vector per buffer, index for index
// with method::buffers, empty for inputs. Outputs the call leaves out are
// still computed (an in_out buffer from the values it holds before the call,
// so the reference is taken before the call itself).
using reference_outputs = std::vector<std::vector<double>>;

// "float32", "bfloat16", "float16"; "none", "relu", "silu", "gelu".
const char* name_of(dtype type);
const char* name_of(activation act);

// count values as type's elements at storage (rounded to nearest even), and
// back, widened exactly: how a harness fills and reads a tensor buffer of a
// typed method. For float32, a copy.
void store_elements(dtype type, const float* values, std::int64_t count, void* storage);
std::vector<float> load_elements(dtype type, const void* storage, std::int64_t count);

struct method {
  const char* name;  // the variant: the function, then activation and type
  // The function a variant calls (the C one is sn_<function>, or
  // sn_<function>_typed), and the variant's element type of every tensor
  // buffer and activation applied to y.
  const char* function;
  dtype type;
  activation act;
  bool rows;              // rows x d; otherwise an activation in nchw or nhwc
  const char* rows_name;  // the names of the size arguments of a rows variant
  const char* d_name;     // ("rows" and "d", "features" or "cols")
  bool grouped;           // takes a group count (it must divide c)
  bool takes_eps;
  bool takes_momentum;
  bool takes_running_var_kind;
  bool takes_switch_weights;
  bool training;  // batch statistics, running statistics updated
  // PyTorch's rule in training: more than one value per channel.
  bool needs_two_values_per_channel;
  std::vector<buffer> buffers;  // in the order of the API's arguments
  std::function<void(const arguments&)> cpp;
  std::function<sn_status(const arguments&)> c;
  std::function<reference_outputs(const arguments&)> reference;
  bool onednn;  // oneDNN 2.6 has it (both layouts)
  bool aten;    // ATen 1.13 has it (contiguous and channels-last)
  // Whether the call takes a data type (sn_dtype) and an activation
  // (sn_activation) argument: the typed and fused calls. Harnesses pass
  // unknown values through arguments::dtype_value and activation_value.
  bool takes_type = false;
  bool takes_activation = false;

  // nchw and nhwc, or rows.
  std::vector<layout_kind> layouts() const;
  // The buffer with this API name, or null.
  const buffer* find(std::string_view buffer_name) const;
  bool has_running_statistics() const;
  // Whether this is a variant of another entry (a type, an activation) and
  // not a function's own entry.
  bool variant() const { return std::string_view(name) != function; }
  // The bytes of buffer b in problem p: tensor buffers at the type's width.
  std::int64_t bytes_of(const buffer& b, const problem& p) const;
  // The least memory traffic of a call: every buffer it passes read or
  // written once, in_out buffers both.
  std::int64_t traffic_bytes(const arguments& a) const;
};

// Every public method variant, in one order for every harness.
const std::vector<method>& all();

// The entry called name; throws std::invalid_argument when there is none.
const method& named(std::string_view name);

}  // namespace simdnorm::methods

#endif  // SIMDNORM_LIB_METHODS_METHOD_TABLE_HPP_
