// simdnorm_accuracy: the error of every method x layout x instruction set on
// the accuracy suite's cases and data families (bench/common/data_family.hpp;
// the largest per-sample cases on the target families only, as
// accuracy_measures says), against the float64 reference, one CSV row each;
// and the accuracy gate's comparison of such a CSV with the accepted baseline
// (results/accuracy-baseline.csv; the rules: baseline_check.hpp), so that the
// gate (scripts/check-accuracy.sh) needs nothing but this program.
//
//   simdnorm_accuracy [--out FILE] [--filter SUBSTRING] [--families LIST]
//                     [--max-elements N] [--digests FILE]
//                     [--check BASELINE [--factor F] [--floor A] [--rel-floor R]]
//   simdnorm_accuracy --compare BASELINE NEW [--filter SUBSTRING] [--families LIST]
//                     [--max-elements N] [--factor F] [--floor A] [--rel-floor R]
//
// The first runs the cases and writes the CSV; with --check (which needs
// --out FILE) it then compares FILE with BASELINE. The second runs nothing: it
// compares two CSVs already written (the gate's --update and --merge print
// what changed so; the tests feed it crafted files). --filter keeps the
// methods whose name contains SUBSTRING, --families the data families named
// (comma-separated), --max-elements the cases of tensors up to N elements,
// in the run and in the baseline: a subset that takes minutes, not an hour,
// under emulation (scripts/test-arm64.sh).
// --factor, --floor and --rel-floor set the growth allowed over the baseline
// (defaults 4, 1e-7 and 2^-22; baseline_check.hpp says why).
//
// Columns: method,layout,isa,n,c,spatial,groups,d,data,max_abs_err,
// mean_abs_err,stat_max_abs_err,nonfinite_mismatches,stat_var_rel_err,
// stat_mean_rel_err (statistics relative to their own size,
// bench/cases/case_inputs.hpp's measure_relative_stats),exact_rounded,max_ulp
// (a bfloat16 or float16 method's tensor outputs against the correctly
// rounded float64 reference; empty for float32). Errors do not depend on
// the thread count (the engine is bitwise deterministic across thread
// counts), so each path runs once, in the default arena. --digests also
// writes, per case, data family, path and output buffer, an FNV-1a digest of
// the output's bytes (method,layout,isa,n,c,spatial,groups,d,data,output,
// fnv1a), so that two builds can be shown to compute the same bits
// (scripts/compare-outputs.sh).
//
// A comparison prints one line per finding, naming the case, then the notes
// (new cases, instruction sets this CPU does not run) and a summary. Exits 1
// when a case fails to run or, with --check or --compare, when any case fails
// the comparison; 2 on bad arguments or input (an unreadable or malformed
// CSV: the message names it); 0 otherwise.
#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "baseline_check.hpp"
#include "case_selection.hpp"
#include "case_spec.hpp"
#include "csv_table.hpp"
#include "data_family.hpp"
#include "prepared_call.hpp"
#include "simdnorm/simdnorm.hpp"

namespace {

using simdnorm::bench::case_spec;
using simdnorm::bench::csv_table;

constexpr const char* usage =
    "usage: simdnorm_accuracy [--out FILE] [--filter SUBSTRING] [--families LIST]\n"
    "                         [--max-elements N] [--digests FILE]\n"
    "                         [--check BASELINE [--factor F] [--floor A] [--rel-floor R]]\n"
    "       simdnorm_accuracy --compare BASELINE NEW [--filter SUBSTRING] [--families LIST]\n"
    "                         [--max-elements N] [--factor F] [--floor A] [--rel-floor R]\n"
    "  --out FILE               CSV output (default: stdout)\n"
    "  --filter SUBSTRING       only methods whose name contains SUBSTRING (in the run and\n"
    "                           in the baseline)\n"
    "  --families LIST          only these data families, comma-separated (in the run and\n"
    "                           in the baseline)\n"
    "  --max-elements N         only cases of tensors up to N elements (in the run and in\n"
    "                           the baseline)\n"
    "  --digests FILE           also write a digest of every output buffer to FILE\n"
    "  --check BASELINE         after the run, compare FILE with BASELINE (needs --out FILE)\n"
    "  --compare BASELINE NEW   run nothing: compare the CSV NEW with BASELINE\n"
    "  --factor F               allowed growth of an error over its baseline (default 4)\n"
    "  --floor A                absolute growth always allowed (default 1e-7)\n"
    "  --rel-floor R            growth always allowed in the relative columns (default 2^-22)\n"
    "Exits 1 when a case fails to run or fails the comparison, 2 on bad arguments or input.\n";

struct arguments {
  std::string out = "-", digests;
  simdnorm::bench::case_selection selection;  // --filter, --families, --max-elements
  std::string check;                          // --check's BASELINE
  std::string baseline;                       // --check's or --compare's; empty: no comparison
  std::string compare;                        // --compare's NEW; empty: run the cases
  bool thresholds = false;                    // --factor, --floor or --rel-floor given
  simdnorm::bench::baseline_check_options check_options;
};

int bad_arguments(const std::string& message) {
  std::cerr << "simdnorm_accuracy: " << message << "\n" << usage;
  return 2;
}

// The arguments, or the exit status to stop with (--help, a bad argument).
std::optional<int> parse_arguments(int argc, char** argv, arguments& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      return 0;
    }
    const int values = arg == "--compare" ? 2 : 1;
    if (i + values >= argc) return bad_arguments("unknown option or missing value: " + arg);
    if (arg == "--out") {
      args.out = argv[++i];
    } else if (arg == "--filter") {
      args.selection.method_substring = argv[++i];
    } else if (arg == "--families") {
      const std::string list = argv[++i];
      std::string::size_type begin = 0;
      for (;;) {
        const std::string::size_type end = std::min(list.find(',', begin), list.size());
        const std::string name = list.substr(begin, end - begin);
        const bool known =
            std::any_of(std::begin(simdnorm::bench::accuracy_families),
                        std::end(simdnorm::bench::accuracy_families),
                        [&](const simdnorm::bench::data_family& f) { return name == f.name; });
        if (!known) return bad_arguments("--families: no data family '" + name + "'");
        args.selection.families.push_back(name);
        if (end == list.size()) break;
        begin = end + 1;
      }
    } else if (arg == "--max-elements") {
      const std::string text = argv[++i];
      char* end = nullptr;
      errno = 0;
      const long long value = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE || value <= 0) {
        return bad_arguments("--max-elements needs a positive integer, not '" + text + "'");
      }
      args.selection.max_elements = value;
    } else if (arg == "--digests") {
      args.digests = argv[++i];
    } else if (arg == "--check") {
      args.check = argv[++i];
    } else if (arg == "--compare") {
      args.baseline = argv[++i];
      args.compare = argv[++i];
    } else if (arg == "--factor" || arg == "--floor" || arg == "--rel-floor") {
      const std::string text = argv[++i];
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || std::isnan(value)) {
        return bad_arguments(arg + " needs a number, not '" + text + "'");
      }
      (arg == "--factor"  ? args.check_options.factor
       : arg == "--floor" ? args.check_options.floor
                          : args.check_options.rel_floor) = value;
      args.thresholds = true;
    } else {
      return bad_arguments("unknown option or missing value: " + arg);
    }
  }
  if (!args.compare.empty() && (args.out != "-" || !args.digests.empty() || !args.check.empty())) {
    return bad_arguments("--compare runs nothing: drop --out, --digests and --check");
  }
  if (!args.check.empty()) {
    if (args.out == "-") {
      return bad_arguments("--check compares the CSV the run wrote: give --out FILE");
    }
    args.baseline = args.check;
  }
  if (args.thresholds && args.baseline.empty()) {
    return bad_arguments("--factor, --floor and --rel-floor go with --check or --compare");
  }
  args.check_options.selection = args.selection;
  return std::nullopt;
}

