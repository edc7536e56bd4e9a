// Bad arguments, through the C++ API (std::invalid_argument whose message
// names the argument) and the C API (SN_ERROR_INVALID_ARGUMENT, and
// sn_last_error() naming it). Either way the call writes nothing: every
// buffer keeps its bytes, checked with memcmp against a snapshot taken
// before the call.
//
// Each case starts from a valid call of a method of the method table
// (lib/methods), with every optional buffer passed, and breaks one thing.
// The cases follow from the table's description of the method: its
// buffers, sizes and scalars. The moments object's own rules are explicit
// cases at the end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
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

// Through which API a case can be made: the C++ API takes switch weights by
// value, so only the C one can be passed null arrays.
enum class api { both, c_only };

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
  if (!m.rows) {
    // The integer a C caller may store in the layout.
    add("LayoutSeven", [](arguments& a, call&) { a.layout_value = 7; }, {"layout"});
  }
  if (m.takes_running_var_kind) {
    add("RunningVarKindFive", [](arguments& a, call&) { a.kind_value = 5; },
        {"running_var_kind", "kind"});
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
    add(
        "NullMeanWeights", [](arguments& a, call&) { a.null_mean_weights = true; },
        {"mean_weights"}, api::c_only);
    add(
        "NullVarWeights", [](arguments& a, call&) { a.null_var_weights = true; }, {"var_weights"},
        api::c_only);
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
    if (k.through == api::c_only) continue;
    expect_refused(m, GetParam().layout, k,
                   [&](const arguments& a, const auto& names) { cpp_refuses(m, a, names); });
  }
}

TEST_P(BadArguments, CApiReturnsInvalidArgumentNamingItAndWritesNothing) {
  const method& m = *GetParam().m;
  for (const bad_case& k : bad_cases(m)) {
    expect_refused(m, GetParam().layout, k,
                   [&](const arguments& a, const auto& names) { c_refuses(m.c(a), names); });
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, BadArguments, ::testing::ValuesIn(method_layouts()),
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
