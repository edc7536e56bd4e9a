// simdnorm_bench: Google Benchmark families over the cases of a suite
// (bench/cases), one per case x data family x implementation: the scalar
// path; simdnorm on each instruction set this CPU has, at one thread and at
// every thread; a fused call's unfused sequence (bench/cases/unfused_calls.hpp)
// on the best instruction set at the same thread counts; and the peers
// (oneDNN, ATen) where they have the method, at the same thread counts, on
// the same input and parameters. A peer this build
// lacks is reported as skipped, with the reason.
//
//   simdnorm_bench [--suite=quick|reference|sweep] [Google Benchmark flags...]
//
// Names are <method>/<layout>/<sizes>/<data>/<impl>[:<isa>]/threads:<t>, e.g.
// layer_norm/rows/n:2048/d:4096/offset1e4/simdnorm:avx512/threads:2, so that
// --benchmark_filter selects by any part. Counters: bytes_per_second (minimum
// traffic), items_per_second (elements), bw_fraction (of the copy bandwidth
// measured in this process at the same thread count), and the errors against
// the float64 reference: max_abs_err and mean_abs_err of the output,
// stat_max_abs_err of every statistic the call outputs.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "case_spec.hpp"
#include "copy_bandwidth.hpp"
#include "data_family.hpp"
#include "peer_library.hpp"
#include "prepared_call.hpp"
#include "simdnorm/simdnorm.hpp"
#include "unfused_calls.hpp"

namespace {

using simdnorm::bench::case_spec;
using simdnorm::bench::data_family;
using simdnorm::bench::peer_library;

struct implementation {
  std::string impl;  // scalar, simdnorm, unfused or the peer's name
  std::string isa;   // simdnorm's (and unfused's) instruction set; empty otherwise
  int threads;
  const peer_library* peer;  // null for scalar and simdnorm
};

// What every family shares: the arena's size, the copy ceilings measured so
// far, and which library ran last. Owned by main, which runs the families one
// after another.
class bench_context {
 public:
  int all_threads() const { return all_threads_; }

  // Copy GB/s at the calling thread count, measured the first time it is
  // asked for (256 MiB buffers: past the last-level cache).
  double copy_gbps(int threads) {
    auto found = copy_gbps_.find(threads);
    if (found == copy_gbps_.end()) {
      found =
          copy_gbps_.emplace(threads, simdnorm::bench::copy_bandwidth_gbps(256u << 20, 5)).first;
    }
    return found->second;
  }