// A CSV for the comparison, or none after saying why on stderr.
std::optional<csv_table> load(const std::string& path) {
  try {
    return simdnorm::bench::read_accuracy_csv(path);
  } catch (const simdnorm::bench::csv_error& e) {
    std::cerr << "simdnorm_accuracy: " << e.what() << "\n";
    return std::nullopt;
  }
}

// The comparison's exit status: 1 when a case failed, 0 when none did, 2 on bad input.
int compare(const csv_table& baseline, const std::string& new_path,
            const simdnorm::bench::baseline_check_options& options) {
  const std::optional<csv_table> run = load(new_path);
  if (!run) return 2;
  try {
    return simdnorm::bench::print_findings(
        simdnorm::bench::compare_with_baseline(baseline, *run, options), baseline.path, std::cout);
  } catch (const simdnorm::bench::csv_error& e) {
    std::cerr << "simdnorm_accuracy: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  arguments args;
  if (const std::optional<int> status = parse_arguments(argc, argv, args)) return *status;
  // Read before the run, so that a wrong path stops the gate at once, not minutes later.
  std::optional<csv_table> baseline;
  if (!args.baseline.empty()) {
    baseline = load(args.baseline);
    if (!baseline) return 2;
  }
  if (!args.compare.empty()) return compare(*baseline, args.compare, args.check_options);

  // Each path's call allocates its outputs afresh, tensors of up to 32 MiB.
  // By default glibc maps each of them anew and returns it on free, so every
  // call paid a page fault per 4 KiB: 40% of the gate's time. Kept in the
  // heap and never trimmed, they are reused. No block is mapped at all: the
  // threshold stops at 32 MiB, and the largest cases' float64 references
  // (51 MB) were still mapped afresh per case and path; with them in the
  // heap too, batch_norm_training's cases took 31 s rather than 35 (4 s of
  // page faults), Zen 5, 2 alternating runs.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const std::string& out = args.out;
  const simdnorm::bench::case_selection& selection = args.selection;
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
  if (!args.digests.empty()) {
    digests.open(args.digests);
    if (!digests) {
      std::cerr << "simdnorm_accuracy: cannot write " << args.digests << "\n";
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
    const auto selected = [&](const char* family) {
      return selection.selects(spec.method, family, spec.elements()) &&
             simdnorm::bench::accuracy_measures(spec, family);
    };
    if (std::none_of(std::begin(simdnorm::bench::accuracy_families),
                     std::end(simdnorm::bench::accuracy_families),
                     [&](const simdnorm::bench::data_family& f) { return selected(f.name); })) {
      continue;
    }
    std::fprintf(stderr, "%s:", simdnorm::bench::case_label(spec).c_str());
    for (const simdnorm::bench::data_family& family : simdnorm::bench::accuracy_families) {
      if (!selected(family.name)) continue;
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
  if (file.is_open()) file.close();  // a failed close marks csv failed too
  digests.flush();
  if (!csv || (digests.is_open() && !digests)) {
    std::cerr << "simdnorm_accuracy: writing the CSV failed\n";
    return 1;
  }
  if (!baseline) {
    if (failures != 0) std::cerr << "simdnorm_accuracy: " << failures << " case(s) failed\n";
    return failures != 0 ? 1 : 0;
  }
  const int status = compare(*baseline, out, args.check_options);
  if (failures != 0) {
    // After the comparison's summary, so that it is the last line: the
    // comparison names the cases that did not run as missing.
    std::cerr << "simdnorm_accuracy: " << failures << " case(s) failed to run\n";
  }
  return status == 2 ? 2 : (failures != 0 || status != 0) ? 1 : 0;
}
