// Standardize (Keras Normalization): Keras' documented example, its floor on
// the standard deviation, and invert undoing apply. (Adapt, apply and invert
// against the float64 oracle: method_table_test.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "method_calls.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

// keras.layers.Normalization docs: adapt on [1, 2, 3] (one feature), then
// mean 2, variance 0.6667, and 1 maps to -1.2247.
struct adapted_feature {
  float mean;
  float var;
};

adapted_feature adapt_on_one_two_three() {
  const std::vector<float> data = {1.0f, 2.0f, 3.0f};
  moments adapted(1);
  adapted.update(data.data(), 3);
  adapted_feature f{};
  adapted.finalize(&f.mean, &f.var);
  return f;
}

TEST(StandardizeKerasExample, AdaptOnOneTwoThreeGivesMeanTwoAndVarianceTwoThirds) {
  const auto [mean, var] = adapt_on_one_two_three();

  EXPECT_NEAR(mean, 2.0, 1e-4);
  EXPECT_NEAR(var, 0.6667, 1e-4);
  EXPECT_NEAR(std::sqrt(var), 0.8165, 1e-4);
  // And to float32 accuracy: 2 exactly, 2/3 within an ulp or two.
  EXPECT_EQ(mean, 2.0f);
  EXPECT_NEAR(var, 2.0 / 3.0, 1e-7);
}

TEST(StandardizeKerasExample, OneNormalisesToMinusOnePointTwoTwoFourSeven) {
  const auto [mean, var] = adapt_on_one_two_three();
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
  const std::vector<float> x = feature_data(m.rows, m.cols, 77);
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
