#!/usr/bin/env python3
"""scripts/merge_accuracy_baseline.py, which tightens a baseline only, on crafted
baselines. The gate's comparison itself is simdnorm_accuracy's (tests/accuracy_check_test.cpp);
SIMDNORM_ACCURACY_BINARY, where set, lets the last test run it on a merged baseline."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCURACY = os.environ.get("SIMDNORM_ACCURACY_BINARY", "")
MERGE = os.path.join(ROOT, "scripts", "merge_accuracy_baseline.py")
COLUMNS = ("method,layout,isa,n,c,spatial,groups,d,data,max_abs_err,mean_abs_err,"
           "stat_max_abs_err,nonfinite_mismatches,stat_var_rel_err,stat_mean_rel_err,"
           "exact_rounded,max_ulp").split(",")
# A baseline written before the relative columns.
OLD_COLUMNS = COLUMNS[:-4]


def row(isa="avx512", data="normal", max_err="1.000e-06", stat="", mismatches="0", d="768",
        var_rel="", mean_rel="", exact="", ulp="", method="layer_norm"):
    return dict(zip(COLUMNS, [method, "rows", isa, "2", "", "", "", d, data, max_err,
                              "1.000e-07", stat, mismatches, var_rel, mean_rel, exact, ulp]))


def bf16_row(exact="0.999900", ulp="1", max_err="3.900e-03", data="normal"):
    """A bfloat16 method's row: y's error is its rounding to 16 bits."""
    return row(method="layer_norm_bf16", max_err=max_err, exact=exact, ulp=ulp, data=data)


class CsvFiles(unittest.TestCase):
    """CSV files in a temporary directory, removed after each test."""

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


class MergeBaseline(CsvFiles):
    def merge(self, baseline, new, baseline_columns=COLUMNS):
        base = self.write("base.csv", baseline, baseline_columns)
        done = subprocess.run([sys.executable, MERGE, base, self.write("new.csv", new)],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(base, newline="") as f:
            return list(csv.DictReader(f))

    def test_only_cells_that_got_better_change(self):
        merged = self.merge([row(max_err="2.000e-07", stat="3.000e-07")],
                            [row(max_err="5.000e-07", stat="1.000e-07")])
        self.assertEqual((merged[0]["max_abs_err"], merged[0]["stat_max_abs_err"]),
                         ("2.000e-07", "1.000e-07"))

    def test_new_columns_cases_and_families_come_from_the_run(self):
        merged = self.merge([row(max_err="2.000e-07"), row(isa="neon64")],
                            [row(max_err="5.000e-07", var_rel="6.0e-08", mean_rel="1.0e-08"),
                             row(data="small_var", var_rel="1.5e-07")],
                            baseline_columns=OLD_COLUMNS)
        self.assertEqual([(r["isa"], r["data"]) for r in merged],
                         [("avx512", "normal"), ("neon64", "normal"), ("avx512", "small_var")])
        self.assertEqual((merged[0]["max_abs_err"], merged[0]["stat_var_rel_err"],
                          merged[0]["stat_mean_rel_err"]), ("2.000e-07", "6.0e-08", "1.0e-08"))
        self.assertEqual(merged[1]["stat_var_rel_err"], "")
        self.assertEqual(merged[2]["stat_var_rel_err"], "1.5e-07")

    def test_rounding_figures_tighten_in_their_own_direction(self):
        merged = self.merge([bf16_row(exact="0.999000", ulp="3")],
                            [bf16_row(exact="0.999500", ulp="4")])
        self.assertEqual((merged[0]["exact_rounded"], merged[0]["max_ulp"]), ("0.999500", "3"))

    def test_a_filtered_run_leaves_the_other_rows_where_they_were(self):
        rms = dict(row(), method="rms_norm")
        merged = self.merge([row(), rms, row(d="5")],
                            [row(max_err="1.000e-07"), row(d="5", max_err="1.000e-07")])
        self.assertEqual([(r["method"], r["d"], r["max_abs_err"]) for r in merged],
                         [("layer_norm", "768", "1.000e-07"), ("rms_norm", "768", "1.000e-06"),
                          ("layer_norm", "5", "1.000e-07")])

    @unittest.skipUnless(ACCURACY, "SIMDNORM_ACCURACY_BINARY is not set")
    def test_the_merged_baseline_passes_the_gate_it_came_from(self):
        new = [row(max_err="5.000e-07", var_rel="6.0e-08")]
        base = self.write("merged.csv", self.merge([row(max_err="2.000e-07")], new))
        done = subprocess.run([ACCURACY, "--compare", base, self.write("run.csv", new)],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
