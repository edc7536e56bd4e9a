// The C API: the same results as the C++ API, bit for bit, and an error
// message per thread.
#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

sn_status refused_call() {
  return sn_layer_norm(nullptr, 2, 3, nullptr, nullptr, 1e-5f, nullptr, nullptr, nullptr);
}

sn_status successful_call() {
  const std::vector<float> x = normal(6, 1);
  std::vector<float> y(6);
  return sn_layer_norm(x.data(), 2, 3, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr);
}

TEST(CApiLastError, IsEmptyAfterASuccessfulCall) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);
  ASSERT_STRNE(sn_last_error(), "");

  ASSERT_EQ(successful_call(), SN_OK);

  EXPECT_STREQ(sn_last_error(), "");
}

TEST(CApiLastError, IsPerThread) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);
  const std::string main_message = sn_last_error();
  ASSERT_FALSE(main_message.empty());

  std::string seen_by_other_thread_before, seen_by_other_thread_after;
  std::thread other([&] {
    seen_by_other_thread_before = sn_last_error();
    const sn_status status = sn_group_norm(nullptr, sn_shape{1, 4, 4, SN_LAYOUT_NCHW}, 3, nullptr,
                                           nullptr, 1e-5f, nullptr, nullptr, nullptr);
    if (status == SN_ERROR_INVALID_ARGUMENT) seen_by_other_thread_after = sn_last_error();
  });
  other.join();

  // The other thread saw none of this thread's error, and its own error
  // left this thread's message as it was.
  EXPECT_EQ(seen_by_other_thread_before, "");
  EXPECT_FALSE(seen_by_other_thread_after.empty());
  EXPECT_NE(seen_by_other_thread_after, main_message);
  EXPECT_EQ(std::string(sn_last_error()), main_message);
}