  // oneTBB's workers and the peers' OpenMP threads spin for a while after a
  // parallel region; on a small machine they would take a core from the next
  // library's timed calls. A pause when the library changes lets them sleep.
  void settle_after(const std::string& library) {
    if (!last_library_.empty() && library != last_library_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    last_library_ = library;
  }

 private:
  int all_threads_ = tbb::this_task_arena::max_concurrency();
  std::map<int, double> copy_gbps_;
  std::string last_library_;
};

// Caps simdnorm's instruction set for one family and lifts the cap after it.
class isa_cap {
 public:
  explicit isa_cap(const std::string& isa) { simdnorm::set_max_isa(isa.c_str()); }
  ~isa_cap() { simdnorm::set_max_isa("best"); }  // the top level: no cap
  isa_cap(const isa_cap&) = delete;
  isa_cap& operator=(const isa_cap&) = delete;
};

void run_case(benchmark::State& state, const case_spec& spec, const data_family& family,
              const implementation& impl, bench_context& context) {
  if (impl.peer != nullptr && !impl.peer->missing_reason.empty()) {
    state.SkipWithError(impl.peer->missing_reason.c_str());
    return;
  }
  std::optional<tbb::global_control> cap;
  if (impl.threads != context.all_threads()) {
    cap.emplace(tbb::global_control::max_allowed_parallelism, impl.threads);
  }
  if (impl.peer != nullptr) impl.peer->set_threads(impl.threads);
  const isa_cap isa(impl.impl == "simdnorm" || impl.impl == "unfused" ? impl.isa
                    : impl.impl == "scalar"                           ? "scalar"
                                                                      : "best");
  const double copy_gbps = context.copy_gbps(impl.threads);

  const std::vector<float> x = simdnorm::bench::family_floats(
      family, spec.elements(), spec.n, simdnorm::bench::input_seed(spec, family.name));
  simdnorm::bench::prepared_call prepared;
  try {
    prepared = impl.peer != nullptr     ? impl.peer->prepare(spec, x, nullptr)
               : impl.impl == "unfused" ? simdnorm::bench::prepare_unfused(spec, x)
                                        : simdnorm::bench::prepare(spec, x);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  context.settle_after(impl.impl);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) prepared.call();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::int64_t bytes = simdnorm::bench::minimum_traffic_bytes(spec);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.SetItemsProcessed(state.iterations() * spec.elements());
  const double gbps =
      static_cast<double>(state.iterations()) * static_cast<double>(bytes) / seconds * 1e-9;
  state.counters["bw_fraction"] = gbps / copy_gbps;
  // Errors of the checked call, left out where they do not apply (NaN).
  const auto add_error = [&](const char* name, double value) {
    if (!std::isnan(value)) state.counters[name] = value;
  };
  add_error("max_abs_err", prepared.errors.max_abs);
  add_error("mean_abs_err", prepared.errors.mean_abs);
  add_error("stat_max_abs_err", prepared.errors.stat_max_abs);
}

std::string family_name(const case_spec& spec, const data_family& family,
                        const implementation& impl) {
  std::string name = spec.method + "/" + spec.layout;
  for (const simdnorm::bench::named_size& size : simdnorm::bench::sizes_of(spec)) {
    if (size.value > 0) name += "/" + std::string(size.name) + ":" + std::to_string(size.value);
  }
  name += "/" + std::string(family.name) + "/" + impl.impl;
  if (!impl.isa.empty()) name += ":" + impl.isa;
  return name + "/threads:" + std::to_string(impl.threads);
}

}  // namespace

int main(int argc, char** argv) {
  std::string suite_name = "reference";
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--suite=", 8) == 0) {
      suite_name = argv[i] + 8;
    } else {
      rest.push_back(argv[i]);
    }
  }
  const std::vector<case_spec> suite = simdnorm::bench::suite_named(suite_name);
  if (suite.empty()) {
    std::cerr << "simdnorm_bench: unknown --suite=" << suite_name
              << " (quick, reference or sweep)\n";
    return 2;
  }

  static bench_context context;
  static const peer_library peers[] = {simdnorm::bench::onednn_peer(),
                                       simdnorm::bench::aten_peer()};
  std::vector<int> thread_counts{1};
  if (context.all_threads() > 1) thread_counts.push_back(context.all_threads());
  std::vector<implementation> engine{{"scalar", "", 1, nullptr}};
  for (const std::string& isa : simdnorm::bench::engine_isas("all")) {
    for (const int threads : thread_counts) engine.push_back({"simdnorm", isa, threads, nullptr});
  }

  // Registered in the order they run: per case and data family, the scalar
  // path, simdnorm, a fused call's unfused sequence (on the best instruction
  // set), then each peer.
  const std::vector<std::string> best = simdnorm::bench::engine_isas("best");
  for (const case_spec& spec : suite) {
    for (const data_family& family : simdnorm::bench::data_families) {
      std::vector<implementation> impls = engine;
      if (!best.empty() && simdnorm::bench::has_unfused(simdnorm::bench::method_of(spec))) {
        for (const int threads : thread_counts) {
          impls.push_back({"unfused", best.front(), threads, nullptr});
        }
      }
      for (const peer_library& peer : peers) {
        if (!peer.covers(spec)) continue;
        for (const int threads : thread_counts) impls.push_back({peer.name, "", threads, &peer});
      }
      for (const implementation& impl : impls) {
        benchmark::RegisterBenchmark(family_name(spec, family, impl).c_str(),
                                     [spec, &family, impl](benchmark::State& state) {
                                       run_case(state, spec, family, impl, context);
                                     })
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
    }
  }

  benchmark::AddCustomContext("suite", suite_name);
  for (const peer_library& peer : peers) {
    benchmark::AddCustomContext(std::string(peer.name), peer.missing_reason.empty()
                                                            ? peer.version + ", isa " + peer.isa
                                                            : "skipped: " + peer.missing_reason);
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
