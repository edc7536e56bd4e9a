// simdnorm_sweep: times every method x layout of the public API on seeded
// data, and the peer libraries (oneDNN, ATen) where they have the method, on
// the same data in the same process; measures every implementation's error
// against the float64 reference and the machine's copy bandwidth; writes one
// CSV row per case, data family and implementation (columns documented in
// README.md). Progress goes to stderr.
//
//   simdnorm_sweep [--suite NAME] [--out FILE] [--filter REGEX] [--threads N]
//                  [--isa NAME] [--reps N] [--budget-ms N] [--copy-mib N] [--passes N]
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "case_spec.hpp"
#include "copy_bandwidth.hpp"
#include "data_family.hpp"
#include "median_time.hpp"
#include "peer_library.hpp"
#include "prepared_call.hpp"
#include "unfused_calls.hpp"

namespace {

using simdnorm::bench::case_spec;

struct options {
  std::string suite = "quick";
  std::string out = "-";  // stdout
  int threads = 0;        // 0: one thread and every thread of the arena
  std::string isa;        // empty: the suite's default, "all" or "best"
  std::string filter;     // regular expression searched for in the method name; empty = all
  int reps = 15;
  int budget_ms = 500;  // per row: slow calls get fewer repetitions
  int copy_mib = 256;   // above any last-level cache we expect, so the probe measures DRAM
  int passes = 1;       // times the whole suite runs; rows report the median pass
};

constexpr const char* usage =
    "usage: simdnorm_sweep [--suite NAME] [--out FILE] [--filter REGEX] [--threads N]\n"
    "                      [--isa NAME] [--reps N] [--budget-ms N] [--copy-mib N]\n"
    "                      [--passes N]\n"
    "  --suite NAME        quick (default), reference or sweep\n"
    "  --out FILE          CSV output (default: stdout)\n"
    "  --filter REGEX      only methods whose name contains a match of REGEX (ECMAScript;\n"
    "                      a plain name is a substring: layer_norm, '^group_norm$')\n"
    "  --threads N         simdnorm and peer rows at N threads only (default: 1 and all)\n"
    "  --isa NAME          simdnorm rows on NAME only (one of the build's instruction sets),\n"
    "                      on every instruction set the CPU has (all), or on its best one\n"
    "                      (best); default: all for quick and reference, best for sweep\n"
    "  --reps N            timed repetitions per row, after one warm-up (default 15)\n"
    "  --budget-ms N       fewer repetitions (at least 3) for rows whose calls would\n"
    "                      take longer than N ms in all (default 500)\n"
    "  --copy-mib N        buffer size of the copy-bandwidth probe in MiB (default 256)\n"
    "  --passes N          run the whole suite N times, one pass after the other, and report\n"
    "                      each row's median over the passes (default 1)\n";

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "simdnorm_sweep: " << message << "\n" << usage;
  std::exit(2);
}

int positive_int(const std::string& text, const char* option) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value <= 0 || value > 1000000) {
    usage_error(std::string(option) + " needs a positive integer, got '" + text + "'");
  }
  return static_cast<int>(value);
}

options parse(int argc, char** argv) {
  options parsed;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage;
      std::exit(0);
    }
    if (i + 1 >= argc) usage_error("unknown option or missing value: " + arg);
    const std::string value = argv[++i];
    if (arg == "--suite") {
      parsed.suite = value;
    } else if (arg == "--threads") {
      parsed.threads = positive_int(value, "--threads");
    } else if (arg == "--isa") {
      parsed.isa = value;
    } else if (arg == "--out") {
      parsed.out = value;
    } else if (arg == "--filter") {
      parsed.filter = value;
    } else if (arg == "--reps") {
      parsed.reps = positive_int(value, "--reps");
    } else if (arg == "--budget-ms") {
      parsed.budget_ms = positive_int(value, "--budget-ms");
    } else if (arg == "--copy-mib") {
      parsed.copy_mib = positive_int(value, "--copy-mib");
    } else if (arg == "--passes") {
      parsed.passes = positive_int(value, "--passes");
    } else {
      usage_error("unknown option " + arg);
    }
  }
  return parsed;
}

