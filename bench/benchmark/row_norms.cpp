// Layer norm and RMS norm over rows x d, through the public C++ API.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {
namespace {

void LayerNorm(benchmark::State& state) {
  const std::int64_t rows = state.range(0), d = state.range(1);
  const std::vector<float> x = normal_floats(rows * d, input_seed::row_norms);
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
  const std::vector<float> x = normal_floats(rows * d, input_seed::row_norms);
  const affine params = affine_parameters(d);
  std::vector<float> y(x.size()), rstd(rows);
  for (auto _ : state) {
    rms_norm(x.data(), rows, d, params.gamma.data(), nullptr, 1e-5f, y.data(), rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(rows * d));
}

BENCHMARK(LayerNorm)->Apply(RowShapes);
BENCHMARK(RmsNorm)->Apply(RowShapes);

}  // namespace
}  // namespace simdnorm::bench
