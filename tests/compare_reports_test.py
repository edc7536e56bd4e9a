#!/usr/bin/env python3
"""scripts/compare.sh on small crafted reports: each kind of regression is
caught and named, identical or only-grown reports pass, and a peer's changes
(slower, skipped, another isa) are notes that never fail the comparison."""
import csv
import os
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARE = os.path.join(ROOT, "scripts", "compare.sh")
COLUMNS = ("method,layout,impl,isa,threads,n,c,spatial,groups,d,data,bytes,time_ns,gbps,"
           "bw_fraction,speedup_vs_scalar,speedup_vs_best_peer,max_abs_err,mean_abs_err,"
           "stat_max_abs_err").split(",")


def row(method="layer_norm", data="normal", gbps="20.0", max_err="1e-6", stat_err="2e-7", **extra):
    r = dict.fromkeys(COLUMNS, "")
    r.update(method=method, layout="rows", impl="simdnorm", isa="avx512", threads="2", n="1024",
             d="1024", data=data, bytes="8388608", time_ns="400000", gbps=gbps,
             max_abs_err=max_err, mean_abs_err="1e-7", stat_max_abs_err=stat_err)
    r.update(extra)
    return r


def peer_row(impl="onednn", isa="avx512_core_amx", **extra):
    return row(impl=impl, isa=isa, **extra)


def skipped_row(impl="aten", threads="2"):
    """A peer not in the build: every figure from bytes on is empty."""
    r = dict.fromkeys(COLUMNS, "")
    r.update(method="layer_norm", layout="rows", impl=impl, isa="skipped", threads=threads,
             n="1024", d="1024", data="normal")
    return r


class Compare(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, rows, columns=COLUMNS):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    def run_compare(self, before, after, *options):
        a = self.write("a.csv", before)
        b = self.write("b.csv", after)
        done = subprocess.run([COMPARE, a, b, *options], capture_output=True, text=True)
        return done.returncode, done.stdout

    def assert_only_notes(self, out):
        self.assertTrue(out)
        for line in out.splitlines():
            self.assertTrue(line.startswith("note: "), line)

    def test_identical_reports_pass(self):
        rows = [row(), row(data="offset1e4")]
        self.assertEqual(self.run_compare(rows, rows), (0, ""))

    def test_a_slower_case_fails_and_is_named(self):
        code, out = self.run_compare([row(), row(data="offset1e4")],
                                     [row(gbps="15.0"), row(data="offset1e4")])
        self.assertEqual(code, 1)
        self.assertIn("SLOWER", out)
        self.assertIn("layer_norm", out)
        self.assertEqual(len(out.splitlines()), 1)

    def test_noise_below_the_threshold_passes(self):
        self.assertEqual(self.run_compare([row()], [row(gbps="18.5")])[0], 0)
        self.assertEqual(self.run_compare([row()], [row(gbps="18.5")], "--slower", "0.05")[0], 1)

    def test_a_grown_error_fails(self):
        code, out = self.run_compare([row()], [row(max_err="3e-6")])
        self.assertEqual(code, 1)
        self.assertIn("ERROR UP", out)
        self.assertIn("max_abs_err", out)
        # Growth under the absolute floor is ignored.
        self.assertEqual(self.run_compare([row(stat_err="0")], [row(stat_err="5e-8")])[0], 0)

    def test_a_nan_that_appears_or_goes_missing_fails(self):
        code, out = self.run_compare([row()], [row(max_err="nan")])
        self.assertEqual(code, 1)
        self.assertIn("became NaN", out)
        code, out = self.run_compare([row(max_err="nan")], [row()])
        self.assertEqual(code, 1)
        self.assertIn("was NaN", out)
        self.assertEqual(self.run_compare([row(max_err="nan")], [row(max_err="nan")])[0], 0)

    def test_a_vanished_case_fails_and_a_new_one_does_not(self):
        code, out = self.run_compare([row(), row(data="offset1e4")], [row()])
        self.assertEqual(code, 1)
        self.assertIn("MISSING", out)
        code, out = self.run_compare([row()], [row(), row(data="offset1e5")])
        self.assertEqual(code, 0)
        self.assertIn("NEW", out)

    def test_peers_skipped_in_both_reports_pass_silently(self):
        rows = [row(), peer_row(), skipped_row(), skipped_row(threads="1")]
        self.assertEqual(self.run_compare(rows, rows), (0, ""))

    def test_a_peer_that_became_skipped_or_came_back_is_a_note(self):
        code, out = self.run_compare([row(), peer_row(impl="aten", isa="avx512")],
                                     [row(), skipped_row()])
        self.assertEqual(code, 0)
        self.assert_only_notes(out)
        self.assertIn("note: SKIPPED", out)
        self.assertIn("measured (avx512)", out)
        code, out = self.run_compare([row(), skipped_row()],
                                     [row(), peer_row(impl="aten", isa="avx512")])
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("note: MEASURED"))

    def test_a_slower_or_less_accurate_peer_is_a_note(self):
        code, out = self.run_compare([row(), peer_row()],
                                     [row(), peer_row(gbps="10.0", max_err="1e-4")])
        self.assertEqual(code, 0)
        self.assertIn("note: SLOWER", out)
        self.assertIn("note: ERROR UP", out)
        self.assert_only_notes(out)
        # simdnorm slowing down next to it still fails.
        code, out = self.run_compare([row(), peer_row()], [row(gbps="10.0"), peer_row(gbps="10.0")])
        self.assertEqual(code, 1)
        self.assertTrue(out.startswith("SLOWER"))

    def test_a_peer_on_another_isa_is_the_same_case(self):
        code, out = self.run_compare([peer_row(isa="avx512_core")], [peer_row()])
        self.assertEqual(code, 0)
        self.assert_only_notes(out)
        self.assertIn("note: ISA", out)
        self.assertNotIn("MISSING", out)
        self.assertNotIn("NEW", out)

    def test_a_vanished_peer_is_a_note(self):
        code, out = self.run_compare([row(), peer_row()], [row()])
        self.assertEqual(code, 0)
        self.assertIn("note: MISSING", out)

    def test_bad_input_is_refused(self):
        a = self.write("a.csv", [row()])
        b = self.write("b.csv", [row()], columns=COLUMNS[:-1])
        done = subprocess.run([COMPARE, a, b], capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)
        self.assertIn("stat_max_abs_err", done.stderr)
        done = subprocess.run([COMPARE, a, os.path.join(self.dir.name, "none.csv")],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
