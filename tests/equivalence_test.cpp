// Methods that are special cases of one another must agree: group norm with
// G = 1 is layer norm, with G = C instance norm; batch-instance norm with
// rho = 1 is batch norm and with rho = 0 instance norm; switchable norm with
// one-hot weights is instance, layer or batch norm; standardize adapted in
// chunks or merged from parts is standardize adapted at once.
//
// Both sides of each comparison are float32 results within a few ulps of the
// same exact value, so they agree to the reference tolerance of one method.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;
constexpr float momentum = 0.1f;

// One shape with a few channels a group, spatial not a SIMD multiple.
shape equivalence_shape(layout l) { return {3, 6, 21, l}; }

class Equivalence : public ::testing::TestWithParam<layout> {
 protected:
  const shape s = equivalence_shape(GetParam());
  const std::int64_t count = element_count(s);
  const std::vector<float> x = normal(count, 1234);
  const std::vector<float> gamma = uniform(s.c, 1235, -2.0f, 2.0f);
  const std::vector<float> beta = uniform(s.c, 1236, -1.0f, 1.0f);
  const std::vector<float> running_mean0 = normal(s.c, 1237, 0.0f, 0.5f);
  const std::vector<float> running_var0 = uniform(s.c, 1238, 0.5f, 2.0f);
  const tolerance y_tol = output_tolerance(gamma);

  // y and the running statistics of a training call agree with batch norm
  // training's from the same running statistics.
  void expect_batch_norm_training(const std::vector<float>& y, const std::vector<float>& rm,
                                  const std::vector<float>& rv) const {
    std::vector<float> y_bn(count), rm_bn = running_mean0, rv_bn = running_var0;
    batch_norm_training(x.data(), s, rm_bn.data(), rv_bn.data(), gamma.data(), beta.data(),
                        momentum, eps, running_var_kind::unbiased, y_bn.data(), nullptr, nullptr);
    EXPECT_TRUE(all_near(y, widen(y_bn), y_tol));
    EXPECT_TRUE(all_near(rm, widen(rm_bn), mean_tolerance));
    EXPECT_TRUE(all_near(rv, widen(rv_bn), rstd_tolerance));
  }

  void expect_batch_norm_inference(const std::vector<float>& y) const {
    std::vector<float> y_bn(count);
    batch_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(), gamma.data(),
                         beta.data(), eps, y_bn.data());
    EXPECT_TRUE(all_near(y, widen(y_bn), y_tol));
  }
};

TEST_P(Equivalence, GroupNormWithOneGroupEqualsLayerNormOverChannelsAndSpatial) {
  std::vector<float> y = sentinel_buffer(count), mean(s.n), rstd(s.n);
  group_norm(x.data(), s, 1, gamma.data(), beta.data(), eps, y.data(), mean.data(), rstd.data());

  // Layer norm over each sample's C x spatial values in NCHW order, with
  // gamma and beta spread over the spatial positions of their channel.
  const std::vector<float> x_nchw =
      s.layout == layout::nchw ? x : nhwc_to_nchw(x, s.n, s.c, s.spatial);
  std::vector<float> row_gamma, row_beta;
  for (std::int64_t c = 0; c < s.c; ++c) {
    row_gamma.insert(row_gamma.end(), s.spatial, gamma[c]);
    row_beta.insert(row_beta.end(), s.spatial, beta[c]);
  }
  std::vector<float> y_ln(count), mean_ln(s.n), rstd_ln(s.n);
  layer_norm(x_nchw.data(), s.n, s.c * s.spatial, row_gamma.data(), row_beta.data(), eps,
             y_ln.data(), mean_ln.data(), rstd_ln.data());
  if (s.layout == layout::nhwc) y_ln = nchw_to_nhwc(y_ln, s.n, s.c, s.spatial);

  EXPECT_TRUE(all_near(y, widen(y_ln), y_tol));
  EXPECT_TRUE(all_near(mean, widen(mean_ln), mean_tolerance));
  EXPECT_TRUE(all_near(rstd, widen(rstd_ln), rstd_tolerance));
}

