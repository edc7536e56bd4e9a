#!/usr/bin/env python3
"""Regressions between two benchmark CSV reports (README.md, "CSV columns").

    compare_reports.py BEFORE.csv AFTER.csv [--slower 0.10] [--error-factor 2]
                                            [--error-floor 1e-7]

A case is one (method, layout, impl, isa, threads, n, c, spatial, groups, d,
data). It regressed when, in AFTER:
  - its throughput (gbps) fell by more than --slower (a fraction of BEFORE's);
  - an error column (max_abs_err, mean_abs_err, stat_max_abs_err) grew past
    max(BEFORE * --error-factor, BEFORE + --error-floor), or became NaN, or
    went from NaN to a number (a NaN that went missing);
  - it is absent (a case that disappears can hide a regression).
Cases only in AFTER are listed but are not regressions. Prints one line per
finding; exits 1 when anything regressed, 0 otherwise, 2 on bad input.
"""
import argparse
import csv
import math
import sys

KEY = ("method", "layout", "impl", "isa", "threads", "n", "c", "spatial", "groups", "d", "data")
ERRORS = ("max_abs_err", "mean_abs_err", "stat_max_abs_err")


def number(text):
    text = (text or "").strip()
    if text == "":
        return None
    return float(text)  # accepts nan and inf


def load(path):
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in KEY + ("gbps",) + ERRORS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(missing)}")
            rows = {}
            for row in reader:
                rows[tuple(row[k] for k in KEY)] = row
            return rows
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")


def name(key):
    parts = dict(zip(KEY, key))
    shape = " ".join(f"{k}={parts[k]}" for k in ("n", "c", "spatial", "groups", "d") if parts[k])
    return (f"{parts['method']} {parts['layout']} {parts['impl']}/{parts['isa']} "
            f"{parts['threads']}t {shape} {parts['data']}")


def compare(before, after, slower, error_factor, error_floor):
    findings = []
    for key, old in before.items():
        new = after.get(key)
        if new is None:
            findings.append(f"MISSING   {name(key)}: in the first report only")
            continue
        old_rate, new_rate = number(old["gbps"]), number(new["gbps"])
        if old_rate and new_rate is not None and new_rate < old_rate * (1.0 - slower):
            findings.append(f"SLOWER    {name(key)}: {old_rate:.3f} -> {new_rate:.3f} GB/s "
                            f"({new_rate / old_rate - 1.0:+.1%})")
        for column in ERRORS:
            a, b = number(old[column]), number(new[column])
            if a is None and b is None:
                continue
            if a is not None and b is not None and math.isnan(a) and math.isnan(b):
                continue
            if b is not None and math.isnan(b):
                findings.append(f"NAN       {name(key)}: {column} became NaN (was {old[column]})")
            elif a is not None and math.isnan(a):
                findings.append(f"NAN GONE  {name(key)}: {column} was NaN, now {new[column]}")
            elif a is not None and b is not None and b > max(a * error_factor, a + error_floor):
                findings.append(f"ERROR UP  {name(key)}: {column} {a:.3g} -> {b:.3g}")
    new_cases = [key for key in after if key not in before]
    return findings, new_cases


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--slower", type=float, default=0.10,
                        help="throughput drop that counts, as a fraction (default 0.10)")
    parser.add_argument("--error-factor", type=float, default=2.0,
                        help="error growth that counts, as a factor (default 2)")
    parser.add_argument("--error-floor", type=float, default=1e-7,
                        help="absolute error growth ignored below this (default 1e-7)")
    args = parser.parse_args(argv)
    try:
        before, after = load(args.before), load(args.after)
    except ValueError as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    findings, new_cases = compare(before, after, args.slower, args.error_factor, args.error_floor)
    for line in findings:
        print(line)
    for key in new_cases:
        print(f"NEW       {name(key)}: in the second report only")
    print(f"compare: {len(before)} cases compared, {len(findings)} regressions, "
          f"{len(new_cases)} new", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
