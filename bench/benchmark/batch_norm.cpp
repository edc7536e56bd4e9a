// Batch norm, training and inference, NCHW and NHWC, through the public C++ API.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "benchmark_data.hpp"
#include "benchmark_shapes.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {
namespace {

shape activation(const benchmark::State& state, simdnorm::layout layout) {
  return {state.range(0), state.range(1), state.range(2), layout};
}

void BatchNormInference(benchmark::State& state, simdnorm::layout layout) {
  const shape s = activation(state, layout);
  const std::vector<float> x =
      normal_floats(s.n * s.c * s.spatial, input_seed::batch_norm_inference);
  const affine params = affine_parameters(s.c);
  const std::vector<float> running_mean(s.c, 0.0f), running_var(s.c, 1.0f);
  std::vector<float> y(x.size());
  for (auto _ : state) {
    batch_norm_inference(x.data(), s, running_mean.data(), running_var.data(), params.gamma.data(),
                         params.beta.data(), 1e-5f, y.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * input_output_bytes(s.n * s.c * s.spatial));
}

void BatchNormTraining(benchmark::State& state, simdnorm::layout layout) {
  const shape s = activation(state, layout);
  const std::vector<float> x =
      normal_floats(s.n * s.c * s.spatial, input_seed::batch_norm_training);
  const affine params = affine_parameters(s.c);
  std::vector<float> running_mean(s.c, 0.0f), running_var(s.c, 1.0f);
  std::vector<float> y(x.size()), save_mean(s.c), save_rstd(s.c);
  for (auto _ : state) {
    batch_norm_training(x.data(), s, running_mean.data(), running_var.data(), params.gamma.data(),
                        params.beta.data(), 0.1f, 1e-5f, running_var_kind::unbiased, y.data(),
                        save_mean.data(), save_rstd.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  // Minimum traffic; a tensor larger than the last-level cache is read twice.
  state.SetBytesProcessed(state.iterations() * input_output_bytes(s.n * s.c * s.spatial));
}

BENCHMARK_CAPTURE(BatchNormInference, nchw, layout::nchw)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormInference, nhwc, layout::nhwc)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining, nchw, layout::nchw)->Apply(ActivationShapes);
BENCHMARK_CAPTURE(BatchNormTraining, nhwc, layout::nhwc)->Apply(ActivationShapes);

}  // namespace
}  // namespace simdnorm::bench