// One implementation measured on a case and data family, in every pass.
struct measured_row {
  measured_row(std::string impl_name, std::string isa_name, int thread_count)
      : impl(std::move(impl_name)), isa(std::move(isa_name)), threads(thread_count) {}

  bool is_peer() const { return impl != "scalar" && impl != "simdnorm" && impl != "unfused"; }
  bool skipped() const { return pass_ns.empty(); }

  std::string impl;  // scalar, simdnorm, unfused or a peer's name
  std::string isa;   // "skipped": a peer this build lacks, or that failed
  int threads;
  std::vector<double> pass_ns;            // each pass's median time; empty: skipped
  simdnorm::bench::error_figures errors;  // of the first pass's checked call
};

// A case and data family, with its rows in the order they run: the same
// order in every pass, so that a later pass finds each row by its position.
struct measured_case {
  const case_spec* spec;
  const simdnorm::bench::data_family* family;
  std::vector<measured_row> rows;
  bool failed = false;
};

constexpr const char* csv_header =
    "method,layout,impl,isa,threads,n,c,spatial,groups,d,data,bytes,time_ns,gbps,bw_fraction,"
    "speedup_vs_scalar,speedup_vs_best_peer,max_abs_err,mean_abs_err,stat_max_abs_err,passes,"
    "pass_min_ns,pass_max_ns,speedup_vs_unfused";

// "14.00 GB/s at 1 thread, 20.00 GB/s at 2 threads"
std::string copy_figures(const std::map<int, double>& gbps_by_threads) {
  std::string text;
  for (const auto& [threads, gbps] : gbps_by_threads) {
    text += std::string(text.empty() ? "" : ", ") + simdnorm::bench::number_cell(gbps, "%.2f") +
            " GB/s at " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
  }
  return text;
}

