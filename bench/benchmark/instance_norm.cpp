// Instance norm, NCHW and NHWC, through the public C++ API.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {
namespace {

void InstanceNorm(benchmark::State& state, simdnorm::layout layout) {
  const shape s{state.range(0), state.range(1), state.range(2), layout};
  const std::vector<float> x = normal_floats(s.n * s.c * s.spatial, input_seed::instance_norm);
  const affine params = affine_parameters(s.c);
  std::vector<float> y(x.size()), mean(s.n * s.c), rstd(s.n * s.c);
  for (auto _ : state) {
    instance_norm(x.data(), s, params.gamma.data(), params.beta.data(), 1e-5f, y.data(),
                  mean.data(), rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(s.n * s.c * s.spatial));
}

BENCHMARK_CAPTURE(InstanceNorm, nchw, layout::nchw)->Apply(InstanceShapes);
BENCHMARK_CAPTURE(InstanceNorm, nhwc, layout::nhwc)->Apply(InstanceShapes);

}  // namespace
}  // namespace simdnorm::bench
