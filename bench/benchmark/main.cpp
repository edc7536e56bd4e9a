// simdnorm_bench: Google Benchmark families over the public C++ API. Rates are
// bytes of input read plus output written per second.
//
//   simdnorm_bench [--threads=N] [--isa=NAME] [Google Benchmark flags...]
//
// --threads caps oneTBB's parallelism for the whole run (default: every
// core) and gives the peers (oneDNN, ATen) the same count; --isa caps the
// instruction set (avx512, avx2, sse4.2, sse2, scalar) of simdnorm only.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "peer_registry.hpp"
#include "simdnorm/simdnorm.hpp"

int main(int argc, char** argv) {
  std::unique_ptr<tbb::global_control> thread_cap;
  int threads = tbb::info::default_concurrency();
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
      thread_cap = std::make_unique<tbb::global_control>(
          tbb::global_control::max_allowed_parallelism, threads);
    } else if (std::strncmp(argv[i], "--isa=", 6) == 0) {
      simdnorm::set_max_isa(argv[i] + 6);
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_count = static_cast<int>(rest.size());
  benchmark::AddCustomContext("simdnorm_isa", simdnorm::active_isa());
  benchmark::AddCustomContext("threads", std::to_string(threads));
  simdnorm::bench::configure_peers(threads);
  benchmark::Initialize(&rest_count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
