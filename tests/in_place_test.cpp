// Exact in-place operation (y == x) computes what out-of-place operation
// computes, for every method, bit for bit: the kernels must finish reading a
// value (for statistics and for normalising) before they overwrite it.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

constexpr float eps = 1e-5f;
constexpr float momentum = 0.1f;

// The arguments besides x and y, the same for both calls. Training calls
// get fresh copies of the running statistics each time.
struct fixed_args {
  shape s;
  std::vector<float> gamma = uniform(s.c, 7, -2.0f, 2.0f);
  std::vector<float> beta = uniform(s.c, 8, -1.0f, 1.0f);
  std::vector<float> running_mean = normal(s.c, 9, 0.0f, 0.5f);
  std::vector<float> running_var = uniform(s.c, 10, 0.5f, 2.0f);
  std::vector<float> rho = uniform(s.c, 11, 0.0f, 1.0f);
  switch_weights weights{{0.2f, 0.3f, 0.5f}, {0.6f, 0.1f, 0.3f}};
  // The tensor read as rows x cols for the row methods.
  std::int64_t rows = s.n * s.c;
  std::int64_t cols = s.spatial;
  std::vector<float> row_gamma = uniform(cols, 12, -2.0f, 2.0f);
  std::vector<float> row_beta = uniform(cols, 13, -1.0f, 1.0f);
  std::vector<float> row_mean = uniform(cols, 14, -1.0f, 1.0f);
  std::vector<float> row_var = uniform(cols, 15, 0.5f, 2.0f);
  std::vector<float> g = uniform(rows, 16, 0.5f, 2.0f);
};

using method_call = std::function<void(const fixed_args&, const float* x, float* y)>;

struct method {
  const char* name;
  bool has_layout;  // row methods run once, on the NCHW case only
  method_call call;
};

std::vector<method> methods() {
  return {
      {"StandardizeApply", false,
       [](const fixed_args& a, const float* x, float* y) {
         standardize_apply(x, a.rows, a.cols, a.row_mean.data(), a.row_var.data(), y);
       }},
      {"StandardizeInvert", false,
       [](const fixed_args& a, const float* x, float* y) {
         standardize_invert(x, a.rows, a.cols, a.row_mean.data(), a.row_var.data(), y);
       }},
      {"BatchNormInference", true,
       [](const fixed_args& a, const float* x, float* y) {
         batch_norm_inference(x, a.s, a.running_mean.data(), a.running_var.data(), a.gamma.data(),
                              a.beta.data(), eps, y);
       }},
      {"BatchNormTraining", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> rm = a.running_mean, rv = a.running_var, sm(a.s.c), sr(a.s.c);
         batch_norm_training(x, a.s, rm.data(), rv.data(), a.gamma.data(), a.beta.data(), momentum,
                             eps, running_var_kind::unbiased, y, sm.data(), sr.data());
       }},
      {"BatchNormMeanOnlyTraining", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> rm = a.running_mean, sm(a.s.c);
         batch_norm_mean_only_training(x, a.s, rm.data(), a.beta.data(), momentum, y, sm.data());
       }},
      {"BatchNormMeanOnlyInference", true,
       [](const fixed_args& a, const float* x, float* y) {
         batch_norm_mean_only_inference(x, a.s, a.running_mean.data(), a.beta.data(), y);
       }},
      {"LayerNorm", false,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> mean(a.rows), rstd(a.rows);
         layer_norm(x, a.rows, a.cols, a.row_gamma.data(), a.row_beta.data(), eps, y, mean.data(),
                    rstd.data());
       }},
      {"RmsNorm", false,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> rstd(a.rows);
         rms_norm(x, a.rows, a.cols, a.row_gamma.data(), a.row_beta.data(), eps, y, rstd.data());
       }},
      {"InstanceNorm", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> mean(a.s.n * a.s.c), rstd(a.s.n * a.s.c);
         instance_norm(x, a.s, a.gamma.data(), a.beta.data(), eps, y, mean.data(), rstd.data());
       }},
      {"GroupNorm", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> mean(a.s.n * 3), rstd(a.s.n * 3);
         group_norm(x, a.s, 3, a.gamma.data(), a.beta.data(), eps, y, mean.data(), rstd.data());
       }},
      {"BatchInstanceNormTraining", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> rm = a.running_mean, rv = a.running_var;
         batch_instance_norm_training(x, a.s, rm.data(), rv.data(), a.gamma.data(), a.beta.data(),
                                      a.rho.data(), momentum, eps, y);
       }},
      {"BatchInstanceNormInference", true,
       [](const fixed_args& a, const float* x, float* y) {
         batch_instance_norm_inference(x, a.s, a.running_mean.data(), a.running_var.data(),
                                       a.gamma.data(), a.beta.data(), a.rho.data(), eps, y);
       }},
      {"SwitchableNormTraining", true,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> rm = a.running_mean, rv = a.running_var;
         switchable_norm_training(x, a.s, rm.data(), rv.data(), a.gamma.data(), a.beta.data(),
                                  a.weights, momentum, eps, y);
       }},
      {"SwitchableNormInference", true,
       [](const fixed_args& a, const float* x, float* y) {
         switchable_norm_inference(x, a.s, a.running_mean.data(), a.running_var.data(),
                                   a.gamma.data(), a.beta.data(), a.weights, eps, y);
       }},
      {"WeightNorm", false,
       [](const fixed_args& a, const float* x, float* y) {
         std::vector<float> norm(a.rows);
         weight_norm(x, a.g.data(), a.rows, a.cols, y, norm.data());
       }},
  };
}

struct in_place_case {
  method m;
  layout l;
};

std::vector<in_place_case> in_place_cases() {
  std::vector<in_place_case> cases;
  for (const method& m : methods()) {
    cases.push_back({m, layout::nchw});
    if (m.has_layout) cases.push_back({m, layout::nhwc});
  }
  return cases;
}

class InPlace : public ::testing::TestWithParam<in_place_case> {};

TEST_P(InPlace, GivesTheSameBitsAsOutOfPlace) {
  // 6 channels (3 groups of 2), 33 positions: a SIMD tail everywhere.
  const fixed_args args{shape{2, 6, 33, GetParam().l}};
  const std::vector<float> x = normal(element_count(args.s), 99);
  std::vector<float> out_of_place = sentinel_buffer(element_count(args.s));
  std::vector<float> in_place = x;

  GetParam().m.call(args, x.data(), out_of_place.data());
  GetParam().m.call(args, in_place.data(), in_place.data());

  EXPECT_TRUE(same_bits(in_place, out_of_place))
      << "max difference " << max_abs_error(in_place, widen(out_of_place));
}

INSTANTIATE_TEST_SUITE_P(Methods, InPlace, ::testing::ValuesIn(in_place_cases()),
                         [](const ::testing::TestParamInfo<in_place_case>& info) {
                           return std::string(info.param.m.name) +
                                  (info.param.m.has_layout
                                       ? (info.param.l == layout::nchw ? "Nchw" : "Nhwc")
                                       : "");
                         });

}  // namespace
}  // namespace simdnorm::testing
