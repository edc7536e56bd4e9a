// Channels-last statistics of narrow tensors (fewer channels than a vector
// holds, and a few more), on every instruction set this CPU runs: the
// variance relative to its own size, on data whose variance is small beside
// its mean (3e3 + 1e-3 N(0, 1), float32 spacing 2.4e-4 there), short and long.
// The vector path used to sum each channel in one float32 chain over a block
// of 4096 / C rows and merge blocks in float32 over a whole chunk: 6.2e-6
// relative error at C = 2 (scalar path 3.4e-8), growing with the tensor.
// Now a lane sums at most 64 rows and at most 64 blocks merge in float32
// before double takes over.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "isa_levels.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

// Largest |var - reference| / reference over the channels of rows x c NHWC
// data, the reference two-pass in double.
double worst_relative_variance_error(const std::vector<float>& x, std::int64_t rows, std::int64_t c,
                                     const std::vector<float>& var) {
  double worst = 0.0;
  for (std::int64_t k = 0; k < c; ++k) {
    double mean = 0.0, m2 = 0.0;
    for (std::int64_t r = 0; r < rows; ++r) mean += x[r * c + k];
    mean /= static_cast<double>(rows);
    for (std::int64_t r = 0; r < rows; ++r) {
      const double d = x[r * c + k] - mean;
      m2 += d * d;
    }
    const double want = m2 / static_cast<double>(rows);
    worst = std::fmax(worst, std::fabs(var[k] - want) / want);
  }
  return worst;
}

// Rounding the variance to float32 alone is 6e-8 relative; the scalar path
// measures up to 6e-8 here, the vector paths up to 1.5e-7 (64-term float32
// chains and merges). 4e-7 is 7 float32 ulps: far below the 1e-6 to 6e-6
// the unbounded chains gave.
constexpr double bound = 4e-7;

TEST(NarrowChannels, VarianceIsAccurateRelativeToItsSizeOnEveryPath) {
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    for (const std::int64_t c : {1, 2, 3, 5, 7, 16, 64}) {
      for (const std::int64_t rows : {4097, 65552}) {
        const std::vector<float> x =
            normal(rows * c, static_cast<std::uint32_t>(c + rows), 3e3f, 1e-3f);
        const std::string where =
            level + " C=" + std::to_string(c) + " rows=" + std::to_string(rows);

        moments acc(c);
        acc.update(x.data(), rows);
        std::vector<float> mean(c), var(c);
        acc.finalize(mean.data(), var.data());
        EXPECT_LE(worst_relative_variance_error(x, rows, c, var), bound) << "moments, " << where;

        // Batch-norm training over rows x c as NHWC (n = rows, one position):
        // with momentum 1 and the biased kind, running_var is the batch
        // variance itself.
        std::vector<float> y(x.size()), running_mean(c, 0.0f), running_var(c, 1.0f);
        batch_norm_training(x.data(), shape{rows, c, 1, layout::nhwc}, running_mean.data(),
                            running_var.data(), nullptr, nullptr, 1.0f, 1e-5f,
                            running_var_kind::biased, y.data(), nullptr, nullptr);
        EXPECT_LE(worst_relative_variance_error(x, rows, c, running_var), bound)
            << "batch_norm_training, " << where;
      }
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
