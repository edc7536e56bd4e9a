// Calls of the method table's entries (lib/methods) for the table-driven
// suites: the buffers of one call, filled by what each holds; the choices of
// optional buffers a method offers; the problems (layout, sizes, groups)
// that reach its paths; the tolerance each output is judged with.
#ifndef SIMDNORM_TESTS_METHOD_CALLS_HPP_
#define SIMDNORM_TESTS_METHOD_CALLS_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "methods/method_table.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {

using methods::arguments;
using methods::buffer;
using methods::contents;
using methods::layout_kind;
using methods::method;
using methods::problem;
using methods::role;

// ---- which optional buffers a call passes ------------------------------------------

// Each flag covers a kind of optional buffer; a method that has none of that
// kind ignores it.
struct variant {
  bool affine = true;   // gamma, beta (and bias): none or all
  bool outputs = true;  // statistics outputs: mean, rstd, save_mean, save_rstd, norm
  bool running = true;  // running statistics, where training takes them optionally
  running_var_kind kind = running_var_kind::unbiased;
};

inline bool has(const method& m, bool (*kind)(const buffer&)) {
  return std::any_of(m.buffers.begin(), m.buffers.end(), kind);
}
// gamma, beta and the fused add's bias: the parameters of a layer.
inline bool is_affine(const buffer& b) {
  return b.holds == contents::gamma || b.holds == contents::beta || b.holds == contents::bias;
}
inline bool is_running(const buffer& b) {
  return b.holds == contents::running_mean || b.holds == contents::running_var;
}
inline bool is_optional_output(const buffer& b) {
  return b.optional && (b.kind == role::output || b.kind == role::primary_output);
}
inline bool is_optional_running(const buffer& b) { return b.optional && is_running(b); }

inline bool passes(const buffer& b, const variant& v) {
  if (!b.optional) return true;
  if (is_affine(b)) return v.affine;
  if (is_running(b)) return v.running;
  return v.outputs;
}

// Every combination of the kinds of optional buffer m has; the biased
// running variance once, with everything passed (it changes running_var
// alone). A variant of a function (a type, an activation) takes its
// optional buffers through the function's own code, which the function's
// entry tries in every combination: the variant tries everything passed and
// nothing optional passed.
inline std::vector<variant> variants_of(const method& m) {
  const bool affine = has(m, is_affine), outputs = has(m, is_optional_output),
             running = has(m, is_optional_running);
  if (m.variant()) return {variant{}, variant{!affine, !outputs, !running}};
  std::vector<variant> all;
  for (const bool a : {true, false}) {
    if (!a && !affine) continue;
    for (const bool o : {true, false}) {
      if (!o && !outputs) continue;
      for (const bool r : {true, false}) {
        if (!r && !running) continue;
        all.push_back({a, o, r, running_var_kind::unbiased});
      }
    }
  }
  if (m.takes_running_var_kind) all.push_back({true, true, true, running_var_kind::biased});
  return all;
}

inline std::string describe(const method& m, const variant& v) {
  std::string out;
  const auto add = [&](bool applies, bool on, const char* what) {
    if (!applies) return;
    out += (out.empty() ? "" : ", ") + std::string(on ? "with " : "without ") + what;
  };
  add(has(m, is_affine), v.affine, "gamma/beta");
  add(has(m, is_optional_output), v.outputs, "optional outputs");
  add(has(m, is_optional_running), v.running, "running statistics");
  if (m.takes_running_var_kind) {
    out += v.kind == running_var_kind::biased ? ", biased" : ", unbiased";
  }
  return out.empty() ? "no optional buffers" : out;
}

// ---- problems -----------------------------------------------------------------------

// s's sizes in layout l (the shape lists are written in NCHW).
inline problem activation_problem(const shape& s, layout_kind l, std::int64_t groups) {
  problem p;
  p.layout = l;
  p.n = s.n;
  p.c = s.c;
  p.spatial = s.spatial;
  p.groups = groups;
  return p;
}

inline problem rows_problem(std::int64_t rows, std::int64_t d) {
  problem p;
  p.layout = layout_kind::rows;
  p.n = rows;
  p.d = d;
  return p;
}

inline std::string describe(const problem& p) {
  if (p.layout == layout_kind::rows) {
    return std::to_string(p.n) + " rows x " + std::to_string(p.d);
  }
  std::string out = "n=" + std::to_string(p.n) + " c=" + std::to_string(p.c) +
                    " spatial=" + std::to_string(p.spatial) + " " + methods::name_of(p.layout);
  if (p.groups > 0) out += " groups=" + std::to_string(p.groups);
  return out;
}