// The CSV rows of a case measured in every pass. A row's time is the median
// of its passes' medians; its GB/s comes from that median, its speedups are
// paired pass by pass (paired_ratio, median_time.hpp), so one noisy pass decides nothing.
void write_rows(std::ostream& csv, const measured_case& measured,
                const std::map<int, double>& copy_gbps) {
  const case_spec& spec = *measured.spec;
  // The fastest peer's time in each pass, per thread count.
  std::map<int, std::vector<double>> best_peer_ns;
  for (const measured_row& row : measured.rows) {
    if (!row.is_peer() || row.skipped()) continue;
    std::vector<double>& best = best_peer_ns[row.threads];
    if (best.empty()) {
      best = row.pass_ns;
      continue;
    }
    best.resize(std::min(best.size(), row.pass_ns.size()));
    for (std::size_t p = 0; p < best.size(); ++p) best[p] = std::min(best[p], row.pass_ns[p]);
  }
  // The unfused sequence's times per instruction set and thread count: a
  // fused row's saving is against the sequence on its own path.
  std::map<std::pair<std::string, int>, std::vector<double>> unfused_ns;
  for (const measured_row& row : measured.rows) {
    if (row.impl == "unfused" && !row.skipped()) unfused_ns[{row.isa, row.threads}] = row.pass_ns;
  }
  const std::int64_t bytes = simdnorm::bench::minimum_traffic_bytes(spec);
  const std::vector<double>& scalar_ns = measured.rows.front().pass_ns;
  for (const measured_row& row : measured.rows) {
    const double ns = simdnorm::bench::median_of(row.pass_ns);  // NaN: skipped
    const auto peer_times = best_peer_ns.find(row.threads);
    const double vs_best_peer =
        peer_times == best_peer_ns.end()
            ? std::nan("")
            : simdnorm::bench::paired_ratio(peer_times->second, row.pass_ns);
    const double gbps = static_cast<double>(bytes) / ns;
    const bool skipped = row.skipped();
    const double fastest_pass =
        skipped ? std::nan("") : *std::min_element(row.pass_ns.begin(), row.pass_ns.end());
    const double slowest_pass =
        skipped ? std::nan("") : *std::max_element(row.pass_ns.begin(), row.pass_ns.end());
    csv << spec.method << ',' << spec.layout << ',' << row.impl << ',' << row.isa << ','
        << row.threads << ',' << simdnorm::bench::size_cells(spec) << ',' << measured.family->name
        << ',' << (skipped ? std::string() : std::to_string(bytes)) << ','
        << simdnorm::bench::number_cell(ns, "%.0f") << ','
        << simdnorm::bench::number_cell(gbps, "%.3f") << ','
        << simdnorm::bench::number_cell(gbps / copy_gbps.at(row.threads), "%.4f") << ','
        << simdnorm::bench::number_cell(simdnorm::bench::paired_ratio(scalar_ns, row.pass_ns),
                                        "%.3f")
        << ',' << simdnorm::bench::number_cell(vs_best_peer, "%.3f") << ','
        << simdnorm::bench::number_cell(row.errors.max_abs, "%.3e") << ','
        << simdnorm::bench::number_cell(row.errors.mean_abs, "%.3e") << ','
        << simdnorm::bench::number_cell(row.errors.stat_max_abs, "%.3e") << ','
        << (skipped ? std::string() : std::to_string(row.pass_ns.size())) << ','
        << simdnorm::bench::number_cell(fastest_pass, "%.0f") << ','
        << simdnorm::bench::number_cell(slowest_pass, "%.0f") << ',';
    const auto unfused = unfused_ns.find({row.isa, row.threads});
    csv << (row.impl == "simdnorm" && unfused != unfused_ns.end()
                ? simdnorm::bench::number_cell(
                      simdnorm::bench::paired_ratio(unfused->second, row.pass_ns), "%.3f")
                : std::string())
        << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);

  std::ofstream file;
  if (opts.out != "-") {
    file.open(opts.out);
    if (!file) usage_error("cannot write " + opts.out);
  }
  std::ostream& csv = opts.out == "-" ? std::cout : file;

  const std::vector<case_spec> suite = simdnorm::bench::suite_named(opts.suite);
  if (suite.empty()) usage_error("unknown suite '" + opts.suite + "'");
  // A regular expression searched for in the method's name: a plain name
  // (letters, digits and underscores, as every method's) is the substring
  // it always was, and '^(layer_norm|group_norm)$' names methods exactly,
  // without their 16-bit and fused variants.
  std::regex filter;
  try {
    filter = std::regex(opts.filter, std::regex::ECMAScript | std::regex::nosubs);
  } catch (const std::regex_error& e) {
    usage_error("--filter '" + opts.filter + "' is not a regular expression: " + e.what());
  }
  std::vector<case_spec> cases;
  for (const case_spec& spec : suite) {
    if (std::regex_search(spec.method, filter)) cases.push_back(spec);
  }
  if (cases.empty()) usage_error("no method matches --filter '" + opts.filter + "'");

  // simdnorm's rows: each instruction set the CPU has, best first, or the
  // best one alone, or the one asked for; at one thread and at every thread
  // of the arena. The sweep's grid compares shapes and libraries, so it
  // keeps to the best instruction set unless told otherwise; quick and
  // reference compare the instruction sets too.
  const std::string isa_choice =
      !opts.isa.empty() ? opts.isa : (opts.suite == "sweep" ? "best" : "all");
  const std::vector<std::string> isas = simdnorm::bench::engine_isas(isa_choice);
  if (isa_choice != "scalar" && isas.empty()) {
    usage_error("this CPU cannot run --isa " + isa_choice);
  }
  std::vector<int> thread_counts;
  const int all_threads = tbb::this_task_arena::max_concurrency();
  if (opts.threads > 0) {
    thread_counts.push_back(opts.threads);
  } else {
    thread_counts.push_back(1);
    if (all_threads > 1) thread_counts.push_back(all_threads);
  }

  const simdnorm::bench::peer_library peers[] = {simdnorm::bench::onednn_peer(),
                                                 simdnorm::bench::aten_peer()};
  for (const simdnorm::bench::peer_library& peer : peers) {
    std::cerr << "simdnorm_sweep: peer " << peer.name << ": "
              << (peer.missing_reason.empty() ? peer.version + ", isa " + peer.isa
                                              : "skipped (" + peer.missing_reason + ")")
              << "\n";
  }

  // The copy ceiling at each thread count a row uses (the scalar rows: 1), so
  // that bw_fraction compares like with like. The probe runs at the start of
  // every pass, so that it samples the machine in the same sittings as the
  // rows do, and bw_fraction divides by its median over the passes, as the
  // rows' times are medians over the passes.
  std::vector<int> probe_counts = thread_counts;
  if (std::find(probe_counts.begin(), probe_counts.end(), 1) == probe_counts.end()) {
    probe_counts.push_back(1);
  }
  std::map<int, std::vector<double>> copy_passes;  // per thread count, one figure a pass
  std::map<int, double> copy_gbps;                 // their medians, once the last pass probed
  const auto probe_copy_bandwidth = [&](int pass) {
    const std::string pass_name = opts.passes == 1 ? std::string()
                                                   : "pass " + std::to_string(pass + 1) + " of " +
                                                         std::to_string(opts.passes) + ": ";
    std::cerr << "simdnorm_sweep: " << pass_name << "measuring copy bandwidth (" << opts.copy_mib
              << " MiB)...\n";
    std::map<int, double> this_pass;
    for (const int threads : probe_counts) {
      std::optional<tbb::global_control> cap;
      if (threads != all_threads) {
        cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
      }
      this_pass[threads] =
          simdnorm::bench::copy_bandwidth_gbps(static_cast<std::size_t>(opts.copy_mib) << 20, 5);
      copy_passes[threads].push_back(this_pass[threads]);
    }
    // bench.sh quotes the first line that reads "copy bandwidth <figure>": the
    // medians, so a pass's own figures are worded otherwise.
    if (opts.passes > 1) {
      std::cerr << "simdnorm_sweep: " << pass_name << "copy " << copy_figures(this_pass) << "\n";
    }
    if (pass + 1 < opts.passes) return;
    for (const auto& [threads, figures] : copy_passes) {
      copy_gbps[threads] = simdnorm::bench::median_of(figures);
    }
    std::cerr << "simdnorm_sweep: copy bandwidth " << copy_figures(copy_gbps)
              << (opts.passes == 1
                      ? std::string(" (read + write)")
                      : " (read + write, median of " + std::to_string(opts.passes) + " passes)")
              << "\n";
  };

  const double budget_ns = opts.budget_ms * 1e6;
  // oneTBB's workers and the peers' OpenMP threads spin for a while after a
  // parallel region; on a small machine they would take a core from the next
  // implementation's timed calls. A pause between libraries lets them sleep.
  const auto let_idle_threads_sleep = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };

  // Passes interleave: each runs every case once, so that a slow spell of the
  // machine (another job, a frequency drop) lands in one pass of many rows,
  // which the median of three or more passes discards, rather than in every
  // repetition of one row. Each pass prepares its calls afresh (the buffers of
  // a whole suite would not fit in memory together); the errors are taken in
  // the first pass only, since every pass checks the same call on the same
  // input.
  std::vector<measured_case> measured;
  for (const case_spec& spec : cases) {
    for (const simdnorm::bench::data_family& family : simdnorm::bench::data_families) {
      measured.push_back({&spec, &family, {}});
    }
  }
  csv << csv_header << "\n";
  const std::size_t total = measured.size() * static_cast<std::size_t>(opts.passes);
  std::size_t done = 0;
  int failures = 0;
  for (int pass = 0; pass < opts.passes; ++pass) {
    probe_copy_bandwidth(pass);
    const bool first_pass = pass == 0;
    const bool last_pass = pass + 1 == opts.passes;
    for (measured_case& unit : measured) {
      ++done;
      const case_spec& spec = *unit.spec;
      const simdnorm::bench::data_family& family = *unit.family;
      std::string label = simdnorm::bench::case_label(spec);
      label += std::string(" ") + family.name;
      if (opts.passes > 1) label = "pass " + std::to_string(pass + 1) + ": " + label;
      std::fprintf(stderr, "[%zu/%zu] %s:", done, total, label.c_str());
      if (unit.failed) {
        std::fprintf(stderr, " not run (failed in an earlier pass)\n");
        continue;
      }
      std::fflush(stderr);
      try {
        const std::vector<float> x = simdnorm::bench::family_floats(
            family, spec.elements(), spec.n, simdnorm::bench::input_seed(spec, family.name));
        simdnorm::bench::reference_cache reference;  // one float64 pass for the case
        // The row of the next implementation to run: made by the first pass,
        // found again by the later ones.
        std::size_t next = 0;
        const auto row_of = [&](const char* impl, const std::string& isa,
                                int threads) -> measured_row& {
          if (first_pass) unit.rows.emplace_back(impl, isa, threads);
          return unit.rows.at(next++);
        };
        const auto measure = [&](measured_row& row,
                                 const simdnorm::bench::prepared_call& prepared) {
          const double ns = simdnorm::bench::median_time_ns(prepared.call, opts.reps, budget_ns);
          if (first_pass) row.errors = prepared.errors;
          row.pass_ns.push_back(ns);
          std::fprintf(stderr, " %s%s%s %dt %.3f ms;", row.impl.c_str(),
                       row.impl == row.isa ? "" : "/", row.impl == row.isa ? "" : row.isa.c_str(),
                       row.threads, ns * 1e-6);
        };

        // The scalar path (capped through set_max_isa, one thread), then the
        // vectorised engine on each instruction set at each thread count, in
        // the caller's default arena, capped by global_control below it.
        simdnorm::set_max_isa("scalar");
        {
          measured_row& row = row_of("scalar", "scalar", 1);
          const simdnorm::bench::prepared_call scalar =
              simdnorm::bench::prepare(spec, x, &reference);
          std::optional<tbb::global_control> cap;
          if (all_threads != 1) cap.emplace(tbb::global_control::max_allowed_parallelism, 1);
          measure(row, scalar);
        }
        for (const std::string& isa : isas) {
          simdnorm::set_max_isa(isa.c_str());
          for (const int threads : thread_counts) {
            measured_row& row = row_of("simdnorm", isa, threads);
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            measure(row, simdnorm::bench::prepare(spec, x, &reference));
          }
        }
        // A fused call's unfused sequence (an activation pass of its own, an
        // add before the norm), on the first instruction set at each thread
        // count.
        if (!isas.empty() && simdnorm::bench::has_unfused(simdnorm::bench::method_of(spec))) {
          simdnorm::set_max_isa(isas.front().c_str());
          for (const int threads : thread_counts) {
            measured_row& row = row_of("unfused", isas.front(), threads);
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            measure(row, simdnorm::bench::prepare_unfused(spec, x, &reference));
          }
        }
        simdnorm::set_max_isa("best");

        // The peers that have the method, at the same thread counts.
        bool peer_ran = false;
        for (const simdnorm::bench::peer_library& peer : peers) {
          if (!peer.covers(spec)) continue;
          for (const int threads : thread_counts) {
            measured_row& row =
                row_of(peer.name, peer.missing_reason.empty() ? peer.isa : "skipped", threads);
            if (row.isa == "skipped") continue;  // missing, or refused in an earlier pass
            if (!peer_ran) let_idle_threads_sleep();
            peer_ran = true;
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            peer.set_threads(threads);
            try {
              measure(row, peer.prepare(spec, x, &reference));
            } catch (const std::exception& e) {
              // A peer's refusal is the peer's row, not a failure of the sweep.
              // A refusal in any pass skips the row, so that no row's median
              // leaves out the passes it failed.
              std::fprintf(stderr, " %s %dt skipped (%s);", peer.name, threads, e.what());
              row.isa = "skipped";
              row.pass_ns.clear();
              row.errors = {};
            }
          }
        }
        if (peer_ran) let_idle_threads_sleep();

        if (last_pass) {
          write_rows(csv, unit, copy_gbps);
          csv.flush();
        }
        std::fprintf(stderr, "\n");
      } catch (const std::exception& e) {
        ++failures;
        unit.failed = true;
        simdnorm::set_max_isa("best");
        std::fprintf(stderr, " FAILED: %s\n", e.what());
      }
    }
  }
  if (!csv) {
    std::cerr << "simdnorm_sweep: writing the CSV failed\n";
    return 1;
  }
  if (failures != 0) {
    std::cerr << "simdnorm_sweep: " << failures << " case(s) failed\n";
    return 1;
  }
  return 0;
}
