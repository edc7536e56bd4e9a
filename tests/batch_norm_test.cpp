// Batch norm (inference, training, mean-only), NCHW and NHWC, against the
// float64 oracle, and the running-statistics conventions of PyTorch and Keras.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;

struct running_stats {
  std::vector<float> mean;
  std::vector<float> var;
};

running_stats make_running(std::int64_t c, std::uint32_t seed) {
  return {uniform(c, seed, -1.0f, 1.0f), uniform(c, seed + 1, 0.5f, 2.0f)};
}

class BatchNormInference : public ::testing::TestWithParam<activation_case> {};

TEST_P(BatchNormInference, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const running_stats run = make_running(s.c, seed + 3);
  std::vector<float> y = sentinel_buffer(element_count(s));

  batch_norm_inference(x.data(), s, run.mean.data(), run.var.data(), data_or_null(p.gamma),
                       data_or_null(p.beta), eps, y.data());

  EXPECT_TRUE(
      all_near(y,
               reference::batch_norm_inference(x.data(), s, run.mean.data(), run.var.data(),
                                               data_or_null(p.gamma), data_or_null(p.beta), eps),
               output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormInference, ::testing::ValuesIn(activation_cases(false)),
                         case_name);

class BatchNormTraining : public ::testing::TestWithParam<activation_case> {};

TEST_P(BatchNormTraining, MatchesReferenceWithRunningStatistics) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  running_stats run = make_running(s.c, seed + 3);
  const running_stats before = run;
  std::vector<float> y = sentinel_buffer(element_count(s));
  std::vector<float> save_mean = sentinel_buffer(s.c);
  std::vector<float> save_rstd = sentinel_buffer(s.c);

  batch_norm_training(x.data(), s, run.mean.data(), run.var.data(), data_or_null(p.gamma),
                      data_or_null(p.beta), 0.1f, eps, running_var_kind::unbiased, y.data(),
                      save_mean.data(), save_rstd.data());

  const reference::trained want = reference::batch_norm_training(
      x.data(), s, before.mean.data(), before.var.data(), data_or_null(p.gamma),
      data_or_null(p.beta), 0.1f, eps, running_var_kind::unbiased);
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(save_mean, want.save_mean, mean_tolerance));
  EXPECT_TRUE(all_near(save_rstd, want.save_rstd, rstd_tolerance));
  EXPECT_TRUE(all_near(run.mean, want.running_mean, mean_tolerance));
  EXPECT_TRUE(all_near(run.var, want.running_var, rstd_tolerance));
}

TEST_P(BatchNormTraining, MatchesReferenceWithoutOptionalOutputs) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  std::vector<float> y = sentinel_buffer(element_count(s));

  batch_norm_training(x.data(), s, nullptr, nullptr, data_or_null(p.gamma), data_or_null(p.beta),
                      0.1f, eps, running_var_kind::unbiased, y.data(), nullptr, nullptr);

  EXPECT_TRUE(all_near(
      y,
      reference::batch_norm_training(x.data(), s, nullptr, nullptr, data_or_null(p.gamma),
                                     data_or_null(p.beta), 0.1f, eps, running_var_kind::unbiased)
          .y,
      output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormTraining, ::testing::ValuesIn(activation_cases(true)),
                         case_name);

class BatchNormMeanOnly : public ::testing::TestWithParam<activation_case> {};

TEST_P(BatchNormMeanOnly, TrainingMatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const std::vector<float> before = uniform(s.c, seed + 3, -1.0f, 1.0f);
  std::vector<float> running_mean = before;
  std::vector<float> y = sentinel_buffer(element_count(s));
  std::vector<float> save_mean = sentinel_buffer(s.c);

  batch_norm_mean_only_training(x.data(), s, running_mean.data(), data_or_null(p.beta), 0.1f,
                                y.data(), save_mean.data());

  const reference::trained want = reference::batch_norm_mean_only_training(
      x.data(), s, before.data(), data_or_null(p.beta), 0.1f);
  // y = x - mean + beta has no rstd factor: the error is that of the mean.
  EXPECT_TRUE(all_near(y, want.y, output_tolerance()));
  EXPECT_TRUE(all_near(save_mean, want.save_mean, mean_tolerance));
  EXPECT_TRUE(all_near(running_mean, want.running_mean, mean_tolerance));
}

TEST_P(BatchNormMeanOnly, InferenceMatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  const std::vector<float> running_mean = uniform(s.c, seed + 3, -1.0f, 1.0f);
  std::vector<float> y = sentinel_buffer(element_count(s));

  batch_norm_mean_only_inference(x.data(), s, running_mean.data(), data_or_null(p.beta), y.data());

  EXPECT_TRUE(all_near(y,
                       reference::batch_norm_mean_only_inference(x.data(), s, running_mean.data(),
                                                                 data_or_null(p.beta)),
                       output_tolerance()));
}

INSTANTIATE_TEST_SUITE_P(Shapes, BatchNormMeanOnly, ::testing::ValuesIn(activation_cases(false)),
                         case_name);

// The batch statistics of channel c, computed here in double from the data,
// independently of both the kernel and the oracle.
struct channel_stats {
  double mean;
  double var;  // biased
  std::int64_t count;
};

channel_stats stats_of_channel(const std::vector<float>& x, const shape& s, std::int64_t c) {
  double sum = 0.0;
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t p = 0; p < s.spatial; ++p) sum += x[offset(s, n, c, p)];
  }
  const std::int64_t count = s.n * s.spatial;
  const double mean = sum / static_cast<double>(count);
  double squares = 0.0;
  for (std::int64_t n = 0; n < s.n; ++n) {
    for (std::int64_t p = 0; p < s.spatial; ++p) {
      const double d = x[offset(s, n, c, p)] - mean;
      squares += d * d;
    }
  }
  return {mean, squares / static_cast<double>(count), count};
}

