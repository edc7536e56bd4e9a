// Batch-instance norm and switchable norm, training and inference, NCHW and
// NHWC, against the float64 oracle.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;
constexpr float momentum = 0.1f;

// rho per channel in [0, 1], with the end points 0 and 1 present when there
// are channels enough.
std::vector<float> some_rho(std::int64_t c, std::uint32_t seed) {
  std::vector<float> rho = uniform(c, seed, 0.0f, 1.0f);
  rho.front() = 0.0f;
  if (c > 1) rho.back() = 1.0f;
  return rho;
}

// A float32 softmax of seeded logits, as a model would pass it.
std::array<float, 3> softmax_weights(std::uint32_t seed) {
  const std::vector<float> logits = normal(3, seed);
  float sum = 0.0f;
  std::array<float, 3> w{};
  for (int k = 0; k < 3; ++k) sum += w[k] = std::exp(logits[k]);
  for (float& e : w) e /= sum;
  return w;
}

class BatchInstanceNormTraining : public ::testing::TestWithParam<activation_case> {};

TEST_P(BatchInstanceNormTraining, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const std::vector<float> rho = some_rho(s.c, seed + 2);
  std::vector<float> running_mean = normal(s.c, seed + 3, 0.0f, 0.5f);
  std::vector<float> running_var = uniform(s.c, seed + 4, 0.5f, 2.0f);
  const reference::trained want = reference::batch_instance_norm_training(
      x.data(), s, running_mean.data(), running_var.data(), data_or_null(p.gamma),
      data_or_null(p.beta), rho.data(), momentum, eps);
  std::vector<float> y = sentinel_buffer(element_count(s));

  batch_instance_norm_training(x.data(), s, running_mean.data(), running_var.data(),
                               data_or_null(p.gamma), data_or_null(p.beta), rho.data(), momentum,
                               eps, y.data());

  // A convex mix of two normalised values, each a few ulps off.
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(running_mean, want.running_mean, mean_tolerance));
  EXPECT_TRUE(all_near(running_var, want.running_var, rstd_tolerance));
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchInstanceNormTraining,
                         ::testing::ValuesIn(activation_cases(true)), case_name);

class BatchInstanceNormInference : public ::testing::TestWithParam<activation_case> {};

TEST_P(BatchInstanceNormInference, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const std::vector<float> rho = some_rho(s.c, seed + 2);
  const std::vector<float> running_mean = normal(s.c, seed + 3, 0.0f, 0.5f);
  const std::vector<float> running_var = uniform(s.c, seed + 4, 0.5f, 2.0f);
  std::vector<float> y = sentinel_buffer(element_count(s));

  batch_instance_norm_inference(x.data(), s, running_mean.data(), running_var.data(),
                                data_or_null(p.gamma), data_or_null(p.beta), rho.data(), eps,
                                y.data());

  EXPECT_TRUE(all_near(y,
                       reference::batch_instance_norm_inference(
                           x.data(), s, running_mean.data(), running_var.data(),
                           data_or_null(p.gamma), data_or_null(p.beta), rho.data(), eps),
                       output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchInstanceNormInference,
                         ::testing::ValuesIn(activation_cases(false)), case_name);

class SwitchableNormTraining : public ::testing::TestWithParam<activation_case> {};

TEST_P(SwitchableNormTraining, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const switch_weights w{softmax_weights(seed + 2), softmax_weights(seed + 5)};
  std::vector<float> running_mean = normal(s.c, seed + 3, 0.0f, 0.5f);
  std::vector<float> running_var = uniform(s.c, seed + 4, 0.5f, 2.0f);
  const reference::trained want = reference::switchable_norm_training(
      x.data(), s, running_mean.data(), running_var.data(), data_or_null(p.gamma),
      data_or_null(p.beta), w, momentum, eps);
  std::vector<float> y = sentinel_buffer(element_count(s));

  switchable_norm_training(x.data(), s, running_mean.data(), running_var.data(),
                           data_or_null(p.gamma), data_or_null(p.beta), w, momentum, eps, y.data());

  // The mixed mean and variance are sums of three float32 statistics with
  // weights below 1: still a few ulps of the O(1) output.
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(running_mean, want.running_mean, mean_tolerance));
  EXPECT_TRUE(all_near(running_var, want.running_var, rstd_tolerance));
}

INSTANTIATE_TEST_SUITE_P(Shapes, SwitchableNormTraining,
                         ::testing::ValuesIn(activation_cases(true)), case_name);

class SwitchableNormInference : public ::testing::TestWithParam<activation_case> {};

TEST_P(SwitchableNormInference, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const switch_weights w{softmax_weights(seed + 2), softmax_weights(seed + 5)};
  const std::vector<float> running_mean = normal(s.c, seed + 3, 0.0f, 0.5f);
  const std::vector<float> running_var = uniform(s.c, seed + 4, 0.5f, 2.0f);
  std::vector<float> y = sentinel_buffer(element_count(s));

  switchable_norm_inference(x.data(), s, running_mean.data(), running_var.data(),
                            data_or_null(p.gamma), data_or_null(p.beta), w, eps, y.data());

  EXPECT_TRUE(all_near(
      y,
      reference::switchable_norm_inference(x.data(), s, running_mean.data(), running_var.data(),
                                           data_or_null(p.gamma), data_or_null(p.beta), w, eps),
      output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, SwitchableNormInference,
                         ::testing::ValuesIn(activation_cases(false)), case_name);

}  // namespace
}  // namespace simdnorm::testing
