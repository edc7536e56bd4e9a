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
