#!/usr/bin/python3
"""PNG plots of a benchmark CSV report (README.md, "CSV columns").

    /usr/bin/python3 scripts/plot_report.py REPORT.csv OUT_DIR

Writes into OUT_DIR:
  - throughput-<method>-<layout>-<dim>.png: GB/s against n, c, groups or d,
    one line per implementation (instruction set and thread count), the
    copy bandwidth of the run as a dashed ceiling, for every method and
    layout where the suite varies that dimension with the others fixed
    (the N(0,1) family);
  - throughput.png: GB/s of every case, one bar per implementation, for
    suites with a single shape per method (quick);
  - error.png: largest output error per method and data family, for the
    scalar path, the engine and any peer, on a log scale.
Needs Debian's matplotlib (python3-matplotlib), hence /usr/bin/python3.
Prints the files it wrote.
"""
import csv
import math
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

DIMS = ("n", "c", "spatial", "groups", "d")


def value(text):
    return float(text) if text not in ("", None) else math.nan


def impl_label(row):
    if row["impl"] == "scalar":
        return "scalar"
    return f"{row['impl']} {row['isa']} {row['threads']}t"


def copy_gbps(rows):
    ceilings = [value(r["gbps"]) / value(r["bw_fraction"]) for r in rows
                if value(r["bw_fraction"]) > 0]
    return sorted(ceilings)[len(ceilings) // 2] if ceilings else math.nan


def save(fig, path, written):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path)


def throughput_against_dims(rows, out_dir, ceiling, written):
    by_method = defaultdict(list)
    for r in rows:
        if r["data"] == "normal":
            by_method[(r["method"], r["layout"])].append(r)
    single_shape = True
    for (method, layout), group in sorted(by_method.items()):
        for dim in ("n", "c", "groups", "d"):
            others = [d for d in DIMS if d != dim]
            if layout == "rows":
                # Row suites keep n * d about constant: d is the one axis.
                if dim != "d":
                    continue
                others = []
            slices = defaultdict(list)
            for r in group:
                slices[tuple(r[d] for d in others)].append(r)
            # The slice where this dimension takes the most values.
            best = max(slices.values(), key=lambda s: len({r[dim] for r in s}))
            if len({r[dim] for r in best}) < 2:
                continue
            single_shape = False
            fig, ax = plt.subplots(figsize=(7, 4.5))
            lines = defaultdict(list)
            for r in best:
                lines[impl_label(r)].append((value(r[dim]), value(r["gbps"])))
            for label, points in sorted(lines.items()):
                points.sort()
                ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
            if not math.isnan(ceiling):
                ax.axhline(ceiling, linestyle="--", color="black", label="copy bandwidth")
            fixed = ", ".join(f"{d}={best[0][d]}" for d in others if best[0][d]) or "n * d fixed"
            ax.set_xscale("log", base=2)
            ax.set_xlabel(dim)
            ax.set_ylabel("GB/s (input + output)")
            ax.set_title(f"{method} {layout} ({fixed})", fontsize=9)
            ax.legend(fontsize=7)
            save(fig, os.path.join(out_dir, f"throughput-{method}-{layout}-{dim}.png"), written)
    return single_shape


def throughput_bars(rows, out_dir, ceiling, written):
    cases = defaultdict(dict)
    labels = []
    for r in rows:
        if r["data"] != "normal":
            continue
        label = impl_label(r)
        if label not in labels:
            labels.append(label)
        cases[f"{r['method']} {r['layout']}"][label] = value(r["gbps"])
    names = sorted(cases)
    fig, ax = plt.subplots(figsize=(max(8, 0.5 * len(names)), 5))
    width = 0.8 / max(1, len(labels))
    for i, label in enumerate(labels):
        ax.bar([k + i * width for k in range(len(names))],
               [cases[n].get(label, 0.0) for n in names], width, label=label)
    if not math.isnan(ceiling):
        ax.axhline(ceiling, linestyle="--", color="black", label="copy bandwidth")
    ax.set_xticks([k + 0.4 for k in range(len(names))])
    ax.set_xticklabels(names, rotation=75, fontsize=7)
    ax.set_ylabel("GB/s (input + output)")
    ax.legend(fontsize=6, ncol=3)
    save(fig, os.path.join(out_dir, "throughput.png"), written)


def errors(rows, out_dir, written):
    families = sorted({r["data"] for r in rows})
    worst = defaultdict(lambda: defaultdict(float))  # (family) -> method -> error
    for r in rows:
        e = value(r["max_abs_err"])
        if math.isnan(e):
            continue
        impl = "scalar" if r["impl"] == "scalar" else r["impl"]
        key = f"{r['method']} {r['layout']}"
        worst[(r["data"], impl)][key] = max(worst[(r["data"], impl)][key], e)
    names = sorted({k for d in worst.values() for k in d})
    if not names:
        return
    fig, ax = plt.subplots(figsize=(max(8, 0.5 * len(names)), 5))
    series = sorted(worst)
    width = 0.8 / max(1, len(series))
    for i, (family, impl) in enumerate(series):
        ax.bar([k + i * width for k in range(len(names))],
               [max(worst[(family, impl)].get(n, 0.0), 1e-12) for n in names], width,
               label=f"{impl}, {family}")
    ax.set_yscale("log")
    ax.set_xticks([k + 0.4 for k in range(len(names))])
    ax.set_xticklabels(names, rotation=75, fontsize=7)
    ax.set_ylabel("max |y - float64 reference|")
    ax.legend(fontsize=6, ncol=2)
    save(fig, os.path.join(out_dir, "error.png"), written)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], newline="") as f:
        rows = list(csv.DictReader(f))
    os.makedirs(argv[1], exist_ok=True)
    written = []
    ceiling = copy_gbps(rows)
    if throughput_against_dims(rows, argv[1], ceiling, written):
        throughput_bars(rows, argv[1], ceiling, written)
    errors(rows, argv[1], written)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
