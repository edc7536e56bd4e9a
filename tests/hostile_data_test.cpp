// Hostile data: large offsets, constant sets, huge and tiny magnitudes, NaN
// and Inf. The statistics must keep their digits where E[x^2] - E[x]^2 loses
// them, and a non-finite value must poison its own set and no other.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;
constexpr float nan = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();

// The variance a kernel used, recovered from its rstd.
double variance_from_rstd(float rstd) {
  return 1.0 / (static_cast<double>(rstd) * rstd) - static_cast<double>(eps);
}

// The bound: relative error of the variance under 1e-3 on
// 1e4 + N(0, 1), where float32 E[x^2] - E[x]^2 is off by 100% or more.
constexpr double offset_variance_bound = 1e-3;

void expect_variances_kept(const std::vector<float>& rstd, const std::vector<double>& want_rstd) {
  ASSERT_EQ(rstd.size(), want_rstd.size());
  for (std::size_t i = 0; i < rstd.size(); ++i) {
    const double want = 1.0 / (want_rstd[i] * want_rstd[i]) - static_cast<double>(eps);
    EXPECT_NEAR(variance_from_rstd(rstd[i]), want, offset_variance_bound * want) << "set " << i;
  }
}

TEST(HostileData, LayerNormKeepsVarianceOfOffsetData) {
  const std::int64_t rows = 8, d = 4096;
  const std::vector<float> x = offset_normal(rows * d, 1u);
  std::vector<float> y(x.size()), mean(rows), rstd(rows);
  layer_norm(x.data(), rows, d, nullptr, nullptr, eps, y.data(), mean.data(), rstd.data());
  const reference::normalized want =
      reference::layer_norm(x.data(), rows, d, nullptr, nullptr, eps);
  expect_variances_kept(rstd, want.rstd);
  // Subtract-first with the mean in two parts keeps the outputs as accurate
  // as on N(0, 1) data (DESIGN.md section 3).
  EXPECT_TRUE(all_near(y, want.y, output_tolerance()));
}

TEST(HostileData, GroupNormKeepsVarianceOfOffsetDataInBothLayouts) {
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{2, 64, 256, l};
    const std::vector<float> x = offset_normal(element_count(s), 2u);
    std::vector<float> y(x.size()), mean(s.n * 8), rstd(s.n * 8);
    group_norm(x.data(), s, 8, nullptr, nullptr, eps, y.data(), mean.data(), rstd.data());
    const reference::normalized want = reference::group_norm(x.data(), s, 8, nullptr, nullptr, eps);
    expect_variances_kept(rstd, want.rstd);
    EXPECT_TRUE(all_near(y, want.y, output_tolerance()));
  }
}

TEST(HostileData, BatchNormTrainingKeepsVarianceOfOffsetDataInBothLayouts) {
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{8, 16, 196, l};
    const std::vector<float> x = offset_normal(element_count(s), 3u);
    std::vector<float> y(x.size()), save_mean(s.c), save_rstd(s.c);
    std::vector<float> running_mean(s.c, 0.0f), running_var(s.c, 1.0f);
    batch_norm_training(x.data(), s, running_mean.data(), running_var.data(), nullptr, nullptr,
                        0.1f, eps, running_var_kind::unbiased, y.data(), save_mean.data(),
                        save_rstd.data());
    const std::vector<float> zeros(s.c, 0.0f), ones(s.c, 1.0f);
    const reference::trained want =
        reference::batch_norm_training(x.data(), s, zeros.data(), ones.data(), nullptr, nullptr,
                                       0.1f, eps, running_var_kind::unbiased);
    expect_variances_kept(save_rstd, want.save_rstd);
    for (std::int64_t c = 0; c < s.c; ++c) {
      EXPECT_NEAR(running_var[c], want.running_var[c], offset_variance_bound * want.running_var[c]);
    }
    EXPECT_TRUE(all_near(y, want.y, output_tolerance()));
  }
}

