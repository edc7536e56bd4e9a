#!/usr/bin/python3
"""PNG plots of a benchmark CSV report (README.md, "CSV columns").

    /usr/bin/python3 scripts/plot_report.py REPORT.csv OUT_DIR

Writes into OUT_DIR, throughput from the N(0,1) family:
  - throughput-<method>-<layout>-<dim>.png for each dimension (n, c, spatial,
    groups; d for rows, whose suites keep n * d about constant) along which
    the suite has a slice: MIN_SLICE or more values of that dimension with the
    others fixed (the sweep suite). GB/s, one line each for the scalar path,
    simdnorm at its top instruction set and each peer, at each thread count,
    and the copy bandwidth at each thread count as a dotted ceiling. The other
    instruction sets stay out so that the lines can be told apart;
    throughput.png compares them;
  - throughput-<method>-<layout>.png for a method and layout measured on
    several shapes but along no slice (the reference suite): one bar group
    per shape, simdnorm at its top instruction set and the peers at each
    thread count;
  - throughput.png: every method and layout measured on a single shape (the
    quick suite), one bar each for the scalar path, every instruction set and
    every peer at each thread count;
  - error.png: largest output error per method and layout, implementation
    and data family, on a log scale; empty and NaN cells are left out, an
    infinite error (a NaN output) is a red mark on the top edge.
Rows of peers that were not measured (isa "skipped") are left out. Needs
Debian's matplotlib (python3-matplotlib), hence /usr/bin/python3. Prints the
files it wrote.
"""
import csv
import math
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Shared with the Markdown summary, so that plots and tables name cases alike;
# no __pycache__ left in scripts/ by the import.
sys.dont_write_bytecode = True
from summarize_report import (  # noqa: E402
    ISA_ORDER, SHAPE, case_of, families_of, shape_text, top_isa)

MIN_SLICE = 3  # two points make a line, not a trend
EXACT_ERROR = 1e-12  # where an error of 0 is drawn on the log scale
IMPL_ORDER = ("scalar", "simdnorm", "onednn", "aten")
PEER_COLOURS = {"scalar": "0.45", "onednn": "C1", "aten": "C2"}  # others: matplotlib's cycle
BAR_INCHES = 0.06  # enough for a bar to be told from its neighbours at 110 dpi


def value(text):
    return float(text) if text not in ("", None) else math.nan


def impl_rank(impl):
    return IMPL_ORDER.index(impl) if impl in IMPL_ORDER else len(IMPL_ORDER)


def series_of(row):
    """Sort key and legend label of the line or bar a row belongs to."""
    threads = int(row["threads"])
    isa_rank = 0
    if row["impl"] == "simdnorm":  # a peer's isa describes it; one line per peer
        isa_rank = ISA_ORDER.index(row["isa"]) if row["isa"] in ISA_ORDER else len(ISA_ORDER)
    key = (impl_rank(row["impl"]), row["impl"], isa_rank, threads)
    if row["impl"] == "scalar":
        return key, "scalar"
    if row["impl"] == "simdnorm":
        return key, f"simdnorm {row['isa']} {threads}t"
    return key, f"{row['impl']} {threads}t"


def colour_of(impl, isa_rank=0):
    """One colour per implementation; simdnorm in shades of blue, darkest for the top ISA."""
    if impl == "simdnorm":
        return plt.cm.Blues(0.9 - 0.12 * isa_rank)
    return PEER_COLOURS.get(impl)


def copy_ceilings(rows):
    """Threads -> copy bandwidth of the run, which every bw_fraction divides by."""
    ratios = defaultdict(list)
    for r in rows:
        if value(r["bw_fraction"]) > 0:
            ratios[int(r["threads"])].append(value(r["gbps"]) / value(r["bw_fraction"]))
    return {threads: statistics.median(found) for threads, found in sorted(ratios.items())}


def draw_ceilings(ax, ceilings):
    for threads, gbps in ceilings.items():
        ax.axhline(gbps, linestyle=":", color="black", alpha=0.4 + 0.6 * (threads > 1),
                   label=f"copy {threads}t")


def outside_legend(ax):
    """The legend right of the axes, where it hides no bar or line."""
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def save(fig, path, written):
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    written.append(path)


def dim_label(dim, text):
    if dim == "spatial":
        side = math.isqrt(int(text))
        return f"{side}x{side}" if side * side == int(text) else text
    return text


def slices_of(group):
    """dim -> the rows of the slice where dim takes the most values, if MIN_SLICE or more."""
    found = {}
    layout = group[0]["layout"]
    for dim in ("d",) if layout == "rows" else ("n", "c", "spatial", "groups"):
        others = [] if layout == "rows" else [d for d in SHAPE if d != dim]
        slices = defaultdict(list)
        for r in group:
            if r[dim]:
                slices[tuple(r[d] for d in others)].append(r)
        if not slices:
            continue
        best = max(slices.values(), key=lambda s: len({r[dim] for r in s}))
        values = {r[dim] for r in best}
        # One shape per value: rows suites that repeat a d with another n are no slice.
        if len(values) >= MIN_SLICE and len({case_of(r) for r in best}) == len(values):
            found[dim] = best
    return found


