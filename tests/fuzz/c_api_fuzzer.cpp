// libFuzzer target over the C API, driven by the method table (lib/methods):
// the first byte of an input picks a method of methods::all(), the rest the
// arguments of one call, all from the table's description of the method:
// its sizes (zero, negative and overflowing included), layout and groups;
// each optional buffer present or null and each required one now and then
// null; each output apart, exactly in place with the primary input (where it
// is the primary output) or overlapping another buffer; the scalars it takes,
// invalid values included (a layout or running-variance kind as an integer
// out of range, null switch weights); data with NaN, Inf and denormals. Each
// call is checked against its contract in simdnorm.h:
//   - arguments that break a rule: a status other than SN_OK, a message from
//     sn_last_error(), and no byte of any buffer changed;
//   - valid arguments: SN_OK, no message, inputs unchanged, and each output
//     non-finite exactly where the float64 reference is, and within a
//     tolerance of it elsewhere.
// No method has code of its own here, so a method added to the table is
// fuzzed as it is. A broken contract aborts with the call described, which
// libFuzzer reports as a crash and saves. With SIMDNORM_FUZZ_COUNTS set, the
// calls per method, accepted and refused, are printed at exit.
// Built with clang -fsanitize=fuzzer,address,undefined (scripts/fuzz.sh).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "methods/method_table.hpp"
#include "simdnorm/simdnorm.h"

namespace {

namespace methods = simdnorm::methods;
using methods::arguments;
using methods::buffer;
using methods::contents;
using methods::extent;
using methods::layout_kind;
using methods::method;
using methods::problem;
using methods::role;
using simdnorm::dtype;

constexpr float sentinel = -12345.5f;
constexpr float max_magnitude = std::numeric_limits<float>::max();
constexpr float nan = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();
// The most floats a tensor may have: simdnorm.h refuses a tensor whose bytes
// do not fit in ptrdiff_t.
constexpr std::int64_t max_floats =
    std::numeric_limits<std::ptrdiff_t>::max() / static_cast<std::int64_t>(sizeof(float));

// ---- calls per method ------------------------------------------------------------------

// libFuzzer's own statistics do not say which methods a run reached, nor
// whether each was both accepted and refused; this does, at exit.
struct tally {
  // Made after the table, so destroyed before it.
  const std::vector<method>& table = methods::all();
  std::vector<std::int64_t> accepted = std::vector<std::int64_t>(table.size());
  std::vector<std::int64_t> refused = std::vector<std::int64_t>(table.size());