TEST(HostileData, StandardizeMomentsKeepVarianceOfOffsetData) {
  const std::int64_t rows = 5000, features = 7;
  const std::vector<float> x = offset_normal(rows * features, 4u);
  moments m(features);
  m.update(x.data(), rows);
  std::vector<float> mean(features), var(features);
  m.finalize(mean.data(), var.data());
  const reference::feature_moments want = reference::moments(x.data(), rows, features);
  for (std::int64_t f = 0; f < features; ++f) {
    EXPECT_NEAR(var[f], want.var[f], offset_variance_bound * want.var[f]);
  }
}

// A constant set has variance 0: rstd = 1 / sqrt(eps) and the output is beta,
// exactly ((x - mean) is exactly 0).
TEST(HostileData, ConstantInputGivesZeroVarianceAndBeta) {
  const double want_rstd = 1.0 / std::sqrt(static_cast<double>(eps));
  {
    const std::int64_t rows = 3, d = 37;
    const std::vector<float> x = constant(rows * d, 1e4f + 0.5f);
    const std::vector<float> gamma = uniform(d, 5u, -2.0f, 2.0f);
    const std::vector<float> beta = uniform(d, 6u, -1.0f, 1.0f);
    std::vector<float> y(x.size()), mean(rows), rstd(rows);
    layer_norm(x.data(), rows, d, gamma.data(), beta.data(), eps, y.data(), mean.data(),
               rstd.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      EXPECT_EQ(mean[r], 1e4f + 0.5f);
      EXPECT_NEAR(rstd[r], want_rstd, 1e-6 * want_rstd);
      for (std::int64_t j = 0; j < d; ++j) EXPECT_EQ(y[r * d + j], beta[j]);
    }
  }
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{2, 6, 11, l};
    const std::vector<float> x = constant(element_count(s), -3.25f);
    const std::vector<float> beta = uniform(s.c, 7u, -1.0f, 1.0f);
    std::vector<float> y(x.size()), mean(s.n * 3), rstd(s.n * 3);
    group_norm(x.data(), s, 3, nullptr, beta.data(), eps, y.data(), mean.data(), rstd.data());
    for (float r : rstd) EXPECT_NEAR(r, want_rstd, 1e-6 * want_rstd);
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t c = 0; c < s.c; ++c) {
        for (std::int64_t p = 0; p < s.spatial; ++p) EXPECT_EQ(y[offset(s, n, c, p)], beta[c]);
      }
    }
    std::vector<float> save_rstd(s.c);
    batch_norm_training(x.data(), s, nullptr, nullptr, nullptr, beta.data(), 0.1f, eps,
                        running_var_kind::unbiased, y.data(), nullptr, save_rstd.data());
    for (float r : save_rstd) EXPECT_NEAR(r, want_rstd, 1e-6 * want_rstd);
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t c = 0; c < s.c; ++c) {
        for (std::int64_t p = 0; p < s.spatial; ++p) EXPECT_EQ(y[offset(s, n, c, p)], beta[c]);
      }
    }
  }
}

