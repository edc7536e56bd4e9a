#!/usr/bin/env python3
"""Merges a simdnorm_accuracy CSV into the accuracy baseline, tightening it only.

    merge_accuracy_baseline.py BASELINE.csv NEW.csv [--out FILE]

Writes (to --out, default BASELINE.csv itself) the rows in NEW's order, NEW's columns:
  - a case in both: each error cell the baseline has is kept unless NEW's is better (the
    case got better on this machine: an error or max_ulp smaller, exact_rounded larger); a cell
    the baseline lacks (a column added since, or empty) takes NEW's; nonfinite_mismatches and
    the key are the baseline's;
  - a case only in NEW (a new case, data family or instruction set): NEW's row;
  - a case only in the baseline (an instruction set this CPU lacks, a method a filtered
    run left out): kept as it is, after the baseline row it followed (so a filtered run
    leaves the other methods' rows where they were).
Cells are copied as written, never reformatted. So an error the baseline accepted never
grows, and new cases, families and columns come from the machine that ran NEW; run the
gate (scripts/check-accuracy.sh) first, since a merge does not fix a case that got worse.
Prints what it changed; exits 2 on bad input.
"""
import argparse
import csv
import sys

# simdnorm_accuracy's columns (bench/accuracy/accuracy_main.cpp), named as the gate's
# comparison names them (bench/accuracy/baseline_check.cpp). The relative and rounding
# columns are optional: baselines written before them still load.
KEY = ("method", "layout", "isa", "n", "c", "spatial", "groups", "d", "data")
ERRORS = ("max_abs_err", "mean_abs_err", "stat_max_abs_err")
RELATIVE = ("stat_var_rel_err", "stat_mean_rel_err")
MISMATCHES = "nonfinite_mismatches"
EXACT = "exact_rounded"
ULPS = "max_ulp"


def number(text):
    """A cell's number; None for an empty cell (a figure the case has none of)."""
    text = (text or "").strip()
    return None if text == "" else float(text)


def read(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in KEY + ERRORS + (MISMATCHES,) if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)}")
        return list(reader.fieldnames), list(reader)


def better(column, old_text, new_text):
    """Whether NEW's cell is an improvement on the baseline's: an error or a distance
    smaller, a fraction exactly rounded larger."""
    old, new = number(old_text), number(new_text)
    if old is None:
        return True
    return new is not None and (new > old if column == EXACT else new < old)


def merge(baseline_rows, new_columns, new_rows):
    """(rows, counts): the merged rows, in NEW's order, and what changed."""
    counts = {"improved": 0, "filled": 0, "added": 0, "kept": 0}
    old = {tuple(row[k] for k in KEY): row for row in baseline_rows}
    seen = {tuple(row[k] for k in KEY) for row in new_rows}
    # Baseline-only rows, by the key of the last row before them that NEW has (None: the
    # start of the file).
    following, anchor = {}, None
    for row in baseline_rows:
        key = tuple(row[k] for k in KEY)
        if key in seen:
            anchor = key
        else:
            following.setdefault(anchor, []).append({c: row.get(c, "") for c in new_columns})
            counts["kept"] += 1
    merged = list(following.get(None, []))
    for row in new_rows:
        key = tuple(row[k] for k in KEY)
        if key not in old:
            merged.append(dict(row))
            counts["added"] += 1
            continue
        before = old[key]
        out = {c: before.get(c, row[c]) for c in new_columns}
        for column in ERRORS + RELATIVE + (EXACT, ULPS):
            if column not in new_columns:
                continue
            if column not in before or number(before[column]) is None:
                out[column] = row[column]
                counts["filled"] += number(row[column]) is not None
            elif better(column, before[column], row[column]):
                out[column] = row[column]
                counts["improved"] += 1
        merged.append(out)
        merged += following.get(key, [])
    return merged, counts


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline")
    parser.add_argument("new")
    parser.add_argument("--out", help="where to write (default: BASELINE itself)")
    args = parser.parse_args(argv)
    try:
        _, baseline_rows = read(args.baseline)
        new_columns, new_rows = read(args.new)
    except (OSError, ValueError) as e:
        print(f"merge_accuracy_baseline: {e}", file=sys.stderr)
        return 2
    rows, counts = merge(baseline_rows, new_columns, new_rows)
    out = args.out or args.baseline
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=new_columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"merge_accuracy_baseline: wrote {out}: {len(rows)} rows; {counts['added']} new, "
          f"{counts['improved']} cell(s) better here, {counts['filled']} empty cell(s) filled, "
          f"{counts['kept']} baseline-only row(s) kept")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
