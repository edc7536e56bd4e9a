// Instruction-set selection: SIMDNORM_ISA and set_max_isa cap the path, the
// path in use is reported, and every path agrees with the float64 oracle.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "dispatch/instruction_sets.hpp"
#include "reference/reference.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

// The scalar path and this build's instruction sets, from the most basic up
// (cmake/instruction_sets.cmake, through the library's own list).
std::vector<std::string> levels_of_build() {
  std::vector<std::string> names;
  for (const dispatch::instruction_set& set : dispatch::instruction_sets) names.push_back(set.name);
  return names;
}
const std::vector<std::string> levels = levels_of_build();

int rank_of(const std::string& name) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// Whether this CPU has the instructions of a level (the compiler's own
// detection, independent of the library's); false for a level this test does
// not know, which Isa.KnowsEveryLevelOfTheBuild reports.
bool knows(const std::string& name) {
  return name == "scalar" || name == "sse2" || name == "sse4.2" || name == "avx2" ||
         name == "avx512" || name == "neon64";
}

bool cpu_has(const std::string& name) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (name == "avx512") {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
  }
  if (name == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (name == "sse4.2") return __builtin_cpu_supports("sse4.2");
  if (name == "sse2") return __builtin_cpu_supports("sse2");
#endif
#if defined(__aarch64__)
  if (name == "neon64") return true;  // Advanced SIMD is baseline on AArch64
#endif
  return name == "scalar";
}

// Restores the process-wide cap when a test ends: "best" caps nothing.
struct cap_guard {
  ~cap_guard() { set_max_isa("best"); }
};

TEST(Isa, KnowsEveryLevelOfTheBuild) {
  for (const std::string& level : levels) EXPECT_TRUE(knows(level)) << level;
}

TEST(Isa, ReportsALevelTheCpuHas) {
  const std::string active = active_isa();
  ASSERT_GE(rank_of(active), 0) << active;
  EXPECT_TRUE(cpu_has(active)) << active;
  EXPECT_EQ(std::string(sn_active_isa()), active);
}

// ctest runs the whole suite once per level with SIMDNORM_ISA set; this test
// makes sure each of those runs really took the path it names.
TEST(Isa, EnvironmentCapsThePath) {
  const char* requested = std::getenv("SIMDNORM_ISA");
  if (requested == nullptr) GTEST_SKIP() << "SIMDNORM_ISA not set";
  if (!cpu_has(requested)) GTEST_SKIP() << "this CPU lacks " << requested;
  EXPECT_EQ(std::string(active_isa()), requested);
}

TEST(Isa, SetMaxIsaCapsEveryLevelAndMatchesReference) {
  const cap_guard restore;
  const std::int64_t rows = 7, d = 333;  // tails of every vector width
  const std::vector<float> x = offset_normal(rows * d, 31u);
  const std::vector<float> gamma = uniform(d, 32u, -2.0f, 2.0f);
  const std::vector<float> beta = uniform(d, 33u, -1.0f, 1.0f);
  const reference::normalized want =
      reference::layer_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f);
  const reference::normalized want_rms =
      reference::rms_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f);
  for (const std::string& level : levels) {
    if (!cpu_has(level)) continue;
    set_max_isa(level.c_str());
    const char* env = std::getenv("SIMDNORM_ISA");
    const bool capped_lower = env != nullptr && rank_of(env) >= 0 && rank_of(env) < rank_of(level);
    if (!capped_lower) {
      EXPECT_EQ(std::string(active_isa()), level);
    }
    std::vector<float> y(x.size()), mean(rows), rstd(rows);
    layer_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f, y.data(), mean.data(),
               rstd.data());
    EXPECT_TRUE(all_near(y, want.y, output_tolerance(gamma))) << level;
    EXPECT_TRUE(all_near(mean, want.mean, mean_tolerance)) << level;
    EXPECT_TRUE(all_near(rstd, want.rstd, rstd_tolerance)) << level;
    rms_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f, y.data(), rstd.data());
    EXPECT_TRUE(all_near(y, want_rms.y, output_tolerance(gamma))) << level;
    EXPECT_TRUE(all_near(rstd, want_rms.rstd, rstd_tolerance)) << level;
  }
}

TEST(Isa, BestLiftsTheCap) {
  const cap_guard restore;
  const char* env = std::getenv("SIMDNORM_ISA");
  set_max_isa("scalar");
  EXPECT_EQ(std::string(active_isa()), "scalar");
  set_max_isa("best");
  if (env == nullptr) {
    // The best level the CPU has among the build's.
    std::string best = "scalar";
    for (const std::string& level : levels) {
      if (cpu_has(level)) best = level;
    }
    EXPECT_EQ(std::string(active_isa()), best);
  }
  EXPECT_EQ(sn_set_max_isa("best"), SN_OK);
}

TEST(Isa, RefusesUnknownNames) {
  const cap_guard restore;
  const std::string before = active_isa();
  try {
    set_max_isa("avx1024");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_TRUE(names_argument(e.what(), "name")) << e.what();
  }
  EXPECT_THROW(set_max_isa(nullptr), std::invalid_argument);
  EXPECT_EQ(sn_set_max_isa("neon9"), SN_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(names_argument(sn_last_error(), "name")) << sn_last_error();
  // A level of another CPU family is not one of this build's.
  EXPECT_EQ(sn_set_max_isa(levels.back() == "neon64" ? "avx2" : "neon64"),
            SN_ERROR_INVALID_ARGUMENT);
  // The message lists what is accepted, and quotes a long argument in part.
  const std::string long_name(100000, 'x');
  EXPECT_EQ(sn_set_max_isa(long_name.c_str()), SN_ERROR_INVALID_ARGUMENT);
  const std::string message = sn_last_error();
  EXPECT_LT(message.size(), 200u) << message;
  EXPECT_NE(message.find("best"), std::string::npos) << message;
  EXPECT_EQ(std::string(active_isa()), before);
}

}  // namespace
}  // namespace simdnorm::testing