TEST_P(Equivalence, GroupNormWithGroupsEqualToChannelsEqualsInstanceNorm) {
  std::vector<float> y(count), mean(s.n * s.c), rstd(s.n * s.c);
  group_norm(x.data(), s, s.c, gamma.data(), beta.data(), eps, y.data(), mean.data(), rstd.data());
  std::vector<float> y_in(count), mean_in(s.n * s.c), rstd_in(s.n * s.c);
  instance_norm(x.data(), s, gamma.data(), beta.data(), eps, y_in.data(), mean_in.data(),
                rstd_in.data());

  EXPECT_TRUE(all_near(y, widen(y_in), y_tol));
  EXPECT_TRUE(all_near(mean, widen(mean_in), mean_tolerance));
  EXPECT_TRUE(all_near(rstd, widen(rstd_in), rstd_tolerance));
}

TEST_P(Equivalence, BatchInstanceNormTrainingWithRhoOneEqualsBatchNormTraining) {
  const std::vector<float> rho(s.c, 1.0f);
  std::vector<float> y(count), rm = running_mean0, rv = running_var0;
  batch_instance_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(),
                               rho.data(), momentum, eps, y.data());

  expect_batch_norm_training(y, rm, rv);
}

TEST_P(Equivalence, BatchInstanceNormInferenceWithRhoOneEqualsBatchNormInference) {
  const std::vector<float> rho(s.c, 1.0f);
  std::vector<float> y(count);
  batch_instance_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(),
                                gamma.data(), beta.data(), rho.data(), eps, y.data());

  expect_batch_norm_inference(y);
}

TEST_P(Equivalence, BatchInstanceNormTrainingWithRhoZeroEqualsInstanceNorm) {
  const std::vector<float> rho(s.c, 0.0f);
  std::vector<float> y(count), rm = running_mean0, rv = running_var0, y_in(count);
  batch_instance_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(),
                               rho.data(), momentum, eps, y.data());
  instance_norm(x.data(), s, gamma.data(), beta.data(), eps, y_in.data(), nullptr, nullptr);

  EXPECT_TRUE(all_near(y, widen(y_in), y_tol));
}

TEST_P(Equivalence, BatchInstanceNormInferenceWithRhoZeroEqualsInstanceNorm) {
  const std::vector<float> rho(s.c, 0.0f);
  std::vector<float> y(count), y_in(count);
  batch_instance_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(),
                                gamma.data(), beta.data(), rho.data(), eps, y.data());
  instance_norm(x.data(), s, gamma.data(), beta.data(), eps, y_in.data(), nullptr, nullptr);

  EXPECT_TRUE(all_near(y, widen(y_in), y_tol));
}

// One-hot switch weights: all of the mean and variance from set kind k.
switch_weights one_hot(int k) {
  switch_weights w{{0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f}};
  w.mean[k] = 1.0f;
  w.var[k] = 1.0f;
  return w;
}
constexpr int instance_k = 0, layer_k = 1, batch_k = 2;

TEST_P(Equivalence, SwitchableNormWithInstanceWeightsEqualsInstanceNorm) {
  std::vector<float> y_train(count), y_infer(count), y_in(count);
  std::vector<float> rm = running_mean0, rv = running_var0;
  switchable_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(),
                           one_hot(instance_k), momentum, eps, y_train.data());
  switchable_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(), gamma.data(),
                            beta.data(), one_hot(instance_k), eps, y_infer.data());
  instance_norm(x.data(), s, gamma.data(), beta.data(), eps, y_in.data(), nullptr, nullptr);

  EXPECT_TRUE(all_near(y_train, widen(y_in), y_tol));
  EXPECT_TRUE(all_near(y_infer, widen(y_in), y_tol));
}

TEST_P(Equivalence, SwitchableNormWithLayerWeightsEqualsGroupNormWithOneGroup) {
  std::vector<float> y_train(count), y_infer(count), y_gn(count);
  std::vector<float> rm = running_mean0, rv = running_var0;
  switchable_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(),
                           one_hot(layer_k), momentum, eps, y_train.data());
  switchable_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(), gamma.data(),
                            beta.data(), one_hot(layer_k), eps, y_infer.data());
  // Switchable norm's "layer" set is a sample's C x spatial values with
  // per-channel affine: group norm with G = 1.
  group_norm(x.data(), s, 1, gamma.data(), beta.data(), eps, y_gn.data(), nullptr, nullptr);

  EXPECT_TRUE(all_near(y_train, widen(y_gn), y_tol));
  EXPECT_TRUE(all_near(y_infer, widen(y_gn), y_tol));
}

