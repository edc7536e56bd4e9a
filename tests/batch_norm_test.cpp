// Batch norm training's running-statistics conventions, those of PyTorch and
// of Keras. (Every method against the float64 oracle: method_table_test.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;

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

// PyTorch refuses a batch whose channels hold one value each
// (bad_arguments_test: OneValuePerChannel); one sample with several
// positions is enough.
TEST(BatchNormTraining, AcceptsOneSampleWithSeveralPositions) {
  const shape s{1, 3, 2, layout::nhwc};
  const std::vector<float> x = {1, 10, 100, 3, 30, 300};
  std::vector<float> y(6), save_mean(3);
  batch_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr, 0.1f, eps,
                      running_var_kind::unbiased, y.data(), save_mean.data(), nullptr);
  EXPECT_EQ(save_mean, (std::vector<float>{2, 20, 200}));
}

// N x C (spatial 1, BatchNorm1d's input) is the same memory in either
// layout, and gives the same bits: NCHW takes the NHWC kernels there
// (api/channel_implementations.hpp, kernel_shape), which read it row by row
// rather than one value a plane. Inference, training (running statistics
// and saved ones too) and the mean-only pair, C = 1, a vector's tail and a
// few vectors, with 1e4 + N(0, 1), where the statistics' order shows.
TEST(BatchNorm, OnePositionAPlaneGivesTheBitsOfChannelsLast) {
  for (const std::int64_t c : {std::int64_t{1}, std::int64_t{7}, std::int64_t{70}}) {
    const std::int64_t n = 1031;
    const std::vector<float> x = normal(n * c, static_cast<std::uint32_t>(c), 1e4f, 1.0f);
    const std::vector<float> gamma = normal(c, 3, 1.0f, 0.2f), beta = normal(c, 4, 0.0f, 0.5f);
    const std::vector<float> var = uniform(c, 5, 0.5f, 2.0f);
    struct outputs {
      std::vector<float> y, running_mean, running_var, save_mean, save_rstd, mean_only_y,
          mean_only_running, mean_only_save, inference_y, mean_only_inference_y;
    };
    const auto run = [&](layout l) {
      const shape s{n, c, 1, l};
      const auto count = static_cast<std::size_t>(n * c);
      const auto channels = static_cast<std::size_t>(c);
      outputs o{std::vector<float>(count),          std::vector<float>(channels, 0.5f),
                std::vector<float>(channels, 2.0f), std::vector<float>(channels),
                std::vector<float>(channels),       std::vector<float>(count),
                std::vector<float>(channels, 0.5f), std::vector<float>(channels),
                std::vector<float>(count),          std::vector<float>(count)};
      batch_norm_training(x.data(), s, o.running_mean.data(), o.running_var.data(), gamma.data(),
                          beta.data(), 0.1f, eps, running_var_kind::unbiased, o.y.data(),
                          o.save_mean.data(), o.save_rstd.data());
      batch_norm_mean_only_training(x.data(), s, o.mean_only_running.data(), beta.data(), 0.1f,
                                    o.mean_only_y.data(), o.mean_only_save.data());
      batch_norm_inference(x.data(), s, o.save_mean.data(), var.data(), gamma.data(), beta.data(),
                           eps, o.inference_y.data());
      batch_norm_mean_only_inference(x.data(), s, o.save_mean.data(), beta.data(),
                                     o.mean_only_inference_y.data());
      return o;
    };
    const outputs first = run(layout::nchw), last = run(layout::nhwc);
    EXPECT_TRUE(same_bits(first.y, last.y)) << "c " << c;
    EXPECT_TRUE(same_bits(first.running_mean, last.running_mean)) << "c " << c;
    EXPECT_TRUE(same_bits(first.running_var, last.running_var)) << "c " << c;
    EXPECT_TRUE(same_bits(first.save_mean, last.save_mean)) << "c " << c;
    EXPECT_TRUE(same_bits(first.save_rstd, last.save_rstd)) << "c " << c;
    EXPECT_TRUE(same_bits(first.mean_only_y, last.mean_only_y)) << "c " << c;
    EXPECT_TRUE(same_bits(first.mean_only_running, last.mean_only_running)) << "c " << c;
    EXPECT_TRUE(same_bits(first.mean_only_save, last.mean_only_save)) << "c " << c;
    EXPECT_TRUE(same_bits(first.inference_y, last.inference_y)) << "c " << c;
    EXPECT_TRUE(same_bits(first.mean_only_inference_y, last.mean_only_inference_y)) << "c " << c;
  }
}

}  // namespace
}  // namespace simdnorm::testing