  ~tally() {
    if (std::getenv("SIMDNORM_FUZZ_COUNTS") == nullptr) return;
    std::fprintf(stderr, "c_api_fuzzer: calls per method: accepted refused\n");
    for (std::size_t i = 0; i < table.size(); ++i) {
      std::fprintf(stderr, "  %-32s %10lld %10lld\n", table[i].name,
                   static_cast<long long>(accepted[i]), static_cast<long long>(refused[i]));
    }
  }
};

tally& counts() {
  static tally t;
  return t;
}

// ---- fuzzed values -----------------------------------------------------------------------

// Any bit pattern: NaN, Inf, denormals and signed zeros come up as often as
// ordinary numbers.
float raw_float(FuzzedDataProvider& in) {
  const std::uint32_t bits = in.ConsumeIntegral<std::uint32_t>();
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// Data over the whole float32 range, up to +-FLT_MAX: the library promises
// finite, correct results there (README, "Supported range").
float pick_value(FuzzedDataProvider& in) { return raw_float(in); }

// Mostly the usual value, then the invalid ones, the extremes of the valid
// ones, and any bit pattern.
float pick_eps(FuzzedDataProvider& in) {
  const std::array<float, 7> chosen = {1e-5f, 0.0f, -1e-5f, nan, inf, 1e-30f, 0.5f};
  const int pick = in.ConsumeIntegralInRange(0, 15);
  if (pick == 7) return std::fabs(raw_float(in));
  return chosen[pick < 7 ? pick : 0];
}

float pick_momentum(FuzzedDataProvider& in) {
  const std::array<float, 6> chosen = {0.1f, 0.0f, 1.0f, -0.1f, 1.5f, nan};
  const int pick = in.ConsumeIntegralInRange(0, 15);
  if (pick == 6 || pick == 7) return in.ConsumeFloatingPointInRange(0.0f, 1.0f);
  return chosen[pick < 6 ? pick : 0];
}

// The integer a C caller stores in an sn_running_var: mostly one of the two
// kinds.
int pick_running_var_kind(FuzzedDataProvider& in) {
  const int pick = in.ConsumeIntegralInRange(0, 7);
  if (pick < 6) return pick % 2;
  return pick == 6 ? -1 : 2;
}

// Switchable norm's weights: mostly a softmax output, sometimes one a step
// either side of the 1e-3 the sum is allowed, sometimes anything.
std::array<float, 3> pick_switch_weights(FuzzedDataProvider& in) {
  std::array<float, 3> w{};
  const int pick = in.ConsumeIntegralInRange(0, 7);
  if (pick == 0) {
    for (float& v : w) v = raw_float(in);
    return w;
  }
  float sum = 0.0f;
  for (float& v : w) sum += v = in.ConsumeFloatingPointInRange(0.0f, 1.0f);
  if (pick == 1) return w;  // not normalised: rarely sums to 1
  for (float& v : w) v = sum > 0.0f ? v / sum : 1.0f / 3.0f;
  if (pick == 2) w[0] += in.ConsumeFloatingPointInRange(-2e-3f, 2e-3f);
  return w;
}

// ---- sizes ---------------------------------------------------------------------------------

// The largest size of each kind drawn (the smallest is -1). They reach every
// vector tail and block path (d up to 300 floats; c up to 12 and spatial up
// to 70 for both layouts) while keeping an input well under a millisecond.
constexpr std::int64_t most_rows = 6, most_d = 300;
constexpr std::int64_t most_n = 4, most_c = 12, most_spatial = 70, most_groups = 13;

problem pick_problem(FuzzedDataProvider& in, const method& m) {
  problem p;
  if (m.rows) {
    p.layout = layout_kind::rows;
    p.n = in.ConsumeIntegralInRange<std::int64_t>(-1, most_rows);
    p.d = in.ConsumeIntegralInRange<std::int64_t>(-1, most_d);
  } else {
    p.layout = in.ConsumeBool() ? layout_kind::nhwc : layout_kind::nchw;
    p.n = in.ConsumeIntegralInRange<std::int64_t>(-1, most_n);
    p.c = in.ConsumeIntegralInRange<std::int64_t>(-1, most_c);
    p.spatial = in.ConsumeIntegralInRange<std::int64_t>(-1, most_spatial);
    if (m.grouped) p.groups = in.ConsumeIntegralInRange<std::int64_t>(-1, most_groups);
  }
  // Now and then a count of rows or samples so large that the tensor's bytes
  // overflow ptrdiff_t although each size is representable: from the
  // smallest such count up to INT64_MAX. Only n: sn_moments_create allocates
  // per feature before any count is checked, so a huge d would be an
  // allocation (which ASan refuses to attempt), not an overflow.
  if (in.ConsumeIntegralInRange(0, 31) == 0) {
    const std::int64_t rest = std::max<std::int64_t>(1, m.rows ? p.d : p.c * p.spatial);
    p.n = in.ConsumeIntegralInRange<std::int64_t>(max_floats / rest + 1,
                                                  std::numeric_limits<std::int64_t>::max());
  }
  return p;
}

// The tensor's element count, or -1 when a size is not positive or the count
// passes max_floats: simdnorm.h's size rules, checked without overflowing.
std::int64_t checked_elements(const problem& p) {
  const std::vector<std::int64_t> sizes = p.layout == layout_kind::rows
                                              ? std::vector<std::int64_t>{p.n, p.d}
                                              : std::vector<std::int64_t>{p.n, p.c, p.spatial};
  std::int64_t count = 1;
  for (std::int64_t size : sizes) {
    if (size <= 0 || size > max_floats / count) return -1;
    count *= size;
  }
  return count;
}

// p with each size held to what is drawn, so that the buffers of a call with
// an overflowing size can be made (the library must refuse it before it
// reads any). The same problem as p when p is valid.
problem held(problem p) {
  const auto hold = [](std::int64_t& size, std::int64_t most) {
    size = std::clamp<std::int64_t>(size, 0, most);
  };
  hold(p.n, p.layout == layout_kind::rows ? most_rows : most_n);
  hold(p.c, most_c);
  hold(p.spatial, most_spatial);
  hold(p.groups, most_groups);
  hold(p.d, most_d);
  return p;
}

// ---- the buffers of one call -------------------------------------------------------------

// Where a buffer of the call lives.
enum class placement { absent, apart, in_place, inside };

struct slot {
  placement where = placement::absent;
  std::int64_t elements = 0;  // what the call reads or writes
  // Its storage: elements, or for a 16-bit method's tensor buffer
  // ceil(elements / 2) floats holding the 16-bit elements.
  std::int64_t floats = 0;
  dtype type = dtype::float32;
  std::vector<float> own;   // storage, when apart
  int host = -1;            // the slot whose storage it points into, when not apart
  std::int64_t offset = 0;  // floats into the host's storage
  float* at = nullptr;
};

// What an input holds, so that valid calls are common and outputs come on a
// scale the tolerances suit. gamma and beta stay small: the output tolerance
// is relative to 1 + |reference|, so a large beta cancelling a large
// normalised value would count float32's rounding of them as an error. Where
// a method needs values in a domain (a variance not negative, rho in [0, 1],
// a gain), one buffer in eight holds any data instead.
struct value_range {
  float lo, hi;
  bool domain;
};

value_range range_of(contents holds) {
  switch (holds) {
    case contents::gamma:
    case contents::beta:
      return {-4.0f, 4.0f, false};
    case contents::running_mean:
    case contents::mean:
      return {-1e3f, 1e3f, false};
    case contents::running_var:
    case contents::var:
      return {0.0f, 1e3f, true};
    case contents::rho:
      return {0.0f, 1.0f, true};
    case contents::gain:
      return {-4.0f, 4.0f, true};
    default:  // data, and what only outputs hold
      return {-max_magnitude, max_magnitude, true};
  }
}

// Once the input runs out of bytes, data go on in a fixed pattern of ordinary
// values rather than zeros, so that the larger tensors still have sets worth
// normalising.
float filler(std::size_t i) { return static_cast<float>((i * 7919) % 201) * 0.1f - 10.0f; }

void fill(FuzzedDataProvider& in, contents holds, float* at, std::int64_t floats) {
  const value_range r = range_of(holds);
  const bool any = holds == contents::data || (r.domain && in.ConsumeIntegralInRange(0, 7) == 0);
  for (std::int64_t i = 0; i < floats; ++i) {
    if (in.remaining_bytes() < sizeof(float)) {
      at[i] = holds == contents::data ? filler(static_cast<std::size_t>(i)) : r.lo;
    } else {
      at[i] = any ? pick_value(in) : in.ConsumeFloatingPointInRange(r.lo, r.hi);
    }
  }
}

// One call: its method, arguments and buffers, index for index with
// method::buffers (the primary input first).
struct call {
  const method& m;
  arguments args;
  std::vector<slot> slots;

  const buffer& buffer_of(std::size_t i) const { return m.buffers[i]; }
};

void place_buffers(FuzzedDataProvider& in, call& k) {
  const problem sizes = held(k.args.p);
  k.slots.resize(k.m.buffers.size());
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    const buffer& b = k.m.buffers[i];
    slot& s = k.slots[i];
    s.elements = std::max<std::int64_t>(0, methods::size_of(b.size, sizes));
    s.type = b.size == extent::tensor ? k.m.type : dtype::float32;
    s.floats = s.type == dtype::float32 ? s.elements : (s.elements + 1) / 2;
    const bool present = b.optional ? in.ConsumeBool() : in.ConsumeIntegralInRange(0, 15) != 0;
    if (!present) continue;
    s.where = placement::apart;
    if (!methods::is_output(b.kind)) continue;
    // An output overlaps the primary input or another buffer before it, one
    // time in eight, starting up to 8 floats in: mostly a partial overlap,
    // which the library must refuse; past the host's end, a neighbour it
    // must accept.
    const int pick = in.ConsumeIntegralInRange(0, 7);
    const bool has_input = k.slots[0].where == placement::apart;
    if (pick == 0) {
      const int host = in.ConsumeIntegralInRange(0, static_cast<int>(i));
      if (host < static_cast<int>(i) && k.slots[host].where == placement::apart) {
        s.where = placement::inside;
        s.host = host;
        s.offset = in.ConsumeIntegralInRange<std::int64_t>(0, 8);
      }
    } else if (pick <= 3 && b.kind == role::primary_output && has_input) {
      s.where = placement::in_place;
      s.host = 0;
    }
  }
  // Storage: each buffer apart its own, grown to hold those placed inside it.
  for (slot& s : k.slots) {
    if (s.where == placement::apart) s.own.assign(std::max<std::int64_t>(s.floats, 1), sentinel);
  }
  for (const slot& s : k.slots) {
    if (s.where != placement::inside) continue;
    std::vector<float>& host = k.slots[s.host].own;
    host.resize(std::max(host.size(), static_cast<std::size_t>(s.offset + s.floats)), sentinel);
  }
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    slot& s = k.slots[i];
    if (s.where == placement::apart) s.at = s.own.data();
    if (s.where == placement::in_place || s.where == placement::inside) {
      s.at = k.slots[s.host].own.data() + s.offset;
    }
    const buffer& b = k.m.buffers[i];
    if (s.where == placement::apart || s.where == placement::inside) {
      if (b.kind == role::output || b.kind == role::primary_output) {
        std::fill(s.at, s.at + s.floats, sentinel);
      } else if (s.type != dtype::float32) {
        // Fuzzed values rounded to the type: its NaNs, infinities (past
        // 65504 in float16) and denormals.
        std::vector<float> values(static_cast<std::size_t>(s.elements));
        fill(in, b.holds, values.data(), s.elements);
        methods::store_elements(s.type, values.data(), s.elements, s.at);
      } else {
        fill(in, b.holds, s.at, s.floats);
      }
    }
    k.args.*b.field = s.at;
  }
}

