// Wall-clock timing of one call: warm-up calls for at least warm_up_ns (page
// faults, cold caches and lazy initialisation stay out of the figure, and a
// thread pool that was capped or asleep has every thread at work again: a
// oneTBB worker can take milliseconds to join after a global_control cap is
// lifted, longer than a dozen 100-microsecond calls), then the median of up
// to reps timed calls, which ignores the odd preempted repetition that a mean
// would not. Slow calls get fewer repetitions, at least 3, so that no call
// takes much more than budget_ns in all: a scalar pass over a 256 MiB tensor
// would otherwise take seconds per row.
#ifndef SIMDNORM_BENCH_CASES_MEDIAN_TIME_HPP_
#define SIMDNORM_BENCH_CASES_MEDIAN_TIME_HPP_

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <limits>
#include <utility>
#include <vector>

namespace simdnorm::bench {

inline constexpr double warm_up_ns = 20e6;

// The middle value, or the mean of the two middle ones; NaN when there is none.
inline double median_of(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

// The median over the passes of reference_ns[p] / ns[p]: each ratio is of two
// rows timed seconds apart in the same pass (simdnorm_sweep's --passes), so a
// change of the machine's speed between passes moves both of its sides. On
// the 2-core Zen 5 VM memory-bound rows moved by 1.5-2.5x within minutes,
// and a ratio of the two rows' medians took its sides from different passes
// wherever one row had more of its passes in a slow spell than the other
// (the s44 full reference run, 1 thread: layer norm 65536 x 64 against
// oneDNN 0.98 as a ratio of medians, 1.16 pass by pass; NHWC group norm 1 x
// 512 x 3199 against ATen at 2 threads 0.89 and 1.02). NaN when either side
// has no pass; passes past the shorter side are left out.
inline double paired_ratio(const std::vector<double>& reference_ns, const std::vector<double>& ns) {
  std::vector<double> ratios;
  for (std::size_t p = 0; p < std::min(reference_ns.size(), ns.size()); ++p) {
    ratios.push_back(reference_ns[p] / ns[p]);
  }
  return median_of(std::move(ratios));
}

template <class Call>
double median_time_ns(Call&& call, int reps, double budget_ns) {
  const auto elapsed_ns = [](std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - since)
        .count();
  };
  const auto warm_start = std::chrono::steady_clock::now();
  call();
  double warm_ns = elapsed_ns(warm_start);  // the last warm-up call's time
  while (elapsed_ns(warm_start) < warm_up_ns) {
    const auto start = std::chrono::steady_clock::now();
    call();
    warm_ns = elapsed_ns(start);
  }
  if (warm_ns * reps > budget_ns) {
    reps = std::min(reps, std::max(3, static_cast<int>(budget_ns / warm_ns)));
  }
  std::vector<double> times;
  times.reserve(static_cast<std::size_t>(reps));
  for (int rep = 0; rep < reps; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    call();
    const auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::nano>(stop - start).count());
  }
  return median_of(std::move(times));
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_MEDIAN_TIME_HPP_
