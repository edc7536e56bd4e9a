#!/usr/bin/env python3
"""Regressions between two benchmark CSV reports (README.md, "CSV columns").

    compare_reports.py BEFORE.csv AFTER.csv [--slower 0.10] [--error-factor 2]
                                            [--error-floor 1e-7]

A case is one (method, layout, impl, isa, threads, n, c, spatial, groups, d,
data). A scalar or simdnorm case regressed when, in AFTER:
  - its throughput (gbps) fell by more than --slower (a fraction of BEFORE's);
  - an error column (max_abs_err, mean_abs_err, stat_max_abs_err) grew past
    max(BEFORE * --error-factor, BEFORE + --error-floor), or became NaN, or
    went from NaN to a number (a NaN that went missing);
  - it is absent (a case that disappears can hide a regression).
A peer's case (impl onednn, aten or any other library) is the yardstick, not
the code under test: the same changes in it are printed as notes ("note: "
first), never as regressions. Its isa only describes the peer's build, so it
is no part of the case; notes also say when a peer changed isa, went from
measured to skipped (isa "skipped", empty figures: not in the build) or back.
A peer skipped in both reports has nothing to compare. Cases only in AFTER are
listed but are not regressions. Prints one line per finding; exits 1 when
anything regressed, 0 otherwise (notes or not), 2 on bad input.
"""
import argparse
import csv
import math
import sys

KEY = ("method", "layout", "impl", "isa", "threads", "n", "c", "spatial", "groups", "d", "data")
ERRORS = ("max_abs_err", "mean_abs_err", "stat_max_abs_err")
UNDER_TEST = ("scalar", "simdnorm")
SKIPPED = "skipped"


def number(text):
    text = (text or "").strip()
    if text == "":
        return None
    return float(text)  # accepts nan and inf


def is_peer(row):
    return row["impl"] not in UNDER_TEST


def key_of(row):
    return tuple("" if column == "isa" and is_peer(row) else row[column] for column in KEY)


def load(path):
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in KEY + ("gbps",) + ERRORS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(missing)}")
            return {key_of(row): row for row in reader}
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")


def name(row):
    shape = " ".join(f"{k}={row[k]}" for k in ("n", "c", "spatial", "groups", "d") if row[k])
    return (f"{row['method']} {row['layout']} {row['impl']}/{row['isa']} "
            f"{row['threads']}t {shape} {row['data']}")


def peer_changes(old, new):
    """What changed in how a peer ran, as opposed to how fast or well."""
    was_skipped, is_skipped = old["isa"] == SKIPPED, new["isa"] == SKIPPED
    if was_skipped and not is_skipped:
        return [f"MEASURED  {name(new)}: skipped in the first report"]
    if is_skipped and not was_skipped:
        return [f"SKIPPED   {name(new)}: measured ({old['isa']}) in the first report"]
    if old["isa"] != new["isa"]:
        return [f"ISA       {name(new)}: was {old['isa']}"]
    return []


def changes(old, new, slower, error_factor, error_floor):
    """Throughput and error changes of one case that count as regressions."""
    found = []
    old_rate, new_rate = number(old["gbps"]), number(new["gbps"])
    if old_rate and new_rate is not None and new_rate < old_rate * (1.0 - slower):
        found.append(f"SLOWER    {name(new)}: {old_rate:.3f} -> {new_rate:.3f} GB/s "
                     f"({new_rate / old_rate - 1.0:+.1%})")
    for column in ERRORS:
        a, b = number(old[column]), number(new[column])
        if a is None and b is None:
            continue
        if a is not None and b is not None and math.isnan(a) and math.isnan(b):
            continue
        if b is not None and math.isnan(b):
            found.append(f"NAN       {name(new)}: {column} became NaN (was {old[column]})")
        elif a is not None and math.isnan(a):
            found.append(f"NAN GONE  {name(new)}: {column} was NaN, now {new[column]}")
        elif a is not None and b is not None and b > max(a * error_factor, a + error_floor):
            found.append(f"ERROR UP  {name(new)}: {column} {a:.3g} -> {b:.3g}")
    return found


def compare(before, after, slower, error_factor, error_floor):
    """(regressions, notes on peers, rows only in AFTER)."""
    regressions, notes = [], []
    for key, old in before.items():
        findings = notes if is_peer(old) else regressions
        new = after.get(key)
        if new is None:
            findings.append(f"MISSING   {name(old)}: in the first report only")
            continue
        if is_peer(old):
            notes += peer_changes(old, new)
        findings += changes(old, new, slower, error_factor, error_floor)
    new_rows = [row for key, row in after.items() if key not in before]
    return regressions, notes, new_rows


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
    regressions, notes, new_rows = compare(before, after, args.slower, args.error_factor,
                                           args.error_floor)
    for line in regressions:
        print(line)
    for line in notes:
        print(f"note: {line}")
    for row in new_rows:
        print(f"NEW       {name(row)}: in the second report only")
    print(f"compare: {len(before)} cases compared, {len(regressions)} regressions, "
          f"{len(notes)} notes on peers, {len(new_rows)} new", file=sys.stderr)
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
