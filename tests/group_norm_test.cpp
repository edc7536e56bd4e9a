// Group norm and instance norm, NCHW and NHWC, against the float64 oracle.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;

// Every activation case with G = 1, G = C, and the smallest and largest
// proper divisors of C between them (C / G channels a group: 2, 3, 5, ...,
// and C / 2).
std::vector<activation_case> group_cases() {
  std::vector<activation_case> cases;
  for (activation_case k : activation_cases(false)) {
    std::vector<std::int64_t> groups = {1, k.s.c};
    for (std::int64_t g = 2; g < k.s.c; ++g) {
      if (k.s.c % g == 0) {
        groups.push_back(g);
        groups.push_back(k.s.c / g);
        break;
      }
    }
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    for (std::int64_t g : groups) {
      k.groups = g;
      cases.push_back(k);
    }
  }
  return cases;
}

std::string group_case_name(const ::testing::TestParamInfo<activation_case>& info) {
  return shape_name(info.param.s) + "G" + std::to_string(info.param.groups) +
         affine_name(info.param.a);
}

class GroupNorm : public ::testing::TestWithParam<activation_case> {};

TEST_P(GroupNorm, MatchesReference) {
  const activation_case& k = GetParam();
  const shape& s = k.s;
  const std::uint32_t seed = seed_of(s, static_cast<std::uint32_t>(k.groups));
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(k.a, s.c, seed + 1);
  std::vector<float> y = sentinel_buffer(element_count(s));
  std::vector<float> mean = sentinel_buffer(s.n * k.groups);
  std::vector<float> rstd = sentinel_buffer(s.n * k.groups);

  group_norm(x.data(), s, k.groups, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
             mean.data(), rstd.data());

  const reference::normalized want = reference::group_norm(
      x.data(), s, k.groups, data_or_null(p.gamma), data_or_null(p.beta), eps);
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(mean, want.mean, mean_tolerance));
  EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance));
}

TEST_P(GroupNorm, MatchesReferenceWithoutStatisticsOutputs) {
  const activation_case& k = GetParam();
  const shape& s = k.s;
  const std::uint32_t seed = seed_of(s, static_cast<std::uint32_t>(k.groups));
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(k.a, s.c, seed + 1);
  std::vector<float> y = sentinel_buffer(element_count(s));

  group_norm(x.data(), s, k.groups, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
             nullptr, nullptr);

  EXPECT_TRUE(all_near(
      y,
      reference::group_norm(x.data(), s, k.groups, data_or_null(p.gamma), data_or_null(p.beta), eps)
          .y,
      output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, GroupNorm, ::testing::ValuesIn(group_cases()), group_case_name);

class InstanceNorm : public ::testing::TestWithParam<activation_case> {};

TEST_P(InstanceNorm, MatchesReference) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  std::vector<float> y = sentinel_buffer(element_count(s));
  std::vector<float> mean = sentinel_buffer(s.n * s.c);
  std::vector<float> rstd = sentinel_buffer(s.n * s.c);

  instance_norm(x.data(), s, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(),
                mean.data(), rstd.data());

  const reference::normalized want =
      reference::instance_norm(x.data(), s, data_or_null(p.gamma), data_or_null(p.beta), eps);
  EXPECT_TRUE(all_near(y, want.y, output_tolerance(p.gamma)));
  EXPECT_TRUE(all_near(mean, want.mean, mean_tolerance));
  EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance));
}

TEST_P(InstanceNorm, MatchesReferenceWithoutStatisticsOutputs) {
  const shape& s = GetParam().s;
  const std::uint32_t seed = seed_of(s);
  const std::vector<float> x = normal(element_count(s), seed);
  const affine_params p = make_affine(GetParam().a, s.c, seed + 1);
  std::vector<float> y = sentinel_buffer(element_count(s));

  instance_norm(x.data(), s, data_or_null(p.gamma), data_or_null(p.beta), eps, y.data(), nullptr,
                nullptr);

  EXPECT_TRUE(all_near(
      y, reference::instance_norm(x.data(), s, data_or_null(p.gamma), data_or_null(p.beta), eps).y,
      output_tolerance(p.gamma)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, InstanceNorm, ::testing::ValuesIn(activation_cases(false)),
                         case_name);

}  // namespace
}  // namespace simdnorm::testing
