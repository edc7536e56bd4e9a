// Group norm, instance norm and batch-norm training on bfloat16 and float16
// activations, in both layouts, with and without an activation. Two claims:
//   - a 16-bit call computes what the float32 call computes on the widened
//     input and rounds y once (DESIGN.md section 7): its y is the float32
//     call's y rounded, bit for bit, and its statistics and running
//     statistics are the float32 call's, bit for bit, NaN and Inf included;
//   - so its outputs are the correctly rounded 16-bit values of the float64
//     reference on the same (already rounded) inputs, or one ulp away.
// And the bits do not depend on the thread count. Every instruction set
// through the per-ISA ctest entries.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "half_float_support.hpp"
#include "reference/reference.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

enum class method { group_norm, instance_norm, batch_norm_training };

const char* method_name(method m) {
  switch (m) {
    case method::group_norm:
      return "group_norm";
    case method::instance_norm:
      return "instance_norm";
    case method::batch_norm_training:
      break;
  }
  return "batch_norm_training";
}

// What a call writes: y (16-bit or float32) and the float32 statistics.
template <class Y>
struct outputs {
  std::vector<Y> y;
  std::vector<float> mean, rstd, running_mean, running_var;
};

struct problem {
  method m;
  shape s;
  std::int64_t groups;   // group norm only
  std::vector<float> x;  // already representable in the 16-bit type
  std::vector<float> gamma, beta, running_mean, running_var;

  std::int64_t sets() const {
    if (m == method::batch_norm_training) return s.c;
    return s.n * (m == method::instance_norm ? s.c : groups);
  }
};

// Data families: N(0.5, 2); 1e3 + N(0, 1) (offset, where a float32
// accumulation would lose the variance); N(0, 1) with NaN and +-Inf in the
// first set.
enum class family { normal, offset, nonfinite };

problem make_problem(dtype type, method m, const shape& s, std::int64_t groups, family f,
                     std::uint32_t seed) {
  problem p{m, s, groups, {}, {}, {}, {}, {}};
  const std::int64_t count = element_count(s);
  std::vector<float> x = f == family::offset
                             ? normal(count, seed, 1e3f, 1.0f)
                             : normal(count, seed, f == family::normal ? 0.5f : 0.0f,
                                      f == family::normal ? 2.0f : 1.0f);
  if (f == family::nonfinite) {
    x[0] = NAN;
    x[count > 2 ? 2 : 0] = INFINITY;
  }
  for (float& v : x) v = to_float(type, from_float(type, v));
  p.x = x;
  p.gamma = normal(s.c, seed + 1, 1.0f, 0.3f);
  p.beta = normal(s.c, seed + 2, 0.0f, 0.5f);
  p.running_mean = normal(s.c, seed + 3, 0.0f, 1.0f);
  p.running_var = uniform(s.c, seed + 4, 0.5f, 2.0f);
  return p;
}

constexpr float eps = 1e-5f;

// The call, on elements of type (bits16 when 16-bit, float when float32).
template <class Y>
outputs<Y> run(dtype type, const problem& p, const void* x, activation act) {
  outputs<Y> out;
  out.y.assign(p.x.size(), Y{});
  out.mean.assign(static_cast<std::size_t>(p.sets()), -1.0f);
  out.rstd = out.mean;
  out.running_mean = p.running_mean;
  out.running_var = p.running_var;
  switch (p.m) {
    case method::group_norm:
      group_norm(type, x, p.s, p.groups, p.gamma.data(), p.beta.data(), eps, act, out.y.data(),
                 out.mean.data(), out.rstd.data());
      break;
    case method::instance_norm:
      instance_norm(type, x, p.s, p.gamma.data(), p.beta.data(), eps, act, out.y.data(),
                    out.mean.data(), out.rstd.data());
      break;
    case method::batch_norm_training:
      batch_norm_training(type, x, p.s, out.running_mean.data(), out.running_var.data(),
                          p.gamma.data(), p.beta.data(), 0.1f, eps, running_var_kind::unbiased, act,
                          out.y.data(), out.mean.data(), out.rstd.data());
      break;
  }
  return out;
}

outputs<bits16> run16(dtype type, const problem& p, activation act) {
  const std::vector<bits16> x = rounded(type, p.x);
  return run<bits16>(type, p, x.data(), act);
}

