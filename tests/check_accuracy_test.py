#!/usr/bin/env python3
"""scripts/check_accuracy.py on crafted baselines: growth past the factor, a NaN that
appears or goes missing, the 2e-6 target, missing cases, and instruction sets this CPU
does not run."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "scripts", "check_accuracy.py")
COLUMNS = ("method,layout,isa,n,c,spatial,groups,d,data,max_abs_err,mean_abs_err,"
           "stat_max_abs_err,nonfinite_mismatches").split(",")


def row(isa="avx512", data="normal", max_err="1.000e-06", stat="", mismatches="0", d="768"):
    return dict(zip(COLUMNS, ["layer_norm", "rows", isa, "2", "", "", "", d, data, max_err,
                              "1.000e-07", stat, mismatches]))


class CheckAccuracy(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, rows):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        return path

    def check(self, baseline, new, *args):
        done = subprocess.run([sys.executable, CHECK, self.write("base.csv", baseline),
                               self.write("new.csv", new), *args],
                              capture_output=True, text=True)
        return done.returncode, done.stdout

    def test_same_errors_pass(self):
        rows = [row(), row(data="offset1e4", stat="4.9e-04")]
        self.assertEqual(self.check(rows, rows)[0], 0)

    def test_growth_past_the_factor_fails_and_names_the_case(self):
        code, out = self.check([row(max_err="2.0e-07")], [row(max_err="9.0e-07")])
        self.assertEqual(code, 1)
        self.assertIn("GREW      layer_norm rows avx512 n=2 d=768 normal: max_abs_err", out)
        self.assertEqual(self.check([row(max_err="2.0e-07")], [row(max_err="7.0e-07")])[0], 0)
        self.assertEqual(self.check([row(max_err="2.0e-07")], [row(max_err="9.0e-07")],
                                    "--factor", "5")[0], 0)

    def test_a_nan_that_appears_or_goes_missing_fails(self):
        for before, after in (("0", "3"), ("2", "0")):
            code, out = self.check([row(data="nan_inf", mismatches=before)],
                                   [row(data="nan_inf", mismatches=after)])
            self.assertEqual(code, 1, (before, after))
            self.assertIn("NAN/INF", out)

    def test_the_target_holds_whatever_the_baseline_says(self):
        rows = [row(data="offset1e5", max_err="3.0e-06")]
        code, out = self.check(rows, rows)
        self.assertEqual(code, 1)
        self.assertIn("TARGET", out)
        # Families outside the target are held by the baseline only.
        self.assertEqual(self.check([row(data="offset1e6", max_err="3.0e-05")],
                                    [row(data="offset1e6", max_err="3.0e-05")])[0], 0)

    def test_missing_cases_fail_unless_the_cpu_lacks_the_instruction_set(self):
        baseline = [row(), row(d="5"), row(isa="neon64")]
        code, out = self.check(baseline, [row()])
        self.assertEqual(code, 1)
        self.assertIn("MISSING   layer_norm rows avx512 n=2 d=5", out)
        self.assertIn("not run   neon64: 1 baseline case(s)", out)
        self.assertEqual(self.check([row(), row(isa="neon64")], [row()])[0], 0)

    def test_filter_keeps_the_methods_a_filtered_run_measured(self):
        baseline = [row(), dict(row(), method="rms_norm")]
        self.assertEqual(self.check(baseline, [row()])[0], 1)
        self.assertEqual(self.check(baseline, [row()], "--filter", "layer")[0], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