call make_call(FuzzedDataProvider& in, const method& m) {
  call k{m, arguments{}, {}};
  k.args.p = pick_problem(in, m);
  if (m.takes_eps) k.args.eps = pick_eps(in);
  if (m.takes_momentum) k.args.momentum = pick_momentum(in);
  // One call in sixteen passes its layout as an integer out of range, as a
  // C caller may.
  if (!m.rows && in.ConsumeIntegralInRange(0, 15) == 0) {
    k.args.layout_value = in.ConsumeBool() ? -1 : in.ConsumeIntegralInRange(2, 1000);
  }
  if (m.takes_running_var_kind) {
    const int raw = pick_running_var_kind(in);
    if (raw == 0 || raw == 1) {
      k.args.kind =
          raw == 0 ? simdnorm::running_var_kind::unbiased : simdnorm::running_var_kind::biased;
    } else {
      k.args.kind_value = raw;
    }
  }
  // One call in sixteen of those that take them passes a data type or an
  // activation as an integer no enumerator has.
  if (m.takes_type && in.ConsumeIntegralInRange(0, 15) == 0) {
    k.args.dtype_value = in.ConsumeBool() ? -1 : in.ConsumeIntegralInRange(3, 1000);
  }
  if (m.takes_activation && in.ConsumeIntegralInRange(0, 15) == 0) {
    k.args.activation_value = in.ConsumeBool() ? -1 : in.ConsumeIntegralInRange(4, 1000);
  }
  if (m.takes_switch_weights) {
    k.args.weights.mean = pick_switch_weights(in);
    k.args.weights.var = pick_switch_weights(in);
    k.args.null_mean_weights = in.ConsumeIntegralInRange(0, 31) == 0;
    k.args.null_var_weights = in.ConsumeIntegralInRange(0, 31) == 0;
  }
  place_buffers(in, k);
  return k;
}

