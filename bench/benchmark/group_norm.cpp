// Group norm, NCHW and NHWC, through the public C++ API.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {
namespace {

void GroupNorm(benchmark::State& state, simdnorm::layout layout) {
  const shape s{state.range(0), state.range(1), state.range(2), layout};
  const std::int64_t groups = state.range(3);
  const std::vector<float> x = normal_floats(s.n * s.c * s.spatial, input_seed::group_norm);
  const affine params = affine_parameters(s.c);
  std::vector<float> y(x.size()), mean(s.n * groups), rstd(s.n * groups);
  for (auto _ : state) {
    group_norm(x.data(), s, groups, params.gamma.data(), params.beta.data(), 1e-5f, y.data(),
               mean.data(), rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(s.n * s.c * s.spatial));
}

BENCHMARK_CAPTURE(GroupNorm, nchw, layout::nchw)->Apply(GroupShapes);
BENCHMARK_CAPTURE(GroupNorm, nhwc, layout::nhwc)->Apply(GroupShapes);

}  // namespace
}  // namespace simdnorm::bench
