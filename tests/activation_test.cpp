// Group, instance and batch norm followed by ReLU, SiLU or GELU in one call:
// outputs against the float64 reference with the activation applied in
// double, statistics bit for bit those of the plain call, NaN kept by ReLU,
// bits independent of the thread count, and refusals (an unknown
// activation, a 16-bit type the methods with statistics do not take yet)
// that write
// nothing; outputs off a vector boundary given the bits of aligned ones.
// Both layouts, odd sizes and tails; every instruction set through the
// per-ISA ctest entries.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "methods/method_table.hpp"
#include "reference/reference.hpp"
#include "schedule/aligned_vector.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

std::vector<double> activated(activation act, std::vector<double> v) {
  for (double& e : v) e = reference::activated(act, e);
  return v;
}

enum class method { group_norm, instance_norm, batch_norm_inference, batch_norm_training };

// One call's outputs: y and every statistic it writes.
struct outputs {
  std::vector<float> y, mean, rstd, running_mean, running_var;
};

struct problem {
  shape s;
  std::int64_t groups;
  std::vector<float> x, gamma, beta, running_mean, running_var;
};

problem make_problem(const shape& s, std::int64_t groups, std::uint32_t seed) {
  problem p{s,
            groups,
            normal(element_count(s), seed, 0.3f, 1.5f),
            normal(s.c, seed + 1, 1.0f, 0.3f),
            normal(s.c, seed + 2, 0.0f, 0.5f),
            normal(s.c, seed + 3, 0.2f, 0.5f),
            uniform(s.c, seed + 4, 0.5f, 2.0f)};
  return p;
}

// y written y_offset floats into a buffer on a 64-byte boundary.
outputs run(method m, const problem& p, activation act, std::int64_t y_offset = 0) {
  const std::int64_t count = element_count(p.s);
  const std::int64_t sets = m == method::group_norm ? p.s.n * p.groups : p.s.n * p.s.c;
  const std::vector<float> sentinels = sentinel_buffer(count + y_offset);
  std::vector<float, schedule::aligned_allocator<float, 64>> y_buffer(sentinels.begin(),
                                                                      sentinels.end());
  float* const y = y_buffer.data() + y_offset;
  outputs o{{}, sentinel_buffer(sets), sentinel_buffer(sets), p.running_mean, p.running_var};
  switch (m) {
    case method::group_norm:
      group_norm(dtype::float32, p.x.data(), p.s, p.groups, p.gamma.data(), p.beta.data(), 1e-5f,
                 act, y, o.mean.data(), o.rstd.data());
      break;
    case method::instance_norm:
      instance_norm(dtype::float32, p.x.data(), p.s, p.gamma.data(), p.beta.data(), 1e-5f, act, y,
                    o.mean.data(), o.rstd.data());
      break;
    case method::batch_norm_inference:
      batch_norm_inference(dtype::float32, p.x.data(), p.s, p.running_mean.data(),
                           p.running_var.data(), p.gamma.data(), p.beta.data(), 1e-5f, act, y);
      break;
    case method::batch_norm_training:
      o.mean.resize(p.s.c);
      o.rstd.resize(p.s.c);
      batch_norm_training(dtype::float32, p.x.data(), p.s, o.running_mean.data(),
                          o.running_var.data(), p.gamma.data(), p.beta.data(), 0.1f, 1e-5f,
                          running_var_kind::unbiased, act, y, o.mean.data(), o.rstd.data());
      break;
  }
  o.y.assign(y, y + count);
  return o;
}

std::vector<double> reference_y(method m, const problem& p) {
  switch (m) {
    case method::group_norm:
      return reference::group_norm(p.x.data(), p.s, p.groups, p.gamma.data(), p.beta.data(), 1e-5f)
          .y;
    case method::instance_norm:
      return reference::instance_norm(p.x.data(), p.s, p.gamma.data(), p.beta.data(), 1e-5f).y;
    case method::batch_norm_inference:
      return reference::batch_norm_inference(p.x.data(), p.s, p.running_mean.data(),
                                             p.running_var.data(), p.gamma.data(), p.beta.data(),
                                             1e-5f);
    case method::batch_norm_training:
      return reference::batch_norm_training(p.x.data(), p.s, p.running_mean.data(),
                                            p.running_var.data(), p.gamma.data(), p.beta.data(),
                                            0.1f, 1e-5f, running_var_kind::unbiased)
          .y;
  }
  return {};
}

const method methods[] = {method::group_norm, method::instance_norm, method::batch_norm_inference,
                          method::batch_norm_training};

