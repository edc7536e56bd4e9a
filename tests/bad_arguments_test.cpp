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

#include <algorithm>
#include <array>
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
  if (m.takes_type) {
    add("UnknownType", [](arguments& a, call&) { a.dtype_value = 3; }, {"dtype"});
    add("NegativeType", [](arguments& a, call&) { a.dtype_value = -1; }, {"dtype"});
  }
  if (m.takes_activation) {
    add("UnknownActivation", [](arguments& a, call&) { a.activation_value = 4; }, {"activation"});
    add("NegativeActivation", [](arguments& a, call&) { a.activation_value = -1; }, {"activation"});
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
  // A variance read as an input must be >= 0: one negative value, the
  // last (the search for it runs only after a count finds one).
  for (const buffer& b : m.buffers) {
    if (methods::is_output(b.kind) ||
        (b.holds != methods::contents::running_var && b.holds != methods::contents::var)) {
      continue;
    }
    const methods::member field = b.field;
    const methods::extent size = b.size;
    add("NegativeLast" + camel(b.name),
        [field, size](arguments& a, call&) {
          (a.*field)[methods::size_of(size, a.p) - 1] = -0.25f;
        },
        {b.name});
  }
  if (m.needs_two_values_per_channel) {
    add("OneValuePerChannel",
        [](arguments& a, call&) {
          a.p.n = 1;
          a.p.spatial = 1;
        },
        {"n", "spatial"});
  }

  // A variance the call reads (inference's running_var, standardize's var)
  // negative: the message names the first bad element. (A NaN one is data,
  // and poisons its channel: hostile_data_test.cpp.) Training's running
  // variances are outputs it updates, whatever they held.
  for (const buffer& b : m.buffers) {
    const bool read_variance = (b.holds == contents::running_var || b.holds == contents::var) &&
                               !methods::is_output(b.kind);
    if (!read_variance) continue;
    const methods::member field = b.field;
    const std::string third = std::string(b.name) + "[3]";
    add("Negative" + camel(b.name), [field](arguments& a, call&) { (a.*field)[3] = -1.0f; },
        {third});
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

// The object allocates 24 bytes per feature when it is made; past 2^40
// bytes of them the count is refused before anything is allocated (neither
// std::length_error nor an AddressSanitizer abort), and *moments is left
// as it was.
TEST(MomentsBadArgument, FeatureCountPastTheStateLimitIsRefusedByBothApis) {
  const std::int64_t smallest_refused = (std::int64_t{1} << 40) / 24 + 1;
  for (const std::int64_t count :
       {smallest_refused, std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max()}) {
    SCOPED_TRACE(count);
    try {
      const moments m(count);
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_TRUE(names_argument(e.what(), "features")) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw something other than std::invalid_argument: " << e.what();
    }
    int marker = 0;
    sn_moments* const untouched = reinterpret_cast<sn_moments*>(&marker);
    sn_moments* m = untouched;
    c_refuses(sn_moments_create(count, &m), {"features"});
    EXPECT_EQ(m, untouched);
  }
}

// Merging an accumulator into itself doubles its row count: the merge or
// update that would carry it past INT64_MAX is refused, and the count stays.
TEST(MomentsBadArgument, RowCountPastInt64MaxIsRefusedByBothApis) {
  const std::vector<float> x = normal(1, 3);
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  // power holds 2^k rows, total 2^(k+1) - 1: after k = 62, INT64_MAX.
  moments total(1), power(1);
  total.update(x.data(), 1);
  power.update(x.data(), 1);
  c_moments c_total(1), c_power(1);
  ASSERT_EQ(sn_moments_update(c_total.m, x.data(), 1), SN_OK);
  ASSERT_EQ(sn_moments_update(c_power.m, x.data(), 1), SN_OK);
  for (int k = 1; k <= 62; ++k) {
    power.merge(power);
    total.merge(power);
    ASSERT_EQ(sn_moments_merge(c_power.m, c_power.m), SN_OK);
    ASSERT_EQ(sn_moments_merge(c_total.m, c_power.m), SN_OK);
  }
  ASSERT_EQ(total.count(), max);

  EXPECT_THROW(total.update(x.data(), 1), std::invalid_argument);
  try {
    total.merge(power);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(names_argument(e.what(), "other")) << e.what();
  }
  EXPECT_EQ(total.count(), max);

  c_refuses(sn_moments_update(c_total.m, x.data(), 1), {"rows"});
  c_refuses(sn_moments_merge(c_total.m, c_power.m), {"other"});
  std::int64_t rows = 0;
  ASSERT_EQ(sn_moments_count(c_total.m, &rows), SN_OK);
  EXPECT_EQ(rows, max);
}

// ---- switchable norm's weight arrays (C API) ----------------------------------------------

// The C API takes the weights as two arrays of 3 floats: inputs, which may
// not lie inside an output, wholly or in part, even though they are read
// before anything is written. The arrays placed inside the output hold valid
// weights, so that the overlap is the only thing wrong.
struct weights_inside_output {
  const char* method;
  const char* output;
  bool mean_weights;      // which array is placed there (else var_weights)
  std::int64_t from_end;  // floats from the output's end to the array's start
};

TEST(SwitchWeightsBadArgument, WeightsOverlappingAnOutputAreRefusedAndNothingIsWritten) {
  const std::vector<weights_inside_output> cases = {
      {"switchable_norm_training", "y", true, 60},
      {"switchable_norm_training", "y", false, 1},  // partly: 1 float inside, 2 past the end
      {"switchable_norm_training", "running_mean", true, 6},
      {"switchable_norm_training", "running_var", false, 3},
      {"switchable_norm_inference", "y", false, 40},
      {"switchable_norm_inference", "y", true, 2},
  };
  for (const weights_inside_output& k : cases) {
    SCOPED_TRACE(std::string(k.method) + ", " + (k.mean_weights ? "mean" : "var") +
                 "_weights inside " + k.output + ", " + std::to_string(k.from_end) +
                 " floats before its end");
    const method& m = methods::named(k.method);
    // Spare floats after each buffer hold the part of an array past the end.
    call c(m, activation_problem({2, 6, 5, layout::nchw}, layout_kind::nchw, 0), variant{}, 1,
           data_family::normal, /*spare=*/3);
    arguments a = c.args();
    const buffer& output = *m.find(k.output);
    float* const array = a.*output.field + methods::size_of(output.size, a.p) - k.from_end;
    const std::array<float, 3>& weights = k.mean_weights ? a.weights.mean : a.weights.var;
    std::copy(weights.begin(), weights.end(), array);
    const float* const mean_weights = k.mean_weights ? array : a.weights.mean.data();
    const float* const var_weights = k.mean_weights ? a.weights.var.data() : array;
    const std::vector<std::vector<float>> before = c.buffers;

    const sn_status status =
        m.training
            ? sn_switchable_norm_training(a.x, a.c_shape(), a.running_mean, a.running_var, a.gamma,
                                          a.beta, mean_weights, var_weights, a.momentum, a.eps, a.y)
            : sn_switchable_norm_inference(a.x, a.c_shape(), a.running_mean, a.running_var, a.gamma,
                                           a.beta, mean_weights, var_weights, a.eps, a.y);

    c_refuses(status, {k.mean_weights ? "mean_weights" : "var_weights"});
    for (std::size_t i = 0; i < c.buffers.size(); ++i) {
      EXPECT_TRUE(same_bits(c.buffers[i], before[i])) << m.buffers[i].name << " was written";
    }
  }
}

// ---- what the messages say ------------------------------------------------------------

// A value next to a limit prints with the digits that tell it from the
// limit: 1 + 1 ulp is not "1.000000", the smallest negative denormal not
// "-0.000000".
TEST(BadArgumentMessage, ShowsEnoughDigitsToTellAValueFromTheLimit) {
  const method& m = methods::named("batch_norm_training");
  call c = valid_call(m, layout_kind::nchw);
  arguments a = c.args();
  a.momentum = std::nextafter(1.0f, 2.0f);
  EXPECT_EQ(m.c(a), SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find("got 1.0000001"), std::string::npos)
      << sn_last_error();

  a = c.args();
  a.eps = -std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(m.c(a), SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find("got -1e-45"), std::string::npos) << sn_last_error();
}

}  // namespace
}  // namespace simdnorm::testing
