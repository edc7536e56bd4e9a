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
  std::vector<case_buffer> owned;
};

// Throws std::invalid_argument for an unknown method or layout, or an x
// whose size is not the case's. With a cache, the initial values are
// computed by the first call only (x must then be the same for every call).
std::shared_ptr<case_call> fill_call(const case_spec& spec, const std::vector<float>& x,
                                     reference_cache* cache = nullptr);

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

// Scores count float32 values of the output at field against the
// reference: a tensor's (y, sum) by max_abs (mean_abs: y's), any other's as
// a statistic.
void measure_output(error_figures& errors, const methods::method& m,
                    const methods::reference_outputs& expected, methods::member field,
                    const float* values, std::size_t count);

// Scores every output of a call that has run with measure_output: its
// statistics, and its tensor outputs (y, the fused add's sum) widened from
// the method's type; for a 16-bit type also how each element lies from the
// correctly rounded float64 reference (error_figures' exact_rounded and
// max_ulp).
void measure_outputs(error_figures& errors, const case_call& call,
                     const methods::reference_outputs& expected);
// The same for the outputs at fields alone (what a peer writes into the
// call's buffers: its tensors in the method's type, its statistics as
// floats).
void measure_outputs(error_figures& errors, const case_call& call,
                     const methods::reference_outputs& expected,
                     const std::vector<methods::member>& fields);

// Raises errors.stat_max_abs to the largest error of one statistic output.
void measure_stat(error_figures& errors, const float* actual, std::size_t count,
                  const std::vector<double>& expected);

// Sets errors.stat_var_rel and errors.stat_mean_rel from every statistic
// output of a call that has run, each error relative to the size of what it
// measures, so that a small variance on a large offset (3e3 + 1e-3 N(0, 1))
// shows its lost digits, which an absolute error of 1e-11 hides:
//   var, running_var, norm: |actual - expected| / expected;
//   rstd: by the var + eps it carries (1 / rstd^2; RMS norm's mean(x^2) +
//     eps), whose relative error is twice rstd's: 2 |actual - expected| /
//     expected. Not by var alone: where var is far below eps, a float32 rstd
//     holds none of var's digits;
//   mean, running_mean: |actual - expected| / the float64 standard deviation
//     of the set the mean is over (a running mean's: its batch set). On an
//     offset, rounding the mean to float32 dominates it: up to half an ulp of
//     the mean over the spread (0.12 on 3e3 + 1e-3 N(0, 1)), hence a figure
//     of its own, which cannot hide the variance's.
// Sizes below FLT_MIN count as FLT_MIN, where float32 keeps no relative
// precision (an absolute floor); sets of size 0 (a constant set's variance
// or spread) are left out: stat_max_abs holds them to their exact value.
// Non-finite values are judged as by stat_max_abs (0 where both are
// non-finite, infinite where one is; counted there, not here). A figure is
// NaN when no output of its kind has a set left. cache keeps the sets'
// spreads for the next call on the same case and input.
void measure_relative_stats(error_figures& errors, const case_call& call,
                            const methods::reference_outputs& expected, reference_cache& cache);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_CASE_INPUTS_HPP_