// Shapes with vector tails in both layouts (C = 3, 40, 70; spatial 7 and
// 33), N = 1, a UNet-like one, and groups of one channel and of all.
struct case_shape {
  shape s;
  std::int64_t groups;
};
std::vector<case_shape> shapes() {
  std::vector<case_shape> out;
  for (const layout l : {layout::nchw, layout::nhwc}) {
    out.push_back({{2, 3, 7, l}, 3});
    out.push_back({{1, 40, 33, l}, 8});
    out.push_back({{3, 70, 5, l}, 1});
    out.push_back({{1, 64, 256, l}, 32});
    out.push_back({{2, 320, 64, l}, 32});
  }
  return out;
}

TEST(Activation, OutputsMatchTheReferenceWithTheActivationAndStatisticsThePlainCall) {
  for (const case_shape& c : shapes()) {
    const problem p = make_problem(c.s, c.groups, 7u + static_cast<unsigned>(c.s.c));
    for (const method m : methods) {
      const outputs plain = run(m, p, activation::none);
      const std::vector<double> ref = reference_y(m, p);
      EXPECT_TRUE(all_near(plain.y, ref, output_tolerance(p.gamma)));
      for (const activation act : {activation::relu, activation::silu, activation::gelu}) {
        const outputs got = run(m, p, act);
        const std::string what = std::string(methods::name_of(act)) + " method " +
                                 std::to_string(static_cast<int>(m)) + " c " +
                                 std::to_string(c.s.c) + " layout " +
                                 std::to_string(static_cast<int>(c.s.layout));
        // The slopes of SiLU and GELU are below 1.13 and their vector forms
        // within a few ulps: the plain output's bound, doubled.
        const tolerance plain_bound = output_tolerance(p.gamma);
        EXPECT_TRUE(all_near(got.y, activated(act, ref),
                             tolerance{2.0 * plain_bound.abs, 2.0 * plain_bound.rel}))
            << what;
        // The activation of the plain call's float32 y, within a few ulps.
        EXPECT_TRUE(all_near(got.y, activated(act, widen(plain.y)), tolerance{1e-6, 4e-7})) << what;
        EXPECT_TRUE(same_bits(got.mean, plain.mean)) << what;
        EXPECT_TRUE(same_bits(got.rstd, plain.rstd)) << what;
        EXPECT_TRUE(same_bits(got.running_mean, plain.running_mean)) << what;
        EXPECT_TRUE(same_bits(got.running_var, plain.running_var)) << what;
      }
    }
  }
}

// values through batch norm with mean 0 and rstd near 1, in either layout:
// the plain call's y, and act's call's y.
struct activated_values {
  std::vector<float> plain, got;
};
activated_values through_batch_norm(const std::vector<float>& values, layout l, activation act) {
  const shape s{1, 1, static_cast<std::int64_t>(values.size()), l};
  const std::vector<float> mean{0.0f}, var{1.0f - 1e-5f};
  activated_values out{std::vector<float>(values.size()), std::vector<float>(values.size())};
  batch_norm_inference(values.data(), s, mean.data(), var.data(), nullptr, nullptr, 1e-5f,
                       out.plain.data());
  batch_norm_inference(dtype::float32, values.data(), s, mean.data(), var.data(), nullptr, nullptr,
                       1e-5f, act, out.got.data());
  return out;
}

// SiLU where exp(-v) overflows (v below about -88), at the infinities, NaN,
// and across the range, in every lane position and tail: the plain call's
// y (batch norm with mean 0 and rstd near 1) activated in double, within a
// few ulps; within 1e-36 of the tiny results below about -70 (-0 where
// exp(-v) overflows); +inf at +inf, NaN at -inf and NaN, as v / (1 +
// exp(-v)) gives them.
TEST(Activation, SiluHoldsAtTheExtremes) {
  std::vector<float> values = {-1e30f, -1000.0f, -104.0f, -89.0f, -88.0f,   -87.0f,    -50.0f,
                               -17.0f, -1.0f,    -1e-30f, 0.0f,   1e-30f,   1.0f,      17.0f,
                               50.0f,  88.0f,    89.0f,   1e30f,  INFINITY, -INFINITY, NAN,
                               -88.5f, -88.7f,   -88.72f, 88.5f,  88.72f,   -86.5f,    -85.9f};
  for (int i = -300; i <= 300; ++i) values.push_back(0.37f * static_cast<float>(i));
  for (const layout l : {layout::nchw, layout::nhwc}) {
    const auto [plain, got] = through_batch_norm(values, l, activation::silu);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double want = reference::activated(activation::silu, plain[i]);
      const std::string what = "x = " + std::to_string(values[i]) + " on " + active_isa();
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got[i])) << what << ": " << got[i];
      } else if (std::isinf(want)) {
        EXPECT_EQ(got[i], want) << what;
      } else if (std::fabs(want) < 1e-30) {
        // Far below the output's scale: -0, 0 or the float nearest to it.
        EXPECT_LE(std::fabs(got[i] - want), 1e-36) << what << ": " << got[i];
      } else {
        EXPECT_NEAR(got[i], want, 4e-7 * std::fabs(want) + 1e-37) << what;
      }
    }
  }
}

