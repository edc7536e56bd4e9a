// Data up to +-FLT_MAX: every method of the method table, in each layout, on
// every instruction set this CPU runs and on the scalar path, gives finite
// outputs that match the float64 reference wherever the exact result is a
// float32 number. Two families: values spread over the whole range
// (FLT_MAX * U(-1, 1)), where the statistics' shifted squares overflow; and
// values of +-FLT_MAX only, two of every three negative (the row
// {FLT_MAX, -FLT_MAX, -FLT_MAX}), whose sets have means near -FLT_MAX / 3,
// so that x - mean itself leaves float32 (|x - mean| up to 4/3 FLT_MAX).
// Methods that read statistics the caller gives get statistics on the same
// scale: means up to FLT_MAX / 2, variances near FLT_MAX.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "isa_levels.hpp"
#include "method_calls.hpp"
#include "methods/method_table.hpp"
#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {
namespace {

enum class family { spread, signs };

const char* name_of(family f) { return f == family::spread ? "FLT_MAX * U(-1, 1)" : "+-FLT_MAX"; }

std::vector<float> extreme_data(std::int64_t count, family f, std::uint32_t seed) {
  if (f == family::spread) {
    // Drawn on [-1, 1] and scaled: a distribution over [-FLT_MAX, FLT_MAX]
    // computes its width, 2 FLT_MAX, which is infinite in float32.
    std::vector<float> x = uniform(count, seed, -1.0f, 1.0f);
    for (float& e : x) e *= FLT_MAX;
    return x;
  }
  std::vector<float> x(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 3 == 0 ? FLT_MAX : -FLT_MAX;
  return x;
}

// The call of m on p with its data (and any statistics it is given) on the
// scale of f.
call extreme_call(const method& m, const problem& p, family f) {
  call c(m, p, variant{}, seed_of(p, 11));
  for (std::size_t i = 0; i < m.buffers.size(); ++i) {
    const buffer& b = m.buffers[i];
    std::vector<float>& v = c.buffers[i];
    if (v.empty() || (methods::is_output(b.kind) && b.kind != role::in_out)) continue;
    const std::int64_t count = static_cast<std::int64_t>(v.size());
    if (b.holds == contents::data && b.kind == role::input) {
      // The fused add's residual: zero, so that its h = (x + residual) +
      // bias, formed in float32 by the API's definition, stays in range and
      // the norm sees x's extremes (a sum past FLT_MAX is infinite by that
      // definition, and the norm of a set with an infinity is NaN).
      v.assign(v.size(), 0.0f);
    } else if (b.holds == contents::data) {
      v = extreme_data(count, f, seed_of(p, 12 + static_cast<std::uint32_t>(i)));
    } else if (b.kind == role::input &&
               (b.holds == contents::mean || b.holds == contents::running_mean)) {
      v = uniform(count, seed_of(p, 30), -1.0f, 1.0f);
      for (float& e : v) e *= FLT_MAX / 2;
    } else if (b.kind == role::input &&
               (b.holds == contents::var || b.holds == contents::running_var)) {
      v = uniform(count, seed_of(p, 31), FLT_MAX / 4, FLT_MAX);
    }
  }
  return c;
}

// A float32 output can only hold the reference's value where it is at most
// FLT_MAX (a variance of such data is about FLT_MAX^2): beyond, the right
// float32 answer is the infinity of its sign.
std::vector<double> as_float32_can_hold(std::vector<double> ref) {
  for (double& r : ref) {
    if (std::fabs(r) > FLT_MAX) r = std::copysign(INFINITY, r);
  }
  return ref;
}

// A small problem, one on the calling thread's tails, and one split across
// threads and chunks.
std::vector<problem> problems_for(const method& m, layout_kind l) {
  if (m.rows) return {rows_problem(3, 3), rows_problem(5, 37), rows_problem(2, 40000)};
  const auto groups = [&](std::int64_t g) { return m.grouped ? g : std::int64_t{0}; };
  return {activation_problem({2, 6, 9, layout::nchw}, l, groups(3)),
          activation_problem({3, 5, 33, layout::nchw}, l, groups(5)),
          activation_problem({2, 24, 2000, layout::nchw}, l, groups(4))};
}

class ExtremeRange : public ::testing::TestWithParam<method_layout> {};

TEST_P(ExtremeRange, MatchesTheFloat64ReferenceUpToFltMax) {
  const method& m = *GetParam().m;
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    for (const problem& p : problems_for(m, GetParam().layout)) {
      for (const family f : {family::spread, family::signs}) {
        SCOPED_TRACE(describe(p) + ", " + name_of(f) + ", on " + level);
        call c = extreme_call(m, p, f);
        const arguments a = c.args();
        const methods::reference_outputs want = m.reference(a);
        m.cpp(a);
        const std::vector<float> scale = output_scale(c);
        for (std::size_t i = 0; i < m.buffers.size(); ++i) {
          const buffer& b = m.buffers[i];
          if (!methods::is_output(b.kind)) continue;
          EXPECT_TRUE(all_near(c.buffers[i], as_float32_can_hold(want[i]), tolerance_for(b, scale)))
              << b.name;
        }
      }
    }
  }
}

// float32 methods: FLT_MAX is past float16's range, and the 16-bit types'
// own extremes (their largest values, denormals, infinities) are the typed
// tests' (typed_rows_test, typed_statistics_test, element_io_test).
INSTANTIATE_TEST_SUITE_P(Methods, ExtremeRange,
                         ::testing::ValuesIn(method_layouts([](const method& m) {
                           return m.type == dtype::float32;
                         })),
                         method_layout_name);

}  // namespace
}  // namespace simdnorm::testing

