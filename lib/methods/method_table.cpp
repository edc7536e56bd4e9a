// The entries of the method table, one per public method variant.
#include "methods/method_table.hpp"

#include <cmath>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "reference/reference.hpp"
#include "simdnorm/half_float.h"

namespace simdnorm::methods {

namespace {

using a = arguments;

// One reference vector and the buffer it belongs to. The values are mutable
// so that place() can move them out of its initializer_list, whose elements
// are const: taken by value (a std::vector of pairs), every reference tensor,
// up to 50 MiB of doubles in the accuracy gate, was copied once more.
struct found_output {
  member field;
  mutable std::vector<double> values;
};

// The reference's vectors placed at their buffers' indices.
reference_outputs place(const method& m, std::initializer_list<found_output> found) {
  reference_outputs outputs(m.buffers.size());
  for (const found_output& f : found) {
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      if (m.buffers[i].field == f.field) outputs[i] = std::move(f.values);
    }
  }
  return outputs;
}

const method& self(const char* name) { return named(name); }

// Buffers that recur: the tensor in and out, and the affine parameters.
buffer input(const char* name = "x") {
  return {name, &a::x, role::primary_input, extent::tensor, contents::data, false};
}
buffer output(const char* name = "y") {
  return {name, &a::y, role::primary_output, extent::tensor, contents::data, false};
}
buffer gamma(extent size) { return {"gamma", &a::gamma, role::input, size, contents::gamma, true}; }
buffer beta(extent size) { return {"beta", &a::beta, role::input, size, contents::beta, true}; }
buffer running_mean(role kind, bool optional) {
  return {"running_mean",   &a::running_mean,       kind,
          extent::channels, contents::running_mean, optional};
}
buffer running_var(role kind, bool optional) {
  return {"running_var", &a::running_var, kind, extent::channels, contents::running_var, optional};
}
buffer rho() { return {"rho", &a::rho, role::input, extent::channels, contents::rho, false}; }
buffer set_mean(extent size) {
  return {"mean", &a::mean, role::output, size, contents::mean, true};
}
buffer set_rstd(extent size) {
  return {"rstd", &a::rstd, role::output, size, contents::rstd, true};
}

// The flags of an entry, named at the call site: traits().rows_of("d").
struct traits {
  bool rows = false;
  const char* d_name = "";
  bool grouped = false;
  bool eps = true;
  bool momentum = false;
  bool running_var_kind = false;
  bool switch_weights = false;
  bool training = false;
  bool two_values_per_channel = false;
  bool onednn = false;
  bool aten = false;

  traits& rows_of(const char* name) {
    rows = true;
    d_name = name;
    return *this;
  }
  traits& with_groups() {
    grouped = true;
    return *this;
  }
  traits& without_eps() {
    eps = false;
    return *this;
  }
  // Batch statistics, running statistics moved with momentum.
  traits& trained() {
    training = momentum = true;
    return *this;
  }
  // Training with a variance: PyTorch's more-than-one-value rule.
  traits& trained_with_variance() {
    trained();
    two_values_per_channel = true;
    return *this;
  }
  traits& with_running_var_kind() {
    running_var_kind = true;
    return *this;
  }
  traits& with_switch_weights() {
    switch_weights = true;
    return *this;
  }
  traits& in_onednn() {
    onednn = true;
    return *this;
  }
  traits& in_aten() {
    aten = true;
    return *this;
  }
};

method entry(const char* name, const traits& t, std::vector<buffer> buffers,
             std::function<void(const arguments&)> cpp,
             std::function<sn_status(const arguments&)> c,
             std::function<reference_outputs(const arguments&)> reference) {
  return method{name,
                name,
                dtype::float32,
                activation::none,
                t.rows,
                t.rows ? "rows" : "",
                t.d_name,
                t.grouped,
                t.eps,
                t.momentum,
                t.running_var_kind,
                t.switch_weights,
                t.training,
                t.two_values_per_channel,
                std::move(buffers),
                std::move(cpp),
                std::move(c),
                std::move(reference),
                t.onednn,
                t.aten};
}

// The signatures of a function's typed call, which every variant of it
// shares: the variant's type and activation come as arguments.
using typed_cpp = void (*)(const arguments&, dtype, activation);
using typed_c = sn_status (*)(const arguments&, int, int);

// The float64 reference of a variant of base: base's reference on the
// variant's tensor inputs widened to float32 (exactly: the rounded values
// are what the call normalises), then act applied to y. The buffers of a
// variant are base's, index for index.
std::function<reference_outputs(const arguments&)> variant_reference(const method& base, dtype type,
                                                                     activation act) {
  return [buffers = base.buffers, plain = base.reference, type, act](const arguments& k) {
    arguments widened = k;
    std::deque<std::vector<float>> inputs;  // stable addresses
    for (const buffer& b : buffers) {
      if (is_output(b.kind) || b.size != extent::tensor || k.*b.field == nullptr) continue;
      inputs.push_back(load_elements(type, k.*b.field, size_of(b.size, k.p)));
      widened.*b.field = inputs.back().data();
    }
    reference_outputs r = plain(widened);
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      if (buffers[i].kind != role::primary_output) continue;
      // The activation is of the plain call's y, a float32: past FLT_MAX,
      // the infinity of its sign (SiLU of -inf is NaN, as v / (1 + exp(-v))
      // gives it, where SiLU of -1e39 is -0).
      for (double& v : r[i]) {
        if (std::fabs(v) > std::numeric_limits<float>::max()) {
          v = std::copysign(std::numeric_limits<double>::infinity(), v);
        }
        v = reference::activated(act, v);
      }
    }
    return r;
  };
}