// ---- the rules of simdnorm.h -------------------------------------------------------------

bool eps_ok(float eps) { return std::isfinite(eps) && eps > 0.0f; }

// Written so that NaN fails too.
bool in_unit_interval(float v) { return v >= 0.0f && v <= 1.0f; }

// Each weight in [0, 1], summing to 1 within 1e-3 (in double, as documented).
bool mixing_weights_ok(const std::array<float, 3>& w) {
  double sum = 0.0;
  for (float v : w) {
    if (!in_unit_interval(v)) return false;
    sum += v;
  }
  return std::fabs(sum - 1.0) <= 1e-3;
}

bool has_primary_output(const method& m) {
  return std::any_of(m.buffers.begin(), m.buffers.end(),
                     [](const buffer& b) { return b.kind == role::primary_output; });
}

bool overlap(const slot& a, const slot& b) {
  if (a.at == nullptr || b.at == nullptr || a.floats == 0 || b.floats == 0) return false;
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a.at);
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b.at);
  return a_begin < b_begin + b.floats * sizeof(float) &&
         b_begin < a_begin + a.floats * sizeof(float);
}

// Whether an output overlaps another buffer of the call other than as the
// primary output exactly on the primary input (in place).
bool forbidden_overlap(const call& k) {
  // The accumulator (no primary output) reads its input in one C call
  // (sn_moments_update) and writes its outputs in another
  // (sn_moments_finalize), so there only outputs may not overlap.
  const bool reads_while_writing = has_primary_output(k.m);
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    for (std::size_t j = i + 1; j < k.slots.size(); ++j) {
      const slot &a = k.slots[i], &b = k.slots[j];
      const role ra = k.buffer_of(i).kind, rb = k.buffer_of(j).kind;
      const bool out_a = methods::is_output(ra), out_b = methods::is_output(rb);
      if (!(out_a || out_b) || (!reads_while_writing && !(out_a && out_b))) continue;
      if (!overlap(a, b)) continue;
      // The fused add's sum may also be its residual exactly (the stream
      // updated in place).
      const methods::member fa = k.buffer_of(i).field, fb = k.buffer_of(j).field;
      const bool stream = (fa == &arguments::residual && fb == &arguments::sum) ||
                          (fa == &arguments::sum && fb == &arguments::residual);
      const bool in_place = a.at == b.at && a.floats == b.floats &&
                            ((ra == role::primary_input && rb == role::primary_output) ||
                             (ra == role::primary_output && rb == role::primary_input) || stream);
      if (!in_place) return true;
    }
  }
  return false;
}

// The first rule of simdnorm.h the call breaks, or null when it breaks none;
// decided from the table's description of the method, as the library must.
const char* broken_rule(const call& k) {
  const method& m = k.m;
  const arguments& a = k.args;
  if (checked_elements(a.p) < 0) return "a size not positive, or the tensor too large";
  if (m.grouped && (a.p.groups <= 0 || a.p.c % a.p.groups != 0)) return "groups not dividing c";
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    if (!k.buffer_of(i).optional && k.slots[i].at == nullptr) return "a required buffer null";
  }
  if (m.takes_eps && !eps_ok(a.eps)) return "eps not finite and positive";
  if (m.takes_momentum && !in_unit_interval(a.momentum)) return "momentum outside [0, 1]";
  if (a.layout_value) return "layout neither nchw nor nhwc";
  if (a.kind_value) return "running_var_kind neither kind";
  if (a.dtype_value) return "dtype unknown";
  if (a.activation_value) return "activation unknown";
  if (a.null_mean_weights || a.null_var_weights) return "switch weights null";
  const buffer *running_mean = m.find("running_mean"), *running_var = m.find("running_var");
  if (running_mean != nullptr && running_var != nullptr && running_mean->optional &&
      (a.*running_mean->field == nullptr) != (a.*running_var->field == nullptr)) {
    return "one running statistic without the other";
  }
  if (m.needs_two_values_per_channel && a.p.n * a.p.spatial <= 1) {
    return "one value per channel in training";
  }
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    const slot& s = k.slots[i];
    if (k.buffer_of(i).holds != contents::rho || s.at == nullptr) continue;
    if (!std::all_of(s.at, s.at + s.floats, in_unit_interval)) return "rho outside [0, 1]";
  }
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    // A variance the call reads (inference, standardize): not negative (a NaN
    // is data, and poisons its channel).
    const buffer& b = k.buffer_of(i);
    const slot& s = k.slots[i];
    if ((b.holds != contents::running_var && b.holds != contents::var) ||
        methods::is_output(b.kind) || s.at == nullptr) {
      continue;
    }
    if (std::any_of(s.at, s.at + s.floats, [](float v) { return v < 0.0f; })) {
      return "a given variance negative";
    }
  }
  if (m.takes_switch_weights &&
      !(mixing_weights_ok(a.weights.mean) && mixing_weights_ok(a.weights.var))) {
    return "switch weights outside [0, 1] or not summing to 1";
  }
  if (forbidden_overlap(k)) return "an output overlapping another buffer";
  return nullptr;
}

// ---- the contract ----------------------------------------------------------------------

// A float as printed to reproduce a call: every digit that tells it apart.
std::string exact(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
  return text;
}