// PyTorch's BatchNorm2d(momentum=0.1): running = 0.9 * running + 0.1 * batch,
// with the unbiased batch variance var * m / (m - 1) for running_var. Keras'
// BatchNormalization(momentum=0.99) is momentum 0.01 here with the biased
// variance. Tolerance: one float32 rounding of the update, relative 1e-6.
void expect_running_update(layout l, float momentum, running_var_kind kind) {
  const shape s{4, 6, 9, l};
  const std::vector<float> x = normal(element_count(s), 77u, 0.5f, 2.0f);
  std::vector<float> running_mean = uniform(s.c, 78u, -1.0f, 1.0f);
  std::vector<float> running_var = uniform(s.c, 79u, 0.5f, 2.0f);
  const std::vector<float> mean_before = running_mean;
  const std::vector<float> var_before = running_var;
  std::vector<float> y(x.size());

  batch_norm_training(x.data(), s, running_mean.data(), running_var.data(), nullptr, nullptr,
                      momentum, eps, kind, y.data(), nullptr, nullptr);

  for (std::int64_t c = 0; c < s.c; ++c) {
    const channel_stats batch = stats_of_channel(x, s, c);
    const double m = momentum;
    const double batch_var = kind == running_var_kind::unbiased
                                 ? batch.var * batch.count / (batch.count - 1.0)
                                 : batch.var;
    const double want_mean = (1.0 - m) * mean_before[c] + m * batch.mean;
    const double want_var = (1.0 - m) * var_before[c] + m * batch_var;
    EXPECT_NEAR(running_mean[c], want_mean, 1e-6 * (1.0 + std::fabs(want_mean))) << "c=" << c;
    EXPECT_NEAR(running_var[c], want_var, 1e-6 * want_var) << "c=" << c;
  }
}

TEST(BatchNormTraining, RunningStatisticsMoveAsPyTorchNchw) {
  expect_running_update(layout::nchw, 0.1f, running_var_kind::unbiased);
}

TEST(BatchNormTraining, RunningStatisticsMoveAsPyTorchNhwc) {
  expect_running_update(layout::nhwc, 0.1f, running_var_kind::unbiased);
}

TEST(BatchNormTraining, RunningStatisticsMoveAsKerasWhenBiased) {
  expect_running_update(layout::nhwc, 1.0f - 0.99f, running_var_kind::biased);
}

TEST(BatchNormTraining, MomentumZeroKeepsAndOneReplacesRunningStatistics) {
  const shape s{3, 4, 5, layout::nchw};
  const std::vector<float> x = normal(element_count(s), 80u);
  std::vector<float> y(x.size());
  std::vector<float> mean = {1, 2, 3, 4}, var = {5, 6, 7, 8};
  batch_norm_training(x.data(), s, mean.data(), var.data(), nullptr, nullptr, 0.0f, eps,
                      running_var_kind::unbiased, y.data(), nullptr, nullptr);
  EXPECT_EQ(mean, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(var, (std::vector<float>{5, 6, 7, 8}));

  std::vector<float> save_mean(4);
  batch_norm_training(x.data(), s, mean.data(), var.data(), nullptr, nullptr, 1.0f, eps,
                      running_var_kind::biased, y.data(), save_mean.data(), nullptr);
  EXPECT_EQ(mean, save_mean);
}

// PyTorch raises "Expected more than 1 value per channel when training" for
// a batch whose channels hold one value each; so do the training modes here.
TEST(BatchNormTraining, RefusesOneValuePerChannel) {
  const shape s{1, 4, 1, layout::nchw};
  const std::vector<float> x = normal(4, 81u);
  std::vector<float> y = sentinel_buffer(4);
  const std::vector<float> untouched = y;
  EXPECT_THROW(batch_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr, 0.1f, eps,
                                   running_var_kind::unbiased, y.data(), nullptr, nullptr),
               std::invalid_argument);
  const std::vector<float> rho(4, 0.5f);
  EXPECT_THROW(batch_instance_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr,
                                            rho.data(), 0.1f, eps, y.data()),
               std::invalid_argument);
  const switch_weights w{{0.2f, 0.3f, 0.5f}, {0.2f, 0.3f, 0.5f}};
  EXPECT_THROW(switchable_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr, w, 0.1f,
                                        eps, y.data()),
               std::invalid_argument);
  EXPECT_TRUE(same_bits(y, untouched));
}

TEST(BatchNormTraining, AcceptsOneSampleWithSeveralPositions) {
  const shape s{1, 3, 2, layout::nhwc};
  const std::vector<float> x = {1, 10, 100, 3, 30, 300};
  std::vector<float> y(6), save_mean(3);
  batch_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr, 0.1f, eps,
                      running_var_kind::unbiased, y.data(), save_mean.data(), nullptr);
  EXPECT_EQ(save_mean, (std::vector<float>{2, 20, 200}));
}

}  // namespace
}  // namespace simdnorm::testing
