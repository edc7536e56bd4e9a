// simdnorm_typed_channels_bench: group norm, instance norm and batch norm
// (training and inference) on float32, bfloat16 and float16 activations, in
// both layouts, plain and with the fused activation of the models that use
// them (group norm + SiLU in a diffusion UNet's resnet blocks, batch norm +
// ReLU in a convolutional net), at issue 13's UNet shapes and the reference
// suite's ResNet ones, on 1 thread and on all.
//
//   simdnorm_typed_channels_bench [Google Benchmark flags...]
//
// Names: <op>/<act>/<dtype>/<layout>/n:<n>/c:<c>/hw:<spatial>/threads:<t>,
// op one of group_norm (G = 32), instance_norm, batch_norm_training,
// batch_norm_inference; act none, silu or relu. Counters: bytes_per_second
// counts x read and y written once at their own width; items_per_second is
// elements of x per second, the figure that compares data types.
//
// Interim, as simdnorm_typed_bench is: once the method table carries element
// types and activations, these variants join the sweep and the reference
// suite with the peers beside them.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "typed_tensors.hpp"

namespace {

using simdnorm::activation;
using simdnorm::dtype;
using simdnorm::element_size;
using simdnorm::layout;
using simdnorm::shape;
using simdnorm::bench::name_of;
using simdnorm::bench::tensor;

enum class op { group_norm, instance_norm, batch_norm_training, batch_norm_inference };

const char* name_of(op o) {
  switch (o) {
    case op::group_norm:
      return "group_norm";
    case op::instance_norm:
      return "instance_norm";
    case op::batch_norm_training:
      return "batch_norm_training";
    case op::batch_norm_inference:
      break;
  }
  return "batch_norm_inference";
}

const char* name_of(activation act) {
  return act == activation::silu ? "silu" : (act == activation::relu ? "relu" : "none");
}

constexpr std::int64_t groups = 32;

void run_case(benchmark::State& state, op o, activation act, dtype t, shape s, int threads) {
  const std::int64_t count = s.n * s.c * s.spatial;
  const auto x = tensor(t, count, 1u, 0.5f);
  std::vector<unsigned char> y(x.size());
  std::vector<float> gamma(s.c, 1.25f), beta(s.c, 0.5f), running_mean(s.c, 0.25f),
      running_var(s.c, 1.5f), mean(s.n * s.c), rstd(s.n * s.c);
  const auto call = [&] {
    switch (o) {
      case op::group_norm:
        simdnorm::group_norm(t, x.data(), s, groups, gamma.data(), beta.data(), 1e-5f, act,
                             y.data(), mean.data(), rstd.data());
        break;
      case op::instance_norm:
        simdnorm::instance_norm(t, x.data(), s, gamma.data(), beta.data(), 1e-5f, act, y.data(),
                                mean.data(), rstd.data());
        break;
      case op::batch_norm_training:
        simdnorm::batch_norm_training(t, x.data(), s, running_mean.data(), running_var.data(),
                                      gamma.data(), beta.data(), 0.1f, 1e-5f,
                                      simdnorm::running_var_kind::unbiased, act, y.data(),
                                      mean.data(), rstd.data());
        break;
      case op::batch_norm_inference:
        simdnorm::batch_norm_inference(t, x.data(), s, running_mean.data(), running_var.data(),
                                       gamma.data(), beta.data(), 1e-5f, act, y.data());
        break;
    }
  };
  tbb::task_arena arena(threads);
  arena.execute(call);  // warm-up: pages, threads
  for (auto _ : state) {
    arena.execute(call);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * count * element_size(t));
  state.SetItemsProcessed(state.iterations() * count);
}

struct spec {
  op o;
  activation act;
  shape s;
};

std::vector<spec> specs() {
  std::vector<spec> all;
  for (const layout l : {layout::nhwc, layout::nchw}) {
    // UNet resnet blocks: 1..2 x 320/640/1280 x 64^2/32^2/16^2, G = 32.
    for (const std::int64_t n : {1, 2}) {
      for (const std::int64_t c : {320, 640, 1280}) {
        for (const std::int64_t hw : {64 * 64, 32 * 32, 16 * 16}) {
          for (const activation act : {activation::none, activation::silu}) {
            all.push_back({op::group_norm, act, shape{n, c, hw, l}});
          }
        }
      }
    }
    // The reference suite's instance-norm and ResNet-50 batch-norm shapes.
    for (const shape& s : {shape{1, 64, 256 * 256, l}, shape{4, 128, 128 * 128, l}}) {
      all.push_back({op::instance_norm, activation::none, s});
    }
    // And the last two stages at batch 1, as an engine serving one image
    // runs them: few positions per channel, so what each call pays per
    // channel before its first output shows.
    for (const shape& s :
         {shape{8, 64, 112 * 112, l}, shape{8, 256, 56 * 56, l}, shape{8, 512, 28 * 28, l},
          shape{8, 2048, 7 * 7, l}, shape{1, 512, 7 * 7, l}, shape{1, 2048, 7 * 7, l}}) {
      for (const activation act : {activation::none, activation::relu}) {
        all.push_back({op::batch_norm_training, act, s});
        all.push_back({op::batch_norm_inference, act, s});
      }
    }
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  const int all = static_cast<int>(std::thread::hardware_concurrency());
  for (const spec& c : specs()) {
    for (const dtype t : {dtype::float32, dtype::bfloat16, dtype::float16}) {
      for (const int threads : {1, all}) {
        const std::string name = std::string(name_of(c.o)) + "/" + name_of(c.act) + "/" +
                                 name_of(t) + "/" + (c.s.layout == layout::nhwc ? "nhwc" : "nchw") +
                                 "/n:" + std::to_string(c.s.n) + "/c:" + std::to_string(c.s.c) +
                                 "/hw:" + std::to_string(c.s.spatial) +
                                 "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(), run_case, c.o, c.act, t, c.s, threads)
            ->UseRealTime();
        if (all == 1) break;
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
