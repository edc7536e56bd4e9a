// Bad arguments, through the C++ API (std::invalid_argument whose message
// names the argument) and the C API (SN_ERROR_INVALID_ARGUMENT, and
// sn_last_error() naming it). Either way the call writes nothing: every
// buffer keeps its bytes, checked with memcmp against a snapshot taken
// before the call.
//
// Each case starts from a valid call of a method of the method table
// (lib/methods), with every optional buffer passed, and breaks one thing.
// The cases follow from the table's description of the method: its
// buffers, sizes and scalars. A few arguments the table's calls cannot
// express (a layout or a running-variance kind out of range, a null array
// of switch weights) and the moments object's own rules are explicit
// cases at the end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "method_calls.hpp"
#include "methods/method_table.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

const float nan = std::numeric_limits<float>::quiet_NaN();
const float inf = std::numeric_limits<float>::infinity();

// The valid call every case starts from: n = 2, c = 6 (3 groups),
// spatial = 5; or 12 rows x 5. Every buffer holds one float more than the
// call reads, so that a pointer one past its start (a partial overlap) stays
// inside it.
call valid_call(const method& m, layout_kind l) {
  const problem p = m.rows ? rows_problem(12, 5)
                           : activation_problem({2, 6, 5, layout::nchw}, l, m.grouped ? 3 : 0);
  return call(m, p, variant{}, 1, data_family::normal, /*spare=*/1);
}

// "running_mean" -> "RunningMean".
std::string camel(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char ch : name) {
    if (ch == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
    upper = false;
  }
  return out;
}

// Through which API a case can be made: the table's C call converts the
// running-variance kind to the C enum, so an out-of-range kind reaches the
// C++ API only (the C one has its explicit case below).
enum class api { both, cpp_only };

struct bad_case {
  std::string name;
  std::function<void(arguments&, call&)> breaks;
  // The message must name one of these (several where more than one name
  // is right, e.g. either buffer of an overlapping pair).
  std::vector<std::string> arguments;
  api through = api::both;
};