// 1e30 * N(0, 1): the squares (1e60) overflow float32; 1e-18 * N(0, 1) with a
// subnormal eps: the squares (1e-36) fall to float32's subnormal range. Both
// must normalise as accurately as N(0, 1) data (DESIGN.md section 2's
// power-of-two rescaling).
TEST(HostileData, HugeAndTinyMagnitudesNormaliseCorrectly) {
  const std::int64_t rows = 4, d = 1000;
  struct family {
    float scale;
    float eps;
  };
  for (const family f : {family{1e30f, 1e-5f}, family{1e-18f, 1e-44f}}) {
    std::vector<float> x = normal(rows * d, 8u);
    for (float& v : x) v *= f.scale;
    std::vector<float> y(x.size()), mean(rows), rstd(rows);
    layer_norm(x.data(), rows, d, nullptr, nullptr, f.eps, y.data(), mean.data(), rstd.data());
    const reference::normalized want =
        reference::layer_norm(x.data(), rows, d, nullptr, nullptr, f.eps);
    EXPECT_TRUE(all_near(y, want.y, output_tolerance())) << "scale " << f.scale;
    EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance)) << "scale " << f.scale;

    std::vector<float> rms_rstd(rows);
    rms_norm(x.data(), rows, d, nullptr, nullptr, f.eps, y.data(), rms_rstd.data());
    const reference::normalized want_rms =
        reference::rms_norm(x.data(), rows, d, nullptr, nullptr, f.eps);
    EXPECT_TRUE(all_near(y, want_rms.y, output_tolerance())) << "scale " << f.scale;

    const std::vector<float> g(rows, 1.5f);
    std::vector<float> w(x.size()), norm(rows);
    weight_norm(x.data(), g.data(), rows, d, w.data(), norm.data());
    const reference::weight_normalized want_w = reference::weight_norm(x.data(), g.data(), rows, d);
    EXPECT_TRUE(all_near(w, want_w.w, {1e-6, 1e-5})) << "scale " << f.scale;
    EXPECT_TRUE(all_near(norm, want_w.norm, rstd_tolerance)) << "scale " << f.scale;
  }
}

// The same families through the activation kernels: batch norm training
// (per-channel statistics, NCHW runs and NHWC chunks of rows) and group norm.
TEST(HostileData, HugeAndTinyMagnitudesNormaliseBatchAndGroupNorm) {
  struct family {
    float scale;
    float eps;
  };
  for (const family f : {family{1e30f, 1e-5f}, family{1e-18f, 1e-44f}}) {
    for (layout l : {layout::nchw, layout::nhwc}) {
      const shape s{4, 24, 300, l};
      std::vector<float> x = normal(element_count(s), 12u);
      for (float& v : x) v *= f.scale;
      std::vector<float> y(x.size()), save_rstd(s.c);
      batch_norm_training(x.data(), s, nullptr, nullptr, nullptr, nullptr, 0.1f, f.eps,
                          running_var_kind::unbiased, y.data(), nullptr, save_rstd.data());
      const reference::trained want = reference::batch_norm_training(
          x.data(), s, nullptr, nullptr, nullptr, nullptr, 0.1f, f.eps, running_var_kind::unbiased);
      EXPECT_TRUE(all_near(y, want.y, output_tolerance())) << "scale " << f.scale;
      EXPECT_TRUE(all_near(save_rstd, want.save_rstd, rstd_tolerance)) << "scale " << f.scale;

      std::vector<float> rstd(s.n * 6);
      group_norm(x.data(), s, 6, nullptr, nullptr, f.eps, y.data(), nullptr, rstd.data());
      const reference::normalized want_group =
          reference::group_norm(x.data(), s, 6, nullptr, nullptr, f.eps);
      EXPECT_TRUE(all_near(y, want_group.y, output_tolerance())) << "scale " << f.scale;
      EXPECT_TRUE(all_near(rstd, want_group.rstd, rstd_tolerance)) << "scale " << f.scale;
    }
  }
}

bool all_finite(const float* v, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(v[i])) return false;
  }
  return true;
}

bool all_nan(const float* v, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    if (!std::isnan(v[i])) return false;
  }
  return true;
}

TEST(HostileData, NanPoisonsOnlyItsLayerNormRow) {
  const std::int64_t rows = 5, d = 33;
  for (float poison : {nan, inf}) {
    std::vector<float> x = normal(rows * d, 9u);
    x[2 * d + 17] = poison;
    std::vector<float> y(x.size()), mean(rows), rstd(rows);
    layer_norm(x.data(), rows, d, nullptr, nullptr, eps, y.data(), mean.data(), rstd.data());
    const reference::normalized want =
        reference::layer_norm(x.data(), rows, d, nullptr, nullptr, eps);
    for (std::int64_t r = 0; r < rows; ++r) {
      if (r == 2) {
        EXPECT_FALSE(std::isfinite(rstd[r]) && std::isfinite(mean[r]));
        EXPECT_TRUE(all_nan(y.data() + r * d, d)) << "poison " << poison;
      } else {
        EXPECT_TRUE(all_finite(y.data() + r * d, d)) << "row " << r;
        EXPECT_NEAR(mean[r], want.mean[r], 1e-5);
      }
    }
  }
}

