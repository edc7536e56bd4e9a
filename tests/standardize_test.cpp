// Standardize (Keras Normalization): adapt (streamed moments), apply and
// invert, against the float64 oracle and Keras' documented example.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

std::uint32_t seed_of(const matrix& m) {
  return static_cast<std::uint32_t>(m.rows * 104729 + m.cols * 7);
}

// rows x features with a different mean (in [-5, 5]) and standard deviation
// (in [0.1, 3]) per feature, as real features have.
std::vector<float> feature_data(const matrix& m, std::uint32_t seed) {
  const std::vector<float> mu = uniform(m.cols, seed, -5.0f, 5.0f);
  const std::vector<float> sigma = uniform(m.cols, seed + 1, 0.1f, 3.0f);
  std::vector<float> x = normal(m.rows * m.cols, seed + 2);
  for (std::int64_t r = 0; r < m.rows; ++r) {
    for (std::int64_t f = 0; f < m.cols; ++f) {
      float& e = x[static_cast<std::size_t>(r * m.cols + f)];
      e = mu[f] + sigma[f] * e;
    }
  }
  return x;
}

std::vector<float> narrow(const std::vector<double>& v) { return {v.begin(), v.end()}; }

class Standardize : public ::testing::TestWithParam<matrix> {};

TEST_P(Standardize, MomentsMatchReference) {
  const matrix m = GetParam();
  const std::vector<float> x = feature_data(m, seed_of(m));
  moments adapted(m.cols);
  std::vector<float> mean = sentinel_buffer(m.cols);
  std::vector<float> var = sentinel_buffer(m.cols);

  adapted.update(x.data(), m.rows);
  adapted.finalize(mean.data(), var.data());

  // Means within a few ulps of max(|mean|, std); the biased variance within
  // a few ulps relative (Welford/Chan keep two-pass accuracy).
  const reference::feature_moments want = reference::moments(x.data(), m.rows, m.cols);
  EXPECT_EQ(adapted.count(), m.rows);
  EXPECT_TRUE(all_near(mean, want.mean, mean_tolerance));
  EXPECT_TRUE(all_near(var, want.var, rstd_tolerance));
}

TEST_P(Standardize, ApplyMatchesReference) {
  const matrix m = GetParam();
  const std::vector<float> x = feature_data(m, seed_of(m));
  const reference::feature_moments stats = reference::moments(x.data(), m.rows, m.cols);
  const std::vector<float> mean = narrow(stats.mean);
  const std::vector<float> var = narrow(stats.var);
  std::vector<float> y = sentinel_buffer(m.rows * m.cols);

  standardize_apply(x.data(), m.rows, m.cols, mean.data(), var.data(), y.data());

  // (x - mean) / std: one subtraction, one division, O(1) result (or 0 when
  // rows = 1 and var = 0): a few ulps.
  EXPECT_TRUE(
      all_near(y, reference::standardize_apply(x.data(), m.rows, m.cols, mean.data(), var.data()),
               output_tolerance()));
}

TEST_P(Standardize, InvertMatchesReference) {
  const matrix m = GetParam();
  const std::vector<float> y = normal(m.rows * m.cols, seed_of(m));
  const std::vector<float> mean = uniform(m.cols, seed_of(m) + 1, -5.0f, 5.0f);
  const std::vector<float> var = uniform(m.cols, seed_of(m) + 2, 0.01f, 9.0f);
  std::vector<float> x = sentinel_buffer(m.rows * m.cols);

  standardize_invert(y.data(), m.rows, m.cols, mean.data(), var.data(), x.data());

  // y * std + mean with |result| up to ~17: a few ulps of 17 is covered by
  // the relative part, a few ulps of O(1) terms by the absolute one.
  EXPECT_TRUE(
      all_near(x, reference::standardize_invert(y.data(), m.rows, m.cols, mean.data(), var.data()),
               output_tolerance()));
}

INSTANTIATE_TEST_SUITE_P(Shapes, Standardize, ::testing::ValuesIn(matrix_shapes()),
                         [](const ::testing::TestParamInfo<matrix>& info) {
                           return matrix_name(info.param);
                         });

// keras.layers.Normalization docs: adapt on [1, 2, 3] (one feature), then
// mean 2, variance 0.6667, and 1 maps to -1.2247.
TEST(StandardizeKerasExample, AdaptOnOneTwoThreeGivesMeanTwoAndVarianceTwoThirds) {
  const std::vector<float> data = {1.0f, 2.0f, 3.0f};
  moments adapted(1);
  adapted.update(data.data(), 3);
  float mean = 0.0f, var = 0.0f;
  adapted.finalize(&mean, &var);

  EXPECT_NEAR(mean, 2.0, 1e-4);
  EXPECT_NEAR(var, 0.6667, 1e-4);
  EXPECT_NEAR(std::sqrt(var), 0.8165, 1e-4);
  // And to float32 accuracy: 2 exactly, 2/3 within an ulp or two.
  EXPECT_EQ(mean, 2.0f);
  EXPECT_NEAR(var, 2.0 / 3.0, 1e-7);
}

TEST(StandardizeKerasExample, OneNormalisesToMinusOnePointTwoTwoFourSeven) {
  const std::vector<float> data = {1.0f, 2.0f, 3.0f};
  moments adapted(1);
  adapted.update(data.data(), 3);
  float mean = 0.0f, var = 0.0f;
  adapted.finalize(&mean, &var);
  const std::vector<float> x = {1.0f, 2.0f, 3.0f};
  std::vector<float> y(3);

  standardize_apply(x.data(), 3, 1, &mean, &var, y.data());

  EXPECT_NEAR(y[0], -1.2247, 1e-4);
  EXPECT_NEAR(y[0], -std::sqrt(1.5), 1e-6);
  EXPECT_NEAR(y[1], 0.0, 1e-6);
  EXPECT_NEAR(y[2], std::sqrt(1.5), 1e-6);
}

TEST(StandardizeApply, DividesByAtLeastOneTenMillionth) {
  // Keras divides by max(sqrt(var), 1e-7): a constant feature maps to 0 and
  // a deviation of 1e-6 from it to 10, never to Inf or NaN.
  const float mean = 3.0f, var = 0.0f;
  const std::vector<float> x = {3.0f, 3.0f + 1e-6f * 2, 3.0f};
  std::vector<float> y(3);

  standardize_apply(x.data(), 3, 1, &mean, &var, y.data());

  EXPECT_EQ(y[0], 0.0f);
  EXPECT_NEAR(y[1], (static_cast<double>(x[1]) - 3.0) / 1e-7, 1e-3);
  EXPECT_EQ(y[2], 0.0f);
}

TEST(StandardizeInvert, UndoesApply) {
  const matrix m{9, 13};
  const std::vector<float> x = feature_data(m, 77);
  moments adapted(m.cols);
  adapted.update(x.data(), m.rows);
  std::vector<float> mean(m.cols), var(m.cols), y(m.rows * m.cols), back(m.rows * m.cols);
  adapted.finalize(mean.data(), var.data());

  standardize_apply(x.data(), m.rows, m.cols, mean.data(), var.data(), y.data());
  standardize_invert(y.data(), m.rows, m.cols, mean.data(), var.data(), back.data());

  // Two roundings of values up to ~15 in magnitude.
  EXPECT_TRUE(all_near(back, widen(x), {1e-5, 1e-6}));
}

}  // namespace
}  // namespace simdnorm::testing