std::vector<bad_case> bad_cases(const method& m) {
  std::vector<bad_case> cases;
  const auto add = [&](std::string name, std::function<void(arguments&, call&)> breaks,
                       std::vector<std::string> arguments, api through = api::both) {
    cases.push_back({std::move(name), std::move(breaks), std::move(arguments), through});
  };
  const buffer& x = m.buffers.front();  // the primary input comes first

  for (const buffer& b : m.buffers) {
    if (b.optional) continue;
    const methods::member field = b.field;
    add("Null" + camel(b.name), [field](arguments& a, call&) { a.*field = nullptr; }, {b.name});
  }

  // Sizes: zero, negative, and a product past PTRDIFF_MAX bytes although
  // each size alone is representable.
  if (m.rows) {
    add("ZeroRows", [](arguments& a, call&) { a.p.n = 0; }, {"rows"});
    add("NegativeRows", [](arguments& a, call&) { a.p.n = -12; }, {"rows"});
    add("Zero" + camel(m.d_name), [](arguments& a, call&) { a.p.d = 0; }, {m.d_name});
    add("Negative" + camel(m.d_name), [](arguments& a, call&) { a.p.d = -5; }, {m.d_name});
    // rows, not d: the accumulator allocates per feature when it is made.
    add("SizeOverflow", [](arguments& a, call&) { a.p.n = std::int64_t{1} << 62; },
        {x.name, "rows", m.d_name});
  } else {
    add("ZeroN", [](arguments& a, call&) { a.p.n = 0; }, {"n"});
    add("NegativeN", [](arguments& a, call&) { a.p.n = -2; }, {"n"});
    add("ZeroC", [](arguments& a, call&) { a.p.c = 0; }, {"c"});
    add("NegativeC", [](arguments& a, call&) { a.p.c = -6; }, {"c"});
    add("ZeroSpatial", [](arguments& a, call&) { a.p.spatial = 0; }, {"spatial"});
    add("NegativeSpatial", [](arguments& a, call&) { a.p.spatial = -1; }, {"spatial"});
    add("SizeOverflow",
        [](arguments& a, call&) {
          a.p.n = a.p.c = a.p.spatial = std::int64_t{1} << 30;
          if (a.p.groups != 0) a.p.groups = 1;
        },
        {x.name, "n", "c", "spatial"});
  }
  if (m.grouped) {
    add("ZeroGroups", [](arguments& a, call&) { a.p.groups = 0; }, {"groups"});
    add("NegativeGroups", [](arguments& a, call&) { a.p.groups = -3; }, {"groups"});
    add("GroupsNotDividingC", [](arguments& a, call&) { a.p.groups = 4; }, {"groups"});
    add("MoreGroupsThanChannels", [](arguments& a, call&) { a.p.groups = 12; }, {"groups"});
  }

  if (m.takes_eps) {
    add("ZeroEps", [](arguments& a, call&) { a.eps = 0.0f; }, {"eps"});
    add("NegativeEps", [](arguments& a, call&) { a.eps = -1e-5f; }, {"eps"});
    add("NanEps", [](arguments& a, call&) { a.eps = nan; }, {"eps"});
    add("InfiniteEps", [](arguments& a, call&) { a.eps = inf; }, {"eps"});
  }
  if (m.takes_momentum) {
    add("NegativeMomentum", [](arguments& a, call&) { a.momentum = -0.1f; }, {"momentum"});
    add("MomentumAboveOne", [](arguments& a, call&) { a.momentum = 1.1f; }, {"momentum"});
    add("NanMomentum", [](arguments& a, call&) { a.momentum = nan; }, {"momentum"});
  }
  if (m.takes_running_var_kind) {
    add(
        "RunningVarKindFive",
        [](arguments& a, call&) { a.kind = static_cast<running_var_kind>(5); },
        {"running_var_kind", "kind"}, api::cpp_only);
  }
  if (m.find("running_mean") != nullptr && m.find("running_var") != nullptr &&
      m.find("running_mean")->optional) {
    add("RunningMeanWithoutRunningVar", [](arguments& a, call&) { a.running_var = nullptr; },
        {"running_mean", "running_var"});
    add("RunningVarWithoutRunningMean", [](arguments& a, call&) { a.running_mean = nullptr; },
        {"running_mean", "running_var"});
  }
  if (m.needs_two_values_per_channel) {
    add("OneValuePerChannel",
        [](arguments& a, call&) {
          a.p.n = 1;
          a.p.spatial = 1;
        },
        {"n", "spatial"});
  }

  if (const buffer* rho = m.find("rho")) {
    const methods::member field = rho->field;
    add("RhoAboveOne", [field](arguments& a, call&) { (a.*field)[2] = 1.5f; }, {"rho"});
    add("RhoBelowZero", [field](arguments& a, call&) { (a.*field)[0] = -0.25f; }, {"rho"});
    add("NanRho", [field](arguments& a, call&) { (a.*field)[5] = nan; }, {"rho"});
  }
  if (m.takes_switch_weights) {
    const std::vector<std::string> mean_names = {"mean_weights", "weights"};
    const std::vector<std::string> var_names = {"var_weights", "weights"};
    add(
        "MeanWeightBelowZero",
        [](arguments& a, call&) {
          a.weights.mean = {-0.1f, 0.6f, 0.5f};
        },
        mean_names);
    add(
        "VarWeightAboveOne",
        [](arguments& a, call&) {
          a.weights.var = {1.5f, -0.25f, -0.25f};
        },
        var_names);
    add(
        "MeanWeightsNotSummingToOne",
        [](arguments& a, call&) {
          a.weights.mean = {0.5f, 0.5f, 0.5f};
        },
        mean_names);
    add(
        "VarWeightsNotSummingToOne",
        [](arguments& a, call&) {
          a.weights.var = {0.1f, 0.1f, 0.1f};
        },
        var_names);
    add(
        "NanMeanWeight",
        [](arguments& a, call&) {
          a.weights.mean = {nan, 0.5f, 0.5f};
        },
        mean_names);
  }

  // Each output partially overlapping another buffer: the shorter of the
  // two starts one float into the longer one. The accumulator reads x in
  // one call and writes its outputs in another, so only its outputs are
  // checked against each other.
  const bool reads_and_writes_at_once = has_primary_output(m);
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    const buffer& out = m.buffers[i];
    if (!methods::is_output(out.kind)) continue;
    for (std::size_t j = 0; j < m.buffers.size(); ++j) {
      const buffer& other = m.buffers[j];
      if (j == i || (methods::is_output(other.kind) && j < i)) continue;
      if (!reads_and_writes_at_once && !methods::is_output(other.kind)) continue;
      add(camel(out.name) + "Overlaps" + camel(other.name),
          [&out, &other](arguments& a, call& c) {
            const bool out_is_shorter =
                methods::size_of(out.size, a.p) <= methods::size_of(other.size, a.p);
            const buffer& inner = out_is_shorter ? out : other;
            const buffer& outer = out_is_shorter ? other : out;
            a.*inner.field = c.of(outer).data() + 1;
          },
          {out.name, other.name});
    }
  }
  return cases;
}

