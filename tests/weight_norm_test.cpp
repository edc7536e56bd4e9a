// Weight norm (PyTorch dim = 0) on rows whose norm is zero or below
// |g| / FLT_MAX. (Ordinary rows against the float64 oracle:
// method_table_test.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

TEST(WeightNormZeroRow, GivesNonFiniteWeightsInThatRowOnly) {
  const std::int64_t rows = 4, cols = 19;
  std::vector<float> v = normal(rows * cols, 5);
  for (std::int64_t j = 0; j < cols; ++j) v[2 * cols + j] = 0.0f;
  const std::vector<float> g = uniform(rows, 6, 0.5f, 2.0f);
  std::vector<float> w = sentinel_buffer(rows * cols);

  weight_norm(v.data(), g.data(), rows, cols, w.data(), nullptr);

  // As in PyTorch, 0 / 0: the zero row is not finite, the others are exact
  // to a few ulps.
  const reference::weight_normalized want = reference::weight_norm(v.data(), g.data(), rows, cols);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const float got = w[r * cols + j];
      if (r == 2) {
        EXPECT_FALSE(std::isfinite(got)) << "row 2, col " << j;
      } else {
        EXPECT_NEAR(got, want.w[r * cols + j], 2e-5) << "row " << r << ", col " << j;
      }
    }
  }
}

// Rows of denormals: ||v|| is below |g| / FLT_MAX, so no float factor
// g / ||v|| exists, yet every output g * v / ||v|| is at most |g|. Long rows
// (past a statistics chunk) and short ones, in place and apart, beside an
// ordinary row that must be untouched by the special handling.
TEST(WeightNormTinyRows, AreFiniteAndCorrect) {
  for (const std::int64_t cols : {std::int64_t{1}, std::int64_t{7}, std::int64_t{40001}}) {
    for (const bool in_place : {false, true}) {
      const std::int64_t rows = 3;
      std::vector<float> v = normal(rows * cols, 7);
      for (std::int64_t j = 0; j < cols; ++j) {
        v[j] *= 1e-40f;                     // denormal row
        v[2 * cols + j] *= 1e-30f * 1e-9f;  // another, of other magnitude
      }
      const std::vector<float> g = {1.5f, 0.75f, -2.0f};
      const reference::weight_normalized want =
          reference::weight_norm(v.data(), g.data(), rows, cols);
      std::vector<float> separate = sentinel_buffer(rows * cols);
      float* w = in_place ? v.data() : separate.data();
      std::vector<float> norm(rows);

      weight_norm(v.data(), g.data(), rows, cols, w, norm.data());

      for (std::int64_t i = 0; i < rows * cols; ++i) {
        ASSERT_TRUE(std::isfinite(w[i])) << "cols " << cols << ", element " << i;
        // Denormal inputs carry fewer bits: the row's direction is known to
        // about 2^-16 of its largest element.
        EXPECT_NEAR(w[i], want.w[i], 1e-4 * std::fabs(g[i / cols]) + 2e-6)
            << "cols " << cols << (in_place ? " in place" : "") << ", element " << i;
      }
      for (std::int64_t r = 0; r < rows; ++r) {
        EXPECT_NEAR(norm[r], want.norm[r], 1e-6 * want.norm[r]) << "row " << r;
      }
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