std::string describe(const call& k, const char* rule) {
  const arguments& a = k.args;
  std::string out = k.m.name;
  const auto add = [&](const std::string& what) { out += " " + what; };
  if (a.p.layout == layout_kind::rows) {
    add(std::string(k.m.rows_name) + "=" + std::to_string(a.p.n));
    add(std::string(k.m.d_name) + "=" + std::to_string(a.p.d));
  } else {
    add("n=" + std::to_string(a.p.n) + " c=" + std::to_string(a.p.c) +
        " spatial=" + std::to_string(a.p.spatial) + " " + methods::name_of(a.p.layout));
    if (k.m.grouped) add("groups=" + std::to_string(a.p.groups));
  }
  if (k.m.takes_eps) add("eps=" + exact(a.eps));
  if (k.m.takes_momentum) add("momentum=" + exact(a.momentum));
  if (a.layout_value) add("layout=" + std::to_string(*a.layout_value));
  if (k.m.takes_running_var_kind) {
    add("running_var_kind=" +
        std::to_string(a.kind_value ? *a.kind_value : static_cast<int>(a.kind)));
  }
  if (a.null_mean_weights) add("mean_weights=null");
  if (a.null_var_weights) add("var_weights=null");
  if (k.m.takes_switch_weights) {
    for (const auto* w : {&a.weights.mean, &a.weights.var}) {
      add("weights={" + exact((*w)[0]) + "," + exact((*w)[1]) + "," + exact((*w)[2]) + "}");
    }
  }
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    const slot& s = k.slots[i];
    const std::string name = k.buffer_of(i).name;
    switch (s.where) {
      case placement::absent:
        add(name + "=null");
        break;
      case placement::apart:
        break;
      case placement::in_place:
        add(name + "=in-place");
        break;
      case placement::inside:
        add(name + "=" + k.buffer_of(s.host).name + "+" + std::to_string(s.offset));
        break;
    }
  }
  return out + (rule != nullptr ? std::string(" (invalid: ") + rule + ")" : " (valid)");
}

[[noreturn]] void broken(const std::string& what, const call& k, const char* rule) {
  std::fprintf(stderr, "contract broken: %s\n  call: %s\n  sn_last_error: '%s'\n", what.c_str(),
               describe(k, rule).c_str(), sn_last_error());
  std::abort();
}

// The buffers before a call: each slot's own storage, to see that a failed
// call wrote nothing; the bytes each buffer spans, to see that a call
// wrote no input; and what each holds, as the call sees it, widened to
// float32 from a 16-bit type.
struct snapshot {
  std::vector<std::vector<float>> storage, spans, values;
};

snapshot take_snapshot(const call& k) {
  snapshot s;
  for (const slot& b : k.slots) {
    s.storage.push_back(b.own);
    s.spans.emplace_back(b.at, b.at + (b.at != nullptr ? b.floats : 0));
    s.values.push_back(b.at == nullptr || b.type == dtype::float32
                           ? s.spans.back()
                           : methods::load_elements(b.type, b.at, b.elements));
  }
  return s;
}

// The values a call's statistics are over, before the call: x, or the
// fused add's h = (x + residual) + bias as the API forms it, in float32.
std::vector<float> normalized_input(const call& k, const snapshot& before) {
  std::vector<float> h = before.values[0];
  for (std::size_t i = 1; i < k.slots.size(); ++i) {
    const buffer& b = k.buffer_of(i);
    if (k.slots[i].at == nullptr || methods::is_output(b.kind)) continue;
    if (b.holds == contents::data) {
      for (std::size_t e = 0; e < h.size(); ++e) h[e] += before.values[i][e];
    }
  }
  for (std::size_t i = 1; i < k.slots.size(); ++i) {
    if (k.buffer_of(i).holds != contents::bias || k.slots[i].at == nullptr) continue;
    for (std::size_t e = 0; e < h.size(); ++e) {
      h[e] += before.values[i][e % static_cast<std::size_t>(k.args.p.d)];
    }
  }
  return h;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  // memcmp with the null data() of an empty vector is undefined, even for 0 bytes.
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// What a call returned, and the message it left.
struct outcome {
  sn_status status;
  std::string message;
};

// An invalid call: refused with a message, no byte of any buffer written.
void expect_refused(const outcome& got, const call& k, const snapshot& before, const char* rule) {
  if (got.status == SN_OK) broken("invalid arguments accepted", k, rule);
  if (got.message.empty()) broken("an error without a message", k, rule);
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    if (!same_bytes(k.slots[i].own, before.storage[i])) {
      broken(std::string("a failed call wrote to ") + k.buffer_of(i).name + "'s storage", k, rule);
    }
  }
}

outcome call_c(const call& k) {
  const sn_status status = k.m.c(k.args);
  return {status, sn_last_error()};
}

// The set of extent e (a row, feature, channel, instance or group) that
// element i of p's tensor belongs to.
std::int64_t set_of(std::int64_t i, extent e, const problem& p) {
  if (p.layout == layout_kind::rows) return e == extent::rows ? i / p.d : i % p.d;
  const std::int64_t channel = p.layout == layout_kind::nhwc ? i % p.c : i / p.spatial % p.c;
  const std::int64_t sample = i / (p.c * p.spatial);
  if (e == extent::instances) return sample * p.c + channel;
  if (e == extent::groups) return sample * p.groups + channel / (p.c / p.groups);
  return channel;
}

