// simdnorm_sweep: times every method x layout of the public API on seeded
// data, and the peer libraries (oneDNN, ATen) where they have the method, on
// the same data in the same process; measures every implementation's error
// against the float64 reference and the machine's copy bandwidth; writes one
// CSV row per case, data family and implementation (columns documented in
// README.md). Progress goes to stderr.
//
//   simdnorm_sweep [--suite NAME] [--out FILE] [--filter SUBSTRING] [--threads N]
//                  [--isa NAME] [--reps N] [--budget-ms N] [--copy-mib N]
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
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

namespace {

using simdnorm::bench::case_spec;

struct options {
  std::string suite = "quick";
  std::string out = "-";  // stdout
  int threads = 0;        // 0: one thread and every thread of the arena
  std::string isa;        // empty: the suite's default, "all" or "best"
  std::string filter;     // substring of the method name; empty = all
  int reps = 15;
  int budget_ms = 500;  // per row: slow calls get fewer repetitions
  int copy_mib = 256;   // above any last-level cache we expect, so the probe measures DRAM
};

constexpr const char* usage =
    "usage: simdnorm_sweep [--suite NAME] [--out FILE] [--filter SUBSTRING] [--threads N]\n"
    "                      [--isa NAME] [--reps N] [--budget-ms N] [--copy-mib N]\n"
    "  --suite NAME        quick (default), reference or sweep\n"
    "  --out FILE          CSV output (default: stdout)\n"
    "  --filter SUBSTRING  only methods whose name contains SUBSTRING\n"
    "  --threads N         simdnorm and peer rows at N threads only (default: 1 and all)\n"
    "  --isa NAME          simdnorm rows on NAME only (one of the build's instruction sets),\n"
    "                      on every instruction set the CPU has (all), or on its best one\n"
    "                      (best); default: all for quick and reference, best for sweep\n"
    "  --reps N            timed repetitions per row, after one warm-up (default 15)\n"
    "  --budget-ms N       fewer repetitions (at least 3) for rows whose calls would\n"
    "                      take longer than N ms in all (default 500)\n"
    "  --copy-mib N        buffer size of the copy-bandwidth probe in MiB (default 256)\n";

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
    } else {
      usage_error("unknown option " + arg);
    }
  }
  return parsed;
}

// One implementation measured on a case and data family. The rows of a case
// are written together, once its peers' times are known.
struct measured_row {
  measured_row(std::string impl_name, std::string isa_name, int thread_count)
      : impl(std::move(impl_name)), isa(std::move(isa_name)), threads(thread_count) {}

  std::string impl;  // scalar, simdnorm or a peer's name
  std::string isa;   // "skipped": a peer this build lacks, or that failed
  int threads;
  double ns = std::nan("");  // NaN: not measured (skipped)
  simdnorm::bench::error_figures errors;
};