TEST_P(Equivalence, SwitchableNormTrainingWithBatchWeightsEqualsBatchNormTraining) {
  std::vector<float> y(count), rm = running_mean0, rv = running_var0;
  switchable_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(),
                           one_hot(batch_k), momentum, eps, y.data());

  expect_batch_norm_training(y, rm, rv);
}

TEST_P(Equivalence, SwitchableNormInferenceWithBatchWeightsEqualsBatchNormInference) {
  std::vector<float> y(count);
  switchable_norm_inference(x.data(), s, running_mean0.data(), running_var0.data(), gamma.data(),
                            beta.data(), one_hot(batch_k), eps, y.data());

  expect_batch_norm_inference(y);
}

INSTANTIATE_TEST_SUITE_P(Layouts, Equivalence, ::testing::Values(layout::nchw, layout::nhwc),
                         [](const ::testing::TestParamInfo<layout>& info) {
                           return std::string(info.param == layout::nchw ? "Nchw" : "Nhwc");
                         });

// ---- standardize: streaming adapt --------------------------------------------------

constexpr std::int64_t features = 11;

// Feature f centred on 3 * f with standard deviation 1 + f / 4.
std::vector<float> dataset(std::int64_t rows) {
  std::vector<float> x = normal(rows * features, 4321);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t f = 0; f < features; ++f) {
      float& e = x[static_cast<std::size_t>(r * features + f)];
      e = 3.0f * f + (1.0f + f / 4.0f) * e;
    }
  }
  return x;
}

void finalize(const moments& m, std::vector<float>& mean, std::vector<float>& var) {
  mean.resize(features);
  var.resize(features);
  m.finalize(mean.data(), var.data());
}

TEST(StandardizeAdapt, InChunksOfDifferentSizesEqualsOneAdapt) {
  const std::int64_t chunks[] = {1, 7, 64, 3, 129, 2, 500};
  std::int64_t rows = 0;
  for (std::int64_t c : chunks) rows += c;
  const std::vector<float> x = dataset(rows);
  moments whole(features), chunked(features);
  whole.update(x.data(), rows);
  std::int64_t at = 0;
  for (std::int64_t c : chunks) {
    chunked.update(x.data() + at * features, c);
    at += c;
  }
  std::vector<float> mean, var, mean_chunked, var_chunked;
  finalize(whole, mean, var);
  finalize(chunked, mean_chunked, var_chunked);

  EXPECT_EQ(chunked.count(), rows);
  EXPECT_TRUE(all_near(mean_chunked, widen(mean), mean_tolerance));
  EXPECT_TRUE(all_near(var_chunked, widen(var), rstd_tolerance));
}

TEST(StandardizeAdapt, MergingTwoAccumulatorsEqualsOneAdapt) {
  const std::int64_t rows_a = 37, rows_b = 291;
  const std::vector<float> x = dataset(rows_a + rows_b);
  moments whole(features), a(features), b(features);
  whole.update(x.data(), rows_a + rows_b);
  a.update(x.data(), rows_a);
  b.update(x.data() + rows_a * features, 200);
  b.update(x.data() + (rows_a + 200) * features, rows_b - 200);

  a.merge(b);

  std::vector<float> mean, var, mean_merged, var_merged;
  finalize(whole, mean, var);
  finalize(a, mean_merged, var_merged);
  EXPECT_EQ(a.count(), rows_a + rows_b);
  EXPECT_TRUE(all_near(mean_merged, widen(mean), mean_tolerance));
  EXPECT_TRUE(all_near(var_merged, widen(var), rstd_tolerance));
}

TEST(StandardizeAdapt, MergingIntoAnEmptyAccumulatorCopiesTheOther) {
  const std::vector<float> x = dataset(50);
  moments empty(features), full(features);
  full.update(x.data(), 50);

  empty.merge(full);

  std::vector<float> mean, var, mean_merged, var_merged;
  finalize(full, mean, var);
  finalize(empty, mean_merged, var_merged);
  EXPECT_EQ(empty.count(), 50);
  EXPECT_TRUE(all_near(mean_merged, widen(mean), mean_tolerance));
  EXPECT_TRUE(all_near(var_merged, widen(var), rstd_tolerance));
}

}  // namespace
}  // namespace simdnorm::testing