::testing::AssertionResult names_one_of(const std::string& message,
                                        const std::vector<std::string>& arguments) {
  for (const std::string& a : arguments) {
    if (names_argument(message, a)) return ::testing::AssertionSuccess();
  }
  std::string list;
  for (const std::string& a : arguments) list += (list.empty() ? "" : ", ") + a;
  return ::testing::AssertionFailure() << "message \"" << message << "\" names none of: " << list;
}

// Breaks a valid call of m in layout l as case k says, runs it through
// refuse (which checks how it was refused) and checks that no buffer
// changed.
template <class Refuse>
void expect_refused(const method& m, layout_kind l, const bad_case& k, Refuse refuse) {
  SCOPED_TRACE(k.name);
  call c = valid_call(m, l);
  arguments a = c.args();
  k.breaks(a, c);
  const std::vector<std::vector<float>> before = c.buffers;

  refuse(a, k.arguments);

  for (std::size_t i = 0; i < c.buffers.size(); ++i) {
    EXPECT_TRUE(same_bits(c.buffers[i], before[i])) << m.buffers[i].name << " was written";
  }
}

void cpp_refuses(const method& m, const arguments& a, const std::vector<std::string>& names) {
  try {
    m.cpp(a);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(names_one_of(e.what(), names));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than std::invalid_argument: " << e.what();
  }
}

void c_refuses(sn_status status, const std::vector<std::string>& names) {
  EXPECT_EQ(status, SN_ERROR_INVALID_ARGUMENT);
  const std::string message = sn_last_error();
  EXPECT_FALSE(message.empty());
  EXPECT_TRUE(names_one_of(message, names));
}

class BadArguments : public ::testing::TestWithParam<method_layout> {};

// The unbroken call succeeds, so each case fails for the one thing it
// breaks and not for a mistake in the valid call.
TEST_P(BadArguments, TheValidCallSucceedsThroughBothApis) {
  const method& m = *GetParam().m;
  {
    call c = valid_call(m, GetParam().layout);
    EXPECT_NO_THROW(m.cpp(c.args()));
  }
  {
    call c = valid_call(m, GetParam().layout);
    EXPECT_EQ(m.c(c.args()), SN_OK) << sn_last_error();
    EXPECT_STREQ(sn_last_error(), "");
  }
}

TEST_P(BadArguments, CppApiThrowsInvalidArgumentNamingItAndWritesNothing) {
  const method& m = *GetParam().m;
  for (const bad_case& k : bad_cases(m)) {
    expect_refused(m, GetParam().layout, k,
                   [&](const arguments& a, const auto& names) { cpp_refuses(m, a, names); });
  }
}