// The mean and standard deviation of a set, in double, over the primary
// input's values before the call.
struct set_scale {
  double mean, spread;
};

std::vector<set_scale> scales_of(const float* x, extent e, const problem& p) {
  const std::int64_t sets = methods::size_of(e, p), elements = p.elements();
  std::vector<double> sum(sets), squares(sets), count(sets);
  for (std::int64_t i = 0; i < elements; ++i) {
    sum[set_of(i, e, p)] += x[i];
    count[set_of(i, e, p)] += 1.0;
  }
  for (std::int64_t i = 0; i < elements; ++i) {
    const std::int64_t s = set_of(i, e, p);
    const double d = x[i] - sum[s] / count[s];
    squares[s] += d * d;
  }
  std::vector<set_scale> scales(sets);
  for (std::int64_t s = 0; s < sets; ++s) {
    const double spread = std::sqrt(squares[s] / count[s]);
    scales[s] = {sum[s] / count[s], std::isfinite(spread) ? spread : 0.0};
  }
  return scales;
}

// The mean a method computes and subtracts from its data without dividing
// by a spread (mean-only batch norm): its data output carries the mean's
// error as it is. Null where the data are divided by a spread, which shrinks
// that error to 1e-5 of the output's scale, inside the output tolerance.
const buffer* unscaled_mean(const method& m) {
  const buffer* mean = nullptr;
  for (const buffer& b : m.buffers) {
    if (b.holds == contents::var || b.holds == contents::running_var || b.holds == contents::rstd ||
        b.holds == contents::norm) {
      return nullptr;
    }
    if ((b.holds == contents::mean || b.holds == contents::running_mean) &&
        methods::is_output(b.kind)) {
      mean = &b;
    }
  }
  return mean;
}

// Switchable norm divides by a mixed variance that need not be its mixed
// mean's: var weights on a running variance near 0 and mean weights on a
// measured mean make rstd far larger than 1 / the mean's spread, and y
// carries the mean's error (1e-5 of each measured set's spread) times
// |gamma| * rstd, beyond y's own scale. Found by the fuzzer: mean weights
// {0.999985, 0, 1.5e-5}, var weights {1.3e-7, 0, 1}, running_var 0, eps
// 1e-5, so rstd 264 over data of spread 5.7. What each element of y carries,
// in units of statistic_tolerance.
std::vector<double> switched_mean_carried(const call& k, const float* x) {
  const arguments& a = k.args;
  const problem& p = a.p;
  problem layers = p;  // one group per sample: the layer sets
  layers.groups = 1;
  const std::vector<set_scale> instance = scales_of(x, extent::instances, p);
  const std::vector<set_scale> layer = scales_of(x, extent::groups, layers);
  const std::vector<set_scale> batch = scales_of(x, extent::channels, p);
  const auto square = [](double v) { return v * v; };
  std::vector<double> carried(static_cast<std::size_t>(p.elements()));
  for (std::int64_t i = 0; i < p.elements(); ++i) {
    const std::int64_t c = set_of(i, extent::channels, p);
    const double spreads[3] = {instance[set_of(i, extent::instances, p)].spread,
                               layer[set_of(i, extent::groups, layers)].spread, batch[c].spread};
    // Inference takes the batch statistics as given: no error in its mean.
    const double batch_var =
        k.m.training ? square(spreads[SN_SWITCH_BATCH]) : static_cast<double>(a.running_var[c]);
    const double vars[3] = {square(spreads[0]), square(spreads[1]), batch_var};
    double mean_error = 0.0, var = 0.0;
    for (int j = 0; j < 3; ++j) {
      if (j != SN_SWITCH_BATCH || k.m.training) mean_error += a.weights.mean[j] * spreads[j];
      var += a.weights.var[j] * vars[j];
    }
    const double gamma = a.gamma != nullptr ? std::fabs(a.gamma[c]) : 1.0;
    carried[i] = gamma * mean_error / std::sqrt(std::max(var, 0.0) + a.eps);
  }
  return carried;
}