// Where a function's peers (oneDNN 2.6, ATen 1.13) also take bfloat16
// tensors: layer norm (both), batch norm (both), group norm (ATen). Their
// adapters take no activation and no float16.
enum class bf16_peers { no, as_function };

// Adds to t a variant of its entry function_name for every type in types
// and activation in acts, except the plain float32 one (already there):
// named function[_activation][_bf16|_f16].
void add_variants(std::vector<method>& t, std::deque<std::string>& names, const char* function_name,
                  std::initializer_list<dtype> types, std::initializer_list<activation> acts,
                  typed_cpp cpp, typed_c c, bf16_peers peers = bf16_peers::no) {
  std::size_t at = 0;
  while (std::string_view(t[at].name) != function_name) ++at;
  for (const dtype type : types) {
    for (const activation act : acts) {
      if (type == dtype::float32 && act == activation::none) continue;
      method v = t[at];
      std::string name = function_name;
      if (act != activation::none) name += std::string("_") + name_of(act);
      if (type == dtype::bfloat16) name += "_bf16";
      if (type == dtype::float16) name += "_f16";
      names.push_back(std::move(name));
      v.name = names.back().c_str();
      v.function = t[at].name;
      v.type = type;
      v.act = act;
      const bool peers_have_it =
          peers == bf16_peers::as_function && type == dtype::bfloat16 && act == activation::none;
      v.onednn = peers_have_it && t[at].onednn;
      v.aten = peers_have_it && t[at].aten;
      v.takes_type = true;
      v.takes_activation = acts.size() > 1;
      v.cpp = [cpp, type, act](const arguments& k) {
        cpp(k, k.cpp_type(type), k.cpp_activation(act));
      };
      v.c = [c, type, act](const arguments& k) {
        return c(k, k.c_type(type), k.c_activation(act));
      };
      v.reference = variant_reference(t[at], type, act);
      t.push_back(std::move(v));
    }
  }
}

// The fused residual add's entry of one type: function (add_layer_norm or
// add_rms_norm) on x + residual + bias, the sum written when passed. An
// entry without the sum output is the call of a post-norm block (BERT's:
// the norm's output is the next residual, x + residual is not kept), whose
// unfused sequence writes the sum all the same; with the sum, a fused call
// saves one write and one read of five tensor passes, without it two.
enum class sum_output { offered, left_out };
method fused_add(const char* name, const char* function, dtype type, bool centred,
                 sum_output sum = sum_output::offered) {
  std::vector<buffer> buffers = {
      input(),
      {"residual", &a::residual, role::input, extent::tensor, contents::data, false},
      {"bias", &a::bias, role::input, extent::features, contents::bias, true},
      gamma(extent::features),
      beta(extent::features),
      output()};
  if (sum == sum_output::offered) {
    buffers.push_back({"sum", &a::sum, role::output, extent::tensor, contents::data, true});
  }
  if (centred) buffers.push_back(set_mean(extent::rows));
  buffers.push_back(set_rstd(extent::rows));
  if (!centred) buffers[4].benchmarked = false;  // RMS norm's beta, as for rms_norm
  method m = entry(
      name, traits().rows_of("d"), std::move(buffers),
      [type, centred](const a& k) {
        const dtype t = k.cpp_type(type);
        if (centred) {
          add_layer_norm(t, k.x, k.residual, k.bias, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y,
                         k.sum, k.mean, k.rstd);
        } else {
          add_rms_norm(t, k.x, k.residual, k.bias, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.sum,
                       k.rstd);
        }
      },
      [type, centred](const a& k) {
        return centred
                   ? sn_add_layer_norm(static_cast<sn_dtype>(k.c_type(type)), k.x, k.residual,
                                       k.bias, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.sum,
                                       k.mean, k.rstd)
                   : sn_add_rms_norm(static_cast<sn_dtype>(k.c_type(type)), k.x, k.residual, k.bias,
                                     k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.sum, k.rstd);
      },
      nullptr);
  m.function = function;
  m.type = type;
  m.takes_type = true;
  m.reference = [buffers = m.buffers, type, centred](const a& k) {
    std::vector<double> h = reference::rows_of(type, k.x, k.residual, k.bias, k.p.n, k.p.d);
    reference::normalized r = centred
                                  ? reference::layer_norm(h, k.p.n, k.p.d, k.gamma, k.beta, k.eps)
                                  : reference::rms_norm(h, k.p.n, k.p.d, k.gamma, k.beta, k.eps);
    reference_outputs outputs(buffers.size());
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      const member field = buffers[i].field;
      if (field == &a::y) outputs[i] = std::move(r.y);
      if (field == &a::sum) outputs[i] = h;
      if (field == &a::mean) outputs[i] = std::move(r.mean);
      if (field == &a::rstd) outputs[i] = std::move(r.rstd);
    }
    return outputs;
  };
  return m;
}

