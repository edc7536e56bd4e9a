// Bad arguments, through the C++ API (std::invalid_argument whose message
// names the argument) and the C API (SN_ERROR_INVALID_ARGUMENT, and
// sn_last_error() naming it). Either way the call writes nothing: every
// output and running statistic keeps its bytes, checked with memcmp against
// a snapshot taken before the call.
//
// Each case starts from a valid call of one operation and breaks one thing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

enum class op {
  standardize_apply,
  standardize_invert,
  moments_create,
  moments_update,
  moments_merge,
  moments_finalize,
  batch_norm_inference,
  batch_norm_training,
  batch_norm_mean_only_training,
  batch_norm_mean_only_inference,
  layer_norm,
  rms_norm,
  instance_norm,
  group_norm,
  batch_instance_norm_training,
  batch_instance_norm_inference,
  switchable_norm_training,
  switchable_norm_inference,
  weight_norm,
};

const char* op_name(op o) {
  switch (o) {
    case op::standardize_apply:
      return "StandardizeApply";
    case op::standardize_invert:
      return "StandardizeInvert";
    case op::moments_create:
      return "MomentsCreate";
    case op::moments_update:
      return "MomentsUpdate";
    case op::moments_merge:
      return "MomentsMerge";
    case op::moments_finalize:
      return "MomentsFinalize";
    case op::batch_norm_inference:
      return "BatchNormInference";
    case op::batch_norm_training:
      return "BatchNormTraining";
    case op::batch_norm_mean_only_training:
      return "BatchNormMeanOnlyTraining";
    case op::batch_norm_mean_only_inference:
      return "BatchNormMeanOnlyInference";
    case op::layer_norm:
      return "LayerNorm";
    case op::rms_norm:
      return "RmsNorm";
    case op::instance_norm:
      return "InstanceNorm";
    case op::group_norm:
      return "GroupNorm";
    case op::batch_instance_norm_training:
      return "BatchInstanceNormTraining";
    case op::batch_instance_norm_inference:
      return "BatchInstanceNormInference";
    case op::switchable_norm_training:
      return "SwitchableNormTraining";
    case op::switchable_norm_inference:
      return "SwitchableNormInference";
    case op::weight_norm:
      return "WeightNorm";
  }
  return "";
}

// Every buffer any call takes, valid for shape {2, 6, 5} (and rows x d =
// 12 x 5, features = 5). Each holds one float more than a call reads, so
// that a pointer one past its start (a partial overlap) stays inside it.
struct workspace {
  static constexpr std::int64_t n = 2, c = 6, spatial = 5, count = n * c * spatial;
  std::vector<float> x = normal(count + 1, 1);
  std::vector<float> y = sentinel_buffer(count + 1);
  std::vector<float> gamma = uniform(c + 1, 2, 0.5f, 2.0f);
  std::vector<float> beta = uniform(c + 1, 3, -1.0f, 1.0f);
  std::vector<float> running_mean = normal(c + 1, 4, 0.0f, 0.5f);
  std::vector<float> running_var = uniform(c + 1, 5, 0.5f, 2.0f);
  std::vector<float> rho = uniform(c + 1, 6, 0.0f, 1.0f);
  std::vector<float> save_mean = sentinel_buffer(c + 1);
  std::vector<float> save_rstd = sentinel_buffer(c + 1);
  std::vector<float> mean = sentinel_buffer(n * c + 1);
  std::vector<float> rstd = sentinel_buffer(n * c + 1);
  std::vector<float> feature_mean = uniform(spatial + 1, 7, -1.0f, 1.0f);
  std::vector<float> feature_var = uniform(spatial + 1, 8, 0.5f, 2.0f);
  std::vector<float> g = uniform(n * c + 1, 9, 0.5f, 2.0f);

  std::vector<std::vector<float>*> buffers() {
    return {&x,         &y,         &gamma, &beta, &running_mean, &running_var, &rho,
            &save_mean, &save_rstd, &mean,  &rstd, &feature_mean, &feature_var, &g};
  }
};

