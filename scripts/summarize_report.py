#!/usr/bin/env python3
"""Markdown summary of a benchmark CSV report (README.md, "CSV columns").

    summarize_report.py REPORT.csv [--log SWEEP_LOG] [--command COMMAND]

Prints Markdown to stdout; scripts/bench.sh appends it to the report it writes:
  - the peers the sweep measured or skipped, as the sweep's stderr (--log)
    names them, so that a report says which library versions it compares;
  - a scorecard: per thread count, the cases with a peer, the geometric mean
    of simdnorm's speedup over the best peer, the losing cases in a table, the
    cases no peer was measured on, the passes (--passes) and their spread,
    and the command (--command) that measured them;
  - simdnorm at its top instruction set against the peers on the N(0,1)
    family, at one thread and at the most threads of the run: one table row
    per case, or, for suites of more than LARGE_SUITE cases (the sweep suite),
    a table per method and layout followed by the cases simdnorm loses, since
    hundreds of rows are not read;
  - how many cases simdnorm wins against the best peer;
  - its bfloat16 and float16 calls against its float32 ones, and its fused calls
    against their unfused sequence, as ratios per method and layout, over every
    case and over those past L2;
  - the largest output and statistics errors per method, layout, data family
    and implementation, so that an accuracy loss shows next to the speed.
Standard library only, so that it runs under any python3. Exits 2 on bad
input.
"""
import argparse
import csv
import math
import re
import statistics
import sys
from collections import defaultdict

REQUIRED = ("method", "layout", "impl", "isa", "threads", "n", "c", "spatial", "groups", "d",
            "data", "time_ns", "gbps", "bw_fraction", "speedup_vs_best_peer", "max_abs_err",
            "stat_max_abs_err")
# Written since simdnorm_sweep --passes; a report without them ran one pass.
PASS_COLUMNS = ("passes", "pass_min_ns", "pass_max_ns")
SHAPE = ("n", "c", "spatial", "groups", "d")
ISA_ORDER = ("avx512", "avx2", "sse4.2", "sse2", "neon64")  # best first
PEER_NAMES = {"onednn": "oneDNN", "aten": "ATen"}
FAMILY_ORDER = ("normal", "offset1e4", "offset1e5")
TABLE_FAMILY = "median"  # not a data family: see Report._add_median_cells
SMALL_CALL_NS = 10_000  # below this, GB/s alone hides how short the call is
LARGE_SUITE = 120  # cases per thread count past which per-case tables are not read
MAX_LOSSES = 40  # losing cases listed; the rest are only counted
NO_OP = "—"
PEER_LINE = re.compile(r"simdnorm_sweep: peer (\S+): (.*)")
TYPED_METHOD = re.compile(r"^(?P<base>.+)_(?:bf16|f16)$")
# Tensors of this many elements or more are past L2 at 16 bits as at float32 (2 and 4 MiB;
# the server cores these kernels target have 1-2 MiB).
PAST_L2_ELEMENTS = 1 << 20


def number(text):
    """The cell as a float (nan and inf included), None when empty."""
    text = (text or "").strip()
    return float(text) if text else None


def load(path):
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(missing)}")
            return list(reader)
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")


def peer_lines(path):
    try:
        with open(path, errors="replace") as f:
            return [m.groups() for m in map(PEER_LINE.search, f) if m]
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}")


def case_of(row):
    return (row["method"], row["layout"]) + tuple(row[d] for d in SHAPE)


def is_peer(impl):
    # unfused: simdnorm's own calls without the fusion, the fused rows' baseline, not a peer.
    return impl not in ("scalar", "simdnorm", "unfused")


def median_text(values):
    """The median of values as text, "" unless every one is a number."""
    if not values or any(v is None for v in values):
        return ""
    return str(statistics.median(values))


def thread_label(threads):
    return f"{threads} thread" if threads == 1 else f"{threads} threads"


def top_isa(rows):
    """simdnorm's best instruction set in the report, None without simdnorm rows."""
    isas = {r["isa"] for r in rows if r["impl"] == "simdnorm"}
    return next((isa for isa in ISA_ORDER if isa in isas), min(isas, default=None))


def families_of(rows):
    """The data families of the rows, the documented ones first in their order."""
    found = {r["data"] for r in rows}
    return [f for f in FAMILY_ORDER if f in found] + sorted(found - set(FAMILY_ORDER))


