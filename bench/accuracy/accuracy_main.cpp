// simdnorm_accuracy: the error of every method x layout x instruction set on
// the accuracy suite's cases and data families (bench/common/data_family.hpp;
// the largest per-sample cases on the target families only, as
// accuracy_measures says), against the float64 reference, one CSV row each.
// scripts/check-accuracy.sh compares it with results/accuracy-baseline.csv.
//
//   simdnorm_accuracy [--out FILE] [--filter SUBSTRING] [--digests FILE]
//
// Columns: method,layout,isa,n,c,spatial,groups,d,data,max_abs_err,
// mean_abs_err,stat_max_abs_err,nonfinite_mismatches,stat_var_rel_err,
// stat_mean_rel_err (statistics relative to their own size,
// bench/cases/case_inputs.hpp's measure_relative_stats),exact_rounded,max_ulp
// (a bfloat16 or float16 method's tensor outputs against the correctly
// rounded float64 reference; empty for float32). Errors do not depend on
// the thread count (the engine is bitwise deterministic across thread
// counts), so each path runs once, in the default arena. Exits 1 when a case
// fails to run. --digests also writes, per case, data family, path and
// output buffer, an FNV-1a digest of the output's bytes
// (method,layout,isa,n,c,spatial,groups,d,data,output,fnv1a), so that two
// builds can be shown to compute the same bits (scripts/compare-outputs.sh).
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "case_spec.hpp"
#include "data_family.hpp"
#include "prepared_call.hpp"
#include "simdnorm/simdnorm.hpp"

namespace {

using simdnorm::bench::case_spec;

constexpr const char* usage =
    "usage: simdnorm_accuracy [--out FILE] [--filter SUBSTRING] [--digests FILE]\n"
    "  --out FILE          CSV output (default: stdout)\n"
    "  --filter SUBSTRING  only methods whose name contains SUBSTRING\n"
    "  --digests FILE      also write a digest of every output buffer to FILE\n";

}  // namespace

int main(int argc, char** argv) {
  // Each path's call allocates its outputs afresh, tensors of up to 32 MiB.
  // By default glibc maps each of them anew and returns it on free, so every
  // call paid a page fault per 4 KiB: 40% of the gate's time. Kept in the
  // heap and never trimmed, they are reused.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::string out = "-", filter, digests_out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    if (i + 1 >= argc || (arg != "--out" && arg != "--filter" && arg != "--digests")) {
      std::cerr << "simdnorm_accuracy: unknown option or missing value: " << arg << "\n" << usage;
      return 2;
    }
    (arg == "--out" ? out : arg == "--filter" ? filter : digests_out) = argv[++i];
  }
  std::ofstream file;
  if (out != "-") {
    file.open(out);
    if (!file) {
      std::cerr << "simdnorm_accuracy: cannot write " << out << "\n";
      return 2;
    }
  }
  std::ostream& csv = out == "-" ? std::cout : file;
  std::ofstream digests;
  if (!digests_out.empty()) {
    digests.open(digests_out);
    if (!digests) {
      std::cerr << "simdnorm_accuracy: cannot write " << digests_out << "\n";
      return 2;
    }
    digests << "method,layout,isa,n,c,spatial,groups,d,data,output,fnv1a\n";
  }

  // The scalar path, then every instruction set this CPU has.
  std::vector<std::string> paths{"scalar"};
  for (const std::string& isa : simdnorm::bench::engine_isas("all")) paths.push_back(isa);

  csv << "method,layout,isa,n,c,spatial,groups,d,data,max_abs_err,mean_abs_err,"
         "stat_max_abs_err,nonfinite_mismatches,stat_var_rel_err,stat_mean_rel_err,"
         "exact_rounded,max_ulp\n";
  int failures = 0;
  for (const case_spec& spec : simdnorm::bench::accuracy_suite()) {
    if (spec.method.find(filter) == std::string::npos) continue;
    std::fprintf(stderr, "%s:", simdnorm::bench::case_label(spec).c_str());
    for (const simdnorm::bench::data_family& family : simdnorm::bench::accuracy_families) {
      if (!simdnorm::bench::accuracy_measures(spec, family.name)) continue;
      const std::vector<float> x = simdnorm::bench::family_floats(
          family, spec.elements(), spec.n, simdnorm::bench::input_seed(spec, family.name));
      simdnorm::bench::reference_cache reference;  // one float64 pass for every path
      for (const std::string& path : paths) {
        simdnorm::set_max_isa(path.c_str());
        try {
          const simdnorm::bench::prepared_call prepared =
              simdnorm::bench::prepare(spec, x, &reference);
          const simdnorm::bench::error_figures& errors = prepared.errors;
          if (digests.is_open()) {
            for (const simdnorm::bench::output_digest& d : prepared.digests()) {
              char hex[17];
              std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(d.fnv1a));
              digests << spec.method << ',' << spec.layout << ',' << path << ','
                      << simdnorm::bench::size_cells(spec) << ',' << family.name << ',' << d.name
                      << ',' << hex << '\n';
            }
          }
          csv << spec.method << ',' << spec.layout << ',' << path << ','
              << simdnorm::bench::size_cells(spec) << ',' << family.name << ','
              << simdnorm::bench::number_cell(errors.max_abs, "%.3e") << ','
              << simdnorm::bench::number_cell(errors.mean_abs, "%.3e") << ','
              << simdnorm::bench::number_cell(errors.stat_max_abs, "%.3e") << ','
              << errors.nonfinite_mismatches << ','
              << simdnorm::bench::number_cell(errors.stat_var_rel, "%.3e") << ','
              << simdnorm::bench::number_cell(errors.stat_mean_rel, "%.3e") << ','
              << simdnorm::bench::number_cell(errors.exact_rounded, "%.6f") << ','
              << simdnorm::bench::number_cell(errors.max_ulp, "%.0f") << '\n';
        } catch (const std::exception& e) {
          ++failures;
          std::fprintf(stderr, "\n  %s on %s FAILED: %s\n", path.c_str(), family.name, e.what());
        }
      }
      std::fprintf(stderr, " %s", family.name);
    }
    simdnorm::set_max_isa("best");  // the top level: no cap
    std::fprintf(stderr, "\n");
  }
  csv.flush();
  digests.flush();
  if (!csv || (digests.is_open() && !digests)) {
    std::cerr << "simdnorm_accuracy: writing the CSV failed\n";
    return 1;
  }
  if (failures != 0) {
    std::cerr << "simdnorm_accuracy: " << failures << " case(s) failed\n";
    return 1;
  }
  return 0;
}
