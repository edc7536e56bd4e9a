// The method table: every public method variant of simdnorm described once,
// as data, for the programs that drive the library from outside: the tests,
// the benchmarks, the accuracy gate, the fuzzer and the peer adapters. An
// entry gives the variant's name, the layouts it takes, its buffers (API
// name, role, size, what an input holds), the scalars it takes, its C++ and
// C calls, its float64 reference, and which peers have it; the bytes a call
// moves follow from its buffers. Adding a method or a variant (a data type, a
// fused neighbour) is one entry in method_table.cpp plus its kernel: every
// harness that loops over all() picks it up. Not installed.
#ifndef SIMDNORM_LIB_METHODS_METHOD_TABLE_HPP_
#define SIMDNORM_LIB_METHODS_METHOD_TABLE_HPP_

#include <cstdint>
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
};

// The arguments of one call. Every pointer any variant takes has a member,
// named for what it is rather than for each API's argument name (which the
// buffer's name gives): the primary input is x and the primary output y
// (standardize_invert's y and x, weight norm's v and w). Null where a call
// leaves the buffer out.
struct arguments {
  problem p;
  float* x = nullptr;
  float* y = nullptr;
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
  bool null_mean_weights = false;
  bool null_var_weights = false;

  // The shape, kind and weights each API receives.
  shape cpp_shape() const;
  sn_shape c_shape() const;
  running_var_kind cpp_kind() const;
  sn_running_var c_kind() const;
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

struct method {
  const char* name;       // the C++ function; the C one is sn_<name>
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
  void (*cpp)(const arguments&);
  sn_status (*c)(const arguments&);
  reference_outputs (*reference)(const arguments&);
  bool onednn;  // oneDNN 2.6 has it (both layouts)
  bool aten;    // ATen 1.13 has it (contiguous and channels-last)

  // nchw and nhwc, or rows.
  std::vector<layout_kind> layouts() const;
  // The buffer with this API name, or null.
  const buffer* find(std::string_view buffer_name) const;
  bool has_running_statistics() const;
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