// GELU across the range and at the extremes, in every lane position and
// tail: the plain call's y activated in double. The bound is 6 ulps of
// the result from v = -5 up and 16 below, plus half the smallest subnormal,
// where GELU's value underflows (v below about -13). Measured worst, Zen 5:
// 3.8 and 9.4 ulps on AVX-512 and AVX2, 4.6 and 12.0 on SSE4.2 (no FMA),
// 0.5 on the scalar path (double). Below -5 boost's float32 polynomial for
// erfc(x) exp(x^2) alone is 1.5-3.3 ulps off at x = 7.5-11 (its float
// coefficients, evaluated in double); exp's polynomial, the rounding of x
// into z = x / (1 + x) and every product add theirs. Without the exact v^2
// and the 2^64 scaling of the kernel, v = -12 alone would be 2^-15 off. +inf at +inf; NaN at NaN
// and at -inf (v / 2 erfc(-v / sqrt 2) = -inf * 0 there, as PyTorch's erf form gives it); -0 from
// -16.1 down; v itself from 16.1 up.
TEST(Activation, GeluHoldsAtTheExtremes) {
  std::vector<float> values = {-1e30f,    -1000.0f, -20.0f,   -16.2f,   -16.0f,  -14.5f, -13.5f,
                               -13.0f,    -12.0f,   -1e-30f,  -1e-40f,  0.0f,    -0.0f,  1e-40f,
                               1e-30f,    16.0f,    16.2f,    1e30f,    3e38f,   -3e38f, INFINITY,
                               -INFINITY, NAN,      -0.9428f, -0.9429f, 0.9428f, 0.9429f};
  for (int i = -400; i <= 400; ++i) values.push_back(0.0437f * static_cast<float>(i));
  double worst_ulps = 0.0, worst_tail_ulps = 0.0;
  for (const layout l : {layout::nchw, layout::nhwc}) {
    const auto [plain, got] = through_batch_norm(values, l, activation::gelu);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const double want = reference::activated(activation::gelu, plain[i]);
      const std::string what = "x = " + std::to_string(values[i]) + " on " + active_isa();
      if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got[i])) << what << ": " << got[i];
      } else if (std::isinf(want)) {
        EXPECT_EQ(got[i], want) << what;
      } else {
        const double ulp = std::ldexp(1.0, std::max(std::ilogb(want), -126) - 23);
        const double ulps = plain[i] < -5.0f ? 16.0 : 6.0;
        EXPECT_LE(std::fabs(got[i] - want), ulps * ulp + 0x1p-150)
            << what << ": " << got[i] << " against " << want;
        if (want != 0.0) {
          double& worst = plain[i] < -5.0f ? worst_tail_ulps : worst_ulps;
          worst = std::max(worst, std::fabs(got[i] - want) / ulp);
        }
        if (plain[i] == 0.0f) {
          EXPECT_EQ(std::signbit(got[i]), std::signbit(plain[i])) << what;
        }
      }
    }
  }
  std::printf("GELU on %s: worst %.2f ulps from -5 up, %.2f below\n", active_isa(), worst_ulps,
              worst_tail_ulps);
}

TEST(Activation, NoneGivesThePlainCallsBits) {
  const problem p = make_problem({2, 40, 33, layout::nhwc}, 8, 3u);
  std::vector<float> y = sentinel_buffer(element_count(p.s));
  group_norm(p.x.data(), p.s, 8, p.gamma.data(), p.beta.data(), 1e-5f, y.data(), nullptr, nullptr);
  EXPECT_TRUE(same_bits(run(method::group_norm, p, activation::none).y, y));
}

TEST(Activation, ReluKeepsNaNAndZeroesNegatives) {
  for (const layout l : {layout::nchw, layout::nhwc}) {
    problem p = make_problem({1, 16, 20, l}, 4, 5u);
    p.x[3] = NAN;  // poisons its group
    const outputs got = run(method::group_norm, p, activation::relu);
    std::int64_t nans = 0, zeros = 0;
    for (float v : got.y) {
      nans += std::isnan(v) ? 1 : 0;
      zeros += v == 0.0f ? 1 : 0;
      EXPECT_FALSE(v < 0.0f);
    }
    EXPECT_EQ(nans, 16 / 4 * 20);
    EXPECT_GT(zeros, 0);
  }
}