// Equal bits, except that any NaN matches any NaN: a NaN's sign and payload
// follow from which operand an instruction takes it from, which the
// compiler's choice of FMA form decides (bfloat16 NaNs and every value
// elsewhere match bit for bit).
template <class T, class IsNaN>
::testing::AssertionResult same_values(const std::vector<T>& got, const std::vector<T>& want,
                                       IsNaN is_nan_value) {
  if (got.size() != want.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (is_nan_value(got[i]) && is_nan_value(want[i])) continue;
    if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0) {
      return ::testing::AssertionFailure() << "element " << i << " differs";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_values(const std::vector<float>& got,
                                       const std::vector<float>& want) {
  return same_values(got, want, [](float v) { return std::isnan(v); });
}

::testing::AssertionResult same_values(dtype type, const std::vector<bits16>& got,
                                       const std::vector<bits16>& want) {
  return same_values(got, want, [type](bits16 h) { return is_nan(type, h); });
}

struct shape_case {
  method m;
  shape s;
  std::int64_t groups;
};

// Odd sizes and tails, N = 1, G = 1, G = C, channel counts on either side of
// a vector (NHWC tiles of four vectors, single vectors, and the channels
// past them), and 512 channels, whose 16-bit NHWC rows are 1 KiB apart (the
// kernel's copied blocks).
std::vector<shape_case> shape_cases() {
  std::vector<shape_case> cases;
  for (const layout l : {layout::nchw, layout::nhwc}) {
    for (const shape& s : {shape{2, 6, 7, l}, shape{1, 32, 64, l}, shape{3, 70, 9, l},
                           shape{1, 512, 130, l}, shape{2, 3, 301, l}}) {
      cases.push_back({method::group_norm, s, s.c % 2 == 0 ? 2 : 1});
      cases.push_back({method::group_norm, s, 1});
      cases.push_back({method::group_norm, s, s.c});
      cases.push_back({method::instance_norm, s, 0});
      cases.push_back({method::batch_norm_training, s, 0});
    }
  }
  return cases;
}

std::string label(dtype type, const shape_case& c, family f, activation act) {
  return std::string(name_of(type)) + " " + method_name(c.m) + " n " + std::to_string(c.s.n) +
         " c " + std::to_string(c.s.c) + " spatial " + std::to_string(c.s.spatial) + " layout " +
         std::to_string(static_cast<int>(c.s.layout)) + " groups " + std::to_string(c.groups) +
         " family " + std::to_string(static_cast<int>(f)) + " act " +
         std::to_string(static_cast<int>(act));
}

TEST(TypedStatistics, SixteenBitCallsGiveTheWidenedFloat32CallsBitsRoundedOnce) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const shape_case& c : shape_cases()) {
      for (const family f : {family::normal, family::offset, family::nonfinite}) {
        const problem p = make_problem(type, c.m, c.s, c.groups, f,
                                       7u + static_cast<std::uint32_t>(c.s.c * 3 + c.groups));
        for (const activation act : {activation::none, activation::silu, activation::gelu}) {
          const std::string where = label(type, c, f, act);
          const outputs<bits16> got = run16(type, p, act);
          const outputs<float> wide = run<float>(dtype::float32, p, p.x.data(), act);
          std::vector<bits16> want(wide.y.size());
          for (std::size_t i = 0; i < want.size(); ++i) want[i] = from_float(type, wide.y[i]);
          ASSERT_TRUE(same_values(type, got.y, want)) << where;
          ASSERT_TRUE(same_values(got.mean, wide.mean)) << where;
          ASSERT_TRUE(same_values(got.rstd, wide.rstd)) << where;
          ASSERT_TRUE(same_values(got.running_mean, wide.running_mean)) << where;
          ASSERT_TRUE(same_values(got.running_var, wide.running_var)) << where;
        }
      }
    }
  }
}

std::vector<double> reference_y(const problem& p, activation act) {
  std::vector<double> y;
  switch (p.m) {
    case method::group_norm:
      y = reference::group_norm(p.x.data(), p.s, p.groups, p.gamma.data(), p.beta.data(), eps).y;
      break;
    case method::instance_norm:
      y = reference::instance_norm(p.x.data(), p.s, p.gamma.data(), p.beta.data(), eps).y;
      break;
    case method::batch_norm_training:
      y = reference::batch_norm_training(p.x.data(), p.s, nullptr, nullptr, p.gamma.data(),
                                         p.beta.data(), 0.1f, eps, running_var_kind::unbiased)
              .y;
      break;
  }
  for (double& v : y) v = reference::activated(act, v);
  return y;
}

