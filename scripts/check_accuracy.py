#!/usr/bin/env python3
"""Accuracy gate: compares a simdnorm_accuracy CSV with the accepted baseline.

    check_accuracy.py BASELINE.csv NEW.csv [--factor 4] [--floor 1e-7] [--rel-floor 2.4e-7]
                      [--filter SUBSTRING]

A case is one (method, layout, isa, n, c, spatial, groups, d, data). It fails when, in NEW:
  - an error (max_abs_err, mean_abs_err, stat_max_abs_err) grew past
    max(BASELINE * --factor, BASELINE + --floor), or became infinite, or vanished;
  - a statistics error relative to its own size (stat_var_rel_err: variances, rstd as
    var + eps, norms; stat_mean_rel_err: means over their set's spread) grew past
    max(BASELINE * --factor, BASELINE + --rel-floor), or became infinite, or vanished;
    compared where BASELINE has the column (baselines written before it lack it);
  - a bfloat16 or float16 method's rounding figures worsened: the fraction of its tensor
    outputs that are not the correctly rounded float64 result (1 - exact_rounded) grew past
    max(BASELINE * --factor, BASELINE + 1e-4), or max_ulp past max(BASELINE * --factor,
    BASELINE + 2) (compared where BASELINE has them);
  - nonfinite_mismatches differs from BASELINE's (a NaN or Inf appeared where the
    float64 reference has a number, or one went missing);
  - its output error breaks the project's target (max_abs_err at most 2e-6 on the
    normal, offset1e4 and offset1e5 families), whatever the baseline says; the target
    is for normalised outputs, of order 1, so methods whose output is at the data's
    scale (standardize_invert) are held by the baseline only; a 16-bit method's outputs
    are held instead to at least 99% exactly rounded (exact_rounded >= 0.99) on every
    family but offset1e6 (ROUNDING_TARGET and ROUNDING_TARGET_EXEMPT below say why);
  - its stat_var_rel_err is over 2e-6 on the normal, offset1e4, offset1e5 and small_var
    families, whatever the baseline says (REL_TARGET below says why);
  - it is absent while NEW ran that instruction set (a vanished case can hide a
    regression).
Cases of an instruction set that NEW did not run at all (this CPU lacks it) are counted
and named once, not failed: the gate checks every path the CPU takes. Cases only in NEW
are listed as new. --filter keeps the baseline's methods whose name contains SUBSTRING
(the methods a filtered run measured). Prints one line per finding, naming the case; exits 1
when any case failed, 0 otherwise, 2 on bad input.

On the same build the errors reproduce to the bit (the engine is deterministic), so
anything the gate flags on one machine is a real change. The factor is for other
compilers and CPUs: each error is a maximum over many outputs of a few ulps of rounding,
and a different contraction of multiply-adds moves such a maximum by up to about 2x (the
AVX2 and AVX-512 paths of one build differ by up to 1.7x); 4 leaves room for that and still
catches a loss of a digit.
"""
import argparse
import csv
import math
import sys