struct table {
  std::deque<std::string> names;  // of the variants, which t's entries point to
  std::vector<method> t;
};

void make_table(table& built) {
  std::vector<method>& t = built.t;

  // ---- standardize (Keras Normalization) ------------------------------------
  // Adapt is the moments accumulator: create, one update, finalize.
  t.push_back(entry(
      "standardize_adapt", traits().rows_of("features").without_eps(),
      {input(),
       {"mean", &a::mean, role::output, extent::features, contents::mean, false},
       {"var", &a::var, role::output, extent::features, contents::var, false}},
      [](const a& k) {
        moments accumulated(k.p.d);
        accumulated.update(k.x, k.p.n);
        accumulated.finalize(k.mean, k.var);
      },
      [](const a& k) {
        sn_moments* m = nullptr;
        sn_status status = sn_moments_create(k.p.d, &m);
        if (status == SN_OK) status = sn_moments_update(m, k.x, k.p.n);
        if (status == SN_OK) status = sn_moments_finalize(m, k.mean, k.var);
        sn_moments_destroy(m);
        return status;
      },
      [](const a& k) {
        reference::feature_moments r = reference::moments(k.x, k.p.n, k.p.d);
        return place(self("standardize_adapt"),
                     {{&a::mean, std::move(r.mean)}, {&a::var, std::move(r.var)}});
      }));
  const std::vector<buffer> feature_statistics = {
      {"mean", &a::mean, role::input, extent::features, contents::mean, false},
      {"var", &a::var, role::input, extent::features, contents::var, false}};
  t.push_back(entry(
      "standardize_apply", traits().rows_of("features").without_eps(),
      {input(), feature_statistics[0], feature_statistics[1], output()},
      [](const a& k) { standardize_apply(k.x, k.p.n, k.p.d, k.mean, k.var, k.y); },
      [](const a& k) { return sn_standardize_apply(k.x, k.p.n, k.p.d, k.mean, k.var, k.y); },
      [](const a& k) {
        return place(self("standardize_apply"),
                     {{&a::y, reference::standardize_apply(k.x, k.p.n, k.p.d, k.mean, k.var)}});
      }));
  t.push_back(entry(
      "standardize_invert", traits().rows_of("features").without_eps(),
      {input("y"), feature_statistics[0], feature_statistics[1], output("x")},
      [](const a& k) { standardize_invert(k.x, k.p.n, k.p.d, k.mean, k.var, k.y); },
      [](const a& k) { return sn_standardize_invert(k.x, k.p.n, k.p.d, k.mean, k.var, k.y); },
      [](const a& k) {
        return place(self("standardize_invert"),
                     {{&a::y, reference::standardize_invert(k.x, k.p.n, k.p.d, k.mean, k.var)}});
      }));

  // ---- batch norm ---------------------------------------------------------------
  t.push_back(entry(
      "batch_norm_inference", traits().in_onednn().in_aten(),
      {input(), running_mean(role::input, false), running_var(role::input, false),
       gamma(extent::channels), beta(extent::channels), output()},
      [](const a& k) {
        batch_norm_inference(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma, k.beta,
                             k.eps, k.y);
      },
      [](const a& k) {
        return sn_batch_norm_inference(k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
                                       k.beta, k.eps, k.y);
      },
      [](const a& k) {
        return place(
            self("batch_norm_inference"),
            {{&a::y, reference::batch_norm_inference(k.x, k.p.activation_shape(), k.running_mean,
                                                     k.running_var, k.gamma, k.beta, k.eps)}});
      }));
  t.push_back(entry(
      "batch_norm_training",
      traits().trained_with_variance().with_running_var_kind().in_onednn().in_aten(),
      {input(),
       running_mean(role::in_out, true),
       running_var(role::in_out, true),
       gamma(extent::channels),
       beta(extent::channels),
       output(),
       {"save_mean", &a::save_mean, role::output, extent::channels, contents::mean, true},
       {"save_rstd", &a::save_rstd, role::output, extent::channels, contents::rstd, true}},
      [](const a& k) {
        batch_norm_training(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma, k.beta,
                            k.momentum, k.eps, k.cpp_kind(), k.y, k.save_mean, k.save_rstd);
      },
      [](const a& k) {
        return sn_batch_norm_training(k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
                                      k.beta, k.momentum, k.eps, k.c_kind(), k.y, k.save_mean,
                                      k.save_rstd);
      },
      [](const a& k) {
        reference::trained r = reference::batch_norm_training(
            k.x, k.p.activation_shape(), k.running_mean, k.running_var, k.gamma, k.beta, k.momentum,
            k.eps, k.kind);
        return place(self("batch_norm_training"), {{&a::y, std::move(r.y)},
                                                   {&a::save_mean, std::move(r.save_mean)},
                                                   {&a::save_rstd, std::move(r.save_rstd)},
                                                   {&a::running_mean, std::move(r.running_mean)},
                                                   {&a::running_var, std::move(r.running_var)}});
      }));
  t.push_back(entry(
      "batch_norm_mean_only_inference", traits().without_eps(),
      {input(), running_mean(role::input, false), beta(extent::channels), output()},
      [](const a& k) {
        batch_norm_mean_only_inference(k.x, k.cpp_shape(), k.running_mean, k.beta, k.y);
      },
      [](const a& k) {
        return sn_batch_norm_mean_only_inference(k.x, k.c_shape(), k.running_mean, k.beta, k.y);
      },
      [](const a& k) {
        return place(self("batch_norm_mean_only_inference"),
                     {{&a::y, reference::batch_norm_mean_only_inference(k.x, k.p.activation_shape(),
                                                                        k.running_mean, k.beta)}});
      }));
  t.push_back(entry(
      "batch_norm_mean_only_training", traits().without_eps().trained(),
      {input(),
       running_mean(role::in_out, true),
       beta(extent::channels),
       output(),
       {"save_mean", &a::save_mean, role::output, extent::channels, contents::mean, true}},
      [](const a& k) {
        batch_norm_mean_only_training(k.x, k.cpp_shape(), k.running_mean, k.beta, k.momentum, k.y,
                                      k.save_mean);
      },
      [](const a& k) {
        return sn_batch_norm_mean_only_training(k.x, k.c_shape(), k.running_mean, k.beta,
                                                k.momentum, k.y, k.save_mean);
      },
      [](const a& k) {
        reference::trained r = reference::batch_norm_mean_only_training(
            k.x, k.p.activation_shape(), k.running_mean, k.beta, k.momentum);
        return place(self("batch_norm_mean_only_training"),
                     {{&a::y, std::move(r.y)},
                      {&a::save_mean, std::move(r.save_mean)},
                      {&a::running_mean, std::move(r.running_mean)}});
      }));

  // ---- layer norm and RMS norm over rows x d ----------------------------------------
  t.push_back(entry(
      "layer_norm", traits().rows_of("d").in_onednn().in_aten(),
      {input(), gamma(extent::features), beta(extent::features), output(), set_mean(extent::rows),
       set_rstd(extent::rows)},
      [](const a& k) {
        layer_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k) {
        return sn_layer_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k) {
        reference::normalized r = reference::layer_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps);
        return place(self("layer_norm"), {{&a::y, std::move(r.y)},
                                          {&a::mean, std::move(r.mean)},
                                          {&a::rstd, std::move(r.rstd)}});
      }));
  buffer rms_beta = beta(extent::features);
  rms_beta.benchmarked = false;
  t.push_back(entry(
      "rms_norm", traits().rows_of("d"),
      {input(), gamma(extent::features), rms_beta, output(), set_rstd(extent::rows)},
      [](const a& k) { rms_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.rstd); },
      [](const a& k) {
        return sn_rms_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.rstd);
      },
      [](const a& k) {
        reference::normalized r = reference::rms_norm(k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps);
        return place(self("rms_norm"), {{&a::y, std::move(r.y)}, {&a::rstd, std::move(r.rstd)}});
      }));

  // ---- instance norm and group norm -------------------------------------------------
  t.push_back(entry(
      "instance_norm", traits().in_aten(),
      {input(), gamma(extent::channels), beta(extent::channels), output(),
       set_mean(extent::instances), set_rstd(extent::instances)},
      [](const a& k) {
        instance_norm(k.x, k.cpp_shape(), k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k) {
        return sn_instance_norm(k.x, k.c_shape(), k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k) {
        reference::normalized r =
            reference::instance_norm(k.x, k.p.activation_shape(), k.gamma, k.beta, k.eps);
        return place(self("instance_norm"), {{&a::y, std::move(r.y)},
                                             {&a::mean, std::move(r.mean)},
                                             {&a::rstd, std::move(r.rstd)}});
      }));
  t.push_back(entry(
      "group_norm", traits().with_groups().in_aten(),
      {input(), gamma(extent::channels), beta(extent::channels), output(), set_mean(extent::groups),
       set_rstd(extent::groups)},
      [](const a& k) {
        group_norm(k.x, k.cpp_shape(), k.p.groups, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k) {
        return sn_group_norm(k.x, k.c_shape(), k.p.groups, k.gamma, k.beta, k.eps, k.y, k.mean,
                             k.rstd);
      },
      [](const a& k) {
        reference::normalized r =
            reference::group_norm(k.x, k.p.activation_shape(), k.p.groups, k.gamma, k.beta, k.eps);
        return place(self("group_norm"), {{&a::y, std::move(r.y)},
                                          {&a::mean, std::move(r.mean)},
                                          {&a::rstd, std::move(r.rstd)}});
      }));

  // ---- batch-instance norm and switchable norm -------------------------------------
  t.push_back(entry(
      "batch_instance_norm_inference", traits(),
      {input(), running_mean(role::input, false), running_var(role::input, false),
       gamma(extent::channels), beta(extent::channels), rho(), output()},
      [](const a& k) {
        batch_instance_norm_inference(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                                      k.beta, k.rho, k.eps, k.y);
      },
      [](const a& k) {
        return sn_batch_instance_norm_inference(k.x, k.c_shape(), k.running_mean, k.running_var,
                                                k.gamma, k.beta, k.rho, k.eps, k.y);
      },
      [](const a& k) {
        return place(self("batch_instance_norm_inference"),
                     {{&a::y, reference::batch_instance_norm_inference(
                                  k.x, k.p.activation_shape(), k.running_mean, k.running_var,
                                  k.gamma, k.beta, k.rho, k.eps)}});
      }));
  t.push_back(entry(
      "batch_instance_norm_training", traits().trained_with_variance(),
      {input(), running_mean(role::in_out, true), running_var(role::in_out, true),
       gamma(extent::channels), beta(extent::channels), rho(), output()},
      [](const a& k) {
        batch_instance_norm_training(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                                     k.beta, k.rho, k.momentum, k.eps, k.y);
      },
      [](const a& k) {
        return sn_batch_instance_norm_training(k.x, k.c_shape(), k.running_mean, k.running_var,
                                               k.gamma, k.beta, k.rho, k.momentum, k.eps, k.y);
      },
      [](const a& k) {
        reference::trained r = reference::batch_instance_norm_training(
            k.x, k.p.activation_shape(), k.running_mean, k.running_var, k.gamma, k.beta, k.rho,
            k.momentum, k.eps);
        return place(self("batch_instance_norm_training"),
                     {{&a::y, std::move(r.y)},
                      {&a::running_mean, std::move(r.running_mean)},
                      {&a::running_var, std::move(r.running_var)}});
      }));
  t.push_back(entry(
      "switchable_norm_inference", traits().with_switch_weights(),
      {input(), running_mean(role::input, false), running_var(role::input, false),
       gamma(extent::channels), beta(extent::channels), output()},
      [](const a& k) {
        switchable_norm_inference(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                                  k.beta, k.weights, k.eps, k.y);
      },
      [](const a& k) {
        return sn_switchable_norm_inference(k.x, k.c_shape(), k.running_mean, k.running_var,
                                            k.gamma, k.beta, k.c_mean_weights(), k.c_var_weights(),
                                            k.eps, k.y);
      },
      [](const a& k) {
        return place(self("switchable_norm_inference"),
                     {{&a::y, reference::switchable_norm_inference(
                                  k.x, k.p.activation_shape(), k.running_mean, k.running_var,
                                  k.gamma, k.beta, k.weights, k.eps)}});
      }));
  t.push_back(entry(
      "switchable_norm_training", traits().trained_with_variance().with_switch_weights(),
      {input(), running_mean(role::in_out, true), running_var(role::in_out, true),
       gamma(extent::channels), beta(extent::channels), output()},
      [](const a& k) {
        switchable_norm_training(k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma, k.beta,
                                 k.weights, k.momentum, k.eps, k.y);
      },
      [](const a& k) {
        return sn_switchable_norm_training(k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
                                           k.beta, k.c_mean_weights(), k.c_var_weights(),
                                           k.momentum, k.eps, k.y);
      },
      [](const a& k) {
        reference::trained r = reference::switchable_norm_training(
            k.x, k.p.activation_shape(), k.running_mean, k.running_var, k.gamma, k.beta, k.weights,
            k.momentum, k.eps);
        return place(self("switchable_norm_training"),
                     {{&a::y, std::move(r.y)},
                      {&a::running_mean, std::move(r.running_mean)},
                      {&a::running_var, std::move(r.running_var)}});
      }));

  // ---- weight norm ---------------------------------------------------------------------
  t.push_back(entry(
      "weight_norm", traits().rows_of("cols").without_eps().in_aten(),
      {input("v"),
       {"g", &a::gain, role::input, extent::rows, contents::gain, false},
       output("w"),
       {"norm", &a::norm, role::output, extent::rows, contents::norm, true}},
      [](const a& k) { weight_norm(k.x, k.gain, k.p.n, k.p.d, k.y, k.norm); },
      [](const a& k) { return sn_weight_norm(k.x, k.gain, k.p.n, k.p.d, k.y, k.norm); },
      [](const a& k) {
        reference::weight_normalized r = reference::weight_norm(k.x, k.gain, k.p.n, k.p.d);
        return place(self("weight_norm"), {{&a::y, std::move(r.w)}, {&a::norm, std::move(r.norm)}});
      }));

  // ---- data types and fused neighbours (issue 13) -------------------------------------
  // Every variant after the plain entries, so that their order stays that
  // of earlier reports.
  constexpr auto bf16 = dtype::bfloat16, f16 = dtype::float16, f32 = dtype::float32;
  constexpr auto none = activation::none, relu = activation::relu, silu = activation::silu,
                 gelu = activation::gelu;
  add_variants(
      t, built.names, "layer_norm", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        layer_norm(type, k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
      },
      [](const a& k, int type, int) {
        return sn_layer_norm_typed(static_cast<sn_dtype>(type), k.x, k.p.n, k.p.d, k.gamma, k.beta,
                                   k.eps, k.y, k.mean, k.rstd);
      },
      bf16_peers::as_function);
  add_variants(
      t, built.names, "rms_norm", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        rms_norm(type, k.x, k.p.n, k.p.d, k.gamma, k.beta, k.eps, k.y, k.rstd);
      },
      [](const a& k, int type, int) {
        return sn_rms_norm_typed(static_cast<sn_dtype>(type), k.x, k.p.n, k.p.d, k.gamma, k.beta,
                                 k.eps, k.y, k.rstd);
      });
  t.push_back(fused_add("add_layer_norm", "add_layer_norm", f32, true));
  t.push_back(fused_add("add_layer_norm_bf16", "add_layer_norm", bf16, true));
  t.push_back(fused_add("add_layer_norm_f16", "add_layer_norm", f16, true));
  t.push_back(fused_add("add_rms_norm", "add_rms_norm", f32, false));
  t.push_back(fused_add("add_rms_norm_bf16", "add_rms_norm", bf16, false));
  t.push_back(fused_add("add_rms_norm_f16", "add_rms_norm", f16, false));
  t.push_back(fused_add("add_layer_norm_nosum", "add_layer_norm", f32, true, sum_output::left_out));
  t.push_back(
      fused_add("add_layer_norm_nosum_bf16", "add_layer_norm", bf16, true, sum_output::left_out));
  t.push_back(
      fused_add("add_layer_norm_nosum_f16", "add_layer_norm", f16, true, sum_output::left_out));
  t.push_back(fused_add("add_rms_norm_nosum", "add_rms_norm", f32, false, sum_output::left_out));
  t.push_back(
      fused_add("add_rms_norm_nosum_bf16", "add_rms_norm", bf16, false, sum_output::left_out));
  t.push_back(
      fused_add("add_rms_norm_nosum_f16", "add_rms_norm", f16, false, sum_output::left_out));
  add_variants(
      t, built.names, "batch_norm_inference", {f32, bf16, f16}, {none, relu, silu, gelu},
      [](const a& k, dtype type, activation act) {
        batch_norm_inference(type, k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                             k.beta, k.eps, act, k.y);
      },
      [](const a& k, int type, int act) {
        return sn_batch_norm_inference_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(),
                                             k.running_mean, k.running_var, k.gamma, k.beta, k.eps,
                                             static_cast<sn_activation>(act), k.y);
      },
      bf16_peers::as_function);
  add_variants(
      t, built.names, "batch_norm_training", {f32, bf16, f16}, {none, relu, silu, gelu},
      [](const a& k, dtype type, activation act) {
        batch_norm_training(type, k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                            k.beta, k.momentum, k.eps, k.cpp_kind(), act, k.y, k.save_mean,
                            k.save_rstd);
      },
      [](const a& k, int type, int act) {
        return sn_batch_norm_training_typed(
            static_cast<sn_dtype>(type), k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
            k.beta, k.momentum, k.eps, k.c_kind(), static_cast<sn_activation>(act), k.y,
            k.save_mean, k.save_rstd);
      },
      bf16_peers::as_function);
  add_variants(
      t, built.names, "instance_norm", {f32, bf16, f16}, {none, relu, silu, gelu},
      [](const a& k, dtype type, activation act) {
        instance_norm(type, k.x, k.cpp_shape(), k.gamma, k.beta, k.eps, act, k.y, k.mean, k.rstd);
      },
      [](const a& k, int type, int act) {
        return sn_instance_norm_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(), k.gamma,
                                      k.beta, k.eps, static_cast<sn_activation>(act), k.y, k.mean,
                                      k.rstd);
      });
  add_variants(
      t, built.names, "group_norm", {f32, bf16, f16}, {none, relu, silu, gelu},
      [](const a& k, dtype type, activation act) {
        group_norm(type, k.x, k.cpp_shape(), k.p.groups, k.gamma, k.beta, k.eps, act, k.y, k.mean,
                   k.rstd);
      },
      [](const a& k, int type, int act) {
        return sn_group_norm_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(), k.p.groups,
                                   k.gamma, k.beta, k.eps, static_cast<sn_activation>(act), k.y,
                                   k.mean, k.rstd);
      },
      bf16_peers::as_function);
  // The other channel methods in 16 bits, with no activation (none fuses
  // one after them in the networks that use them).
  add_variants(
      t, built.names, "weight_norm", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        weight_norm(type, k.x, k.gain, k.p.n, k.p.d, k.y, k.norm);
      },
      [](const a& k, int type, int) {
        return sn_weight_norm_typed(static_cast<sn_dtype>(type), k.x, k.gain, k.p.n, k.p.d, k.y,
                                    k.norm);
      });
  add_variants(
      t, built.names, "standardize_adapt", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        moments accumulated(k.p.d);
        accumulated.update(type, k.x, k.p.n);
        accumulated.finalize(k.mean, k.var);
      },
      [](const a& k, int type, int) {
        sn_moments* m = nullptr;
        sn_status status = sn_moments_create(k.p.d, &m);
        if (status == SN_OK) {
          status = sn_moments_update_typed(m, static_cast<sn_dtype>(type), k.x, k.p.n);
        }
        if (status == SN_OK) status = sn_moments_finalize(m, k.mean, k.var);
        sn_moments_destroy(m);
        return status;
      });
  add_variants(
      t, built.names, "standardize_apply", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        standardize_apply(type, k.x, k.p.n, k.p.d, k.mean, k.var, k.y);
      },
      [](const a& k, int type, int) {
        return sn_standardize_apply_typed(static_cast<sn_dtype>(type), k.x, k.p.n, k.p.d, k.mean,
                                          k.var, k.y);
      });
  add_variants(
      t, built.names, "standardize_invert", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        standardize_invert(type, k.x, k.p.n, k.p.d, k.mean, k.var, k.y);
      },
      [](const a& k, int type, int) {
        return sn_standardize_invert_typed(static_cast<sn_dtype>(type), k.x, k.p.n, k.p.d, k.mean,
                                           k.var, k.y);
      });
  add_variants(
      t, built.names, "batch_norm_mean_only_inference", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        batch_norm_mean_only_inference(type, k.x, k.cpp_shape(), k.running_mean, k.beta, k.y);
      },
      [](const a& k, int type, int) {
        return sn_batch_norm_mean_only_inference_typed(static_cast<sn_dtype>(type), k.x,
                                                       k.c_shape(), k.running_mean, k.beta, k.y);
      });
  add_variants(
      t, built.names, "batch_norm_mean_only_training", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        batch_norm_mean_only_training(type, k.x, k.cpp_shape(), k.running_mean, k.beta, k.momentum,
                                      k.y, k.save_mean);
      },
      [](const a& k, int type, int) {
        return sn_batch_norm_mean_only_training_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(),
                                                      k.running_mean, k.beta, k.momentum, k.y,
                                                      k.save_mean);
      });
  add_variants(
      t, built.names, "batch_instance_norm_inference", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        batch_instance_norm_inference(type, k.x, k.cpp_shape(), k.running_mean, k.running_var,
                                      k.gamma, k.beta, k.rho, k.eps, k.y);
      },
      [](const a& k, int type, int) {
        return sn_batch_instance_norm_inference_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(),
                                                      k.running_mean, k.running_var, k.gamma,
                                                      k.beta, k.rho, k.eps, k.y);
      });
  add_variants(
      t, built.names, "batch_instance_norm_training", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        batch_instance_norm_training(type, k.x, k.cpp_shape(), k.running_mean, k.running_var,
                                     k.gamma, k.beta, k.rho, k.momentum, k.eps, k.y);
      },
      [](const a& k, int type, int) {
        return sn_batch_instance_norm_training_typed(static_cast<sn_dtype>(type), k.x, k.c_shape(),
                                                     k.running_mean, k.running_var, k.gamma, k.beta,
                                                     k.rho, k.momentum, k.eps, k.y);
      });
  add_variants(
      t, built.names, "switchable_norm_inference", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        switchable_norm_inference(type, k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                                  k.beta, k.weights, k.eps, k.y);
      },
      [](const a& k, int type, int) {
        return sn_switchable_norm_inference_typed(
            static_cast<sn_dtype>(type), k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
            k.beta, k.c_mean_weights(), k.c_var_weights(), k.eps, k.y);
      });
  add_variants(
      t, built.names, "switchable_norm_training", {bf16, f16}, {none},
      [](const a& k, dtype type, activation) {
        switchable_norm_training(type, k.x, k.cpp_shape(), k.running_mean, k.running_var, k.gamma,
                                 k.beta, k.weights, k.momentum, k.eps, k.y);
      },
      [](const a& k, int type, int) {
        return sn_switchable_norm_training_typed(
            static_cast<sn_dtype>(type), k.x, k.c_shape(), k.running_mean, k.running_var, k.gamma,
            k.beta, k.c_mean_weights(), k.c_var_weights(), k.momentum, k.eps, k.y);
      });
}

}  // namespace

