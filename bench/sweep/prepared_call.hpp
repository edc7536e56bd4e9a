// A sweep case made ready to run: inputs generated, the call checked once on
// fresh state against the float64 reference, and a repeatable call to time.
#ifndef SIMDNORM_BENCH_SWEEP_PREPARED_CALL_HPP_
#define SIMDNORM_BENCH_SWEEP_PREPARED_CALL_HPP_

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::sweep {

// NaN where a figure does not apply (written as an empty CSV cell).
struct error_figures {
  double max_abs = std::numeric_limits<double>::quiet_NaN();       // of y
  double mean_abs = std::numeric_limits<double>::quiet_NaN();      // of y
  double stat_max_abs = std::numeric_limits<double>::quiet_NaN();  // of every statistic output
};

struct prepared_call {
  // Minimum traffic: every buffer the call reads, once, plus every buffer it
  // writes, once (running statistics count as both).
  std::int64_t bytes = 0;
  error_figures errors;
  std::function<void()> call;
};

// Throws std::invalid_argument for an unknown method, and whatever simdnorm
// throws when the call itself fails.
prepared_call prepare(const case_spec& spec, const std::vector<float>& x);

}  // namespace simdnorm::sweep

#endif  // SIMDNORM_BENCH_SWEEP_PREPARED_CALL_HPP_
