// Batch-norm inference on bfloat16 and float16 activations, with and without
// an activation, in both layouts: every output against the correctly rounded
// 16-bit value of the float64 result computed from the same (already
// rounded) inputs, as tests/typed_rows_test.cpp does for the row norms; NaN
// and Inf kept; the bits independent of the thread count. Every instruction
// set through the per-ISA ctest entries.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "half_float_support.hpp"
#include "reference/reference.hpp"
#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

struct bn_problem {
  dtype type;
  shape s;
  std::vector<bits16> x;
  std::vector<float> running_mean, running_var, gamma, beta;
};

bn_problem make_problem(dtype type, const shape& s, std::uint32_t seed) {
  return bn_problem{type,
                    s,
                    rounded(type, normal(element_count(s), seed, 0.5f, 2.0f)),
                    normal(s.c, seed + 1, 0.4f, 0.5f),
                    uniform(s.c, seed + 2, 0.5f, 4.0f),
                    normal(s.c, seed + 3, 1.0f, 0.3f),
                    normal(s.c, seed + 4, 0.0f, 0.5f)};
}

std::vector<bits16> run(const bn_problem& p, activation act) {
  std::vector<bits16> y(p.x.size(), 0x7fff);
  batch_norm_inference(p.type, p.x.data(), p.s, p.running_mean.data(), p.running_var.data(),
                       p.gamma.data(), p.beta.data(), 1e-5f, act, y.data());
  return y;
}

std::vector<double> reference_of(const bn_problem& p, activation act) {
  const std::vector<float> wide = widened(p.type, p.x);
  std::vector<double> ref =
      reference::batch_norm_inference(wide.data(), p.s, p.running_mean.data(), p.running_var.data(),
                                      p.gamma.data(), p.beta.data(), 1e-5f);
  for (double& v : ref) v = reference::activated(act, v);
  return ref;
}

TEST(TypedChannels, BatchNormInferenceOutputsAreCorrectlyRoundedOrOneUlpAway) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    rounding_tally tally;
    for (const layout l : {layout::nchw, layout::nhwc}) {
      for (const shape& s : {shape{2, 3, 7, l}, shape{1, 40, 33, l}, shape{3, 70, 5, l},
                             shape{2, 64, 784, l}, shape{1, 17, 1, l}}) {
        const bn_problem p = make_problem(type, s, 5u + static_cast<unsigned>(s.c));
        for (const activation act :
             {activation::none, activation::relu, activation::silu, activation::gelu}) {
          tally.add(type, run(p, act), reference_of(p, act),
                    std::string(name_of(type)) + " c " + std::to_string(s.c) + " layout " +
                        std::to_string(static_cast<int>(l)) + " act " +
                        std::to_string(static_cast<int>(act)));
        }
      }
    }
    report_and_check(tally, "batch norm inference", type);
  }
}

TEST(TypedChannels, NaNAndInfInputsStayNaNAndInf) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const layout l : {layout::nchw, layout::nhwc}) {
      bn_problem p = make_problem(type, shape{1, 20, 9, l}, 3u);
      p.gamma.assign(20, 1.0f);
      p.x[4] = from_float(type, NAN);
      p.x[5] = from_float(type, INFINITY);
      p.x[6] = from_float(type, -INFINITY);
      const std::vector<bits16> y = run(p, activation::none);
      EXPECT_TRUE(std::isnan(to_float(type, y[4])));
      EXPECT_EQ(to_float(type, y[5]), INFINITY);
      EXPECT_EQ(to_float(type, y[6]), -INFINITY);
    }
  }
}

// The normalisation's stores, in both layouts: with gamma = 0 the factors
// are scale 0 and shift beta, so y = beta of the channel, and a beta holding
// denormals (of float32 and of the 16-bit formats), ties, NaN and Inf checks
// the narrowing of y, two vectors at a time where a row is long enough,
// against the scalar conversion. (-0 is left out: (x - mean) * 0 + -0 is +0
// where x >= mean.)
TEST(TypedChannels, NormalisedOutputsNarrowLikeTheScalarConversion) {
  std::vector<float> beta = {1e-39f,   -1e-39f,     3e-6f,       5.960464e-8f, 1e-45f,
                             65520.0f, 3.4e38f,     -3.39e38f,   INFINITY,     -INFINITY,
                             NAN,      1.00390625f, 1.01171875f, -2.5e-39f,    1.1754942e-38f};
  for (std::uint32_t k = 0; beta.size() < 77; ++k) {
    beta.push_back(k % 2 == 0 ? sn_float_of_bits(0x00001000u + k * 0x2345u)
                              : sn_float_of_bits(0x3f800000u + k * 0x1000u + 0x800u));
  }
  const std::int64_t c = static_cast<std::int64_t>(beta.size());
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const layout l : {layout::nchw, layout::nhwc}) {
      const shape s{2, c, 45, l};
      const std::vector<bits16> x = rounded(type, normal(element_count(s), 12u, 0.5f, 2.0f));
      const std::vector<float> mean(c, 0.25f), var(c, 2.0f), zeros(c, 0.0f);
      std::vector<bits16> y(x.size(), 0x7fff);
      batch_norm_inference(type, x.data(), s, mean.data(), var.data(), zeros.data(), beta.data(),
                           1e-5f, activation::none, y.data());
      for (std::int64_t i = 0; i < element_count(s); ++i) {
        const std::int64_t channel = l == layout::nchw ? (i / s.spatial) % c : i % c;
        ASSERT_EQ(y[i], from_float(type, beta[channel]))
            << name_of(type) << " layout " << static_cast<int>(l) << " element " << i;
      }
    }
  }
}

TEST(TypedChannels, BitsDoNotDependOnTheThreadCount) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const layout l : {layout::nchw, layout::nhwc}) {
      const bn_problem p = make_problem(type, shape{4, 64, 3136, l}, 8u);
      std::vector<std::vector<bits16>> results;
      for (const int threads : {1, 2, 4}) {
        tbb::task_arena arena(threads);
        arena.execute([&] { results.push_back(run(p, activation::silu)); });
      }
      EXPECT_EQ(results[1], results[0]);
      EXPECT_EQ(results[2], results[0]);
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