TEST(HostileData, NanPoisonsOnlyItsGroup) {
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{2, 8, 9, l};
    std::vector<float> x = normal(element_count(s), 10u);
    // Sample 1, channel 5 (group 2 of 4 groups of 2 channels), position 4.
    x[offset(s, 1, 5, 4)] = nan;
    std::vector<float> y(x.size()), mean(s.n * 4), rstd(s.n * 4);
    group_norm(x.data(), s, 4, nullptr, nullptr, eps, y.data(), mean.data(), rstd.data());
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t g = 0; g < 4; ++g) {
        const bool poisoned = n == 1 && g == 2;
        EXPECT_EQ(std::isnan(mean[n * 4 + g]), poisoned) << "n=" << n << " g=" << g;
        for (std::int64_t c = 2 * g; c < 2 * g + 2; ++c) {
          for (std::int64_t p = 0; p < s.spatial; ++p) {
            EXPECT_EQ(std::isnan(y[offset(s, n, c, p)]), poisoned);
          }
        }
      }
    }
  }
}

TEST(HostileData, NanPoisonsOnlyItsBatchNormChannel) {
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{3, 5, 7, l};
    std::vector<float> x = normal(element_count(s), 11u);
    x[offset(s, 2, 3, 6)] = nan;
    std::vector<float> y(x.size()), save_mean(s.c), save_rstd(s.c);
    std::vector<float> running_mean(s.c, 0.0f), running_var(s.c, 1.0f);
    batch_norm_training(x.data(), s, running_mean.data(), running_var.data(), nullptr, nullptr,
                        0.1f, eps, running_var_kind::unbiased, y.data(), save_mean.data(),
                        save_rstd.data());
    for (std::int64_t c = 0; c < s.c; ++c) {
      const bool poisoned = c == 3;
      EXPECT_EQ(std::isnan(save_mean[c]), poisoned) << "c=" << c;
      EXPECT_EQ(std::isnan(running_mean[c]), poisoned) << "c=" << c;
      EXPECT_EQ(std::isnan(running_var[c]), poisoned) << "c=" << c;
      for (std::int64_t n = 0; n < s.n; ++n) {
        for (std::int64_t p = 0; p < s.spatial; ++p) {
          EXPECT_EQ(std::isnan(y[offset(s, n, c, p)]), poisoned);
        }
      }
    }
  }
}

// A NaN running variance is data, as the one training leaves after NaN
// input: inference takes it and poisons that channel only (a negative one is
// refused: bad_arguments_test.cpp).
TEST(HostileData, NanRunningVarPoisonsOnlyItsInferenceChannel) {
  for (layout l : {layout::nchw, layout::nhwc}) {
    const shape s{3, 5, 7, l};
    const std::vector<float> x = normal(element_count(s), 12u);
    std::vector<float> y(x.size()), running_mean(s.c, 0.25f), running_var(s.c, 1.5f);
    running_var[2] = nan;
    batch_norm_inference(x.data(), s, running_mean.data(), running_var.data(), nullptr, nullptr,
                         eps, y.data());
    for (std::int64_t c = 0; c < s.c; ++c) {
      for (std::int64_t n = 0; n < s.n; ++n) {
        for (std::int64_t p = 0; p < s.spatial; ++p) {
          EXPECT_EQ(std::isnan(y[offset(s, n, c, p)]), c == 2) << "c=" << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