TEST(CApiVersion, IsMajorMinorPatchAndMatchesCpp) {
  EXPECT_TRUE(std::regex_match(sn_version(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")))
      << sn_version();
  EXPECT_STREQ(sn_version(), version());
}

// ---- same bits as the C++ API --------------------------------------------------------

class CApiMatchesCpp : public ::testing::TestWithParam<layout> {
 protected:
  const shape s{3, 8, 17, GetParam()};
  const sn_shape cs{3, 8, 17, GetParam() == layout::nchw ? SN_LAYOUT_NCHW : SN_LAYOUT_NHWC};
  const std::int64_t count = element_count(s);
  const std::vector<float> x = normal(count, 501);
  const std::vector<float> gamma = uniform(s.c, 502, -2.0f, 2.0f);
  const std::vector<float> beta = uniform(s.c, 503, -1.0f, 1.0f);
  const std::vector<float> running_mean0 = normal(s.c, 504, 0.0f, 0.5f);
  const std::vector<float> running_var0 = uniform(s.c, 505, 0.5f, 2.0f);
};

TEST_P(CApiMatchesCpp, BatchNormTraining) {
  std::vector<float> y(count), rm = running_mean0, rv = running_var0, sm(s.c), sr(s.c);
  batch_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(), 0.1f, 1e-5f,
                      running_var_kind::unbiased, y.data(), sm.data(), sr.data());
  std::vector<float> cy(count), crm = running_mean0, crv = running_var0, csm(s.c), csr(s.c);
  ASSERT_EQ(
      sn_batch_norm_training(x.data(), cs, crm.data(), crv.data(), gamma.data(), beta.data(), 0.1f,
                             1e-5f, SN_RUNNING_VAR_UNBIASED, cy.data(), csm.data(), csr.data()),
      SN_OK);

  EXPECT_TRUE(same_bits(cy, y));
  EXPECT_TRUE(same_bits(crm, rm));
  EXPECT_TRUE(same_bits(crv, rv));
  EXPECT_TRUE(same_bits(csm, sm));
  EXPECT_TRUE(same_bits(csr, sr));
}

TEST_P(CApiMatchesCpp, BatchNormTrainingBiasedRunningVariance) {
  std::vector<float> y(count), rm = running_mean0, rv = running_var0;
  batch_norm_training(x.data(), s, rm.data(), rv.data(), nullptr, nullptr, 0.01f, 1e-3f,
                      running_var_kind::biased, y.data(), nullptr, nullptr);
  std::vector<float> cy(count), crm = running_mean0, crv = running_var0;
  ASSERT_EQ(sn_batch_norm_training(x.data(), cs, crm.data(), crv.data(), nullptr, nullptr, 0.01f,
                                   1e-3f, SN_RUNNING_VAR_BIASED, cy.data(), nullptr, nullptr),
            SN_OK);

  EXPECT_TRUE(same_bits(cy, y));
  EXPECT_TRUE(same_bits(crv, rv));
}

TEST_P(CApiMatchesCpp, GroupNorm) {
  std::vector<float> y(count), mean(s.n * 4), rstd(s.n * 4);
  group_norm(x.data(), s, 4, gamma.data(), beta.data(), 1e-5f, y.data(), mean.data(), rstd.data());
  std::vector<float> cy(count), cmean(s.n * 4), crstd(s.n * 4);
  ASSERT_EQ(sn_group_norm(x.data(), cs, 4, gamma.data(), beta.data(), 1e-5f, cy.data(),
                          cmean.data(), crstd.data()),
            SN_OK);

  EXPECT_TRUE(same_bits(cy, y));
  EXPECT_TRUE(same_bits(cmean, mean));
  EXPECT_TRUE(same_bits(crstd, rstd));
}

TEST_P(CApiMatchesCpp, SwitchableNormTraining) {
  const switch_weights w{{0.2f, 0.3f, 0.5f}, {0.1f, 0.6f, 0.3f}};
  std::vector<float> y(count), rm = running_mean0, rv = running_var0;
  switchable_norm_training(x.data(), s, rm.data(), rv.data(), gamma.data(), beta.data(), w, 0.1f,
                           1e-5f, y.data());
  std::vector<float> cy(count), crm = running_mean0, crv = running_var0;
  ASSERT_EQ(
      sn_switchable_norm_training(x.data(), cs, crm.data(), crv.data(), gamma.data(), beta.data(),
                                  w.mean.data(), w.var.data(), 0.1f, 1e-5f, cy.data()),
      SN_OK);

  EXPECT_TRUE(same_bits(cy, y));
  EXPECT_TRUE(same_bits(crm, rm));
  EXPECT_TRUE(same_bits(crv, rv));
}

INSTANTIATE_TEST_SUITE_P(Layouts, CApiMatchesCpp, ::testing::Values(layout::nchw, layout::nhwc),
                         [](const ::testing::TestParamInfo<layout>& info) {
                           return std::string(info.param == layout::nchw ? "Nchw" : "Nhwc");
                         });

TEST(CApiMatchesCppStandardize, MomentsApplyAndInvert) {
  const std::int64_t rows = 40, features = 9;
  const std::vector<float> x = normal(rows * features, 601, 2.0f, 3.0f);
  moments m(features);
  m.update(x.data(), 15);
  m.update(x.data() + 15 * features, rows - 15);
  std::vector<float> mean(features), var(features), y(rows * features), back(rows * features);
  m.finalize(mean.data(), var.data());
  standardize_apply(x.data(), rows, features, mean.data(), var.data(), y.data());
  standardize_invert(y.data(), rows, features, mean.data(), var.data(), back.data());

  sn_moments* cm = nullptr;
  ASSERT_EQ(sn_moments_create(features, &cm), SN_OK);
  ASSERT_EQ(sn_moments_update(cm, x.data(), 15), SN_OK);
  ASSERT_EQ(sn_moments_update(cm, x.data() + 15 * features, rows - 15), SN_OK);
  std::int64_t counted = 0;
  ASSERT_EQ(sn_moments_count(cm, &counted), SN_OK);
  std::vector<float> cmean(features), cvar(features), cy(rows * features), cback(rows * features);
  ASSERT_EQ(sn_moments_finalize(cm, cmean.data(), cvar.data()), SN_OK);
  sn_moments_destroy(cm);
  ASSERT_EQ(sn_standardize_apply(x.data(), rows, features, cmean.data(), cvar.data(), cy.data()),
            SN_OK);
  ASSERT_EQ(
      sn_standardize_invert(cy.data(), rows, features, cmean.data(), cvar.data(), cback.data()),
      SN_OK);

  EXPECT_EQ(counted, rows);
  EXPECT_TRUE(same_bits(cmean, mean));
  EXPECT_TRUE(same_bits(cvar, var));
  EXPECT_TRUE(same_bits(cy, y));
  EXPECT_TRUE(same_bits(cback, back));
}

TEST(CApiMoments, DestroyAcceptsNull) { sn_moments_destroy(nullptr); }

TEST(CApiMoments, MergeAddsTheOthersRows) {
  const std::vector<float> x = normal(5 * 3, 602);
  sn_moments *a = nullptr, *b = nullptr;
  ASSERT_EQ(sn_moments_create(3, &a), SN_OK);
  ASSERT_EQ(sn_moments_create(3, &b), SN_OK);
  ASSERT_EQ(sn_moments_update(a, x.data(), 2), SN_OK);
  ASSERT_EQ(sn_moments_update(b, x.data() + 6, 3), SN_OK);

  ASSERT_EQ(sn_moments_merge(a, b), SN_OK);

  std::int64_t rows = 0;
  ASSERT_EQ(sn_moments_count(a, &rows), SN_OK);
  EXPECT_EQ(rows, 5);
  sn_moments_destroy(a);
  sn_moments_destroy(b);
}

}  // namespace
}  // namespace simdnorm::testing
