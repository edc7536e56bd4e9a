// simdnorm_sweep: times every method x layout of the public API on seeded
// data, measures its error against the float64 reference and the machine's
// copy bandwidth in the same process, and writes one CSV row per case and
// data family (columns documented in README.md). Progress goes to stderr.
//
//   simdnorm_sweep [--suite NAME] [--out FILE] [--filter SUBSTRING] [--threads N]
//                  [--isa NAME] [--reps N] [--copy-mib N]
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

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
#include <utility>
#include <vector>

#include "case_spec.hpp"
#include "copy_bandwidth.hpp"
#include "data_family.hpp"
#include "median_time.hpp"
#include "prepared_call.hpp"

namespace {

using simdnorm::sweep::case_spec;

struct options {
  std::string suite = "quick";
  std::string out = "-";  // stdout
  int threads = 0;        // 0: one thread and every thread of the arena
  std::string isa;        // empty: every instruction set the CPU has
  std::string filter;     // substring of the method name; empty = all
  int reps = 15;
  int copy_mib = 256;  // above any last-level cache we expect, so the probe measures DRAM
};

constexpr const char* usage =
    "usage: simdnorm_sweep [--suite NAME] [--out FILE] [--filter SUBSTRING] [--threads N]\n"
    "                      [--isa NAME] [--reps N] [--copy-mib N]\n"
    "  --suite NAME        quick (default), reference or sweep\n"
    "  --out FILE          CSV output (default: stdout)\n"
    "  --filter SUBSTRING  only methods whose name contains SUBSTRING\n"
    "  --threads N         engine rows at N threads only (default: 1 and all)\n"
    "  --isa NAME          engine rows on that instruction set only (default: each one\n"
    "                      the CPU has)\n"
    "  --reps N            timed repetitions per case, after one warm-up (default 15)\n"
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
    } else if (arg == "--copy-mib") {
      parsed.copy_mib = positive_int(value, "--copy-mib");
    } else {
      usage_error("unknown option " + arg);
    }
  }
  return parsed;
}

// FNV-1a: the data of a case depends on what the case is, not on its position
// in the suite, so a filtered run measures the same inputs as a full one.
std::uint64_t seed_of(const case_spec& spec, const char* family) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const std::string key = spec.method + "/" + spec.layout + "/" + std::to_string(spec.n) + "/" +
                          std::to_string(spec.c) + "/" + std::to_string(spec.spatial) + "/" +
                          std::to_string(spec.groups) + "/" + std::to_string(spec.d) + "/" + family;
  for (const char ch : key) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// An empty cell for a size or figure that does not apply.
std::string size_cell(std::int64_t value) { return value > 0 ? std::to_string(value) : ""; }

