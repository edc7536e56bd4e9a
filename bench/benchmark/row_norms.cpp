// Layer norm and RMS norm over rows x d, through the public C++ API.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "benchmark_data.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {
namespace {

void LayerNorm(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const std::vector<float> x = normal_floats(rows * d, 1);
  const affine params = affine_parameters(d);
  std::vector<float> y(x.size()), mean(rows), rstd(rows);
  for (auto _ : state) {
    layer_norm(x.data(), rows, d, params.gamma.data(), params.beta.data(), 1e-5f, y.data(),
               mean.data(), rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(rows * d));
}

void RmsNorm(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const std::vector<float> x = normal_floats(rows * d, 1);
  const affine params = affine_parameters(d);
  std::vector<float> y(x.size()), rstd(rows);
  for (auto _ : state) {
    rms_norm(x.data(), rows, d, params.gamma.data(), nullptr, 1e-5f, y.data(), rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(rows * d));
}

// The project's reference shapes (latency at 1 x 768, a DRAM-sized
// 2048 x 4096), then 1 Mi floats from BERT-base tokens to LLM hidden sizes.
void RowShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "d"});
  for (const auto& [rows, d] : {std::pair{1, 768},
                                {1, 4096},
                                {128, 768},
                                {512, 1024},
                                {8, 4096},
                                {2048, 4096},
                                {4096, 256},
                                {1024, 1024},
                                {256, 4096}}) {
    b->Args({rows, d});
  }
}

BENCHMARK(LayerNorm)->Apply(RowShapes);
BENCHMARK(RmsNorm)->Apply(RowShapes);

}  // namespace
}  // namespace simdnorm::bench