// G = 1 (layer norm over C x spatial), G = C (instance norm), and the
// smallest and largest proper divisors of C between them (C / G channels a
// group: 2, 3, 5, ..., and C / 2).
inline std::vector<std::int64_t> group_counts(std::int64_t c) {
  std::vector<std::int64_t> groups = {1, c};
  for (std::int64_t g = 2; g < c; ++g) {
    if (c % g == 0) {
      groups.push_back(g);
      groups.push_back(c / g);
      break;
    }
  }
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

// The problems a method is swept over in one layout: every shape of
// test_support.hpp, each group count for grouped methods; training with a
// variance drops the shapes with one value per channel, which it refuses.
inline std::vector<problem> problems_of(const method& m, layout_kind l) {
  std::vector<problem> all;
  if (m.rows) {
    for (const matrix& k : matrix_shapes()) all.push_back(rows_problem(k.rows, k.cols));
    return all;
  }
  for (const shape& s : activation_shapes()) {
    if (m.needs_two_values_per_channel && s.n * s.spatial == 1) continue;
    if (!m.grouped) {
      all.push_back(activation_problem(s, l, 0));
      continue;
    }
    for (std::int64_t g : group_counts(s.c)) all.push_back(activation_problem(s, l, g));
  }
  return all;
}

// ---- the buffers of one call ---------------------------------------------------------

// A seed from a problem and a salt, the same on every run.
inline std::uint32_t seed_of(const problem& p, std::uint32_t salt = 0) {
  return static_cast<std::uint32_t>(p.n * 1000003 + p.c * 10007 + p.spatial * 101 + p.groups * 13 +
                                    p.d * 7 + static_cast<int>(p.layout) * 3 + salt);
}

// rho per channel in [0, 1], with the end points 0 and 1 present when there
// are channels enough.
inline std::vector<float> some_rho(std::int64_t c, std::uint32_t seed) {
  std::vector<float> rho = uniform(c, seed, 0.0f, 1.0f);
  rho.front() = 0.0f;
  if (c > 1) rho.back() = 1.0f;
  return rho;
}

// A float32 softmax of seeded logits, as a model would pass it.
inline std::array<float, 3> softmax_weights(std::uint32_t seed) {
  const std::vector<float> logits = normal(3, seed);
  float sum = 0.0f;
  std::array<float, 3> w{};
  for (int k = 0; k < 3; ++k) sum += w[k] = std::exp(logits[k]);
  for (float& e : w) e /= sum;
  return w;
}

// rows x features with a different mean (in [-5, 5]) and standard deviation
// (in [0.1, 3]) per feature, as a dataset's features have.
inline std::vector<float> feature_data(std::int64_t rows, std::int64_t features,
                                       std::uint32_t seed) {
  const std::vector<float> mu = uniform(features, seed, -5.0f, 5.0f);
  const std::vector<float> sigma = uniform(features, seed + 1, 0.1f, 3.0f);
  std::vector<float> x = normal(rows * features, seed + 2);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t f = 0; f < features; ++f) {
      float& e = x[static_cast<std::size_t>(r * features + f)];
      e = mu[f] + sigma[f] * e;
    }
  }
  return x;
}

// The data a call is normalised on: N(0, 1), or 1e4 + N(0, 1), where
// rounding is most sensitive to the order of a sum.
enum class data_family { normal, offset };

// count values of the kind b holds; outputs start as sentinels, so that an
// element never written shows.
inline std::vector<float> fill(const method& m, const buffer& b, const problem& p,
                               std::int64_t count, data_family family, std::uint32_t seed) {
  if (b.kind == role::output || b.kind == role::primary_output) return sentinel_buffer(count);
  switch (b.holds) {
    case contents::data:
      if (family == data_family::offset) return offset_normal(count, seed);
      // Standardize reads a dataset, whose features are not centred.
      if (m.rows && std::string(m.d_name) == "features") {
        std::vector<float> x = feature_data(p.n, p.d, seed);
        x.resize(static_cast<std::size_t>(count), 0.0f);
        return x;
      }
      return normal(count, seed);
    case contents::gamma:  // signs and magnitudes above 1 both exercised
      return uniform(count, seed, -2.0f, 2.0f);
    case contents::beta:
      return uniform(count, seed, -1.0f, 1.0f);
    case contents::running_mean:
      return uniform(count, seed, -1.0f, 1.0f);
    case contents::running_var:
      return uniform(count, seed, 0.5f, 2.0f);
    case contents::rho:
      return some_rho(count, seed);
    case contents::gain: {
      // Magnitudes in [0.5, 2], either sign: a negative g flips the row.
      std::vector<float> g = uniform(count, seed, 0.5f, 2.0f);
      for (std::size_t i = 0; i < g.size(); i += 2) g[i] = -g[i];
      return g;
    }
    case contents::mean:  // standardize's given means
      return uniform(count, seed, -5.0f, 5.0f);
    case contents::var:  // standardize's given variances: deviations 0.1 to 3
      return uniform(count, seed, 0.01f, 9.0f);
    case contents::bias:  // the fused add's
      return uniform(count, seed, -0.5f, 0.5f);
    case contents::rstd:
    case contents::norm:
      break;
  }
  return sentinel_buffer(count);
}