// The arguments of one call, valid until a case breaks one of them.
struct call_args {
  explicit call_args(workspace& w)
      : x(w.x.data()),
        y(w.y.data()),
        gamma(w.gamma.data()),
        beta(w.beta.data()),
        running_mean(w.running_mean.data()),
        running_var(w.running_var.data()),
        rho(w.rho.data()),
        save_mean(w.save_mean.data()),
        save_rstd(w.save_rstd.data()),
        mean(w.mean.data()),
        rstd(w.rstd.data()),
        feature_mean(w.feature_mean.data()),
        feature_var(w.feature_var.data()),
        g(w.g.data()) {}

  shape s{workspace::n, workspace::c, workspace::spatial, layout::nchw};
  std::int64_t rows = workspace::n * workspace::c;
  std::int64_t d = workspace::spatial;  // also the feature count of moments
  std::int64_t other_features = workspace::spatial;
  std::int64_t groups = 3;
  float eps = 1e-5f;
  float momentum = 0.1f;
  running_var_kind kind = running_var_kind::unbiased;
  switch_weights weights{{0.2f, 0.3f, 0.5f}, {0.6f, 0.1f, 0.3f}};
  bool c_null_moments = false;  // C only: pass a null sn_moments*
  bool c_null_out = false;      // C only: pass a null sn_moments** to create
  bool c_null_mean_weights = false;
  bool update_before_finalize = true;
  const float* x;
  float* y;
  const float* gamma;
  const float* beta;
  float* running_mean;
  float* running_var;
  const float* rho;
  float* save_mean;
  float* save_rstd;
  float* mean;
  float* rstd;
  const float* feature_mean;
  const float* feature_var;
  const float* g;
};