namespace simdnorm::testing {
namespace {

// The reproducer: layer norm of {FLT_MAX, -FLT_MAX, -FLT_MAX} gave
// {inf, -0.707, -0.707}.
TEST(ExtremeRangeReproducer, LayerNormOfAFltMaxRow) {
  const std::vector<float> x = {FLT_MAX, -FLT_MAX, -FLT_MAX};
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    std::vector<float> y(3);
    layer_norm(x.data(), 1, 3, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr);
    EXPECT_NEAR(y[0], std::sqrt(2.0), 1e-6) << level;
    EXPECT_NEAR(y[1], -std::sqrt(0.5), 1e-6) << level;
    EXPECT_NEAR(y[2], -std::sqrt(0.5), 1e-6) << level;
  }
}

}  // namespace
}  // namespace simdnorm::testing

namespace simdnorm::testing {
namespace {

// Found by the fuzzer: batch-instance norm with a batch mean of 1000 against
// a one-value instance of -1.75e38 gave +inf for an exact -7.6e40 (and a
// finite exact result came out infinite too): the mixed mean's second part
// was the whole instance-batch difference, and its product with the scale,
// folded into the shift, overflowed. With a small gamma the result is finite.
TEST(ExtremeRangeReproducer, BatchInstanceNormOfAHugeOneValueInstance) {
  const shape s{1, 2, 1, layout::nhwc};
  const std::vector<float> x = {-1.75234137e+38f, -4.65657263e-10f};
  const std::vector<float> running_mean = {1000.0f, 992.1875f};
  const std::vector<float> running_var = {0.0f, 1.33392548e-12f};
  const std::vector<float> rho = {0.733333349f, 0.733333349f};
  const std::vector<float> beta = {1.86666679f, 1.86666679f};
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    for (const float g : {1.86666679f, 1e-4f}) {
      const std::vector<float> gamma = {g, g};
      std::vector<float> y(2);
      batch_instance_norm_inference(x.data(), s, running_mean.data(), running_var.data(),
                                    gamma.data(), beta.data(), rho.data(), 1e-5f, y.data());
      const std::vector<double> want = reference::batch_instance_norm_inference(
          x.data(), s, running_mean.data(), running_var.data(), gamma.data(), beta.data(),
          rho.data(), 1e-5f);
      EXPECT_TRUE(all_near(y, as_float32_can_hold(want), output_tolerance(gamma)))
          << level << ", gamma " << g;
    }
  }
}

// Found by the fuzzer: switchable norm inference whose variance is a running
// variance of 0 with eps 1e-30 (scale 4e15) and whose mean, mixed from data
// reaching 1.35e36, is about -1.4e35: every output overflows, and the mean's
// second part times the scale, folded into the shift, overflowed to the
// opposite infinity (-inf for +inf).
TEST(ExtremeRangeReproducer, SwitchableNormWithAHugeScaleOverAHugeMean) {
  const std::vector<float> x = {6.27677608e-36f,
                                6.25455189e-36f,
                                6.25455189e-36f,
                                6.25455189e-36f,
                                6.25455548e-36f,
                                -1.34995662e+36f,
                                -2.19999981f,
                                5.80000019f,
                                -6.30000019f,
                                1.69999981f,
                                9.70000076f,
                                -2.4000001f,
                                5.60000038f,
                                -6.5f,
                                1.5f,
                                9.5f};
  const std::vector<float> running_mean(4, -1000.0f), running_var(4, 0.0f);
  const std::vector<float> gamma(4, -4.0f), beta(4, -4.0f);
  const switch_weights weights{{0.333333313f, 0.333333313f, 0.333333313f}, {0.0f, 0.0f, 1.0f}};
  for (const layout l : {layout::nchw, layout::nhwc}) {
    const shape s{1, 4, 4, l};
    for (const std::string& level : levels_here()) {
      const isa_cap cap(level);
      std::vector<float> y(x.size());
      switchable_norm_inference(x.data(), s, running_mean.data(), running_var.data(), gamma.data(),
                                beta.data(), weights, 1e-30f, y.data());
      const std::vector<double> want =
          reference::switchable_norm_inference(x.data(), s, running_mean.data(), running_var.data(),
                                               gamma.data(), beta.data(), weights, 1e-30f);
      for (std::size_t i = 0; i < y.size(); ++i) {
        // Past FLT_MAX: the infinity of the exact result's sign, or FLT_MAX
        // within a rounding of it.
        ASSERT_GT(std::fabs(want[i]), FLT_MAX) << i;
        EXPECT_GE(std::fabs(y[i]), FLT_MAX) << level << ", y[" << i << "]";
        EXPECT_EQ(y[i] < 0, want[i] < 0) << level << ", y[" << i << "] = " << y[i];
      }
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
