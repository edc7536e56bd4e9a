// The benchmark harness's timing statistics (bench/cases/median_time.hpp):
// the median of a row's times, and the pass-by-pass ratio that its
// speedups are (simdnorm_sweep's speedup_vs_* columns).
#include "median_time.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace {

using simdnorm::bench::median_of;
using simdnorm::bench::paired_ratio;

TEST(MedianOf, MiddleValueOrMeanOfTheTwoMiddleOnes) {
  EXPECT_EQ(median_of({3.0, 1.0, 2.0}), 2.0);
  EXPECT_EQ(median_of({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_TRUE(std::isnan(median_of({})));
}

// Three passes, the machine twice as slow in the second: each pass's ratio
// is 1.25, whatever its speed, so the paired ratio is 1.25. Where the slow
// spells differ between the two rows, their medians come from different
// passes and their ratio says something no pass measured.
TEST(PairedRatio, RatioOfTimesTakenInTheSamePass) {
  const std::vector<double> peer = {1000, 2000, 1000};
  const std::vector<double> simdnorm = {800, 1600, 800};
  EXPECT_DOUBLE_EQ(paired_ratio(peer, simdnorm), 1.25);
  // A slow spell over simdnorm's passes 2 and 3 and the peer's pass 2 only:
  // the medians give 1000 / 1600, a loss; two of the three passes were fair.
  const std::vector<double> spell = {800, 1600, 1600};
  EXPECT_DOUBLE_EQ(median_of(peer) / median_of(spell), 0.625);
  EXPECT_DOUBLE_EQ(paired_ratio(peer, spell), 1.25);
}

TEST(PairedRatio, MedianOfThePassesRatios) {
  EXPECT_DOUBLE_EQ(paired_ratio({100, 100, 100}, {50, 200, 100}), 1.0);
  EXPECT_DOUBLE_EQ(paired_ratio({100, 100}, {50, 100}), 1.5);
  EXPECT_DOUBLE_EQ(paired_ratio({100}, {80}), 1.25);
}

TEST(PairedRatio, OnlyPassesBothSidesHaveAndNaNWithoutAny) {
  EXPECT_DOUBLE_EQ(paired_ratio({100, 100, 100}, {50}), 2.0);
  EXPECT_TRUE(std::isnan(paired_ratio({}, {50.0})));
  EXPECT_TRUE(std::isnan(paired_ratio({100.0}, {})));
}

}  // namespace