std::string number_cell(double value, const char* format) {
  if (std::isnan(value)) return "";
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

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

  const std::vector<case_spec> suite = simdnorm::sweep::suite_named(opts.suite);
  if (suite.empty()) usage_error("unknown suite '" + opts.suite + "'");
  std::vector<case_spec> cases;
  for (const case_spec& spec : suite) {
    if (spec.method.find(opts.filter) != std::string::npos) cases.push_back(spec);
  }
  if (cases.empty()) usage_error("no method matches --filter '" + opts.filter + "'");

  // The engine's rows: each instruction set the CPU has (or the one asked
  // for), best first, at one thread and at every thread of the arena.
  std::vector<std::string> isas;
  for (const char* level : {"avx512", "avx2", "sse4.2", "sse2", "neon64"}) {
    if (!opts.isa.empty() && opts.isa != level) continue;
    simdnorm::set_max_isa(level);
    if (simdnorm::active_isa() == std::string(level)) isas.push_back(level);
  }
  simdnorm::set_max_isa("neon64");  // the top level: no cap
  if (!opts.isa.empty() && opts.isa != "scalar" && isas.empty()) {
    usage_error("this CPU cannot run --isa " + opts.isa);
  }
  std::vector<int> thread_counts;
  const int all_threads = tbb::this_task_arena::max_concurrency();
  if (opts.threads > 0) {
    thread_counts.push_back(opts.threads);
  } else {
    thread_counts.push_back(1);
    if (all_threads > 1) thread_counts.push_back(all_threads);
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
        simdnorm::sweep::copy_bandwidth_gbps(static_cast<std::size_t>(opts.copy_mib) << 20, 5);
  }
  for (const auto& [threads, gbps] : copy_gbps) {
    copy_line += std::string(copy_line == "copy bandwidth" ? " " : ", ") +
                 number_cell(gbps, "%.2f") + " GB/s at " + std::to_string(threads) +
                 (threads == 1 ? " thread" : " threads");
  }
  std::cerr << "simdnorm_sweep: " << copy_line << " (read + write)\n";

  csv << csv_header << "\n";
  const std::size_t total = cases.size() * std::size(simdnorm::bench::data_families);
  std::size_t done = 0;
  int failures = 0;
  for (const case_spec& spec : cases) {
    for (const simdnorm::bench::data_family& family : simdnorm::bench::data_families) {
      ++done;
      std::string label = spec.method + " " + spec.layout;
      for (const auto& [name, value] : {std::pair<const char*, std::int64_t>{"n", spec.n},
                                        {"c", spec.c},
                                        {"spatial", spec.spatial},
                                        {"groups", spec.groups},
                                        {"d", spec.d}}) {
        if (value > 0) label += std::string(" ") + name + "=" + std::to_string(value);
      }
      label += std::string(" ") + family.name;
      std::fprintf(stderr, "[%zu/%zu] %s: ", done, total, label.c_str());
      std::fflush(stderr);
      try {
        const std::vector<float> x = simdnorm::bench::normal_floats(
            spec.elements(), seed_of(spec, family.name), family.offset);
        // One row per implementation: the scalar path (capped through
        // set_max_isa, one thread), then the vectorised engine on each
        // instruction set at each thread count.
        const auto measure = [&](const char* impl, const std::string& isa, int threads,
                                 double scalar_ns) {
          const simdnorm::sweep::prepared_call prepared = simdnorm::sweep::prepare(spec, x);
          const double ns = simdnorm::sweep::median_time_ns(prepared.call, opts.reps);
          const double gbps = static_cast<double>(prepared.bytes) / ns;
          const double best_peer_ns = std::nan("");  // no peer measured yet
          csv << spec.method << ',' << spec.layout << ',' << impl << ',' << isa << ',' << threads
              << ',' << size_cell(spec.n) << ',' << size_cell(spec.c) << ','
              << size_cell(spec.spatial) << ',' << size_cell(spec.groups) << ','
              << size_cell(spec.d) << ',' << family.name << ',' << prepared.bytes << ','
              << number_cell(ns, "%.0f") << ',' << number_cell(gbps, "%.3f") << ','
              << number_cell(gbps / copy_gbps.at(threads), "%.4f") << ','
              << number_cell(std::isnan(scalar_ns) ? 1.0 : scalar_ns / ns, "%.3f") << ','
              << number_cell(best_peer_ns / ns, "%.3f") << ','
              << number_cell(prepared.errors.max_abs, "%.3e") << ','
              << number_cell(prepared.errors.mean_abs, "%.3e") << ','
              << number_cell(prepared.errors.stat_max_abs, "%.3e") << '\n';
          csv.flush();
          std::fprintf(stderr, "%s%s/%s %.3f ms, %.2f GB/s (%.2f of copy), max err %s, stat err %s",
                       std::isnan(scalar_ns) ? "" : "; ", impl, isa.c_str(), ns * 1e-6, gbps,
                       gbps / copy_gbps.at(threads),
                       number_cell(prepared.errors.max_abs, "%.2e").c_str(),
                       number_cell(prepared.errors.stat_max_abs, "%.2e").c_str());
          return ns;
        };
        simdnorm::set_max_isa("scalar");

        const double scalar_ns = measure("scalar", "scalar", 1, std::nan(""));
        for (const std::string& isa : isas) {
          simdnorm::set_max_isa(isa.c_str());
          for (const int threads : thread_counts) {
            // In the caller's default arena, oneTBB's parallelism capped by
            // global_control for the one-thread rows.
            std::optional<tbb::global_control> cap;
            if (threads != all_threads) {
              cap.emplace(tbb::global_control::max_allowed_parallelism, threads);
            }
            measure("simdnorm", isa, threads, scalar_ns);
          }
        }
        simdnorm::set_max_isa("neon64");
        std::fprintf(stderr, "\n");
      } catch (const std::exception& e) {
        ++failures;
        std::fprintf(stderr, "FAILED: %s\n", e.what());
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
