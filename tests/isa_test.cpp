// Instruction-set selection: SIMDNORM_ISA and set_max_isa cap the path, the
// path in use is reported, and every path agrees with the float64 oracle.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
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

// The best level of the build this CPU has: what no cap gives.
std::string best_on_cpu() {
  std::string best = "scalar";
  for (const std::string& level : levels) {
    if (cpu_has(level)) best = level;
  }
  return best;
}

std::string in_case(std::string name, int (*convert)(int)) {
  std::transform(name.begin(), name.end(), name.begin(),
                 [convert](unsigned char ch) { return static_cast<char>(convert(ch)); });
  return name;
}

// This test binary run again with SIMDNORM_ISA=value, which a process reads
// once, running only the tests filter selects: what it printed on stdout and
// stderr, and whether it passed.
struct fresh_run {
  std::string output;
  bool passed = false;
};

fresh_run run_with_environment(const std::string& value, const std::string& filter) {
  fresh_run run;
#if defined(__linux__)
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self);
  if (length <= 0 || length == static_cast<ssize_t>(sizeof self)) return run;
  // Without gtest's sharding variables: a sharded run (ctest's
  // simdnorm_tests.isa.<best>.<shard>) would hand them on, and the child
  // would run its one test only in that shard.
  const std::string command = "unset GTEST_TOTAL_SHARDS GTEST_SHARD_INDEX; SIMDNORM_ISA='" + value +
                              "' '" + std::string(self, length) + "' --gtest_filter='" + filter +
                              "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char chunk[4096];
  for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;) {
    run.output.append(chunk, got);
  }
  const int status = pclose(pipe);
  run.passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
#endif
  return run;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

#if defined(__linux__)
constexpr bool can_run_again = true;
#else
constexpr bool can_run_again = false;  // the tests below find this binary through /proc
#endif

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
// makes sure each of those runs really took the path it names (in any case).
TEST(Isa, EnvironmentCapsThePath) {
  const char* requested = std::getenv("SIMDNORM_ISA");
  if (requested == nullptr) GTEST_SKIP() << "SIMDNORM_ISA not set";
  const std::string level = in_case(requested, ::tolower);
  if (level == "best") {
    EXPECT_EQ(std::string(active_isa()), best_on_cpu());
    return;
  }
  if (!cpu_has(level)) GTEST_SKIP() << "this CPU lacks " << requested;
  EXPECT_EQ(std::string(active_isa()), level);
}

// The emulated-CPU runs (qemu-x86_64 -cpu MODEL, tests/CMakeLists.txt) name
// the level the model's instructions allow in SIMDNORM_EXPECTED_ISA: the
// uncapped path must be that one, known from the model rather than from a
// CPUID reading like the library's own.
TEST(Isa, UncappedPathIsTheExpectedOne) {
  const char* expected = std::getenv("SIMDNORM_EXPECTED_ISA");
  if (expected == nullptr) GTEST_SKIP() << "SIMDNORM_EXPECTED_ISA not set";
  ASSERT_EQ(std::getenv("SIMDNORM_ISA"), nullptr) << "SIMDNORM_ISA caps the path";
  EXPECT_EQ(std::string(active_isa()), std::string(expected));
  EXPECT_EQ(std::string(sn_active_isa()), std::string(expected));
}

// The AVX-512 kernels round to bfloat16 with VCVTNEPS2BF16 exactly where the
// CPU has AVX-512 BF16 (as the compiler's own detection sees it) and
// SIMDNORM_NATIVE_BF16 is not "0" (simdnorm_tests.integer_bf16 sets it, so
// that entry runs the integer rounding on such a CPU).
TEST(Isa, NativeBfloat16RoundingFollowsTheCpuAndTheEnvironment) {
  const char* value = std::getenv("SIMDNORM_NATIVE_BF16");
  const bool refused = value != nullptr && std::string(value) == "0";
#if defined(__x86_64__) || defined(__i386__)
  const bool cpu = __builtin_cpu_supports("avx512bf16");
#else
  const bool cpu = false;
#endif
  EXPECT_EQ(dispatch::native_bfloat16_rounding(), !refused && cpu);
}

// Written in capitals, each level (and "best") still caps the path, and is
// not reported as unknown.
TEST(Isa, EnvironmentTakesNamesInAnyCase) {
  if (!can_run_again) GTEST_SKIP() << "needs /proc/self/exe";
  std::vector<std::string> names = {"BEST"};
  for (const std::string& level : levels) {
    if (cpu_has(level)) names.push_back(in_case(level, ::toupper));
  }
  for (const std::string& name : names) {
    const fresh_run run = run_with_environment(name, "Isa.EnvironmentCapsThePath");
    EXPECT_TRUE(run.passed) << name << ":\n" << run.output;
    EXPECT_EQ(occurrences(run.output, "[  SKIPPED ]"), 0u) << name << ":\n" << run.output;
    EXPECT_EQ(occurrences(run.output, "SIMDNORM_ISA="), 0u) << name << ":\n" << run.output;
  }
}

// An unknown name caps nothing, but says so once per process on stderr,
// listing the accepted names, however many calls read the level.
TEST(Isa, UnknownEnvironmentNameIsReportedOnce) {
  if (!can_run_again) GTEST_SKIP() << "needs /proc/self/exe";
  const fresh_run run =
      run_with_environment("junk", "Isa.ReportsALevelTheCpuHas:Isa.SetMaxIsaCapsEveryLevel*");
  EXPECT_TRUE(run.passed) << run.output;
  EXPECT_EQ(occurrences(run.output, "simdnorm: SIMDNORM_ISA=junk is not one of " +
                                        std::string(dispatch::accepted_names()) + "; ignored\n"),
            1u)
      << run.output;
}

// Quoted in part, as set_max_isa quotes its argument.
TEST(Isa, LongUnknownEnvironmentNameIsQuotedInPart) {
  if (!can_run_again) GTEST_SKIP() << "needs /proc/self/exe";
  const fresh_run run = run_with_environment(std::string(1000, 'x'), "Isa.ReportsALevelTheCpuHas");
  EXPECT_TRUE(run.passed) << run.output;
  EXPECT_EQ(occurrences(run.output, "SIMDNORM_ISA=" + std::string(32, 'x') + "... is not one of "),
            1u)
      << run.output;
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
    EXPECT_EQ(std::string(active_isa()), best_on_cpu());
  }
  EXPECT_EQ(sn_set_max_isa("best"), SN_OK);
}

TEST(Isa, SetMaxIsaTakesNamesInAnyCase) {
  const cap_guard restore;
  set_max_isa("SCALAR");
  EXPECT_EQ(std::string(active_isa()), "scalar");
  EXPECT_EQ(sn_set_max_isa("Best"), SN_OK) << sn_last_error();
  const std::string best = in_case(levels.back(), ::toupper);
  EXPECT_EQ(sn_set_max_isa(best.c_str()), SN_OK) << sn_last_error();
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