void run_cpp(op o, const call_args& a) {
  switch (o) {
    case op::standardize_apply:
      return standardize_apply(a.x, a.rows, a.d, a.feature_mean, a.feature_var, a.y);
    case op::standardize_invert:
      return standardize_invert(a.x, a.rows, a.d, a.feature_mean, a.feature_var, a.y);
    case op::moments_create: {
      moments m(a.d);
      return;
    }
    case op::moments_update: {
      moments m(workspace::spatial);
      return m.update(a.x, a.rows);
    }
    case op::moments_merge: {
      moments m(a.d), other(a.other_features);
      return m.merge(other);
    }
    case op::moments_finalize: {
      moments m(a.d);
      if (a.update_before_finalize) m.update(a.x, 3);
      return m.finalize(a.mean, a.rstd);
    }
    case op::batch_norm_inference:
      return batch_norm_inference(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta, a.eps,
                                  a.y);
    case op::batch_norm_training:
      return batch_norm_training(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta,
                                 a.momentum, a.eps, a.kind, a.y, a.save_mean, a.save_rstd);
    case op::batch_norm_mean_only_training:
      return batch_norm_mean_only_training(a.x, a.s, a.running_mean, a.beta, a.momentum, a.y,
                                           a.save_mean);
    case op::batch_norm_mean_only_inference:
      return batch_norm_mean_only_inference(a.x, a.s, a.running_mean, a.beta, a.y);
    case op::layer_norm:
      return layer_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::rms_norm:
      return rms_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.rstd);
    case op::instance_norm:
      return instance_norm(a.x, a.s, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::group_norm:
      return group_norm(a.x, a.s, a.groups, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::batch_instance_norm_training:
      return batch_instance_norm_training(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta,
                                          a.rho, a.momentum, a.eps, a.y);
    case op::batch_instance_norm_inference:
      return batch_instance_norm_inference(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta,
                                           a.rho, a.eps, a.y);
    case op::switchable_norm_training:
      return switchable_norm_training(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta,
                                      a.weights, a.momentum, a.eps, a.y);
    case op::switchable_norm_inference:
      return switchable_norm_inference(a.x, a.s, a.running_mean, a.running_var, a.gamma, a.beta,
                                       a.weights, a.eps, a.y);
    case op::weight_norm:
      return weight_norm(a.x, a.g, a.rows, a.d, a.y, a.rstd);
  }
}

sn_shape to_c(const shape& s) {
  return sn_shape{s.n, s.c, s.spatial, static_cast<sn_layout>(static_cast<int>(s.layout))};
}

sn_running_var to_c(running_var_kind kind) {
  return static_cast<sn_running_var>(static_cast<int>(kind));
}

// An sn_moments that is destroyed at the end of the scope.
struct c_moments {
  explicit c_moments(std::int64_t features) {
    if (sn_moments_create(features, &m) != SN_OK) m = nullptr;
  }
  ~c_moments() { sn_moments_destroy(m); }
  sn_moments* m = nullptr;
};

sn_status run_c(op o, const call_args& a) {
  const float* mean_w = a.c_null_mean_weights ? nullptr : a.weights.mean.data();
  const float* var_w = a.weights.var.data();
  switch (o) {
    case op::standardize_apply:
      return sn_standardize_apply(a.x, a.rows, a.d, a.feature_mean, a.feature_var, a.y);
    case op::standardize_invert:
      return sn_standardize_invert(a.x, a.rows, a.d, a.feature_mean, a.feature_var, a.y);
    case op::moments_create: {
      sn_moments* m = nullptr;
      const sn_status status = sn_moments_create(a.d, a.c_null_out ? nullptr : &m);
      sn_moments_destroy(m);
      return status;
    }
    case op::moments_update: {
      c_moments m(workspace::spatial);
      return sn_moments_update(a.c_null_moments ? nullptr : m.m, a.x, a.rows);
    }
    case op::moments_merge: {
      c_moments m(a.d), other(a.other_features);
      return sn_moments_merge(a.c_null_moments ? nullptr : m.m, other.m);
    }
    case op::moments_finalize: {
      c_moments m(a.d);
      if (a.update_before_finalize && sn_moments_update(m.m, a.x, 3) != SN_OK) return SN_OK;
      return sn_moments_finalize(a.c_null_moments ? nullptr : m.m, a.mean, a.rstd);
    }
    case op::batch_norm_inference:
      return sn_batch_norm_inference(a.x, to_c(a.s), a.running_mean, a.running_var, a.gamma, a.beta,
                                     a.eps, a.y);
    case op::batch_norm_training:
      return sn_batch_norm_training(a.x, to_c(a.s), a.running_mean, a.running_var, a.gamma, a.beta,
                                    a.momentum, a.eps, to_c(a.kind), a.y, a.save_mean, a.save_rstd);
    case op::batch_norm_mean_only_training:
      return sn_batch_norm_mean_only_training(a.x, to_c(a.s), a.running_mean, a.beta, a.momentum,
                                              a.y, a.save_mean);
    case op::batch_norm_mean_only_inference:
      return sn_batch_norm_mean_only_inference(a.x, to_c(a.s), a.running_mean, a.beta, a.y);
    case op::layer_norm:
      return sn_layer_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::rms_norm:
      return sn_rms_norm(a.x, a.rows, a.d, a.gamma, a.beta, a.eps, a.y, a.rstd);
    case op::instance_norm:
      return sn_instance_norm(a.x, to_c(a.s), a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::group_norm:
      return sn_group_norm(a.x, to_c(a.s), a.groups, a.gamma, a.beta, a.eps, a.y, a.mean, a.rstd);
    case op::batch_instance_norm_training:
      return sn_batch_instance_norm_training(a.x, to_c(a.s), a.running_mean, a.running_var, a.gamma,
                                             a.beta, a.rho, a.momentum, a.eps, a.y);
    case op::batch_instance_norm_inference:
      return sn_batch_instance_norm_inference(a.x, to_c(a.s), a.running_mean, a.running_var,
                                              a.gamma, a.beta, a.rho, a.eps, a.y);
    case op::switchable_norm_training:
      return sn_switchable_norm_training(a.x, to_c(a.s), a.running_mean, a.running_var, a.gamma,
                                         a.beta, mean_w, var_w, a.momentum, a.eps, a.y);
    case op::switchable_norm_inference:
      return sn_switchable_norm_inference(a.x, to_c(a.s), a.running_mean, a.running_var, a.gamma,
                                          a.beta, mean_w, var_w, a.eps, a.y);
    case op::weight_norm:
      return sn_weight_norm(a.x, a.g, a.rows, a.d, a.y, a.rstd);
  }
  return SN_ERROR_INTERNAL;
}

// ---- the cases --------------------------------------------------------------------

enum class api { both, cpp_only, c_only };

struct bad_case {
  std::string name;
  op o;
  std::function<void(call_args&, workspace&)> breaks;
  // The message must name one of these (several where more than one name
  // is right, e.g. either buffer of an overlapping pair).
  std::vector<std::string> arguments;
  api only = api::both;
};

bool is_training(op o) {
  return o == op::batch_norm_training || o == op::batch_norm_mean_only_training ||
         o == op::batch_instance_norm_training || o == op::switchable_norm_training;
}
bool has_running_var(op o) {
  return o != op::batch_norm_mean_only_training && o != op::batch_norm_mean_only_inference;
}
// Inference methods that take running statistics (required there).
bool takes_running_stats(op o) {
  return o == op::batch_norm_inference || o == op::batch_norm_mean_only_inference ||
         o == op::batch_instance_norm_inference || o == op::switchable_norm_inference;
}
bool uses_rho(op o) {
  return o == op::batch_instance_norm_training || o == op::batch_instance_norm_inference;
}
bool uses_weights(op o) {
  return o == op::switchable_norm_training || o == op::switchable_norm_inference;
}

const float nan = std::numeric_limits<float>::quiet_NaN();
const float inf = std::numeric_limits<float>::infinity();

std::vector<bad_case> bad_cases() {
  std::vector<bad_case> cases;
  const auto add = [&](op o, const std::string& what, std::function<void(call_args&, workspace&)> f,
                       std::vector<std::string> arguments, api only = api::both) {
    cases.push_back({std::string(op_name(o)) + what, o, std::move(f), std::move(arguments), only});
  };
  const op activation_ops[] = {op::batch_norm_inference,
                               op::batch_norm_training,
                               op::batch_norm_mean_only_training,
                               op::batch_norm_mean_only_inference,
                               op::instance_norm,
                               op::group_norm,
                               op::batch_instance_norm_training,
                               op::batch_instance_norm_inference,
                               op::switchable_norm_training,
                               op::switchable_norm_inference};
  for (op o : activation_ops) {
    add(o, "NullX", [](call_args& a, workspace&) { a.x = nullptr; }, {"x"});
    add(o, "NullY", [](call_args& a, workspace&) { a.y = nullptr; }, {"y"});
    add(o, "ZeroN", [](call_args& a, workspace&) { a.s.n = 0; }, {"n"});
    add(o, "NegativeN", [](call_args& a, workspace&) { a.s.n = -2; }, {"n"});
    add(o, "ZeroC", [](call_args& a, workspace&) { a.s.c = 0; }, {"c"});
    add(o, "NegativeC", [](call_args& a, workspace&) { a.s.c = -6; }, {"c"});
    add(o, "ZeroSpatial", [](call_args& a, workspace&) { a.s.spatial = 0; }, {"spatial"});
    add(o, "NegativeSpatial", [](call_args& a, workspace&) { a.s.spatial = -1; }, {"spatial"});
    add(o, "SizeOverflow",
        [](call_args& a, workspace&) {
          a.s.n = a.s.c = a.s.spatial = std::int64_t{1} << 30;
          a.groups = 1;
        },
        {"x", "n", "c", "spatial"});
    add(o, "LayoutSeven", [](call_args& a, workspace&) { a.s.layout = static_cast<layout>(7); },
        {"layout"});
    add(o, "YOverlapsXByOneElement", [](call_args& a, workspace& w) { a.y = w.x.data() + 1; },
        {"x", "y"});
    if (o != op::batch_norm_mean_only_training && o != op::batch_norm_mean_only_inference) {
      add(o, "ZeroEps", [](call_args& a, workspace&) { a.eps = 0.0f; }, {"eps"});
      add(o, "NegativeEps", [](call_args& a, workspace&) { a.eps = -1e-5f; }, {"eps"});
      add(o, "NanEps", [](call_args& a, workspace&) { a.eps = nan; }, {"eps"});
      add(o, "InfiniteEps", [](call_args& a, workspace&) { a.eps = inf; }, {"eps"});
    }
    if (is_training(o)) {
      add(o, "NegativeMomentum", [](call_args& a, workspace&) { a.momentum = -0.1f; },
          {"momentum"});
      add(o, "MomentumAboveOne", [](call_args& a, workspace&) { a.momentum = 1.1f; }, {"momentum"});
      add(o, "NanMomentum", [](call_args& a, workspace&) { a.momentum = nan; }, {"momentum"});
      add(o, "YOverlapsRunningMean",
          [](call_args& a, workspace& w) { a.running_mean = w.y.data() + 3; },
          {"y", "running_mean"});
    }
    if (is_training(o) && has_running_var(o)) {
      add(o, "RunningMeanWithoutRunningVar",
          [](call_args& a, workspace&) { a.running_var = nullptr; },
          {"running_mean", "running_var"});
      add(o, "RunningVarWithoutRunningMean",
          [](call_args& a, workspace&) { a.running_mean = nullptr; },
          {"running_mean", "running_var"});
      add(o, "OneValuePerChannel",
          [](call_args& a, workspace&) {
            a.s.n = 1;
            a.s.spatial = 1;
          },
          {"n", "spatial"});
      add(o, "OneValuePerChannelNhwc",
          [](call_args& a, workspace&) {
            a.s = shape{1, 6, 1, layout::nhwc};
          },
          {"n", "spatial"});
    }
    if (takes_running_stats(o)) {
      add(o, "NullRunningMean", [](call_args& a, workspace&) { a.running_mean = nullptr; },
          {"running_mean"});
      if (has_running_var(o)) {
        add(o, "NullRunningVar", [](call_args& a, workspace&) { a.running_var = nullptr; },
            {"running_var"});
      }
    }
    if (uses_rho(o)) {
      add(o, "NullRho", [](call_args& a, workspace&) { a.rho = nullptr; }, {"rho"});
      add(o, "RhoAboveOne", [](call_args&, workspace& w) { w.rho[2] = 1.5f; }, {"rho"});
      add(o, "RhoBelowZero", [](call_args&, workspace& w) { w.rho[0] = -0.25f; }, {"rho"});
      add(o, "NanRho", [](call_args&, workspace& w) { w.rho[5] = nan; }, {"rho"});
    }
    if (uses_weights(o)) {
      add(o, "MeanWeightBelowZero",
          [](call_args& a, workspace&) {
            a.weights.mean = {-0.1f, 0.6f, 0.5f};
          },
          {"mean_weights", "weights"});
      add(o, "VarWeightAboveOne",
          [](call_args& a, workspace&) {
            a.weights.var = {1.5f, -0.25f, -0.25f};
          },
          {"var_weights", "weights"});
      add(o, "MeanWeightsNotSummingToOne",
          [](call_args& a, workspace&) {
            a.weights.mean = {0.5f, 0.5f, 0.5f};
          },
          {"mean_weights", "weights"});
      add(o, "VarWeightsNotSummingToOne",
          [](call_args& a, workspace&) {
            a.weights.var = {0.1f, 0.1f, 0.1f};
          },
          {"var_weights", "weights"});
      add(o, "NanMeanWeight",
          [](call_args& a, workspace&) {
            a.weights.mean = {nan, 0.5f, 0.5f};
          },
          {"mean_weights", "weights"});
      add(
          o, "NullMeanWeights", [](call_args& a, workspace&) { a.c_null_mean_weights = true; },
          {"mean_weights"}, api::c_only);
    }
  }
  add(op::batch_norm_training, "SaveMeanOverlapsSaveRstd",
      [](call_args& a, workspace& w) { a.save_rstd = w.save_mean.data() + 1; },
      {"save_mean", "save_rstd"});
  add(op::batch_norm_training, "RunningVarKindFive",
      [](call_args& a, workspace&) { a.kind = static_cast<running_var_kind>(5); },
      {"running_var_kind", "kind"});
  for (op o : {op::group_norm, op::instance_norm}) {
    add(o, "MeanOverlapsRstd", [](call_args& a, workspace& w) { a.rstd = w.mean.data() + 1; },
        {"mean", "rstd"});
  }
  add(op::group_norm, "ZeroGroups", [](call_args& a, workspace&) { a.groups = 0; }, {"groups"});
  add(op::group_norm, "NegativeGroups", [](call_args& a, workspace&) { a.groups = -3; },
      {"groups"});
  add(op::group_norm, "GroupsNotDividingC", [](call_args& a, workspace&) { a.groups = 4; },
      {"groups"});
  add(op::group_norm, "MoreGroupsThanChannels", [](call_args& a, workspace&) { a.groups = 12; },
      {"groups"});

  // rows x d methods; d is "features" for standardize and "cols" for
  // weight norm, and x, y are "v", "w" there.
  struct row_op {
    op o;
    std::string d_name, x_name, y_name;
  };
  const row_op row_ops[] = {{op::layer_norm, "d", "x", "y"},
                            {op::rms_norm, "d", "x", "y"},
                            {op::standardize_apply, "features", "x", "y"},
                            {op::standardize_invert, "features", "y", "x"},
                            {op::weight_norm, "cols", "v", "w"}};
  for (const row_op& r : row_ops) {
    const op o = r.o;
    add(o, "NullInput", [](call_args& a, workspace&) { a.x = nullptr; }, {r.x_name});
    add(o, "NullOutput", [](call_args& a, workspace&) { a.y = nullptr; }, {r.y_name});
    add(o, "ZeroRows", [](call_args& a, workspace&) { a.rows = 0; }, {"rows"});
    add(o, "NegativeRows", [](call_args& a, workspace&) { a.rows = -12; }, {"rows"});
    add(o, "ZeroD", [](call_args& a, workspace&) { a.d = 0; }, {r.d_name});
    add(o, "NegativeD", [](call_args& a, workspace&) { a.d = -5; }, {r.d_name});
    add(o, "SizeOverflow", [](call_args& a, workspace&) { a.rows = a.d = std::int64_t{1} << 40; },
        {r.x_name, "rows", r.d_name});
    add(o, "OutputOverlapsInputByOneElement",
        [](call_args& a, workspace& w) { a.y = w.x.data() + 1; }, {r.x_name, r.y_name});
    if (o == op::layer_norm || o == op::rms_norm) {
      add(o, "ZeroEps", [](call_args& a, workspace&) { a.eps = 0.0f; }, {"eps"});
      add(o, "NegativeEps", [](call_args& a, workspace&) { a.eps = -1.0f; }, {"eps"});
      add(o, "NanEps", [](call_args& a, workspace&) { a.eps = nan; }, {"eps"});
      add(o, "InfiniteEps", [](call_args& a, workspace&) { a.eps = inf; }, {"eps"});
    }
  }
  add(op::layer_norm, "MeanOverlapsRstd",
      [](call_args& a, workspace& w) { a.rstd = w.mean.data() + 1; }, {"mean", "rstd"});
  add(op::layer_norm, "YOverlapsMean", [](call_args& a, workspace& w) { a.mean = w.y.data() + 45; },
      {"y", "mean"});
  add(op::standardize_apply, "NullMean", [](call_args& a, workspace&) { a.feature_mean = nullptr; },
      {"mean"});
  add(op::standardize_apply, "NullVar", [](call_args& a, workspace&) { a.feature_var = nullptr; },
      {"var"});
  add(op::weight_norm, "NullG", [](call_args& a, workspace&) { a.g = nullptr; }, {"g"});

  add(op::moments_create, "ZeroFeatures", [](call_args& a, workspace&) { a.d = 0; }, {"features"});
  add(op::moments_create, "NegativeFeatures", [](call_args& a, workspace&) { a.d = -1; },
      {"features"});
  add(
      op::moments_create, "NullResultPointer",
      [](call_args& a, workspace&) { a.c_null_out = true; }, {"moments"}, api::c_only);
  add(op::moments_update, "NullX", [](call_args& a, workspace&) { a.x = nullptr; }, {"x"});
  add(op::moments_update, "ZeroRows", [](call_args& a, workspace&) { a.rows = 0; }, {"rows"});
  add(op::moments_update, "NegativeRows", [](call_args& a, workspace&) { a.rows = -3; }, {"rows"});
  add(op::moments_update, "SizeOverflow",
      [](call_args& a, workspace&) { a.rows = std::int64_t{1} << 62; }, {"x", "rows"});
  add(
      op::moments_update, "NullMoments", [](call_args& a, workspace&) { a.c_null_moments = true; },
      {"moments"}, api::c_only);
  add(op::moments_merge, "DifferentFeatureCounts",
      [](call_args& a, workspace&) { a.other_features = a.d + 1; }, {"other", "features"});
  add(
      op::moments_merge, "NullMoments", [](call_args& a, workspace&) { a.c_null_moments = true; },
      {"moments"}, api::c_only);
  add(op::moments_finalize, "WithNoData",
      [](call_args& a, workspace&) { a.update_before_finalize = false; },
      {"rows", "moments", "count"});
  add(op::moments_finalize, "NullMean", [](call_args& a, workspace&) { a.mean = nullptr; },
      {"mean"});
  add(op::moments_finalize, "NullVar", [](call_args& a, workspace&) { a.rstd = nullptr; }, {"var"});
  add(op::moments_finalize, "MeanOverlapsVar",
      [](call_args& a, workspace& w) { a.rstd = w.mean.data() + 1; }, {"mean", "var"});
  add(
      op::moments_finalize, "NullMoments",
      [](call_args& a, workspace&) { a.c_null_moments = true; }, {"moments"}, api::c_only);
  return cases;
}

std::vector<bad_case> cases_for(api which) {
  std::vector<bad_case> chosen;
  for (bad_case& k : bad_cases()) {
    if (k.only == api::both || k.only == which) chosen.push_back(std::move(k));
  }
  return chosen;
}

std::string case_name(const ::testing::TestParamInfo<bad_case>& info) { return info.param.name; }

::testing::AssertionResult names_one_of(const std::string& message,
                                        const std::vector<std::string>& arguments) {
  for (const std::string& a : arguments) {
    if (names_argument(message, a)) return ::testing::AssertionSuccess();
  }
  std::string list;
  for (const std::string& a : arguments) list += (list.empty() ? "" : ", ") + a;
  return ::testing::AssertionFailure() << "message \"" << message << "\" names none of: " << list;
}

// Runs one case and checks that no buffer changed.
template <class Call>
void expect_nothing_written(const bad_case& k, Call call) {
  workspace w;
  call_args a(w);
  k.breaks(a, w);
  std::vector<std::vector<float>> before;
  for (std::vector<float>* b : w.buffers()) before.push_back(*b);

  call(a);

  const std::vector<std::vector<float>*> after = w.buffers();
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(same_bits(*after[i], before[i])) << "buffer " << i << " was written";
  }
}

class CppBadArgument : public ::testing::TestWithParam<bad_case> {};

TEST_P(CppBadArgument, ThrowsInvalidArgumentNamingItAndWritesNothing) {
  const bad_case& k = GetParam();
  expect_nothing_written(k, [&](const call_args& a) {
    try {
      run_cpp(k.o, a);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(names_one_of(e.what(), k.arguments));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw something other than std::invalid_argument: " << e.what();
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Cases, CppBadArgument, ::testing::ValuesIn(cases_for(api::cpp_only)),
                         case_name);

class CBadArgument : public ::testing::TestWithParam<bad_case> {};

TEST_P(CBadArgument, ReturnsInvalidArgumentNamingItAndWritesNothing) {
  const bad_case& k = GetParam();
  expect_nothing_written(k, [&](const call_args& a) {
    const sn_status status = run_c(k.o, a);
    EXPECT_EQ(status, SN_ERROR_INVALID_ARGUMENT);
    const std::string message = sn_last_error();
    EXPECT_FALSE(message.empty());
    EXPECT_TRUE(names_one_of(message, k.arguments));
  });
}

INSTANTIATE_TEST_SUITE_P(Cases, CBadArgument, ::testing::ValuesIn(cases_for(api::c_only)),
                         case_name);

// The unbroken call of every operation succeeds, so each case above fails
// for the one thing it breaks and not for a mistake in the valid call.
class ValidCall : public ::testing::TestWithParam<op> {};

TEST_P(ValidCall, SucceedsThroughBothApis) {
  {
    workspace w;
    EXPECT_NO_THROW(run_cpp(GetParam(), call_args(w)));
  }
  {
    workspace w;
    EXPECT_EQ(run_c(GetParam(), call_args(w)), SN_OK) << sn_last_error();
    EXPECT_STREQ(sn_last_error(), "");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Operations, ValidCall,
    ::testing::Values(op::standardize_apply, op::standardize_invert, op::moments_create,
                      op::moments_update, op::moments_merge, op::moments_finalize,
                      op::batch_norm_inference, op::batch_norm_training,
                      op::batch_norm_mean_only_training, op::batch_norm_mean_only_inference,
                      op::layer_norm, op::rms_norm, op::instance_norm, op::group_norm,
                      op::batch_instance_norm_training, op::batch_instance_norm_inference,
                      op::switchable_norm_training, op::switchable_norm_inference, op::weight_norm),
    [](const ::testing::TestParamInfo<op>& info) { return std::string(op_name(info.param)); });

}  // namespace
}  // namespace simdnorm::testing
