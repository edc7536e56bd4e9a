#!/usr/bin/env python3
"""scripts/summarize_report.py on small crafted reports: the peers named in
the sweep log, a table per thread count with skipped and absent peers told
apart, times as medians over the data families, losses in bold, the win count,
the worst errors, the per-method aggregate that replaces the per-case table for
suites of many cases, and the scorecard (geometric mean over the cases with a
peer, losing cases, passes and their spread), and the ratios of 16-bit calls to
float32 ones and of fused calls to their unfused sequence."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARIZE = os.path.join(ROOT, "scripts", "summarize_report.py")
COLUMNS = ("method,layout,impl,isa,threads,n,c,spatial,groups,d,data,bytes,time_ns,gbps,"
           "bw_fraction,speedup_vs_scalar,speedup_vs_best_peer,max_abs_err,mean_abs_err,"
           "stat_max_abs_err").split(",")
PASS_COLUMNS = ["passes", "pass_min_ns", "pass_max_ns"]  # since simdnorm_sweep --passes
FAMILIES = ("normal", "offset1e4", "offset1e5")


def row(shape, impl, isa, threads, data, time_ns, peer_ns=None, max_err="1e-6", stat_err=""):
    """shape: (method, layout, n, c, spatial, groups, d); 1000 bytes a call."""
    r = dict(zip(COLUMNS, shape[:2] + (impl, isa, str(threads)) + shape[2:] + (data,)))
    r.update(bytes="1000", time_ns=str(time_ns), gbps=f"{1000 / time_ns:.3f}",
             bw_fraction="0.5000", speedup_vs_scalar="",
             speedup_vs_best_peer="" if peer_ns is None else f"{peer_ns / time_ns:.3f}",
             max_abs_err=max_err, mean_abs_err="1e-7", stat_max_abs_err=stat_err)
    return r


def skipped(shape, impl, threads, data):
    r = dict.fromkeys(COLUMNS, "")
    r.update(zip(COLUMNS, shape[:2] + (impl, "skipped", str(threads)) + shape[2:] + (data,)))
    return r


LAYER = ("layer_norm", "rows", "1", "", "", "", "768")
GROUP = ("group_norm", "nchw", "8", "256", "3136", "32", "")
RMS = ("rms_norm", "rows", "128", "", "", "", "768")


def small_report():
    """layer_norm: wins at 1 thread, loses at 2; group_norm: ATen skipped, no oneDNN op;
    rms_norm: no peer at all."""
    rows = []
    for data in FAMILIES:
        offset_err = {"normal": "1e-6", "offset1e4": "2e-4", "offset1e5": "3e-3"}[data]
        rows.append(row(LAYER, "scalar", "scalar", 1, data, 4000, 500))
        for isa, scale in (("avx512", 1), ("avx2", 2)):
            rows.append(row(LAYER, "simdnorm", isa, 1, data, 250 * scale, 500, max_err=offset_err,
                            stat_err="5e-8"))
            rows.append(row(LAYER, "simdnorm", isa, 2, data, 200 * scale, 100))
        rows.append(row(LAYER, "onednn", "avx512_core_amx", 1, data, 500))
        rows.append(row(LAYER, "onednn", "avx512_core_amx", 2, data, 100, max_err="9e-6"))
        rows.append(skipped(LAYER, "aten", 1, data))
        rows.append(skipped(LAYER, "aten", 2, data))
        rows.append(row(GROUP, "scalar", "scalar", 1, data, 900000))
        rows.append(row(GROUP, "simdnorm", "avx512", 1, data, 50000,
                        max_err="inf" if data == "offset1e5" else "1e-6"))
        rows.append(row(GROUP, "simdnorm", "avx512", 2, data, 30000))
        rows.append(skipped(GROUP, "aten", 1, data))
        rows.append(skipped(GROUP, "aten", 2, data))
        rows.append(row(RMS, "simdnorm", "avx512", 1, data, 20000))
        rows.append(row(RMS, "simdnorm", "avx512", 2, data, 12000))
    return rows


def scorecard_report():
    """Three passes, N(0,1) only. speedup_vs_best_peer of simdnorm (avx512) per case:
    layer_norm 1x768: 2.0 at 1 thread, 3.0 at 2; 128x768: 0.5 and 0.75 (losses);
    512x1024 (ATen skipped, oneDNN measured): 4.0 and 2.0; rms_norm: no peer. A faster
    avx2 row on 128x768 must not count: the scorecard takes the top instruction set."""
    shapes = {"1x768": ("layer_norm", "rows", "1", "", "", "", "768"),
              "128x768": ("layer_norm", "rows", "128", "", "", "", "768"),
              "512x1024": ("layer_norm", "rows", "512", "", "", "", "1024")}
    # shape -> {threads: (simdnorm ns, onednn ns, aten ns or None for skipped)}
    times = {"1x768": {1: (250, 500, 1000), 2: (100, 300, 600)},
             "128x768": {1: (1000, 500, 800), 2: (400, 300, 900)},
             "512x1024": {1: (1000, 4000, None), 2: (500, 1000, None)}}
    rows = []

    def passed(r, fastest=None, slowest=None):
        time_ns = int(r["time_ns"])
        r.update(passes="3", pass_min_ns=str(fastest or time_ns),
                 pass_max_ns=str(slowest or time_ns))
        return r

    for name, shape in shapes.items():
        for threads, (simdnorm_ns, onednn_ns, aten_ns) in times[name].items():
            best = min(t for t in (onednn_ns, aten_ns) if t is not None)
            noisy = name == "128x768" and threads == 1  # passes 900, 1000, 1200 ns
            rows.append(passed(row(shape, "simdnorm", "avx512", threads, "normal", simdnorm_ns,
                                   best), *((900, 1200) if noisy else ())))
            rows.append(passed(row(shape, "simdnorm", "avx2", threads, "normal", 100, best)))
            rows.append(passed(row(shape, "onednn", "avx512_core", threads, "normal", onednn_ns,
                                   best), *((490, 510) if noisy else ())))
            rows.append(passed(row(shape, "aten", "avx2", threads, "normal", aten_ns, best))
                        if aten_ns else skipped(shape, "aten", threads, "normal"))
    for threads in (1, 2):
        rows.append(passed(row(RMS, "simdnorm", "avx512", threads, "normal", 2000)))
    return rows


def large_report(cases):
    """batch_norm_inference on `cases` shapes: simdnorm loses every case, at 0.5x to 0.9x."""
    rows = []
    for i in range(cases):
        shape = ("batch_norm_inference", "nhwc", str(i + 1), "64", "784", "", "")
        for threads in (1, 2):
            peer_ns = 50000 + 100 * i
            rows.append(row(shape, "simdnorm", "avx512", threads, "normal", 100000, peer_ns))
            rows.append(row(shape, "aten", "avx512", threads, "normal", peer_ns))
    return rows


def ratio_report():
    """layer_norm at float32 and bfloat16 on 128x768 (98,304 elements, in L2) and 512x4096
    (past L2), and float16 on 512x4096 only; add_layer_norm with its unfused sequence on
    512x4096. Times per thread count, N(0,1) only."""
    small = ("128", "", "", "", "768")
    large = ("512", "", "", "", "4096")
    # (method, shape, impl) -> {threads: ns}
    times = {("layer_norm", small, "simdnorm"): {1: 1000, 2: 600},
             ("layer_norm_bf16", small, "simdnorm"): {1: 800, 2: 500},
             ("layer_norm", large, "simdnorm"): {1: 36000, 2: 20000},
             ("layer_norm_bf16", large, "simdnorm"): {1: 20000, 2: 16000},
             ("layer_norm_f16", large, "simdnorm"): {1: 40000, 2: 10000},
             ("add_layer_norm", large, "simdnorm"): {1: 50000, 2: 30000},
             ("add_layer_norm", large, "unfused"): {1: 75000, 2: 27000}}
    rows = []
    for (method, shape, impl), by_threads in times.items():
        for threads, ns in by_threads.items():
            rows.append(row((method, "rows") + shape, impl, "avx512", threads, "normal", ns))
    return rows


class Summarize(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def summarize(self, rows, log=None, columns=COLUMNS, command_line=None):
        with open(self.path("report.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        command = [sys.executable, SUMMARIZE, self.path("report.csv")]
        if log is not None:
            with open(self.path("sweep.log"), "w") as f:
                f.write(log)
            command += ["--log", self.path("sweep.log")]
        if command_line is not None:
            command += ["--command", command_line]
        done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8")
        return done.returncode, done.stdout, done.stderr

    def section(self, out, heading):
        """The lines under a Markdown heading, up to the next heading of any level."""
        lines = out.splitlines()
        start = lines.index(heading) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
        return lines[start:end]

    def table_row(self, lines, prefix):
        return next(line for line in lines if line.startswith(prefix))

    def test_peer_lines_come_from_the_log(self):
        log = ("simdnorm_sweep: copy bandwidth 14.00 GB/s at 1 thread (read + write)\n"
               "simdnorm_sweep: peer onednn: oneDNN 2.6.3 (openmp runtime, avx512_core_amx)\n"
               "[1/9] layer_norm rows n=1 d=768 normal: scalar/scalar 0.004 ms\n"
               "simdnorm_sweep: peer aten: skipped (SIMDNORM_BENCH_PEERS=OFF)\n")
        code, out, _ = self.summarize(small_report(), log)
        self.assertEqual(code, 0)
        self.assertEqual(self.section(out, "## Peers"),
                         ["", "- onednn: oneDNN 2.6.3 (openmp runtime, avx512_core_amx)",
                          "- aten: skipped (SIMDNORM_BENCH_PEERS=OFF)", ""])
        self.assertNotIn("## Peers", self.summarize(small_report())[1])

    def test_one_table_per_thread_count_with_skipped_and_absent_peers(self):
        code, out, _ = self.summarize(small_report())
        self.assertEqual(code, 0)
        one, two = self.section(out, "### 1 thread"), self.section(out, "### 2 threads")
        header = "| method | layout | shape | simdnorm GB/s | of copy | oneDNN GB/s | ATen GB/s |"
        self.assertTrue(self.table_row(one, "| method").startswith(header))
        # Small calls show their time; the top ISA (avx512), not avx2, is the one shown.
        self.assertEqual(self.table_row(one, "| layer_norm"),
                         "| layer_norm | rows | 1x768 | 4.0 (0.25 µs) | 0.50 | 2.0 (0.50 µs) "
                         "| skipped | 2.00x |")
        self.assertEqual(self.table_row(two, "| layer_norm"),
                         "| layer_norm | rows | 1x768 | 5.0 (0.20 µs) | 0.50 | 10.0 (0.10 µs) "
                         "| skipped | **0.50x** |")
        self.assertEqual(self.table_row(one, "| group_norm"),
                         "| group_norm | nchw | 8x256x56x56 G=32 | 0.0 | 0.50 | — | skipped "
                         "| — |")
        self.assertEqual(self.table_row(one, "| rms_norm"),
                         "| rms_norm | rows | 128x768 | 0.1 | 0.50 | — | — | — |")
        self.assertIn("simdnorm (avx512) is faster than the best peer in 1 of 1 cases at 1 thread, "
                      "0 of 1 at 2 threads", out)

    def test_times_are_the_median_over_the_data_families(self):
        # One noisy family (a preempted run) moves neither the figure nor the speedup.
        rows = []
        for data, simdnorm_ns, peer_ns in (("normal", 900, 500), ("offset1e4", 250, 480),
                                           ("offset1e5", 260, 520)):
            rows.append(row(LAYER, "simdnorm", "avx512", 1, data, simdnorm_ns, peer_ns))
            rows.append(row(LAYER, "onednn", "avx512_core_amx", 1, data, peer_ns))
        one = self.section(self.summarize(rows)[1], "### 1 thread")
        self.assertEqual(self.table_row(one, "| layer_norm"),
                         "| layer_norm | rows | 1x768 | 3.8 (0.26 µs) | 0.50 | 2.0 (0.50 µs) "
                         "| 1.92x |")

    def test_accuracy_takes_the_worst_over_isas_and_threads(self):
        out = self.summarize(small_report())[1]
        output = self.section(out, "## Accuracy")
        header = self.table_row(output, "| method")
        self.assertIn("| simdnorm offset1e5 | onednn normal |", header)
        self.assertNotIn("aten", header)  # skipped everywhere: nothing measured
        self.assertEqual(self.table_row(output, "| layer_norm"),
                         "| layer_norm | rows | 1.0e-06 | 1.0e-06 | 1.0e-06 | 1.0e-06 | 2.0e-04 "
                         "| 3.0e-03 | 9.0e-06 | 9.0e-06 | 9.0e-06 |")
        self.assertIn("| group_norm | nchw | 1.0e-06 | 1.0e-06 | 1.0e-06 | 1.0e-06 | 1.0e-06 "
                      "| inf | — | — | — |", output)
        statistics = output[output.index("Statistics (stat_max_abs_err):"):]
        self.assertEqual(len([line for line in statistics if line.startswith("| layer_norm")]), 1)
        self.assertFalse([line for line in statistics if line.startswith("| rms_norm")])

    def test_many_cases_are_aggregated_and_losses_capped(self):
        code, out, _ = self.summarize(large_report(150))
        self.assertEqual(code, 0)
        one = self.section(out, "### 1 thread")
        self.assertTrue(self.table_row(one, "| method").startswith("| method | layout | cases |"))
        self.assertEqual(self.table_row(one, "| batch_norm_inference"),
                         "| batch_norm_inference | nhwc | 150 | 0 of 150 | **0.57x** | **0.50x** "
                         "| **0.65x** |")
        losses = [line for line in one if line.startswith("- ")]
        self.assertEqual(len(losses), 41)
        self.assertEqual(losses[0], "- batch_norm_inference nhwc 1x64x28x28: **0.50x** "
                                    "(simdnorm 0.0 GB/s, ATen 0.0 GB/s)")
        self.assertEqual(losses[-1], "- ... and 110 more")
        self.assertIn("0 of 150 cases at 1 thread, 0 of 150 at 2 threads", out)

    def test_scorecard_takes_the_geometric_mean_over_cases_with_a_peer(self):
        code, out, _ = self.summarize(scorecard_report(), columns=COLUMNS + PASS_COLUMNS,
                                      command_line="scripts/bench.sh --suite reference --passes 3")
        self.assertEqual(code, 0)
        card = self.section(out, "## Scorecard")
        self.assertIn("top instruction set (avx512", card[1])
        # (2.0 * 0.5 * 4.0) ** (1/3) = 1.587 and (3.0 * 0.75 * 2.0) ** (1/3) = 1.651; rms_norm,
        # without a peer, counts as a case and nowhere else.
        self.assertEqual(self.table_row(card, "| 1 "),
                         "| 1 | 4 | 3 | 2 | 1 | 1.59x | **0.50x** | 4.00x |")
        self.assertEqual(self.table_row(card, "| 2 "),
                         "| 2 | 4 | 3 | 2 | 1 | 1.65x | **0.75x** | 3.00x |")
        self.assertIn("No peer measured, so left out of the geometric mean: rms_norm rows "
                      "(1 case: no peer has the method).", card)
        self.assertIn("Command: `scripts/bench.sh --suite reference --passes 3`", card)
        passes = self.table_row(card, "Passes: 3, interleaved")
        self.assertIn("largest 30.0% (layer_norm rows 128x768, simdnorm avx512, 1 thread, "
                      "normal)", passes)

    def test_scorecard_lists_the_losing_cases_per_thread_count(self):
        card = self.section(self.summarize(scorecard_report(), columns=COLUMNS + PASS_COLUMNS)[1],
                            "## Scorecard")
        self.assertIn("Losing cases at 1 thread (1), worst first:", card)
        losses = [line for line in card if line.startswith("| layer_norm")]
        self.assertEqual(losses, [
            "| layer_norm | rows | 128x768 | 1.0 (1.00 µs) | oneDNN | 2.0 (0.50 µs) | **0.50x** "
            "| 30.0% / 4.0% |",
            "| layer_norm | rows | 128x768 | 2.5 (0.40 µs) | oneDNN | 3.3 (0.30 µs) | **0.75x** "
            "| 0.0% / 0.0% |"])
        self.assertNotIn("Command:", "\n".join(card))

    def test_scorecard_of_a_one_pass_report_without_pass_columns(self):
        card = self.section(self.summarize(small_report())[1], "## Scorecard")
        self.assertEqual(self.table_row(card, "| 1 "),
                         "| 1 | 3 | 1 | 1 | 0 | 2.00x | 2.00x | 2.00x |")
        self.assertIn("No peer measured, so left out of the geometric mean: group_norm nchw "
                      "(1 case: the peers were skipped), rms_norm rows (1 case: no peer has the "
                      "method).", card)
        self.assertTrue(self.table_row(card, "Passes: not recorded"))
        self.assertNotIn("pass spread", self.table_row(card, "| method"))
        self.assertIn("No losing case at 1 thread.", card)
        self.assertIn("Losing cases at 2 threads (1), worst first:", card)

    def test_16_bit_calls_against_float32(self):
        code, out, _ = self.summarize(ratio_report())
        self.assertEqual(code, 0)
        typed = self.section(out, "## 16-bit types against float32")
        self.assertIn("| threads | method | layout | cases | geomean | past L2 | geomean past L2 "
                      "| min past L2 |", typed)
        # 1 thread: 1000 / 800 = 1.25 in L2, 36000 / 20000 = 1.8 past it: geomean 1.5.
        self.assertIn("| 1 | layer_norm_bf16 | rows | 2 | 1.50x | 1 | 1.80x | 1.80x (512x4096) |",
                      typed)
        self.assertIn("| 2 | layer_norm_bf16 | rows | 2 | 1.22x | 1 | 1.25x | 1.25x (512x4096) |",
                      typed)
        # Slower than float32 at 1 thread: in bold.
        self.assertIn("| 1 | layer_norm_f16 | rows | 1 | **0.90x** | 1 | **0.90x** | **0.90x** "
                      "(512x4096) |", typed)
        self.assertIn("| 2 | layer_norm_f16 | rows | 1 | 2.00x | 1 | 2.00x | 2.00x (512x4096) |",
                      typed)
        # Fused calls have no 16-bit twin here; the float32 ones are not rows of their own.
        self.assertFalse([line for line in typed if "| add_layer_norm" in line
                          or "| layer_norm |" in line])

    def test_fused_calls_against_their_unfused_sequence(self):
        fused = self.section(self.summarize(ratio_report())[1],
                             "## Fused calls against their unfused sequence")
        self.assertEqual([line for line in fused if line.startswith("| 1 ")
                          or line.startswith("| 2 ")],
                         ["| 1 | add_layer_norm | rows | 1 | 1.50x | 1 | 1.50x | 1.50x "
                          "(512x4096) |",
                          "| 2 | add_layer_norm | rows | 1 | **0.90x** | 1 | **0.90x** | "
                          "**0.90x** (512x4096) |"])
        # Neither section without the rows it compares.
        out = self.summarize(small_report())[1]
        self.assertNotIn("## 16-bit types", out)
        self.assertNotIn("## Fused calls", out)

    def test_speedups_are_the_reports_paired_figures(self):
        # simdnorm_sweep pairs each speedup pass by pass; a slow spell can leave a row's
        # median time behind its peer's while every pass, taken alone, was a win. The
        # summary's speedups are the families' paired figures, not the times' ratio.
        rows = []
        for data, paired in (("normal", "1.100"), ("offset1e4", "1.200"), ("offset1e5", "1.050")):
            rows.append(dict(row(LAYER, "simdnorm", "avx512", 1, data, 1000),
                             speedup_vs_best_peer=paired, speedup_vs_unfused="1.300"))
            rows.append(row(LAYER, "onednn", "avx512_core_amx", 1, data, 900))
            rows.append(row(LAYER, "unfused", "avx512", 1, data, 1000))
        out = self.summarize(rows, columns=COLUMNS + ["speedup_vs_unfused"])[1]
        card = self.section(out, "## Scorecard")
        self.assertEqual(self.table_row(card, "| 1 "),
                         "| 1 | 1 | 1 | 1 | 0 | 1.10x | 1.10x | 1.10x |")
        self.assertIn("No losing case at 1 thread.", card)
        fused = self.section(out, "## Fused calls against their unfused sequence")
        self.assertTrue([line for line in fused if line.startswith("| 1 | layer_norm | rows | 1 "
                                                                    "| 1.30x |")])
        # Without the paired figures (a family's row has none), the ratio of the median times.
        rows[0]["speedup_vs_best_peer"] = ""
        card = self.section(self.summarize(rows)[1], "## Scorecard")
        self.assertEqual(self.table_row(card, "| 1 "),
                         "| 1 | 1 | 1 | 0 | 1 | **0.90x** | **0.90x** | **0.90x** |")

    def test_a_report_without_peers_or_rows_still_summarizes(self):
        rows = [dict(r, speedup_vs_best_peer="") for r in small_report()
                if r["impl"] in ("scalar", "simdnorm")]
        code, out, _ = self.summarize(rows)
        self.assertEqual(code, 0)
        self.assertIn("No peer was measured on any case", out)
        self.assertEqual(self.summarize([])[:2], (0, "The report has no rows.\n"))

    def test_bad_input_is_refused(self):
        code, _, err = self.summarize(small_report(), columns=COLUMNS[:-1])
        self.assertEqual(code, 2)
        self.assertIn("stat_max_abs_err", err)
        done = subprocess.run([sys.executable, SUMMARIZE, self.path("none.csv")],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
