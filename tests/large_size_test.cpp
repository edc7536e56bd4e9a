// Sizes past 2^31 elements: every index and count must be 64-bit. A layer
// norm in place over two rows of 2^30 + 3 floats (8 GiB in all): the second
// row starts past 2^30 and ends past 2^31, and each row is longer than any
// chunk, so the split schedule indexes far into a set. Skipped, with the
// reason, where the machine has not the memory. Its own binary and ctest
// entry (label `large`), so that the per-instruction-set runs of the main
// suite do not repeat it.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <new>
#include <string>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {
namespace {

// MemAvailable from /proc/meminfo in bytes; 0 where it cannot be read.
std::int64_t available_memory() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// x[i] of a row is pattern[i % 7]: a row's mean and variance follow from how
// many of each value it holds, in double, without a float64 copy of 8 GiB.
constexpr std::array<float, 7> pattern = {-3.0f, -1.5f, 0.0f, 0.25f, 1.0f, 2.5f, 4.0f};

TEST(LargeSizes, InPlaceLayerNormPastTwoToThe31Elements) {
  constexpr std::int64_t d = (std::int64_t{1} << 30) + 3, rows = 2;
  constexpr std::int64_t count = rows * d;
  static_assert(count > (std::int64_t{1} << 31), "the test is about indices past 2^31");
  const auto bytes = static_cast<std::int64_t>(count * sizeof(float));
  const std::int64_t needed = bytes + bytes / 8;  // the tensor and some room
  const std::int64_t available = available_memory();
  if (available < needed) {
    GTEST_SKIP() << "needs " << needed / (1 << 20) << " MiB of memory, MemAvailable is "
                 << available / (1 << 20) << " MiB";
  }
  std::unique_ptr<float[]> x(new (std::nothrow) float[static_cast<std::size_t>(count)]);
  if (!x) GTEST_SKIP() << "could not allocate " << bytes / (1 << 20) << " MiB";
  for (std::int64_t i = 0; i < count; ++i) x[i] = pattern[(i % d) % 7];

  constexpr float eps = 1e-5f;
  std::array<float, rows> mean{}, rstd{};
  layer_norm(x.get(), rows, d, nullptr, nullptr, eps, x.get(), mean.data(), rstd.data());

  // Both rows hold the same values: counts of each pattern entry over d.
  std::array<double, 7> expected_y{};
  double sum = 0.0, sum_sq = 0.0;
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    const auto times = static_cast<double>(d / 7 + (static_cast<std::int64_t>(k) < d % 7 ? 1 : 0));
    sum += times * pattern[k];
    sum_sq += times * pattern[k] * pattern[k];
  }
  const double mu = sum / static_cast<double>(d);
  const double var = sum_sq / static_cast<double>(d) - mu * mu;  // exact enough in double here
  const double want_rstd = 1.0 / std::sqrt(var + static_cast<double>(eps));
  for (std::size_t k = 0; k < pattern.size(); ++k) expected_y[k] = (pattern[k] - mu) * want_rstd;

  for (std::int64_t r = 0; r < rows; ++r) {
    EXPECT_NEAR(mean[r], mu, 1e-6) << "row " << r;
    EXPECT_NEAR(rstd[r], want_rstd, 1e-6 * want_rstd) << "row " << r;
  }
  // Every element, with the largest error reported once rather than 2^31 times.
  double worst = 0.0;
  std::int64_t worst_at = -1;
  for (std::int64_t i = 0; i < count; ++i) {
    const double error = std::fabs(x[i] - expected_y[static_cast<std::size_t>((i % d) % 7)]);
    if (!(error <= worst)) {
      worst = error;
      worst_at = i;
    }
  }
  EXPECT_LE(worst, 2e-6) << "at element " << worst_at;
}

}  // namespace
}  // namespace simdnorm::testing