KEY = ("method", "layout", "isa", "n", "c", "spatial", "groups", "d", "data")
ERRORS = ("max_abs_err", "mean_abs_err", "stat_max_abs_err")
# Statistics relative to their own size (bench/cases/case_inputs.hpp,
# measure_relative_stats). Optional: a CSV written before they existed still loads.
RELATIVE = ("stat_var_rel_err", "stat_mean_rel_err")
# Growth always allowed in a relative column: 2^-22, two to four float32 ulps of the
# statistic, so that a figure that is 0 in the baseline (every set exact) may move by a
# rounding; a lost digit (the narrow channels-last bug: 1.2e-5) is far past it.
REL_FLOOR = 2.0 ** -22
MISMATCHES = "nonfinite_mismatches"
TARGET = 2e-6
TARGET_FAMILIES = ("normal", "offset1e4", "offset1e5")
# Outputs at the data's scale, not normalised: standardize_invert, given 1e4 + N(0, 1) as
# its input and that data's moments, outputs about 2e4, where float32 values lie 2e-3
# apart, so no absolute error of 2e-6 can hold there. Its errors are still held to the
# baseline.
DATA_SCALE_OUTPUTS = ("standardize_invert",)
# The size statistics' target, relative. Rounding a variance to float32 alone costs up to
# 6e-8, an rstd up to 1.2e-7 (its var + eps is judged: twice rstd's own error). Measured on
# these families (AMD EPYC, every path): the scalar path at most 1.2e-7; the vector paths'
# variances at most 1.5e-7 (64-term float32 chains), their rstd up to 6.5e-7 (instance norm
# on 1e5 + N(0, 1)). 2e-6 is 3x that, room for another compiler's contraction (up to 2x, as
# for the other columns), and still fails the narrow channels-last bug outright where it was
# worst: 1.2e-5 on standardize adapt over 4097 x 2 on small_var (issue 12), 3.5e-6 over the
# suite's 32822 x 2; its smaller traces are the baseline's to catch (factor 4 over ~1e-7).
# Families whose variance float32 cannot hold that well (offset1e6: data quantised to 1/16
# with a spread of 1e-2) or that test range rather than rounding (constant, tiny, huge,
# mixed, nan_inf, flt_max) are held by the baseline only, as are means: a float32 mean on
# an offset is off by up to half its ulp, 0.12 of the spread on small_var (more on sets of
# a few values), whatever the kernel does.
REL_TARGET = 2e-6
REL_TARGET_COLUMN = "stat_var_rel_err"
REL_TARGET_FAMILIES = ("normal", "offset1e4", "offset1e5", "small_var")
# A bfloat16 or float16 method's tensor outputs against the correctly rounded float64 result:
# the fraction exactly rounded, and the largest distance in units in the last place. Empty
# for float32 methods. Rounding to 16 bits costs up to half an ulp, 2e-3 at 1 in bfloat16, so
# the absolute target above cannot apply; the aim is at least 99% exactly rounded.
# The distance is held to the baseline only: it exceeds 1 ulp only where y is far smaller
# than the terms it is computed from (xhat * gamma + beta near 0), where float32's absolute
# error of about 1e-7 spans several ulps of a value of 1e-6 (58 bfloat16 ulps at 3.4e-7,
# measured on group norm). The inexact fraction moves with another compiler's contraction
# of the float32 arithmetic as the other errors do, hence the same factor, and a floor of
# 1e-4 (one element in 10^4 flipping its rounding).
EXACT = "exact_rounded"
ULPS = "max_ulp"
ROUNDING = (EXACT, ULPS)
ROUNDING_TARGET = 0.99
# 1e6 + 1e-2 N(0, 1): a spread below float32's spacing there (1/16), and far below
# bfloat16's (4096; float16 has no finite value there), so a 16-bit tensor of it is
# constant but for a few quantisation steps, its outputs take a handful of values, and
# one of them flipping its rounding moves the fraction by percents at once (measured:
# switchable norm training in bfloat16, 98.4% exact, none more than 1 ulp off, one
# value in 64). The baseline holds these rows.
ROUNDING_TARGET_EXEMPT = ("offset1e6",)
INEXACT_FLOOR = 1e-4
ULP_FLOOR = 2


def load(path):
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in KEY + ERRORS + (MISMATCHES,)
                       if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(missing)}")
            return {tuple(row[k] for k in KEY): row for row in reader}
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")


def number(text):
    text = (text or "").strip()
    return None if text == "" else float(text)


def name(key):
    parts = dict(zip(KEY, key))
    shape = " ".join(f"{k}={parts[k]}" for k in ("n", "c", "spatial", "groups", "d") if parts[k])
    return f"{parts['method']} {parts['layout']} {parts['isa']} {shape} {parts['data']}"