// ---- 16-bit tensors ------------------------------------------------------------------

// A bfloat16 or float16 method's tensor buffers (x, y, the fused add's
// residual and sum) hold 16-bit elements, packed: ceil(count / 2) floats of
// storage, the odd count's last half and any spare floats filled with
// sentinel16 (pairs of which never form sentinel_bits: outputs are checked
// element by element, unwritten_elements).
inline bool is_16_bit(const method& m, const buffer& b) {
  return m.type != dtype::float32 && b.size == methods::extent::tensor;
}

// A signalling NaN of the type, which the kernels never store (they round a
// NaN to a quiet one).
inline std::uint16_t sentinel16(dtype type) {
  return type == dtype::bfloat16 ? std::uint16_t{0x7fa5} : std::uint16_t{0x7d25};
}

// The storage of count elements of a 16-bit type and spare floats after
// them: values stored (rounded) where given, sentinel16 elsewhere.
inline std::vector<float> packed(dtype type, std::int64_t count, std::int64_t spare,
                                 const std::vector<float>* values = nullptr) {
  std::vector<float> storage(static_cast<std::size_t>((count + 1) / 2 + spare));
  auto* elements = reinterpret_cast<std::uint16_t*>(storage.data());
  std::fill(elements, elements + 2 * storage.size(), sentinel16(type));
  if (values != nullptr) methods::store_elements(type, values->data(), count, storage.data());
  return storage;
}

// The elements of a tensor buffer never written: still sentinel16.
inline std::size_t unwritten_elements(dtype type, const std::vector<float>& storage,
                                      std::int64_t count) {
  const auto* elements = reinterpret_cast<const std::uint16_t*>(storage.data());
  return static_cast<std::size_t>(std::count(
      elements, elements + std::min<std::int64_t>(count, 2 * storage.size()), sentinel16(type)));
}

// One call of a table method: a vector per buffer of the method, index for
// index, empty where the call leaves the buffer out. Copying it gives a
// fresh call on the same data.
struct call {
  call() = default;  // no call yet: assign one
  // spare floats follow every buffer, so that a pointer one float past a
  // buffer's start (a partial overlap) still points inside it.
  call(const method& m, const problem& p, const variant& v, std::uint32_t seed,
       data_family family = data_family::normal, std::int64_t spare = 0)
      : m(&m), p(p), v(v) {
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      const buffer& b = m.buffers[i];
      if (!passes(b, v)) {
        buffers.emplace_back();
        continue;
      }
      const std::int64_t count = methods::size_of(b.size, p);
      const std::uint32_t buffer_seed = seed + 17 * static_cast<std::uint32_t>(i);
      if (is_16_bit(m, b) && (b.kind == role::output || b.kind == role::primary_output)) {
        buffers.push_back(packed(m.type, count, spare));
        continue;
      }
      if (is_16_bit(m, b)) {
        const std::vector<float> values = fill(m, b, p, count, family, buffer_seed);
        buffers.push_back(packed(m.type, count, spare, &values));
        continue;
      }
      buffers.push_back(fill(m, b, p, count + spare, family, buffer_seed));
    }
    if (m.takes_switch_weights) weights = {softmax_weights(seed + 5), softmax_weights(seed + 6)};
  }

  // Becomes from's call with the optional buffers v leaves out left out
  // (and v's running-variance kind), reusing its own storage: the suites
  // make thousands of calls, and fresh pages cost more than the calls under
  // AddressSanitizer.
  void assign(const call& from, const variant& with) {
    m = from.m;
    p = from.p;
    v = with;
    weights = from.weights;
    buffers.resize(from.buffers.size());
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      if (passes(m->buffers[i], v)) {
        buffers[i].assign(from.buffers[i].begin(), from.buffers[i].end());
      } else {
        buffers[i].clear();
      }
    }
  }

  // The arguments that point at this call's buffers.
  arguments args() {
    arguments a;
    a.p = p;
    for (std::size_t i = 0; i < m->buffers.size(); ++i) {
      if (!buffers[i].empty()) a.*(m->buffers[i].field) = buffers[i].data();
    }
    a.kind = v.kind;
    a.weights = weights;
    return a;
  }

  std::vector<float>& of(const buffer& b) {
    return buffers[static_cast<std::size_t>(&b - m->buffers.data())];
  }

  // The values buffer b holds, widened to float32 from a 16-bit type.
  std::vector<float> values(const buffer& b) {
    const std::vector<float>& storage = of(b);
    if (!is_16_bit(*m, b) || storage.empty()) return storage;
    return methods::load_elements(m->type, storage.data(), methods::size_of(b.size, p));
  }

  // The buffer holding the primary input or output.
  std::vector<float>& with_role(role r) {
    for (const buffer& b : m->buffers) {
      if (b.kind == r) return of(b);
    }
    throw std::logic_error(std::string(m->name) + " has no buffer of that role");
  }

  const method* m = nullptr;
  problem p;
  variant v;
  std::vector<std::vector<float>> buffers;
  switch_weights weights{{0.5f, 0.3f, 0.2f}, {0.2f, 0.3f, 0.5f}};
};

