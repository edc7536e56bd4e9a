// What every implementation of a case gets (its buffers filled from the
// method table's description, gamma, beta, running statistics, eps,
// momentum) and the comparison with the table's float64 reference, shared by
// simdnorm's calls and the peers' so that all of them normalise the same
// numbers and are scored the same way.
#ifndef SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_
#define SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "case_spec.hpp"
#include "methods/method_table.hpp"
#include "prepared_call.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

// The parameters of every call, set here rather than taken from the table's
// defaults, so that the benchmarks' figures stay comparable run to run.
inline constexpr float eps = 1e-5f;
inline constexpr float momentum = 0.1f;
// Softmax-like mixing weights that give each statistic a real share.
inline const switch_weights mixing = {{0.5f, 0.3f, 0.2f}, {0.2f, 0.3f, 0.5f}};

// Whether the benchmarks pass a buffer: every required one, and each
// optional one the table marks benchmarked.
bool passed(const methods::buffer& b);

// One call of a case's method with every buffer it passes filled: x is the
// case's input, borrowed (it must outlive the call); inputs hold what their
// contents say, outputs zeros, in_out buffers their initial state (fresh
// running statistics for training). Each implementation fills its own, so
// that running statistics one updates do not reach another.
struct case_call {
  const methods::method* method = nullptr;
  methods::arguments args;
  // One per buffer of the method, pointed to by args; empty for x and for
  // the buffers the call leaves out.
  std::vector<std::vector<float>> owned;
};

// Throws std::invalid_argument for an unknown method or layout, or an x
// whose size is not the case's.
std::shared_ptr<case_call> fill_call(const case_spec& spec, const std::vector<float>& x);

// How many floats the call's buffer at field holds; throws std::logic_error
// when the method has no such buffer.
std::size_t count_of(const case_call& call, methods::member field);

// The table's float64 reference of a call as filled, so taken before the
// call runs (an in_out buffer's reference starts from its initial values).
// Computed by the first call on a cache, shared by the rest.
std::shared_ptr<const methods::reference_outputs> reference_of(const case_call& call,
                                                               reference_cache& cache);

// The reference of the buffer at field; throws std::logic_error when the
// method has no such buffer.
const std::vector<double>& expected_of(const methods::method& m,
                                       const methods::reference_outputs& expected,
                                       methods::member field);

// Scores count values of the output at field against the reference: the
// primary output's as y (max_abs, mean_abs), any other's as a statistic.
void measure_output(error_figures& errors, const methods::method& m,
                    const methods::reference_outputs& expected, methods::member field,
                    const float* values, std::size_t count);

// Raises errors.stat_max_abs to the largest error of one statistic output.
void measure_stat(error_figures& errors, const float* actual, std::size_t count,
                  const std::vector<double>& expected);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_