def slice_plot(method, layout, dim, rows, ceilings, path, written):
    lines = defaultdict(list)
    for r in rows:
        if not math.isnan(value(r["gbps"])):
            lines[series_of(r)].append((int(r[dim]), value(r["gbps"])))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (key, label), points in sorted(lines.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], color=colour_of(key[1], key[2]),
                linestyle="--" if key[3] == 1 else "-", marker="o", label=label)
    draw_ceilings(ax, {t: g for t, g in ceilings.items() if any(k[3] == t for k, _ in lines)})
    ticks = sorted({int(r[dim]) for r in rows})
    ax.set_xscale("log", base=2)
    ax.set_xticks(ticks)
    ax.set_xticklabels([dim_label(dim, str(t)) for t in ticks], fontsize=7)
    ax.minorticks_off()
    if layout == "rows":
        fixed = "n * d about constant"
    else:
        fixed = ", ".join(f"{d}={dim_label(d, rows[0][d])}"
                          for d in SHAPE if d != dim and rows[0][d])
    ax.set_xlabel(dim)
    ax.set_ylabel("GB/s (input + output)")
    ax.set_title(f"{method} {layout} ({fixed})", fontsize=9)
    outside_legend(ax)
    save(fig, path, written)


def bar_plot(groups, ceilings, title, path, written):
    """groups: x label -> {(series key, label): GB/s}, one bar group per x label."""
    names = list(groups)
    series = sorted({s for bars in groups.values() for s in bars})
    fig, ax = plt.subplots(figsize=(max(8, 1.5 + BAR_INCHES * len(names) * len(series)), 5))
    width = 0.8 / max(1, len(series))
    for i, (key, label) in enumerate(series):
        ax.bar([k + i * width for k in range(len(names))],
               [groups[n].get((key, label), math.nan) for n in names], width,
               label=label, color=colour_of(key[1], key[2]), alpha=1.0 if key[3] > 1 else 0.55)
    draw_ceilings(ax, ceilings)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(names))])
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("GB/s (input + output)")
    if title:
        ax.set_title(title, fontsize=9)
    outside_legend(ax)
    save(fig, path, written)


def throughput(rows, out_dir, written):
    ceilings = copy_ceilings(rows)
    isa = top_isa(rows)
    by_method = defaultdict(list)
    for r in rows:
        if r["data"] == "normal":
            by_method[(r["method"], r["layout"])].append(r)
    single_shapes = defaultdict(dict)
    for (method, layout), group in by_method.items():
        focused = [r for r in group if r["impl"] != "simdnorm" or r["isa"] == isa]
        slices = slices_of(focused)
        for dim, sliced in slices.items():
            slice_plot(method, layout, dim, sliced, ceilings,
                       os.path.join(out_dir, f"throughput-{method}-{layout}-{dim}.png"), written)
        if len({case_of(r) for r in group}) == 1:
            for r in group:
                single_shapes[f"{method} {layout}"][series_of(r)] = value(r["gbps"])
        elif not slices:
            bars = defaultdict(dict)
            for r in focused:
                if r["impl"] != "scalar":
                    bars[shape_text(case_of(r))][series_of(r)] = value(r["gbps"])
            bar_plot(bars, ceilings, f"{method} {layout}",
                     os.path.join(out_dir, f"throughput-{method}-{layout}.png"), written)
    if single_shapes:
        bar_plot(dict(sorted(single_shapes.items())), ceilings, None,
                 os.path.join(out_dir, "throughput.png"), written)


def errors(rows, out_dir, written):
    worst = defaultdict(dict)  # (impl, family) -> "method layout" -> error, inf included
    for r in rows:
        e = value(r["max_abs_err"])
        if math.isnan(e):
            continue
        by_name = worst[(r["impl"], r["data"])]
        name = f"{r['method']} {r['layout']}"
        by_name[name] = max(by_name.get(name, 0.0), e)
    names = sorted({name for by_name in worst.values() for name in by_name})
    if not names:
        return
    families = families_of(rows)
    series = sorted(worst, key=lambda s: (impl_rank(s[0]), s[0], families.index(s[1])))
    fig, ax = plt.subplots(figsize=(max(8, 1.5 + BAR_INCHES * len(names) * len(series)), 5))
    width = 0.8 / len(series)
    infinite = []  # x of the bars whose error is infinite: a NaN output
    for i, (impl, family) in enumerate(series):
        xs = [k + i * width for k in range(len(names))]
        heights = [worst[(impl, family)].get(n, math.nan) for n in names]
        infinite += [x for x, h in zip(xs, heights) if math.isinf(h)]
        ax.bar(xs, [max(h, EXACT_ERROR) if math.isfinite(h) else math.nan for h in heights], width,
               label=f"{impl}, {family}", color=colour_of(impl),
               alpha=1.0 - 0.6 * families.index(family) / max(1, len(families) - 1))
    ax.set_yscale("log")
    if infinite:
        ax.plot(infinite, [1.0] * len(infinite), linestyle="none", marker="v", color="red",
                transform=ax.get_xaxis_transform(), clip_on=False, label="infinite (NaN output)")
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(names))])
    ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("max |y - float64 reference|")
    outside_legend(ax)
    save(fig, os.path.join(out_dir, "error.png"), written)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["isa"] != "skipped"]
    os.makedirs(argv[1], exist_ok=True)
    written = []
    throughput(rows, argv[1], written)
    errors(rows, argv[1], written)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