inline bool has_primary_output(const method& m) {
  return std::any_of(m.buffers.begin(), m.buffers.end(),
                     [](const buffer& b) { return b.kind == role::primary_output; });
}

// ---- tolerances by what an output holds -----------------------------------------------

// scale: the gamma (or weight norm's g) of the call, empty when left out.
inline tolerance tolerance_for(const buffer& b, const std::vector<float>& scale) {
  switch (b.holds) {
    case contents::data:
      // y = xhat * gamma + beta, and weight norm's w = g * v / ||v|| with
      // |v / ||v||| <= 1: a few ulps of |gamma| or |g|. Mean-only batch norm
      // and standardize have no such factor: the error is that of the mean
      // (or of one subtraction and one division), a few ulps of O(1).
      // Batch-instance and switchable norm mix two or three normalised
      // values with weights below 1: still a few ulps of the O(1) output.
      return output_tolerance(scale);
    case contents::mean:
    case contents::running_mean:
      return mean_tolerance;
    default:
      // rstd, variances, running variances, weight norm's ||v||: a sum of
      // squares is well conditioned, so relative 1e-5.
      return rstd_tolerance;
  }
}

// The same for m's buffer b: a 16-bit output adds its rounding, half an
// ulp (relative 2^-9 in bfloat16, 2^-12 in float16), taken as a whole ulp
// for the float32 error it rounds.
inline tolerance tolerance_for(const method& m, const buffer& b, const std::vector<float>& scale) {
  tolerance t = tolerance_for(b, scale);
  if (is_16_bit(m, b)) t.rel += m.type == dtype::bfloat16 ? 0x1p-8 : 0x1p-11;
  return t;
}

// The values that scale a method's output: its gamma or g, when passed.
inline std::vector<float> output_scale(call& k) {
  for (const buffer& b : k.m->buffers) {
    if (b.holds == contents::gamma || b.holds == contents::gain) return k.of(b);
  }
  return {};
}

// ---- naming parameterised tests -------------------------------------------------------

// A method in one of its layouts: "group_norm_nhwc", "layer_norm".
struct method_layout {
  const method* m;
  layout_kind layout;
};

inline std::string name_of(const method_layout& k) {
  return k.m->rows ? std::string(k.m->name)
                   : std::string(k.m->name) + "_" + methods::name_of(k.layout);
}

inline void PrintTo(const method_layout& k, std::ostream* os) { *os << name_of(k); }

inline std::string method_layout_name(const ::testing::TestParamInfo<method_layout>& info) {
  return name_of(info.param);
}

// Every method of the table in each of its layouts, where keep(method) holds.
inline std::vector<method_layout> method_layouts(bool (*keep)(const method&) = nullptr) {
  std::vector<method_layout> all;
  for (const method& m : methods::all()) {
    if (keep != nullptr && !keep(m)) continue;
    for (layout_kind l : m.layouts()) all.push_back({&m, l});
  }
  return all;
}

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_METHOD_CALLS_HPP_