TEST_P(BadArguments, CApiReturnsInvalidArgumentNamingItAndWritesNothing) {
  const method& m = *GetParam().m;
  for (const bad_case& k : bad_cases(m)) {
    if (k.through == api::cpp_only) continue;
    expect_refused(m, GetParam().layout, k,
                   [&](const arguments& a, const auto& names) { c_refuses(m.c(a), names); });
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, BadArguments, ::testing::ValuesIn(method_layouts()),
                         method_layout_name);

// ---- arguments the table's calls cannot express -------------------------------------------
//
// The table builds its calls' shapes from a layout_kind, which has no value
// out of range, converts the running-variance kind to the C enum, and
// passes switch weights as arrays that are never null. These call each
// activation method directly with what the table cannot pass.

// The C arguments that the table's calls fix. The kind is held as its
// integer: loading 5 as an sn_running_var is undefined (UBSan's enum check),
// the C API reads it as an integer.
struct raw_c {
  sn_shape shape;
  int kind;
  const float* mean_weights;
  const float* var_weights;
};

struct direct_calls {
  void (*cpp)(const arguments&, const shape&);
  sn_status (*c)(const arguments&, const raw_c&);
};

const std::map<std::string, direct_calls>& activation_calls() {
  using a = const arguments&;
  static const std::map<std::string, direct_calls> calls = {
      {"batch_norm_inference",
       {[](a k, const shape& s) {
          batch_norm_inference(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta, k.eps, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_batch_norm_inference(k.x, r.shape, k.running_mean, k.running_var, k.gamma,
                                         k.beta, k.eps, k.y);
        }}},
      {"batch_norm_training",
       {[](a k, const shape& s) {
          batch_norm_training(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta, k.momentum,
                              k.eps, k.kind, k.y, k.save_mean, k.save_rstd);
        },
        [](a k, const raw_c& r) {
          return sn_batch_norm_training(
              k.x, r.shape, k.running_mean, k.running_var, k.gamma, k.beta, k.momentum, k.eps,
              static_cast<sn_running_var>(r.kind), k.y, k.save_mean, k.save_rstd);
        }}},
      {"batch_norm_mean_only_inference",
       {[](a k, const shape& s) {
          batch_norm_mean_only_inference(k.x, s, k.running_mean, k.beta, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_batch_norm_mean_only_inference(k.x, r.shape, k.running_mean, k.beta, k.y);
        }}},
      {"batch_norm_mean_only_training",
       {[](a k, const shape& s) {
          batch_norm_mean_only_training(k.x, s, k.running_mean, k.beta, k.momentum, k.y,
                                        k.save_mean);
        },
        [](a k, const raw_c& r) {
          return sn_batch_norm_mean_only_training(k.x, r.shape, k.running_mean, k.beta, k.momentum,
                                                  k.y, k.save_mean);
        }}},
      {"instance_norm",
       {[](a k, const shape& s) {
          instance_norm(k.x, s, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
        },
        [](a k, const raw_c& r) {
          return sn_instance_norm(k.x, r.shape, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
        }}},
      {"group_norm",
       {[](a k, const shape& s) {
          group_norm(k.x, s, k.p.groups, k.gamma, k.beta, k.eps, k.y, k.mean, k.rstd);
        },
        [](a k, const raw_c& r) {
          return sn_group_norm(k.x, r.shape, k.p.groups, k.gamma, k.beta, k.eps, k.y, k.mean,
                               k.rstd);
        }}},
      {"batch_instance_norm_inference",
       {[](a k, const shape& s) {
          batch_instance_norm_inference(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta,
                                        k.rho, k.eps, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_batch_instance_norm_inference(k.x, r.shape, k.running_mean, k.running_var,
                                                  k.gamma, k.beta, k.rho, k.eps, k.y);
        }}},
      {"batch_instance_norm_training",
       {[](a k, const shape& s) {
          batch_instance_norm_training(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta,
                                       k.rho, k.momentum, k.eps, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_batch_instance_norm_training(k.x, r.shape, k.running_mean, k.running_var,
                                                 k.gamma, k.beta, k.rho, k.momentum, k.eps, k.y);
        }}},
      {"switchable_norm_inference",
       {[](a k, const shape& s) {
          switchable_norm_inference(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta,
                                    k.weights, k.eps, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_switchable_norm_inference(k.x, r.shape, k.running_mean, k.running_var, k.gamma,
                                              k.beta, r.mean_weights, r.var_weights, k.eps, k.y);
        }}},
      {"switchable_norm_training",
       {[](a k, const shape& s) {
          switchable_norm_training(k.x, s, k.running_mean, k.running_var, k.gamma, k.beta,
                                   k.weights, k.momentum, k.eps, k.y);
        },
        [](a k, const raw_c& r) {
          return sn_switchable_norm_training(k.x, r.shape, k.running_mean, k.running_var, k.gamma,
                                             k.beta, r.mean_weights, r.var_weights, k.momentum,
                                             k.eps, k.y);
        }}},
  };
  return calls;
}

bool is_activation(const method& m) { return !m.rows; }

// What the valid call passes through the C API, as the table would.
raw_c raw_of(const arguments& a) {
  return {a.p.c_shape(),
          a.kind == running_var_kind::biased ? SN_RUNNING_VAR_BIASED : SN_RUNNING_VAR_UNBIASED,
          a.weights.mean.data(), a.weights.var.data()};
}

// A layout out of range, through the C API as the integer it would hold.
constexpr int layout_seven = 7;

class DirectCall : public ::testing::TestWithParam<method_layout> {
 protected:
  const method& m = *GetParam().m;
  const direct_calls& calls = activation_calls().at(m.name);

  // A case of this test's own, run like the generated ones.
  void expect_c_refused(const std::string& name, std::vector<std::string> names,
                        void (*breaks)(raw_c&)) {
    const bad_case k{name, [](arguments&, call&) {}, std::move(names)};
    expect_refused(m, GetParam().layout, k, [&](const arguments& a, const auto& want) {
      raw_c r = raw_of(a);
      breaks(r);
      c_refuses(calls.c(a, r), want);
    });
  }
};

TEST(DirectCalls, CoverEveryActivationMethodOfTheTable) {
  for (const method_layout& k : method_layouts(is_activation)) {
    EXPECT_EQ(activation_calls().count(k.m->name), 1u) << k.m->name;
  }
}

// The direct calls make the same call as the table's: without a broken
// argument they succeed, so the cases below fail for what they break.
TEST_P(DirectCall, OfTheValidCallSucceedsThroughBothApis) {
  call c = valid_call(m, GetParam().layout);
  const arguments a = c.args();
  EXPECT_NO_THROW(calls.cpp(a, a.p.activation_shape()));
  EXPECT_EQ(calls.c(a, raw_of(a)), SN_OK) << sn_last_error();
}

TEST_P(DirectCall, WithLayoutOutOfRangeIsRefusedByTheCppApi) {
  const bad_case k{"LayoutSeven", [](arguments&, call&) {}, {"layout"}};
  expect_refused(m, GetParam().layout, k, [&](const arguments& a, const auto& names) {
    shape s = a.p.activation_shape();
    s.layout = static_cast<layout>(layout_seven);
    try {
      calls.cpp(a, s);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(names_one_of(e.what(), names));
    }
  });
}

TEST_P(DirectCall, WithLayoutOutOfRangeIsRefusedByTheCApi) {
  expect_c_refused("LayoutSeven", {"layout"},
                   [](raw_c& r) { r.shape.layout = static_cast<sn_layout>(layout_seven); });
}

INSTANTIATE_TEST_SUITE_P(Methods, DirectCall, ::testing::ValuesIn(method_layouts(is_activation)),
                         method_layout_name);

bool takes_running_var_kind(const method& m) { return m.takes_running_var_kind; }
bool takes_switch_weights(const method& m) { return m.takes_switch_weights; }

class RunningVarKind : public DirectCall {};

TEST_P(RunningVarKind, OutOfRangeIsRefusedByTheCApi) {
  expect_c_refused("RunningVarKindFive", {"running_var_kind", "kind"},
                   [](raw_c& r) { r.kind = 5; });
}

INSTANTIATE_TEST_SUITE_P(Methods, RunningVarKind,
                         ::testing::ValuesIn(method_layouts(takes_running_var_kind)),
                         method_layout_name);

class SwitchWeights : public DirectCall {};

TEST_P(SwitchWeights, NullMeanWeightsAreRefusedByTheCApi) {
  expect_c_refused("NullMeanWeights", {"mean_weights"}, [](raw_c& r) { r.mean_weights = nullptr; });
}

TEST_P(SwitchWeights, NullVarWeightsAreRefusedByTheCApi) {
  expect_c_refused("NullVarWeights", {"var_weights"}, [](raw_c& r) { r.var_weights = nullptr; });
}

INSTANTIATE_TEST_SUITE_P(Methods, SwitchWeights,
                         ::testing::ValuesIn(method_layouts(takes_switch_weights)),
                         method_layout_name);

// ---- the moments object's own rules -------------------------------------------------------

constexpr std::int64_t features = 5;

// The data and outputs of the moments cases, and their bytes before a call.
struct moments_buffers {
  std::vector<float> x = normal(3 * features, 1);
  std::vector<float> mean = sentinel_buffer(features);
  std::vector<float> var = sentinel_buffer(features);

  std::vector<std::vector<float>> all() const { return {x, mean, var}; }
};

void expect_unchanged(const moments_buffers& now, const std::vector<std::vector<float>>& before) {
  const std::vector<std::vector<float>> after = now.all();
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(same_bits(after[i], before[i])) << "buffer " << i << " was written";
  }
}

// An sn_moments that is destroyed at the end of the scope.
struct c_moments {
  explicit c_moments(std::int64_t count) {
    if (sn_moments_create(count, &m) != SN_OK) m = nullptr;
  }
  ~c_moments() { sn_moments_destroy(m); }
  sn_moments* m = nullptr;
};

TEST(MomentsBadArgument, MergeWithDifferentFeatureCountsIsRefusedByBothApis) {
  moments a(features), other(features + 1);
  try {
    a.merge(other);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(names_one_of(e.what(), {"other", "features"}));
  }
  c_moments ca(features), cother(features + 1);
  c_refuses(sn_moments_merge(ca.m, cother.m), {"other", "features"});
}

TEST(MomentsBadArgument, FinalizeWithoutDataIsRefusedByBothApisAndWritesNothing) {
  moments_buffers w;
  const auto before = w.all();
  const moments empty(features);
  try {
    empty.finalize(w.mean.data(), w.var.data());
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(names_one_of(e.what(), {"rows", "moments", "count"}));
  }
  c_moments c(features);
  c_refuses(sn_moments_finalize(c.m, w.mean.data(), w.var.data()), {"rows", "moments", "count"});
  expect_unchanged(w, before);
}

TEST(MomentsBadArgument, NullMomentsObjectIsRefusedByEveryCCall) {
  moments_buffers w;
  const auto before = w.all();
  c_moments other(features);
  std::int64_t rows = 0;
  c_refuses(sn_moments_update(nullptr, w.x.data(), 3), {"moments"});
  c_refuses(sn_moments_merge(nullptr, other.m), {"moments"});
  c_refuses(sn_moments_finalize(nullptr, w.mean.data(), w.var.data()), {"moments"});
  c_refuses(sn_moments_count(nullptr, &rows), {"moments"});
  expect_unchanged(w, before);
}

TEST(MomentsBadArgument, CreateWithNullResultPointerIsRefusedByTheCApi) {
  c_refuses(sn_moments_create(features, nullptr), {"moments"});
}

}  // namespace
}  // namespace simdnorm::testing