// ---- float32 chains of the channels-last statistics --------------------------------------
//
// The vector path's NHWC statistics sum each channel in float32 chains of at
// most 64 rows (a block) and merge at most 64 blocks in float32 before
// double takes over (kernels/channel_kernels-inl.hpp). A chain of k terms of
// at most M is off by up to k / 2 ulps of M; M, a value's deviation from its
// chunk's first value, is at most the channel's range. On heavy-tailed data
// (one value far out) that bound, not the set's spread, is what the mean
// carries: batch norm training, 256 positions, a channel spanning 1e13,
// gave a mean 1.5e-5 of its spread off. So these outputs get the bound of
// their own data on top of the contract's tolerance. It reaches every method
// that measures statistics from NHWC data (standardize_adapt, whose rows x
// features run as NHWC channels, included) and every output made from those
// statistics. (Before issue 12 the chains ran 4096 / C rows and the merges
// over a whole chunk; batch-instance norm's folded mean, a second
// allowance here, was fixed with issue 11.)
class known_inaccuracies {
 public:
  known_inaccuracies(const call& k, const float* x) : k_(k) {
    const problem& p = k.args.p;
    const bool adapt = std::strcmp(k.m.name, "standardize_adapt") == 0;
    nhwc_chains_ = adapt || (p.layout == layout_kind::nhwc && measures_statistics(k.m));
    if (!nhwc_chains_) return;
    // The tensor as the library's NHWC kernels see it: standardize's rows
    // are samples of one position, its features the channels.
    shape_ = adapt ? problem{layout_kind::nhwc, p.n, p.d, 1, 0, 0} : p;
    const std::int64_t channels = shape_.c;
    range_.assign(channels, 0.0);
    std::vector<double> lo(channels, INFINITY), hi(channels, -INFINITY);
    for (std::int64_t i = 0; i < shape_.elements(); ++i) {
      const std::int64_t c = set_of(i, extent::channels, shape_);
      lo[c] = std::min<double>(lo[c], x[i]);
      hi[c] = std::max<double>(hi[c], x[i]);
    }
    for (std::int64_t c = 0; c < channels; ++c) range_[c] = hi[c] - lo[c];
    // The largest rstd any statistic of the call can have: from the smallest
    // variance among its instances (a batch, group or layer variance is at
    // least the smallest instance variance it merges) and its given ones.
    double smallest = INFINITY;
    for (const set_scale& set : scales_of(x, extent::instances, shape_)) {
      smallest = std::min(smallest, set.spread * set.spread);
    }
    if (k.args.running_var != nullptr && !k.m.training) {
      for (std::int64_t c = 0; c < channels; ++c) {
        smallest = std::min<double>(smallest, k.args.running_var[c]);
      }
    }
    largest_rstd_ = 1.0 / std::sqrt(std::max(smallest, 0.0) + k.args.eps);
    const double block_rows = 64.0;  // max_block_rows, whatever the width
    per_range_ = (block_rows / 2.0 + 64.0) * 0x1p-24;
  }

  // What element i of buffer b may carry beyond the contract's tolerance.
  double allowance(const buffer& b, std::size_t i) const {
    if (!nhwc_chains_) return 0.0;
    if (b.holds != contents::data) return statistic(b, i);
    const std::int64_t c = set_of(static_cast<std::int64_t>(i), extent::channels, shape_);
    const double gamma = k_.args.gamma != nullptr ? std::fabs(k_.args.gamma[c]) : 1.0;
    const double mean_error = per_range_ * range_[c];
    const double rstd_error = 0.5 * cube(largest_rstd_) * per_range_ * square(range_[c]);
    return unscaled_mean(k_.m) != nullptr
               ? mean_error
               : gamma * (largest_rstd_ * mean_error + range_[c] * rstd_error);
  }

 private:
  static double square(double v) { return v * v; }
  static double cube(double v) { return v * v * v; }

  // A method measures statistics from its data unless it only applies given
  // ones: it writes a statistic, or mixes measured ones (rho, weights).
  static bool measures_statistics(const method& m) {
    if (m.find("rho") != nullptr || m.takes_switch_weights) return true;
    for (const buffer& b : m.buffers) {
      if (methods::is_output(b.kind) && b.holds != contents::data) return true;
    }
    return false;
  }

  // A statistic output: a mean carries the chains' error in the mean, a
  // variance (or running variance) in the variance, an rstd its share of it.
  double statistic(const buffer& b, std::size_t i) const {
    double range = 0.0;
    const std::int64_t channels = shape_.c;
    // The channels a statistic merges: one, or a group's, or all of them
    // when the set spans every channel of a sample.
    std::int64_t first = 0, count = channels;
    if (b.size == extent::channels || b.size == extent::features) {
      first = static_cast<std::int64_t>(i);
      count = 1;
    } else if (b.size == extent::instances) {
      first = static_cast<std::int64_t>(i) % channels;
      count = 1;
    } else if (b.size == extent::groups) {
      const std::int64_t width = channels / k_.args.p.groups;
      first = (static_cast<std::int64_t>(i) % k_.args.p.groups) * width;
      count = width;
    }
    for (std::int64_t c = first; c < first + count; ++c) range = std::max(range, range_[c]);
    switch (b.holds) {
      case contents::mean:
      case contents::running_mean:
        return per_range_ * range;
      case contents::var:
      case contents::running_var:
        return 2.0 * per_range_ * square(range);
      case contents::rstd:
        return cube(largest_rstd_) * per_range_ * square(range);
      default:
        return 0.0;
    }
  }

  const call& k_;
  bool nhwc_chains_ = false;
  problem shape_;
  std::vector<double> range_;
  double largest_rstd_ = 0.0;
  double per_range_ = 0.0;
};

// Output within tolerance of the reference where the reference is finite,
// non-finite where it is not. The tolerance is relative to 1 + |reference|,
// plus what an updated statistic held before (its rounding is relative to
// the terms it mixes, which may cancel), plus for a mean the set's spread
// (its standard deviation), and for an output carrying a mean unscaled that
// mean's tolerance. It is loose next to the accuracy gate's 2e-6 on ordinary
// data: fuzzed sets include two-value and near-constant sets whose
// normalised values are large; a wrong index or a missed element gives
// errors of order one. Values past float32's range (a tiny eps over a
// constant set) may come out infinite, so they are not checked.
constexpr double output_tolerance = 5e-5;
constexpr double statistic_tolerance = 1e-5;

