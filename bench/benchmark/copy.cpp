// The copy ceiling: memcpy of x into y through the same oneTBB arena as the
// kernels, in 64 KiB pieces, counted like them (bytes read plus bytes
// written). A kernel's GB/s over Copy's GB/s at the same size and thread
// count is its fraction of the copy bandwidth, measured in the same run.
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "benchmark_data.hpp"

namespace simdnorm::bench {
namespace {

void Copy(benchmark::State& state) {
  const std::int64_t floats = state.range(0);
  const std::vector<float> x(static_cast<std::size_t>(floats), 1.0f);
  std::vector<float> y(x.size());
  constexpr std::int64_t piece = std::int64_t{1} << 14;
  for (auto _ : state) {
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, (floats + piece - 1) / piece),
                      [&](const tbb::blocked_range<std::int64_t>& r) {
                        const std::int64_t begin = r.begin() * piece;
                        const std::int64_t end =
                            r.end() * piece < floats ? r.end() * piece : floats;
                        std::memcpy(y.data() + begin, x.data() + begin,
                                    static_cast<std::size_t>(end - begin) * sizeof(float));
                      });
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(floats));
}

// The reference tensors (8 x 256 x 56 x 56; 2048 x 4096 rows), and 256 MiB,
// past most last-level caches.
BENCHMARK(Copy)->ArgName("floats")->Arg(8 * 256 * 56 * 56)->Arg(2048 * 4096)->Arg(64 << 20);

}  // namespace
}  // namespace simdnorm::bench