def shape_text(case):
    """8x256x56x56 G=32 for activations (a square spatial size as HxW), 128x768 for rows."""
    fields = dict(zip(SHAPE, case[2:]))
    if case[1] == "rows":
        return f"{fields['n']}x{fields['d']}"
    parts = [fields["n"], fields["c"]]
    spatial = int(fields["spatial"]) if fields["spatial"] else 0
    side = math.isqrt(spatial)
    parts.append(f"{side}x{side}" if spatial and side * side == spatial else fields["spatial"])
    text = "x".join(p for p in parts if p)
    return f"{text} G={fields['groups']}" if fields["groups"] else text


def case_text(case):
    return f"{case[0]} {case[1]} {shape_text(case)}"


def error_text(value):
    return NO_OP if value is None else f"{value:.1e}"


def percent_text(fraction):
    return NO_OP if fraction is None else f"{100 * fraction:.1f}%"


def speedup_text(speedup):
    if speedup is None:
        return NO_OP
    return f"**{speedup:.2f}x**" if speedup < 1 else f"{speedup:.2f}x"


def table(header, rows, right_from):
    """A Markdown table, columns from right_from on right-aligned (figures)."""
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    return ["| " + " | ".join(cells) + " |" for cells in [header, align] + rows]


class Report:
    """The rows of one CSV, indexed for the comparisons below."""

    def __init__(self, rows):
        self.rows = rows
        self.cases = list(dict.fromkeys(case_of(r) for r in rows))
        self.top_isa = top_isa(rows)
        known = [p for p in PEER_NAMES if any(r["impl"] == p for r in rows)]
        others = sorted({r["impl"] for r in rows if is_peer(r["impl"])} - set(known))
        self.peers = known + others
        self.thread_counts = sorted({int(r["threads"]) for r in rows
                                     if r["impl"] == "simdnorm" and r["isa"] == self.top_isa})
        # (case, family, impl, threads) -> row: peers measured, simdnorm at its top ISA.
        self.cell = {}
        self.skipped = set()  # (case, peer)
        for r in rows:
            if r["isa"] == "skipped":
                self.skipped.add((case_of(r), r["impl"]))
            elif is_peer(r["impl"]) or r["isa"] == self.top_isa:
                self.cell[(case_of(r), r["data"], r["impl"], int(r["threads"]))] = r
        self._add_median_cells()

    def _add_median_cells(self):
        """Cells of family TABLE_FAMILY: each implementation's median time over the data
        families. Every family runs the same code on the same shape, so the families are
        independent measurements of one time, and their median damps a noisy machine. A
        simdnorm cell's speedups (against the best peer, against the unfused sequence) are
        the medians of its families' speedups, which simdnorm_sweep pairs pass by pass
        (each pass's times taken seconds apart); a report whose rows lack them (no peer on
        a family's row) falls back to the ratio of the median times."""
        times = {}
        for (case, family, impl, threads), row in self.cell.items():
            if number(row["time_ns"]) is not None:
                times.setdefault((case, impl, threads), []).append(row)
        for (case, impl, threads), rows in times.items():
            rows.sort(key=lambda r: number(r["time_ns"]))
            middle = dict(rows[len(rows) // 2])
            middle["speedup_vs_best_peer"] = ""
            middle["speedup_vs_unfused"] = ""
            if impl == "simdnorm":
                for column in ("speedup_vs_best_peer", "speedup_vs_unfused"):
                    middle[column] = median_text([number(r.get(column, "")) for r in rows])
            self.cell[(case, TABLE_FAMILY, impl, threads)] = middle
        for (case, family, impl, threads), row in list(self.cell.items()):
            if family != TABLE_FAMILY or impl != "simdnorm" or row["speedup_vs_best_peer"]:
                continue
            peer_times = [number(self.cell[(case, TABLE_FAMILY, p, threads)]["time_ns"])
                          for p in self.peers if (case, TABLE_FAMILY, p, threads) in self.cell]
            if peer_times:
                row["speedup_vs_best_peer"] = str(min(peer_times) / number(row["time_ns"]))

    def simdnorm(self, case, threads):
        return self.cell.get((case, TABLE_FAMILY, "simdnorm", threads))

    def cases_at(self, threads):
        return [case for case in self.cases if self.simdnorm(case, threads)]

    def speedup(self, case, threads):
        return number(self.simdnorm(case, threads)["speedup_vs_best_peer"])

    def throughput(self, case, impl, threads, unit=""):
        """GB/s, with the time in µs for calls under SMALL_CALL_NS."""
        row = self.cell.get((case, TABLE_FAMILY, impl, threads))
        if row is None or number(row["gbps"]) is None:
            return "skipped" if (case, impl) in self.skipped else NO_OP
        text = f"{number(row['gbps']):.1f}{unit}"
        time_ns = number(row["time_ns"])
        if time_ns is not None and time_ns < SMALL_CALL_NS:
            text += f" ({time_ns / 1000:.2f} µs)"
        return text

    def time(self, case, impl, threads):
        """The median time of an implementation on a case, None where not measured."""
        row = self.cell.get((case, TABLE_FAMILY, impl, threads))
        return None if row is None else number(row["time_ns"])

    def spread(self, case, impl, threads):
        """(slowest - fastest pass) / time of the cell, None with one pass or none recorded."""
        return pass_spread(self.cell.get((case, TABLE_FAMILY, impl, threads)))

    def best_peer(self, case, threads):
        """The fastest peer measured on the case, or None."""
        times = {peer: number(row["time_ns"]) for peer in self.peers
                 for row in [self.cell.get((case, TABLE_FAMILY, peer, threads))]
                 if row is not None and number(row["time_ns"]) is not None}
        return min(times, key=times.get) if times else None


def pass_spread(row):
    """(pass_max_ns - pass_min_ns) / time_ns of a row measured in several passes, else None."""
    if row is None or (number(row.get("passes")) or 1) < 2:
        return None
    fastest, slowest = number(row.get("pass_min_ns")), number(row.get("pass_max_ns"))
    time_ns = number(row["time_ns"])
    if fastest is None or slowest is None or not time_ns:
        return None
    return (slowest - fastest) / time_ns


def peers_section(lines):
    out = ["## Peers", ""]
    if not lines:
        return out + ["The sweep log names no peer.", ""]
    return out + [f"- {peer}: {text.strip()}" for peer, text in lines] + [""]


def case_table(report, threads):
    header = ["method", "layout", "shape", "simdnorm GB/s", "of copy"]
    header += [f"{PEER_NAMES.get(p, p)} GB/s" for p in report.peers] + ["vs best peer"]
    rows = []
    for case in report.cases_at(threads):
        fraction = number(report.simdnorm(case, threads)["bw_fraction"])
        rows.append([case[0], case[1], shape_text(case),
                     report.throughput(case, "simdnorm", threads),
                     NO_OP if fraction is None else f"{fraction:.2f}"]
                    + [report.throughput(case, p, threads) for p in report.peers]
                    + [speedup_text(report.speedup(case, threads))])
    return table(header, rows, 3)


def aggregate_table(report, threads):
    """Per method and layout: wins, geometric mean, min and max of the speedups."""
    groups = defaultdict(list)
    for case in report.cases_at(threads):
        groups[case[:2]].append(report.speedup(case, threads))
    rows = []
    for (method, layout), speedups in groups.items():
        measured = [s for s in speedups if s is not None]
        if measured:
            wins = sum(s > 1 for s in measured)
            geomean = math.exp(sum(math.log(s) for s in measured) / len(measured))
            figures = [f"{wins} of {len(measured)}", speedup_text(geomean),
                       speedup_text(min(measured)), speedup_text(max(measured))]
        else:
            figures = ["no peer measured", NO_OP, NO_OP, NO_OP]
        rows.append([method, layout, str(len(speedups))] + figures)
    return table(["method", "layout", "cases", "wins vs best peer", "geomean speedup",
                  "min", "max"], rows, 2)


def loss_list(report, threads):
    losses = sorted((s, case) for case in report.cases_at(threads)
                    for s in [report.speedup(case, threads)] if s is not None and s < 1)
    if not losses:
        return [f"No losing case at {thread_label(threads)}."]
    out = [f"Losing cases at {thread_label(threads)}, worst first:", ""]
    for speedup, case in losses[:MAX_LOSSES]:
        line = (f"- {case_text(case)}: {speedup_text(speedup)} "
                f"(simdnorm {report.throughput(case, 'simdnorm', threads, ' GB/s')}")
        best = report.best_peer(case, threads)
        if best:
            line += (f", {PEER_NAMES.get(best, best)} "
                     f"{report.throughput(case, best, threads, ' GB/s')}")
        out.append(line + ")")
    if len(losses) > MAX_LOSSES:
        out.append(f"- ... and {len(losses) - MAX_LOSSES} more")
    return out


def passes_line(report):
    """How many passes each row's time is the median of, and how far the passes were apart."""
    if not all(column in report.rows[0] for column in PASS_COLUMNS):
        return ("Passes: not recorded (a report from before `--passes`), so one: each time is "
                "the median of one run of repetitions.")
    passes = max((int(number(r["passes"])) for r in report.rows if number(r["passes"])),
                 default=1)
    if passes == 1:
        return ("Passes: 1. Each time is the median of one run of repetitions; `--passes N` "
                "runs the whole suite N times, interleaved, and reports each row's median pass.")
    spreads = sorted(((s, r) for r in report.rows for s in [pass_spread(r)] if s is not None),
                     key=lambda spread_row: spread_row[0])
    text = (f"Passes: {passes}, interleaved (each pass runs every row once, the next pass "
            f"starts after the last row). Each time is the median of the row's {passes} "
            "pass medians; every speedup is the median over the passes of the two times "
            "measured in the same pass, seconds apart, so that a slow spell of the machine "
            "between passes moves both sides of each ratio.")
    if spreads:
        largest, row = spreads[-1]
        text += (" Spread of a row, (slowest - fastest pass) / its time: "
                 f"median {percent_text(spreads[len(spreads) // 2][0])} over "
                 f"{len(spreads)} rows, largest {percent_text(largest)} "
                 f"({case_text(case_of(row))}, {row['impl']} {row['isa']}, "
                 f"{thread_label(int(row['threads']))}, {row['data']}).")
    return text


def no_peer_line(report):
    """The cases that have no speedup, per method and layout, with the reason."""
    missing = {}  # (method, layout, reason) -> cases
    for threads in report.thread_counts:
        for case in report.cases_at(threads):
            if report.speedup(case, threads) is not None:
                continue
            skipped = any((case, p) in report.skipped for p in report.peers)
            reason = "the peers were skipped" if skipped else "no peer has the method"
            missing.setdefault((case[0], case[1], reason), set()).add(case)
    if not missing:
        return "Every case has a measured peer."
    parts = [f"{method} {layout} ({len(cases)} {'case' if len(cases) == 1 else 'cases'}: "
             f"{reason})" for (method, layout, reason), cases in missing.items()]
    return ("No peer measured, so left out of the geometric mean: " + ", ".join(parts) + ".")


def scorecard_table(report):
    rows = []
    for threads in report.thread_counts:
        cases = report.cases_at(threads)
        measured = [s for s in (report.speedup(c, threads) for c in cases) if s is not None]
        if measured:
            geomean = math.exp(sum(math.log(s) for s in measured) / len(measured))
            figures = [str(sum(s > 1 for s in measured)), str(sum(s < 1 for s in measured)),
                       speedup_text(geomean), speedup_text(min(measured)),
                       speedup_text(max(measured))]
        else:
            figures = ["0", "0", NO_OP, NO_OP, NO_OP]
        rows.append([str(threads), str(len(cases)), str(len(measured))] + figures)
    return table(["threads", "cases", "with a peer", "wins", "losses",
                  "geomean vs best peer", "min", "max"], rows, 1)


def losing_table(report, threads):
    losses = sorted((s, case) for case in report.cases_at(threads)
                    for s in [report.speedup(case, threads)] if s is not None and s < 1)
    if not losses:
        return [f"No losing case at {thread_label(threads)}."]
    with_spread = any(pass_spread(r) is not None for r in report.rows)
    header = ["method", "layout", "shape", "simdnorm GB/s", "best peer", "peer GB/s",
              "vs best peer"] + (["pass spread simdnorm / peer"] if with_spread else [])
    rows = []
    for speedup, case in losses[:MAX_LOSSES]:
        best = report.best_peer(case, threads)
        cells = [case[0], case[1], shape_text(case),
                 report.throughput(case, "simdnorm", threads), PEER_NAMES.get(best, best),
                 report.throughput(case, best, threads), speedup_text(speedup)]
        if with_spread:
            cells.append(f"{percent_text(report.spread(case, 'simdnorm', threads))} / "
                         f"{percent_text(report.spread(case, best, threads))}")
        rows.append(cells)
    out = [f"Losing cases at {thread_label(threads)} ({len(losses)}), worst first:", ""]
    out += table(header, rows, 3)
    if len(losses) > MAX_LOSSES:
        out += ["", f"... and {len(losses) - MAX_LOSSES} more."]
    return out


def scorecard_section(report, command):
    out = ["## Scorecard", ""]
    if report.top_isa is None:
        return out + ["The report has no simdnorm rows.", ""]
    out += [f"simdnorm on its top instruction set ({report.top_isa}: the one it runs by "
            "default, not the fastest one of each case) against the fastest peer measured on "
            "the same case at the same thread count, one speedup (`speedup_vs_best_peer`) per "
            "case: each implementation's time is its median over the data families, as in the "
            "tables below, and the speedup is the median over the families of the best peer's "
            "time over simdnorm's, paired pass by pass (see Passes). Wins are "
            "speedups above 1, losses below 1; the geometric mean is over the cases with a "
            "peer.", ""]
    out += scorecard_table(report) + ["", no_peer_line(report), "", passes_line(report)]
    if command:
        out += ["", f"Command: `{command}`"]
    out.append("")
    for threads in report.thread_counts:
        if any(report.speedup(case, threads) is not None for case in report.cases_at(threads)):
            out += losing_table(report, threads) + [""]
    return out


def win_line(report, shown):
    counts = []
    for threads in shown:
        measured = [s for s in (report.speedup(c, threads) for c in report.cases_at(threads))
                    if s is not None]
        if measured:
            noun = "" if counts else " cases"
            counts.append(f"{sum(s > 1 for s in measured)} of {len(measured)}{noun} "
                          f"at {thread_label(threads)}")
    if not counts:
        return "No peer was measured on any case, so simdnorm has no comparison."
    return (f"simdnorm ({report.top_isa}) is faster than the best peer in " + ", ".join(counts)
            + " (median over the data families; cases with no measured peer left out).")


def against_peers_section(report):
    out = ["## simdnorm against peers", ""]
    if report.top_isa is None:
        return out + ["The report has no simdnorm rows.", ""]
    shown = sorted({report.thread_counts[0], report.thread_counts[-1]})
    out += [f"simdnorm on its top instruction set ({report.top_isa}). Each figure is the "
            "implementation's median over the data families: they run the same code on the same "
            "shape, so they are independent measurements of one time. "
            "GB/s counts every buffer read and written once; times in µs are shown for calls "
            f"under {SMALL_CALL_NS // 1000} µs. \"of copy\" is simdnorm's GB/s over the copy "
            "bandwidth at the same thread count. \"vs best peer\" is the fastest measured "
            "peer's time over simdnorm's, paired pass by pass (see Passes), in bold when "
            "simdnorm is slower. "
            f"{NO_OP}: the peer has no such operation; skipped: the peer was not measured "
            "(see Peers).", ""]
    for threads in shown:
        out += [f"### {thread_label(threads)}", ""]
        if len(report.cases_at(threads)) > LARGE_SUITE:
            out += aggregate_table(report, threads) + [""] + loss_list(report, threads)
        else:
            out += case_table(report, threads)
        out.append("")
    return out + [win_line(report, shown), ""]


def elements_of(case):
    """The element count of a case's input tensor."""
    fields = {k: int(v) if v else 1 for k, v in zip(SHAPE, case[2:])}
    if case[1] == "rows":
        return fields["n"] * fields["d"]
    return fields["n"] * fields["c"] * fields["spatial"]


def geometric_mean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def typed_ratios(report, threads):
    """(method, layout) -> [(case, float32 time / 16-bit time)]: simdnorm's bfloat16 and
    float16 cases that have a float32 twin (the method without its suffix, the same shape)."""
    ratios = defaultdict(list)
    for case in report.cases_at(threads):
        match = TYPED_METHOD.match(case[0])
        if match is None:
            continue
        narrow = report.time(case, "simdnorm", threads)
        wide = report.time((match["base"],) + case[1:], "simdnorm", threads)
        if narrow and wide:
            ratios[case[:2]].append((case, wide / narrow))
    return ratios


def fused_ratios(report, threads):
    """(method, layout) -> [(case, unfused time / fused time)] for the fused calls."""
    ratios = defaultdict(list)
    for case in report.cases_at(threads):
        fused = report.time(case, "simdnorm", threads)
        unfused = report.time(case, "unfused", threads)
        if fused and unfused:
            paired = number(report.simdnorm(case, threads).get("speedup_vs_unfused", ""))
            ratios[case[:2]].append((case, paired if paired is not None else unfused / fused))
    return ratios


def ratio_table(report, ratios_of):
    """Per thread count, method and layout: the ratios' geometric mean over every case and
    over the cases past L2, and the smallest past L2 with its shape; None without ratios."""
    rows = []
    for threads in report.thread_counts:
        for (method, layout), pairs in ratios_of(report, threads).items():
            past = sorted((ratio, shape_text(case)) for case, ratio in pairs
                          if elements_of(case) >= PAST_L2_ELEMENTS)
            cells = [str(threads), method, layout, str(len(pairs)),
                     speedup_text(geometric_mean([ratio for _, ratio in pairs])), str(len(past))]
            if past:
                cells += [speedup_text(geometric_mean([ratio for ratio, _ in past])),
                          f"{speedup_text(past[0][0])} ({past[0][1]})"]
            else:
                cells += [NO_OP, NO_OP]
            rows.append(cells)
    if not rows:
        return None
    return table(["threads", "method", "layout", "cases", "geomean", "past L2", "geomean past L2",
                  "min past L2"], rows, 3)


def typed_section(report):
    ratios = ratio_table(report, typed_ratios)
    if ratios is None:
        return []
    return ["## 16-bit types against float32", "",
            f"simdnorm's bfloat16 and float16 calls on its top instruction set ({report.top_isa}) "
            "against its float32 call of the same method, layout and shape at the same thread "
            "count: the float32 time over the 16-bit time, each the median over the data "
            "families, so the ratio of elements per second. A 16-bit tensor moves half the "
            "bytes, so a call bound by memory can approach 2x. \"past L2\": inputs of "
            f"{PAST_L2_ELEMENTS:,} elements or more (4 MiB at float32, 2 MiB at 16 bits), where "
            "the target is 1.8x.", ""] + ratios + [""]


def fused_section(report):
    ratios = ratio_table(report, fused_ratios)
    if ratios is None:
        return []
    return ["## Fused calls against their unfused sequence", "",
            "Each fused call against the sequence an engine runs without it (the `unfused` rows: "
            "the plain call then the activation as a pass of its own, or the residual add then "
            "the plain norm), on the same instruction set at the same thread count: the "
            "sequence's time over the fused call's, paired pass by pass (see Passes), the "
            "median over the data families. "
            "\"past L2\" as above; the target there is 1.4x.", ""] + ratios + [""]


def worst(values):
    """The largest error; NaN ranks above everything, as an unusable output."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return next((v for v in values if math.isnan(v)), max(values))


def error_table(report, column):
    families = families_of(report.rows)
    by_key = defaultdict(list)  # (method, layout, impl, family) -> values
    for r in report.rows:
        by_key[(r["method"], r["layout"], r["impl"], r["data"])].append(number(r[column]))
    impls = [i for i in ["scalar", "simdnorm"] + report.peers
             if any(worst(v) is not None for k, v in by_key.items() if k[2] == i)]
    rows = []
    for method, layout in dict.fromkeys(case[:2] for case in report.cases):
        cells = [error_text(worst(by_key.get((method, layout, i, f), [])))
                 for i in impls for f in families]
        if any(cell != NO_OP for cell in cells):
            rows.append([method, layout] + cells)
    if not rows:
        return []
    return table(["method", "layout"] + [f"{i} {f}" for i in impls for f in families], rows, 2)


def accuracy_section(report):
    out = ["## Accuracy", "",
           "Largest error against the float64 reference over the cases of each method and "
           "layout, per implementation and data family (simdnorm: over every instruction set "
           f"and thread count; {NO_OP}: not measured).", "",
           "Output (max_abs_err):", ""]
    out += error_table(report, "max_abs_err") + [""]
    stats = error_table(report, "stat_max_abs_err")
    if stats:
        out += ["Statistics (stat_max_abs_err):", ""] + stats + [""]
    return out


def summary(rows, log_lines, command=None):
    out = [] if log_lines is None else peers_section(log_lines)
    if not rows:
        return out + ["The report has no rows.", ""]
    report = Report(rows)
    return (out + scorecard_section(report, command) + against_peers_section(report)
            + typed_section(report) + fused_section(report) + accuracy_section(report))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="CSV written by simdnorm_sweep")
    parser.add_argument("--log", help="stderr of the sweep, for the peers' versions")
    parser.add_argument("--command", help="the command that measured the report, for the "
                        "scorecard")
    args = parser.parse_args(argv)
    try:
        rows = load(args.report)
        log_lines = None if args.log is None else peer_lines(args.log)
    except ValueError as e:
        print(f"summarize: {e}", file=sys.stderr)
        return 2
    sys.stdout.reconfigure(encoding="utf-8")  # µs and dashes, whatever the locale
    print("\n".join(summary(rows, log_lines, args.command)).rstrip("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