shape arguments::cpp_shape() const {
  shape s = p.activation_shape();
  // A scoped enum holds any value of its underlying int.
  if (layout_value) s.layout = static_cast<layout>(*layout_value);
  return s;
}

sn_shape arguments::c_shape() const {
  sn_shape s = p.c_shape();
  // The C API reads the layout as an integer (lib/api/c_api.cpp): its
  // bytes go in as a C caller's would, with no load of an sn_layout out of
  // its range on this side.
  static_assert(sizeof s.layout == sizeof(int), "a C enum is an int here");
  if (layout_value) std::memcpy(&s.layout, &*layout_value, sizeof s.layout);
  return s;
}

running_var_kind arguments::cpp_kind() const {
  return kind_value ? static_cast<running_var_kind>(*kind_value) : kind;
}

sn_running_var arguments::c_kind() const {
  if (kind_value) return static_cast<sn_running_var>(*kind_value);
  return kind == running_var_kind::biased ? SN_RUNNING_VAR_BIASED : SN_RUNNING_VAR_UNBIASED;
}

dtype arguments::cpp_type(dtype of_method) const {
  return dtype_value ? static_cast<dtype>(*dtype_value) : of_method;
}

int arguments::c_type(dtype of_method) const {
  if (dtype_value) return *dtype_value;
  switch (of_method) {
    case dtype::bfloat16:
      return SN_DTYPE_BFLOAT16;
    case dtype::float16:
      return SN_DTYPE_FLOAT16;
    case dtype::float32:
      break;
  }
  return SN_DTYPE_FLOAT32;
}