TEST(TypedStatistics, OutputsAreCorrectlyRoundedOrOneUlpAway) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    rounding_tally tally;
    for (const shape_case& c : shape_cases()) {
      for (const family f : {family::normal, family::offset}) {
        const problem p = make_problem(type, c.m, c.s, c.groups, f,
                                       11u + static_cast<std::uint32_t>(c.s.c * 5 + c.groups));
        for (const activation act :
             {activation::none, activation::relu, activation::silu, activation::gelu}) {
          tally.add(type, run16(type, p, act).y, reference_y(p, act), label(type, c, f, act));
        }
      }
    }
    report_and_check(tally, "group/instance norm and batch-norm training", type);
  }
}

TEST(TypedStatistics, BitsDoNotDependOnTheThreadCount) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const layout l : {layout::nchw, layout::nhwc}) {
      for (const shape_case& c : {shape_case{method::group_norm, shape{2, 320, 1024, l}, 32},
                                  shape_case{method::group_norm, shape{1, 64, 4096, l}, 32},
                                  shape_case{method::batch_norm_training, shape{8, 64, 784, l}, 0},
                                  shape_case{method::instance_norm, shape{2, 16, 5000, l}, 0}}) {
        const problem p = make_problem(type, c.m, c.s, c.groups, family::offset, 5u);
        std::vector<outputs<bits16>> results;
        for (const int threads : {1, 2, 4}) {
          tbb::task_arena arena(threads);
          arena.execute([&] { results.push_back(run16(type, p, activation::silu)); });
        }
        for (const outputs<bits16>& r : results) {
          const std::string where = label(type, c, family::offset, activation::silu);
          EXPECT_EQ(r.y, results[0].y) << where;
          EXPECT_TRUE(same_bits(r.mean, results[0].mean)) << where;
          EXPECT_TRUE(same_bits(r.rstd, results[0].rstd)) << where;
          EXPECT_TRUE(same_bits(r.running_var, results[0].running_var)) << where;
        }
      }
    }
  }
}

// Overlap is measured in bytes at the tensor's own width: a bfloat16 y one
// element past x overlaps it partially.
TEST(TypedStatistics, PartiallyOverlappingSixteenBitBuffersAreRefusedAndWriteNothing) {
  const sn_shape s{1, 8, 9, SN_LAYOUT_NHWC};
  const problem p = make_problem(dtype::bfloat16, method::group_norm, shape{1, 8, 9, layout::nhwc},
                                 2, family::normal, 3u);
  std::vector<bits16> buffer = rounded(dtype::bfloat16, p.x);
  buffer.push_back(0x1234);
  const std::vector<bits16> untouched = buffer;
  std::vector<float> stats = sentinel_buffer(2);
  EXPECT_EQ(sn_group_norm_typed(SN_DTYPE_BFLOAT16, buffer.data(), s, 2, nullptr, nullptr, eps,
                                SN_ACTIVATION_SILU, buffer.data() + 1, stats.data(), nullptr),
            SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find("overlap"), std::string::npos) << sn_last_error();
  std::vector<float> running_mean = p.running_mean, running_var = p.running_var;
  EXPECT_EQ(sn_batch_norm_training_typed(SN_DTYPE_FLOAT16, buffer.data() + 1, s,
                                         running_mean.data(), running_var.data(), nullptr, nullptr,
                                         0.1f, eps, SN_RUNNING_VAR_UNBIASED, SN_ACTIVATION_RELU,
                                         buffer.data(), stats.data(), nullptr),
            SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find("overlap"), std::string::npos) << sn_last_error();
  EXPECT_EQ(buffer, untouched);
  EXPECT_TRUE(same_bits(stats, sentinel_buffer(2)));
  EXPECT_TRUE(same_bits(running_mean, p.running_mean));
  EXPECT_TRUE(same_bits(running_var, p.running_var));
  // In place (y exactly x) is allowed.
  EXPECT_EQ(sn_instance_norm_typed(SN_DTYPE_FLOAT16, buffer.data(), s, nullptr, nullptr, eps,
                                   SN_ACTIVATION_NONE, buffer.data(), nullptr, nullptr),
            SN_OK);
}

}  // namespace
}  // namespace simdnorm::testing
