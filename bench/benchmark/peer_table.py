#!/usr/bin/env python3
"""Markdown tables from simdnorm_bench JSON runs (one file per thread count).

    peer_table.py run_t1.json [run_t2.json ...] > table.md

Rows are method x layout x shape; columns are simdnorm's and each peer's
median rate in GB/s (10^9 bytes of input read plus output written per
second), simdnorm's time, its ratio to the best peer that ran (> 1: simdnorm
is faster) and its fraction of the Copy family's rate at about the same size
(within a factor of 2) in the same run. A peer that was skipped shows its reason; a labelled row (ATen's
channels-last instance norm, which returns NCHW) shows the label.
"""
import json
import re
import sys
from collections import OrderedDict

NAME = re.compile(r"^(?P<family>[A-Za-z]+?)(?:_(?P<peer>onednn|aten))?(?:/(?P<layout>nchw|nhwc))?/(?P<args>.*)$")


def args_of(text):
    return OrderedDict((k, int(v)) for k, v in (part.split(":") for part in text.split("/")))


def floats_of(family, args):
    if family in ("LayerNorm", "RmsNorm"):
        return args["rows"] * args["d"]
    if family == "Copy":
        return args["floats"]
    return args["n"] * args["c"] * args["spatial"]


def load(path):
    data = json.load(open(path))
    rows = OrderedDict()
    copies = {}
    skipped = {}
    for b in data["benchmarks"]:
        m = NAME.match(b["run_name"])
        if not m:
            continue
        family, peer, layout, args_text = m.group("family", "peer", "layout", "args")
        key = (family, layout or "rows", args_text)
        impl = peer or "simdnorm"
        if b.get("error_occurred"):
            skipped.setdefault(key, {})[impl] = b.get("error_message", "skipped")
            continue
        if b.get("aggregate_name") != "median":
            continue
        entry = (b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]],
                 b.get("bytes_per_second", 0.0) / 1e9, b.get("label", ""))
        if family == "Copy":
            copies[args_of(args_text)["floats"]] = entry[1]
            continue
        rows.setdefault(key, OrderedDict())[impl] = entry
    for key, peers in skipped.items():
        for impl, why in peers.items():
            rows.setdefault(key, OrderedDict()).setdefault(impl, (None, None, "skipped: " + why))
    return data["context"], rows, copies


def main(paths):
    for path in paths:
        context, rows, copies = load(path)
        threads = context.get("threads", "?")
        print(f"### {threads} thread(s): `{path.split('/')[-1]}`\n")
        print(f"CPU: {context.get('num_cpus')} x {context.get('mhz_per_cpu')} MHz; simdnorm ISA "
              f"{context.get('simdnorm_isa')}; oneDNN {context.get('onednn_version', '-')}; "
              f"torch {context.get('torch_version', '-')}. Copy: "
              + ", ".join(f"{f * 4 / 2**20:.0f} MiB {gbps:.1f} GB/s" for f, gbps in sorted(copies.items()))
              + "\n")
        print("| method | layout | shape | simdnorm GB/s | time | oneDNN GB/s | ATen GB/s | vs best peer | of copy |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|")
        wins = losses = 0
        for (family, layout, args_text), impls in rows.items():
            ours = impls.get("simdnorm")
            if ours is None or ours[0] is None:
                continue
            args = args_of(args_text)
            floats = floats_of(family, args)
            # The copy ceiling measured at a size within a factor of 2 of this
            # one (the reference tensors and 256 MiB); none for small shapes,
            # which run from cache.
            ceiling = next((copies[f] for f in sorted(copies) if f / 2 <= floats <= 2 * f), None)

            def cell(impl):
                got = impls.get(impl)
                if got is None:
                    return "-"
                if got[0] is None:
                    return "skipped"
                return f"{got[1]:.1f}" + (f" ({got[2]})" if got[2] else "")

            ran = [v for k, v in impls.items() if k != "simdnorm" and v[0] is not None and not v[2]]
            best = max((v[1] for v in ran), default=None)
            ratio = f"{ours[1] / best:.2f}x" if best else "-"
            if best:
                wins += ours[1] > best
                losses += ours[1] <= best
            time = ours[0]
            if time < 1e3:
                time_text = f"{time:.0f} ns"
            elif time < 1e6:
                time_text = f"{time / 1e3:.1f} us"
            else:
                time_text = f"{time / 1e6:.2f} ms"
            fraction = f"{ours[1] / ceiling:.2f}" if ceiling else "-"
            shape = "x".join(str(v) for v in args.values())
            print(f"| {family} | {layout} | {shape} | {ours[1]:.1f} | {time_text} | {cell('onednn')} | "
                  f"{cell('aten')} | {ratio} | {fraction} |")
        print(f"\nsimdnorm faster than the best peer that ran: {wins} rows; not faster: {losses}.\n")


if __name__ == "__main__":
    main(sys.argv[1:])
