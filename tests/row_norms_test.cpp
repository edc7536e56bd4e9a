// Layer norm and RMS norm over rows x d against the float64 oracle.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;

using row_case = std::tuple<matrix, affine>;

std::vector<row_case> row_cases() {
  std::vector<row_case> cases;
  for (const matrix& m : matrix_shapes()) {
    for (affine a : {affine::none, affine::gamma, affine::gamma_beta}) cases.emplace_back(m, a);
  }
  return cases;
}

std::string row_case_name(const ::testing::TestParamInfo<row_case>& info) {
  return matrix_name(std::get<0>(info.param)) + affine_name(std::get<1>(info.param));
}

std::uint32_t seed_of(const matrix& m) {
  return static_cast<std::uint32_t>(m.rows * 7919 + m.cols * 31);
}

class LayerNorm : public ::testing::TestWithParam<row_case> {};

TEST_P(LayerNorm, MatchesReference) {
  const auto [m, a] = GetParam();
  const std::vector<float> x = normal(m.rows * m.cols, seed_of(m));
  const affine_params p = make_affine(a, m.cols, seed_of(m) + 1);
  std::vector<float> y = sentinel_buffer(m.rows * m.cols);
  std::vector<float> mean = sentinel_buffer(m.rows);
  std::vector<float> rstd = sentinel_buffer(m.rows);

  layer_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
             mean.data(), rstd.data());

  const reference::normalized want = reference::layer_norm(
      x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps);
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(mean, want.mean, mean_tolerance));
  EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance));
}

TEST_P(LayerNorm, MatchesReferenceWithoutStatisticsOutputs) {
  const auto [m, a] = GetParam();
  const std::vector<float> x = normal(m.rows * m.cols, seed_of(m));
  const affine_params p = make_affine(a, m.cols, seed_of(m) + 1);
  std::vector<float> y = sentinel_buffer(m.rows * m.cols);

  layer_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
             nullptr, nullptr);

  EXPECT_TRUE(all_near(y,
                       reference::layer_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma),
                                             data_or_null(p.beta), eps)
                           .y,
                       output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNorm, ::testing::ValuesIn(row_cases()), row_case_name);

class RmsNorm : public ::testing::TestWithParam<row_case> {};

TEST_P(RmsNorm, MatchesReference) {
  const auto [m, a] = GetParam();
  const std::vector<float> x = normal(m.rows * m.cols, seed_of(m), 0.5f, 1.0f);
  const affine_params p = make_affine(a, m.cols, seed_of(m) + 1);
  std::vector<float> y = sentinel_buffer(m.rows * m.cols);
  std::vector<float> rstd = sentinel_buffer(m.rows);

  rms_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
           rstd.data());

  // A sum of squares of positive terms is well conditioned: rstd and
  // x * rstd are within a few ulps, like the mean-subtracted norms.
  const reference::normalized want = reference::rms_norm(
      x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps);
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance));
}

TEST_P(RmsNorm, MatchesReferenceWithoutRstdOutput) {
  const auto [m, a] = GetParam();
  const std::vector<float> x = normal(m.rows * m.cols, seed_of(m), 0.5f, 1.0f);
  const affine_params p = make_affine(a, m.cols, seed_of(m) + 1);
  std::vector<float> y = sentinel_buffer(m.rows * m.cols);

  rms_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
           nullptr);

  EXPECT_TRUE(all_near(y,
                       reference::rms_norm(x.data(), m.rows, m.cols, data_or_null(p.gamma),
                                           data_or_null(p.beta), eps)
                           .y,
                       output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, RmsNorm, ::testing::ValuesIn(row_cases()), row_case_name);

}  // namespace
}  // namespace simdnorm::testing