activation arguments::cpp_activation(activation of_method) const {
  return activation_value ? static_cast<activation>(*activation_value) : of_method;
}

int arguments::c_activation(activation of_method) const {
  if (activation_value) return *activation_value;
  switch (of_method) {
    case activation::relu:
      return SN_ACTIVATION_RELU;
    case activation::silu:
      return SN_ACTIVATION_SILU;
    case activation::gelu:
      return SN_ACTIVATION_GELU;
    case activation::none:
      break;
  }
  return SN_ACTIVATION_NONE;
}

const char* name_of(dtype type) {
  switch (type) {
    case dtype::float32:
      return "float32";
    case dtype::bfloat16:
      return "bfloat16";
    case dtype::float16:
      return "float16";
  }
  return "";
}

const char* name_of(activation act) {
  switch (act) {
    case activation::none:
      return "none";
    case activation::relu:
      return "relu";
    case activation::silu:
      return "silu";
    case activation::gelu:
      return "gelu";
  }
  return "";
}

void store_elements(dtype type, const float* values, std::int64_t count, void* storage) {
  if (type == dtype::float32) {
    std::memmove(storage, values, static_cast<std::size_t>(count) * sizeof(float));
    return;
  }
  // Front to back: element i's 2 bytes lie at or before value i's 4, so a
  // store over the values themselves (in place) reads each before it is
  // overwritten.
  auto* out = static_cast<std::uint16_t*>(storage);
  for (std::int64_t i = 0; i < count; ++i) {
    out[i] = type == dtype::bfloat16 ? sn_bfloat16_from_float(values[i])
                                     : sn_float16_from_float(values[i]);
  }
}

