// The accuracy gate's comparison: a simdnorm_accuracy CSV (NEW) against the
// accepted baseline (results/accuracy-baseline.csv).
//
// A case is one (method, layout, isa, n, c, spatial, groups, d, data). It fails when, in NEW:
//  - an error (max_abs_err, mean_abs_err, stat_max_abs_err) grew past
//    max(BASELINE * factor, BASELINE + floor), or became infinite, or vanished;
//  - a statistics error relative to its own size (stat_var_rel_err: variances, rstd as
//    var + eps, norms; stat_mean_rel_err: means over their set's spread) grew past
//    max(BASELINE * factor, BASELINE + rel_floor), or became infinite, or vanished;
//    compared where BASELINE has the column (baselines written before it lack it);
//  - a bfloat16 or float16 method's rounding figures worsened: the fraction of its tensor
//    outputs that are not the correctly rounded float64 result (1 - exact_rounded) grew past
//    max(BASELINE * factor, BASELINE + 1e-4), or max_ulp past max(BASELINE * factor,
//    BASELINE + 2) (compared where BASELINE has them);
//  - nonfinite_mismatches differs from BASELINE's (a NaN or Inf appeared where the
//    float64 reference has a number, or one went missing);
//  - its output error breaks the project's target (max_abs_err at most 2e-6 on the
//    normal, offset1e4 and offset1e5 families), whatever the baseline says; the target
//    is for normalised outputs, of order 1, so methods whose output is at the data's
//    scale (standardize_invert) are held by the baseline only; a 16-bit method's outputs
//    are held instead to at least 99% exactly rounded (exact_rounded >= 0.99) on every
//    family but offset1e6 (baseline_check.cpp's rounding_target and
//    rounding_target_exempt say why);
//  - its stat_var_rel_err is over 2e-6 on the normal, offset1e4, offset1e5 and small_var
//    families, whatever the baseline says (baseline_check.cpp's rel_target says why);
//  - it is absent while NEW ran that instruction set (a vanished case can hide a
//    regression).
// Cases of an instruction set that NEW did not run at all (this CPU lacks it) are counted
// and named once, not failed: the gate checks every path the CPU takes. Cases only in NEW
// are listed as new. The selection keeps the baseline's cases a subset run measured (its
// methods, data families and largest tensor): the rest are neither missing nor checked.
#ifndef SIMDNORM_BENCH_ACCURACY_BASELINE_CHECK_HPP_
#define SIMDNORM_BENCH_ACCURACY_BASELINE_CHECK_HPP_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "case_selection.hpp"
#include "csv_table.hpp"

namespace simdnorm::bench {

// On the same build the errors reproduce to the bit (the engine is deterministic), so
// anything the gate flags on one machine is a real change. The factor is for other
// compilers and CPUs: each error is a maximum over many outputs of a few ulps of rounding,
// and a different contraction of multiply-adds moves such a maximum by up to about 2x (the
// AVX2 and AVX-512 paths of one build differ by up to 1.7x); 4 leaves room for that and
// still catches a loss of a digit.
inline constexpr double default_growth_factor = 4.0;
// Absolute growth always allowed in an absolute error column, so that an error that is 0
// or tiny in the baseline may move by a rounding.
inline constexpr double default_growth_floor = 1e-7;
// Growth always allowed in a relative column: 2^-22, two to four float32 ulps of the
// statistic, so that a figure that is 0 in the baseline (every set exact) may move by a
// rounding; a lost digit (the narrow channels-last bug: 1.2e-5) is far past it.
inline constexpr double default_rel_growth_floor = 1.0 / (1 << 22);

struct baseline_check_options {
  double factor = default_growth_factor;
  double floor = default_growth_floor;
  double rel_floor = default_rel_growth_floor;
  // The baseline's cases the run was meant to measure (its --filter, --families and
  // --max-elements); every case by default.
  case_selection selection;
};

struct baseline_findings {
  std::vector<std::string> failures;  // one line a finding, naming the case
  std::vector<std::string> notes;     // new cases; instruction sets NEW did not run
  std::size_t checked = 0;            // baseline cases (selected) that NEW has
};

// read_csv, then a check that the columns every comparison needs are there (the key,
// the absolute errors, nonfinite_mismatches; the relative and rounding columns are
// optional, for baselines written before them). Throws csv_error.
csv_table read_accuracy_csv(const std::string& path);

// NEW against BASELINE, both from read_accuracy_csv. Throws csv_error, naming the file,
// line and column, on a cell that should be a number and is not.
baseline_findings compare_with_baseline(const csv_table& baseline, const csv_table& run,
                                        const baseline_check_options& options);

// Prints the failures, then the notes, one a line, then a summary naming the baseline's
// path; returns the gate's exit status: 1 when any case failed, else 0.
int print_findings(const baseline_findings& findings, const std::string& baseline_path,
                   std::ostream& out);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_ACCURACY_BASELINE_CHECK_HPP_