def error_findings(key, old, new, factor, floor, rel_floor):
    findings = []
    for column in ERRORS + RELATIVE:
        if column not in old:
            continue  # a baseline from before the relative columns
        before, after = number(old[column]), number(new.get(column))
        allowed = rel_floor if column in RELATIVE else floor
        if before is None:
            continue
        if after is None:
            findings.append(f"VANISHED  {name(key)}: {column} was {before:.3e}, now empty")
        elif math.isinf(after) and not math.isinf(before):
            findings.append(f"NONFINITE {name(key)}: {column} {after} (was {before:.3e})")
        elif after > max(before * factor, before + allowed):
            findings.append(f"GREW      {name(key)}: {column} {before:.3e} -> {after:.3e}")
    for column in ROUNDING:
        before, after = number(old.get(column)), number(new.get(column))
        if before is None:
            continue
        if after is None:
            findings.append(f"VANISHED  {name(key)}: {column} was {before:g}, now empty")
            continue
        if column == EXACT:
            worse = 1.0 - after > max((1.0 - before) * factor, 1.0 - before + INEXACT_FLOOR)
        else:
            worse = after > max(before * factor, before + ULP_FLOOR)
        if worse:
            findings.append(f"GREW      {name(key)}: {column} {before:g} -> {after:g}")
    if int(old[MISMATCHES]) != int(new[MISMATCHES]):
        findings.append(f"NAN/INF   {name(key)}: {new[MISMATCHES]} output(s) finite where the "
                        f"reference is not or the reverse (baseline {old[MISMATCHES]})")
    return findings


def target_finding(key, row):
    findings = []
    parts = dict(zip(KEY, key))
    error = number(row["max_abs_err"])
    exact = number(row.get(EXACT))
    if exact is not None:
        if exact < ROUNDING_TARGET and parts["data"] not in ROUNDING_TARGET_EXEMPT:
            findings.append(f"TARGET    {name(key)}: {EXACT} {exact:g} < {ROUNDING_TARGET:g}")
    elif (parts["method"] not in DATA_SCALE_OUTPUTS and parts["data"] in TARGET_FAMILIES
            and error is not None and error > TARGET):
        findings.append(f"TARGET    {name(key)}: max_abs_err {error:.3e} > {TARGET:.0e}")
    relative = number(row.get(REL_TARGET_COLUMN))
    if parts["data"] in REL_TARGET_FAMILIES and relative is not None and relative > REL_TARGET:
        findings.append(f"TARGET    {name(key)}: {REL_TARGET_COLUMN} {relative:.3e} > "
                        f"{REL_TARGET:.0e}")
    return findings


def compare(baseline, new, factor, floor, rel_floor=REL_FLOOR):
    """(failures, notes)."""
    failures, notes = [], []
    ran = {key[KEY.index("isa")] for key in new}
    not_run = {}
    for key, old in baseline.items():
        isa = key[KEY.index("isa")]
        if key in new:
            failures += error_findings(key, old, new[key], factor, floor, rel_floor)
        elif isa in ran:
            failures.append(f"MISSING   {name(key)}: in the baseline only")
        else:
            not_run[isa] = not_run.get(isa, 0) + 1
    for key, row in new.items():
        failures += target_finding(key, row)
        if key not in baseline:
            notes.append(f"new       {name(key)}: not in the baseline")
    for isa, count in sorted(not_run.items()):
        notes.append(f"not run   {isa}: {count} baseline case(s); this CPU does not run {isa}")
    return failures, notes


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("new")
    parser.add_argument("--factor", type=float, default=4.0,
                        help="allowed growth of an error over its baseline (default 4)")
    parser.add_argument("--floor", type=float, default=1e-7,
                        help="absolute growth always allowed (default 1e-7)")
    parser.add_argument("--rel-floor", type=float, default=REL_FLOOR,
                        help="growth always allowed in the relative columns (default 2^-22)")
    parser.add_argument("--filter", default="",
                        help="only baseline methods whose name contains this")
    args = parser.parse_args(argv)
    try:
        baseline, new = load(args.baseline), load(args.new)
        baseline = {key: row for key, row in baseline.items() if args.filter in key[0]}
    except ValueError as e:
        print(f"check_accuracy: {e}", file=sys.stderr)
        return 2
    failures, notes = compare(baseline, new, args.factor, args.floor, args.rel_floor)
    for line in failures + notes:
        print(line)
    checked = sum(1 for key in baseline if key in new)
    print(f"check_accuracy: {checked} case(s) checked against {args.baseline}, "
          f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