TEST(Activation, BitsDoNotDependOnTheThreadCount) {
  for (const layout l : {layout::nchw, layout::nhwc}) {
    const problem p = make_problem({1, 320, 4096, l}, 32, 9u);
    for (const method m : methods) {
      std::vector<outputs> results;
      for (const int threads : {1, 2, 4}) {
        tbb::task_arena arena(threads);
        arena.execute([&] { results.push_back(run(m, p, activation::silu)); });
      }
      for (const outputs& r : results) {
        EXPECT_TRUE(same_bits(r.y, results[0].y));
        EXPECT_TRUE(same_bits(r.mean, results[0].mean));
        EXPECT_TRUE(same_bits(r.running_var, results[0].running_var));
      }
    }
  }
}

// An output off a vector boundary gives the bits of an aligned one: the
// loops store its first elements one at a time (a head) where the sink
// takes one (with ReLU in cache, and past it), and otherwise store whole
// vectors where they fall (kernels/activation-inl.hpp, unaligned_head);
// either way each element gets the vector loop's operations. Rows of
// channels (NHWC) and planes (NCHW) of 300, longer than the shortest with a
// head, with tails; y offset by 1, 4 and 7 floats.
TEST(Activation, OutputsOffAVectorBoundaryGiveTheBitsOfAlignedOnes) {
  for (const layout l : {layout::nchw, layout::nhwc}) {
    const shape s = l == layout::nchw ? shape{2, 20, 300, l} : shape{2, 300, 20, l};
    const problem p = make_problem(s, 10, 13u);
    for (const method m : methods) {
      for (const activation act : {activation::relu, activation::silu, activation::gelu}) {
        const std::vector<float> aligned = run(m, p, act).y;
        for (const std::int64_t offset : {1, 4, 7}) {
          EXPECT_TRUE(same_bits(run(m, p, act, offset).y, aligned))
              << "method " << static_cast<int>(m) << " activation " << static_cast<int>(act)
              << (l == layout::nchw ? " nchw" : " nhwc") << " y offset " << offset << " on "
              << active_isa();
        }
      }
    }
  }
}

TEST(Activation, UnknownActivationsAndTypesAreRefusedAndWriteNothing) {
  const problem p = make_problem({2, 8, 9, layout::nchw}, 2, 1u);
  const sn_shape s{2, 8, 9, SN_LAYOUT_NCHW};
  std::vector<float> y = sentinel_buffer(element_count(p.s)), stats = sentinel_buffer(8);
  const std::vector<float> untouched = y;
  std::vector<float> running_mean = p.running_mean, running_var = p.running_var;
  const auto refused = [&](sn_status status, const char* word) {
    EXPECT_EQ(status, SN_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(sn_last_error()).find(word), std::string::npos) << sn_last_error();
  };
  refused(sn_group_norm_typed(SN_DTYPE_FLOAT32, p.x.data(), s, 2, nullptr, nullptr, 1e-5f,
                              static_cast<sn_activation>(4), y.data(), stats.data(), nullptr),
          "activation");
  refused(sn_instance_norm_typed(static_cast<sn_dtype>(7), p.x.data(), s, nullptr, nullptr, 1e-5f,
                                 SN_ACTIVATION_RELU, y.data(), nullptr, nullptr),
          "dtype");
  refused(sn_batch_norm_training_typed(static_cast<sn_dtype>(-1), p.x.data(), s,
                                       running_mean.data(), running_var.data(), nullptr, nullptr,
                                       0.1f, 1e-5f, SN_RUNNING_VAR_UNBIASED, SN_ACTIVATION_SILU,
                                       y.data(), stats.data(), nullptr),
          "dtype");
  refused(sn_batch_norm_inference_typed(static_cast<sn_dtype>(3), p.x.data(), s,
                                        p.running_mean.data(), p.running_var.data(), nullptr,
                                        nullptr, 1e-5f, SN_ACTIVATION_SILU, y.data()),
          "dtype");
  refused(sn_batch_norm_training_typed(SN_DTYPE_FLOAT32, p.x.data(), s, running_mean.data(),
                                       running_var.data(), nullptr, nullptr, 0.1f, 1e-5f,
                                       SN_RUNNING_VAR_UNBIASED, static_cast<sn_activation>(-1),
                                       y.data(), stats.data(), nullptr),
          "activation");
  EXPECT_TRUE(same_bits(y, untouched));
  EXPECT_TRUE(same_bits(stats, sentinel_buffer(8)));
  EXPECT_TRUE(same_bits(running_mean, p.running_mean));
  EXPECT_TRUE(same_bits(running_var, p.running_var));
  // And a valid call through the C API runs.
  EXPECT_EQ(sn_group_norm_typed(SN_DTYPE_FLOAT32, p.x.data(), s, 2, nullptr, nullptr, 1e-5f,
                                SN_ACTIVATION_SILU, y.data(), nullptr, nullptr),
            SN_OK);
}

}  // namespace
}  // namespace simdnorm::testing
