#!/usr/bin/env python3
"""scripts/check_accuracy.py on crafted baselines: growth past the factor, a NaN that
appears or goes missing, the 2e-6 target, the relative statistics columns and their 2e-6
target, the rounding figures of 16-bit methods and their 99% target, missing cases, and
instruction sets this CPU does not run; and
scripts/merge_accuracy_baseline.py, which tightens a baseline only."""
import csv
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "scripts", "check_accuracy.py")
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


class CheckAccuracy(CsvFiles):
    def check(self, baseline, new, *args, baseline_columns=COLUMNS):
        done = subprocess.run([sys.executable, CHECK,
                               self.write("base.csv", baseline, baseline_columns),
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

    def test_a_lost_digit_of_a_small_variance_fails_relative_to_its_size(self):
        # Issue 12's bug: standardize adapt over 4097 x 2 on 3e3 + 1e-3 N(0, 1) had a
        # variance relative error of 1.2e-5, its absolute error (1.2e-11) far under any
        # absolute floor. The fixed kernels give at most 1.5e-7.
        before = [row(data="small_var", stat="1.2e-11", var_rel="1.500e-07")]
        after = [row(data="small_var", stat="1.2e-11", var_rel="1.200e-05")]
        code, out = self.check(before, after)
        self.assertEqual(code, 1)
        self.assertIn("GREW      layer_norm rows avx512 n=2 d=768 small_var: stat_var_rel_err",
                      out)
        # Within the factor of 4, it passes.
        self.assertEqual(
            self.check(before, [row(data="small_var", stat="1.2e-11", var_rel="5.900e-07")])[0], 0)

    def test_a_relative_figure_of_zero_may_move_by_a_rounding(self):
        before = [row(var_rel="0.000e+00", mean_rel="0.000e+00")]
        self.assertEqual(self.check(before, [row(var_rel="2.000e-07", mean_rel="2.0e-07")])[0],
                         0)
        code, out = self.check(before, [row(var_rel="0.000e+00", mean_rel="1.000e-06")])
        self.assertEqual(code, 1)
        self.assertIn("stat_mean_rel_err 0.000e+00 -> 1.000e-06", out)

    def test_the_relative_target_holds_on_well_conditioned_families_only(self):
        rows = [row(data="small_var", var_rel="3.000e-06")]
        code, out = self.check(rows, rows)
        self.assertEqual(code, 1)
        self.assertIn("TARGET    layer_norm rows avx512 n=2 d=768 small_var: stat_var_rel_err", out)
        # offset1e6's variance is quantisation; a mean on an offset is off by up to half
        # its ulp over the spread (0.12 on small_var): the baseline holds both.
        rows = [row(data="offset1e6", var_rel="3.000e-05"),
                row(data="small_var", var_rel="1.000e-07", mean_rel="1.200e-01")]
        self.assertEqual(self.check(rows, rows)[0], 0)

    def test_a_baseline_without_the_relative_columns_still_checks(self):
        new = [row(var_rel="1.000e-07", mean_rel="1.000e-07")]
        self.assertEqual(self.check([row()], new, baseline_columns=OLD_COLUMNS)[0], 0)
        code, out = self.check([row(max_err="2.0e-07")], [row(max_err="9.0e-07")],
                               baseline_columns=OLD_COLUMNS)
        self.assertEqual(code, 1)
        self.assertIn("max_abs_err", out)

    def test_a_relative_figure_that_vanishes_fails(self):
        code, out = self.check([row(var_rel="1.000e-07")], [row()])
        self.assertEqual(code, 1)
        self.assertIn("VANISHED  layer_norm rows avx512 n=2 d=768 normal: stat_var_rel_err", out)

    def test_a_16_bit_method_is_held_to_its_rounding_not_the_absolute_target(self):
        # Half a bfloat16 ulp at 1 is 2e-3, far past the 2e-6 target for float32 outputs.
        self.assertEqual(self.check([bf16_row()], [bf16_row()])[0], 0)
        code, out = self.check([bf16_row()], [bf16_row(exact="0.985000")])
        self.assertEqual(code, 1)
        self.assertIn("TARGET    layer_norm_bf16 rows avx512 n=2 d=768 normal: exact_rounded "
                      "0.985 < 0.99", out)

    def test_the_rounding_target_leaves_out_data_16_bits_quantise_to_a_few_values(self):
        # offset1e6 in bfloat16 is constant but for a few steps of 4096: the baseline
        # holds it, the 99% aim does not.
        quantised = bf16_row(exact="0.984375", data="offset1e6")
        self.assertEqual(self.check([quantised], [quantised])[0], 0)
        code, out = self.check([quantised], [bf16_row(exact="0.900000", data="offset1e6")])
        self.assertEqual(code, 1)
        self.assertIn("GREW      layer_norm_bf16 rows avx512 n=2 d=768 offset1e6: exact_rounded",
                      out)

    def test_rounding_figures_that_worsen_fail(self):
        # 1 - 0.9999 = 1e-4 inexact may become 4e-4 (factor 4), not 5e-4.
        self.assertEqual(self.check([bf16_row()], [bf16_row(exact="0.999600")])[0], 0)
        code, out = self.check([bf16_row()], [bf16_row(exact="0.999500")])
        self.assertEqual(code, 1)
        self.assertIn("GREW      layer_norm_bf16 rows avx512 n=2 d=768 normal: exact_rounded "
                      "0.9999 -> 0.9995", out)
        # max_ulp 1 may become 3 (+2), not 5.
        self.assertEqual(self.check([bf16_row()], [bf16_row(ulp="3")])[0], 0)
        code, out = self.check([bf16_row()], [bf16_row(ulp="5")])
        self.assertEqual(code, 1)
        self.assertIn("max_ulp 1 -> 5", out)
        code, out = self.check([bf16_row()], [bf16_row(exact="", ulp="")])
        self.assertEqual(code, 1)
        self.assertIn("VANISHED  layer_norm_bf16 rows avx512 n=2 d=768 normal: exact_rounded", out)

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

    def test_the_merged_baseline_passes_the_gate_it_came_from(self):
        new = [row(max_err="5.000e-07", var_rel="6.0e-08")]
        base = self.write("merged.csv", self.merge([row(max_err="2.000e-07")], new))
        done = subprocess.run([sys.executable, CHECK, base, self.write("run.csv", new)],
                              capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