void expect_close(const call& k, std::size_t buffer_index, const std::vector<double>& want,
                  const std::vector<float>& held_before, const float* x_before,
                  const known_inaccuracies& known) {
  const buffer& b = k.buffer_of(buffer_index);
  const slot& s = k.slots[buffer_index];
  const problem& p = k.args.p;
  if (static_cast<std::int64_t>(want.size()) != s.elements) {
    broken(std::string("the reference has no values for ") + b.name, k, nullptr);
  }
  // What each value carries of a mean's error, in units of statistic_tolerance.
  std::vector<double> carried(want.size());
  if (b.holds == contents::mean || b.holds == contents::running_mean) {
    const std::vector<set_scale> sets = scales_of(x_before, b.size, p);
    for (std::size_t i = 0; i < carried.size(); ++i) carried[i] = sets[i].spread;
  } else if (b.holds == contents::data && k.m.takes_switch_weights) {
    carried = switched_mean_carried(k, x_before);
  } else if (const buffer* mean = b.holds == contents::data ? unscaled_mean(k.m) : nullptr) {
    const std::vector<set_scale> sets = scales_of(x_before, mean->size, p);
    for (std::size_t i = 0; i < carried.size(); ++i) {
      const set_scale& set = sets[set_of(i, mean->size, p)];
      carried[i] = 1.0 + std::fabs(set.mean) + set.spread;
    }
  }
  const double relative = b.holds == contents::data ? output_tolerance : statistic_tolerance;
  // A 16-bit output also carries its rounding: half an ulp, taken whole.
  const double rounding = s.type == dtype::bfloat16  ? 0x1p-8
                          : s.type == dtype::float16 ? 0x1p-11
                                                     : 0.0;
  const double largest = s.type == dtype::bfloat16  ? 0x1.fep127
                         : s.type == dtype::float16 ? 65504.0
                                                    : max_magnitude;
  const std::vector<float> values = s.type == dtype::float32
                                        ? std::vector<float>(s.at, s.at + s.elements)
                                        : methods::load_elements(s.type, s.at, s.elements);
  for (std::size_t i = 0; i < want.size(); ++i) {
    const float got = values[i];
    const double before = b.kind == role::in_out ? std::fabs(held_before[i]) : 0.0;
    const double allowed = relative * (1.0 + std::fabs(want[i]) + before) +
                           rounding * std::fabs(want[i]) + statistic_tolerance * carried[i] +
                           known.allowance(b, i);
    const double edge = largest * (1.0 - relative - rounding);
    if (std::isfinite(want[i]) && std::fabs(want[i]) >= edge) {
      // At or past the edge of the type's range (a variance of data near
      // FLT_MAX; g * v / ||v|| with g = FLT_MAX; 7e4 in float16): the
      // right answer is the infinity of its sign past the largest value, and
      // within rounding of it either that value or, one rounding over, the
      // infinity. A reference just inside the edge may also come out just
      // below it, within the ordinary tolerance (a float32 mean of data near
      // -FLT_MAX, a quarter of an ulp from the reference, once failed here).
      const bool past_edge = std::fabs(got) >= edge && (got < 0) == (want[i] < 0);
      const bool near_reference = std::fabs(got - want[i]) <= allowed;
      if (!past_edge && !near_reference) {
        broken(std::string(b.name) + "[" + std::to_string(i) + "] = " + std::to_string(got) +
                   ", reference " + std::to_string(want[i]) + " (at the edge of float32)",
               k, nullptr);
      }
      continue;
    }
    const bool want_finite = std::isfinite(want[i]);
    if (want_finite != std::isfinite(got) || (want_finite && std::fabs(got - want[i]) > allowed)) {
      broken(std::string(b.name) + "[" + std::to_string(i) + "] = " + std::to_string(got) +
                 ", reference " + std::to_string(want[i]),
             k, nullptr);
    }
  }
}

// A valid call: accepted without a message, inputs unchanged (but where an
// output may overlap them), outputs near the reference.
void expect_accepted(const outcome& got, const call& k, const snapshot& before,
                     const methods::reference_outputs& want) {
  if (got.status != SN_OK) broken("valid arguments refused", k, nullptr);
  if (!got.message.empty()) broken("a message after success", k, nullptr);
  const std::vector<float> normalized = normalized_input(k, before);
  const known_inaccuracies known(k, normalized.data());
  for (std::size_t i = 0; i < k.slots.size(); ++i) {
    const slot& s = k.slots[i];
    if (s.at == nullptr) continue;
    if (methods::is_output(k.buffer_of(i).kind)) {
      expect_close(k, i, want[i], before.values[i], normalized.data(), known);
      continue;
    }
    bool written = false;
    for (std::size_t j = 0; j < k.slots.size(); ++j) {
      written = written || (methods::is_output(k.buffer_of(j).kind) && overlap(s, k.slots[j]));
    }
    if (!written && !same_bytes(std::vector<float>(s.at, s.at + s.floats), before.spans[i])) {
      broken(std::string("a call wrote to its input ") + k.buffer_of(i).name, k, nullptr);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::vector<method>& table = methods::all();
  const std::size_t which = data[0] % table.size();
  FuzzedDataProvider in(data + 1, size - 1);
  const call k = make_call(in, table[which]);
  const char* rule = broken_rule(k);
  const snapshot before = take_snapshot(k);
  // Taken before the call: an in_out buffer's reference starts from what it
  // holds now, and in place the input is about to be overwritten.
  const methods::reference_outputs want =
      rule == nullptr ? k.m.reference(k.args) : methods::reference_outputs{};
  const outcome got = call_c(k);
  if (rule != nullptr) {
    expect_refused(got, k, before, rule);
    ++counts().refused[which];
  } else {
    expect_accepted(got, k, before, want);
    ++counts().accepted[which];
  }
  return 0;
}