constexpr const char* csv_header =
    "method,layout,impl,isa,threads,n,c,spatial,groups,d,data,bytes,time_ns,gbps,bw_fraction,"
    "speedup_vs_scalar,speedup_vs_best_peer,max_abs_err,mean_abs_err,stat_max_abs_err";

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
  std::vector<case_spec> cases;
  for (const case_spec& spec : suite) {
    if (spec.method.find(opts.filter) != std::string::npos) cases.push_back(spec);
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
  // that bw_fraction compares like with like.
  std::map<int, double> copy_gbps;
  std::cerr << "simdnorm_sweep: measuring copy bandwidth (" << opts.copy_mib << " MiB)...\n";
  std::string copy_line = "copy bandwidth";
  std::vector<int> probe_counts = thread_counts;
  probe_counts.push_back(1);
  for (const int threads : probe_counts) {
    if (copy_gbps.count(threads) != 0) continue;
    std::optional<tbb::global_control> cap;
    if (threads != all_threads) cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
    copy_gbps[threads] =
        simdnorm::bench::copy_bandwidth_gbps(static_cast<std::size_t>(opts.copy_mib) << 20, 5);
  }
  for (const auto& [threads, gbps] : copy_gbps) {
    copy_line += std::string(copy_line == "copy bandwidth" ? " " : ", ") +
                 simdnorm::bench::number_cell(gbps, "%.2f") + " GB/s at " +
                 std::to_string(threads) + (threads == 1 ? " thread" : " threads");
  }
  std::cerr << "simdnorm_sweep: " << copy_line << " (read + write)\n";

  const double budget_ns = opts.budget_ms * 1e6;
  // oneTBB's workers and the peers' OpenMP threads spin for a while after a
  // parallel region; on a small machine they would take a core from the next
  // implementation's timed calls. A pause between libraries lets them sleep.
  const auto let_idle_threads_sleep = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };

  csv << csv_header << "\n";
  const std::size_t total = cases.size() * std::size(simdnorm::bench::data_families);
  std::size_t done = 0;
  int failures = 0;
  for (const case_spec& spec : cases) {
    for (const simdnorm::bench::data_family& family : simdnorm::bench::data_families) {
      ++done;
      std::string label = simdnorm::bench::case_label(spec);
      label += std::string(" ") + family.name;
      std::fprintf(stderr, "[%zu/%zu] %s:", done, total, label.c_str());
      std::fflush(stderr);
      try {
        const std::vector<float> x = simdnorm::bench::family_floats(
            family, spec.elements(), spec.n, simdnorm::bench::input_seed(spec, family.name));
        std::vector<measured_row> rows;
        const std::int64_t bytes = simdnorm::bench::minimum_traffic_bytes(spec);
        simdnorm::bench::reference_cache reference;  // one float64 pass for the case
        const auto measure = [&](measured_row row, const simdnorm::bench::prepared_call& prepared) {
          row.ns = simdnorm::bench::median_time_ns(prepared.call, opts.reps, budget_ns);
          row.errors = prepared.errors;
          std::fprintf(stderr, " %s%s%s %dt %.3f ms;", row.impl.c_str(),
                       row.impl == row.isa ? "" : "/", row.impl == row.isa ? "" : row.isa.c_str(),
                       row.threads, row.ns * 1e-6);
          rows.push_back(std::move(row));
        };

        // The scalar path (capped through set_max_isa, one thread), then the
        // vectorised engine on each instruction set at each thread count, in
        // the caller's default arena, capped by global_control below it.
        simdnorm::set_max_isa("scalar");
        {
          const simdnorm::bench::prepared_call scalar =
              simdnorm::bench::prepare(spec, x, &reference);
          std::optional<tbb::global_control> cap;
          if (all_threads != 1) cap.emplace(tbb::global_control::max_allowed_parallelism, 1);
          measure({"scalar", "scalar", 1}, scalar);
        }
        for (const std::string& isa : isas) {
          simdnorm::set_max_isa(isa.c_str());
          for (const int threads : thread_counts) {
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            measure({"simdnorm", isa, threads}, simdnorm::bench::prepare(spec, x, &reference));
          }
        }
        simdnorm::set_max_isa("best");

        // The peers that have the method, at the same thread counts.
        std::map<int, double> best_peer_ns;
        bool peer_ran = false;
        for (const simdnorm::bench::peer_library& peer : peers) {
          if (!peer.covers(spec)) continue;
          for (const int threads : thread_counts) {
            if (!peer.missing_reason.empty()) {
              rows.push_back({peer.name, "skipped", threads});
              continue;
            }
            if (!peer_ran) let_idle_threads_sleep();
            peer_ran = true;
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            peer.set_threads(threads);
            try {
              measure({peer.name, peer.isa, threads}, peer.prepare(spec, x, &reference));
            } catch (const std::exception& e) {
              // A peer's refusal is the peer's row, not a failure of the sweep.
              std::fprintf(stderr, " %s %dt skipped (%s);", peer.name, threads, e.what());
              rows.push_back({peer.name, "skipped", threads});
              continue;
            }
            const double ns = rows.back().ns;
            if (best_peer_ns.count(threads) == 0 || ns < best_peer_ns[threads]) {
              best_peer_ns[threads] = ns;
            }
          }
        }
        if (peer_ran) let_idle_threads_sleep();

        const double scalar_ns = rows.front().ns;
        for (const measured_row& row : rows) {
          const auto peer_time = best_peer_ns.find(row.threads);
          const double best_peer =
              peer_time == best_peer_ns.end() ? std::nan("") : peer_time->second;
          const double gbps = static_cast<double>(bytes) / row.ns;
          const bool skipped = std::isnan(row.ns);
          csv << spec.method << ',' << spec.layout << ',' << row.impl << ',' << row.isa << ','
              << row.threads << ',' << simdnorm::bench::size_cells(spec) << ',' << family.name
              << ',' << (skipped ? std::string() : std::to_string(bytes)) << ','
              << simdnorm::bench::number_cell(row.ns, "%.0f") << ','
              << simdnorm::bench::number_cell(gbps, "%.3f") << ','
              << simdnorm::bench::number_cell(gbps / copy_gbps.at(row.threads), "%.4f") << ','
              << simdnorm::bench::number_cell(scalar_ns / row.ns, "%.3f") << ','
              << simdnorm::bench::number_cell(best_peer / row.ns, "%.3f") << ','
              << simdnorm::bench::number_cell(row.errors.max_abs, "%.3e") << ','
              << simdnorm::bench::number_cell(row.errors.mean_abs, "%.3e") << ','
              << simdnorm::bench::number_cell(row.errors.stat_max_abs, "%.3e") << '\n';
        }
        csv.flush();
        std::fprintf(stderr, "\n");
      } catch (const std::exception& e) {
        ++failures;
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