std::vector<float> load_elements(dtype type, const void* storage, std::int64_t count) {
  std::vector<float> values(static_cast<std::size_t>(count));
  if (type == dtype::float32) {
    std::memcpy(values.data(), storage, values.size() * sizeof(float));
    return values;
  }
  const auto* in = static_cast<const std::uint16_t*>(storage);
  for (std::int64_t i = 0; i < count; ++i) {
    values[i] = type == dtype::bfloat16 ? sn_bfloat16_to_float(in[i]) : sn_float16_to_float(in[i]);
  }
  return values;
}

const char* name_of(layout_kind kind) {
  switch (kind) {
    case layout_kind::nchw:
      return "nchw";
    case layout_kind::nhwc:
      return "nhwc";
    case layout_kind::rows:
      return "rows";
  }
  return "";
}

std::int64_t size_of(extent size, const problem& p) {
  switch (size) {
    case extent::tensor:
      return p.elements();
    case extent::channels:
      return p.c;
    case extent::features:
      return p.d;
    case extent::rows:
      return p.n;
    case extent::groups:
      return p.n * p.groups;
    case extent::instances:
      return p.n * p.c;
  }
  return 0;
}

std::vector<layout_kind> method::layouts() const {
  if (rows) return {layout_kind::rows};
  return {layout_kind::nchw, layout_kind::nhwc};
}

const buffer* method::find(std::string_view buffer_name) const {
  for (const buffer& b : buffers) {
    if (buffer_name == b.name) return &b;
  }
  return nullptr;
}

bool method::has_running_statistics() const {
  for (const buffer& b : buffers) {
    if (b.holds == contents::running_mean) return true;
  }
  return false;
}

std::int64_t method::bytes_of(const buffer& b, const problem& p) const {
  return size_of(b.size, p) *
         (b.size == extent::tensor ? element_size(type) : static_cast<std::int64_t>(sizeof(float)));
}

std::int64_t method::traffic_bytes(const arguments& k) const {
  std::int64_t bytes = 0;
  for (const buffer& b : buffers) {
    if (k.*b.field == nullptr) continue;
    bytes += bytes_of(b, k.p) * (b.kind == role::in_out ? 2 : 1);
  }
  return bytes;
}

const std::vector<method>& all() {
  static const table built = [] {
    table made;
    make_table(made);
    return made;
  }();
  return built.t;
}

const method& named(std::string_view name) {
  for (const method& m : all()) {
    if (name == m.name) return m;
  }
  throw std::invalid_argument("no method named " + std::string(name));
}

}  // namespace simdnorm::methods
