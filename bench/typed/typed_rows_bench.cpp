// simdnorm_typed_bench: layer and RMS norm on float32, bfloat16 and float16
// rows, plain and fused with a residual add, beside the unfused sequence an
// engine runs without the fused call (an add kernel writing h, then the
// norm of h), at the transformer shapes of issue 13, on 1 thread and on all.
//
//   simdnorm_typed_bench [Google Benchmark flags...]
//
// Names: <op>/<dtype>/rows:<r>/d:<d>/threads:<t>, op one of layer_norm,
// rms_norm, add_layer_norm (x + residual + bias, sum written),
// add_layer_norm_unfused (the same outputs from an add then layer_norm),
// and the RMS pair likewise. Counters: bytes_per_second counts every tensor
// read or written once at its own width (gamma, beta, bias are float32
// vectors of d, counted once); items_per_second is elements of x per
// second, the figure that compares data types.
//
// The unfused add is bench/common/residual_add.cpp, over the same threads
// as the fused call, as simdnorm_sweep's "unfused" rows take it.
//
// This program is interim: once the method table carries element types, these
// variants join the sweep and the reference suite with the peers beside them.
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "residual_add.hpp"
#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"
#include "typed_tensors.hpp"

namespace {

using simdnorm::dtype;
using simdnorm::element_size;
using simdnorm::bench::name_of;
using simdnorm::bench::tensor;

enum class op {
  layer_norm,
  rms_norm,
  add_layer_norm,
  add_layer_norm_unfused,
  add_rms_norm,
  add_rms_norm_unfused
};

const char* name_of(op o) {
  switch (o) {
    case op::layer_norm:
      return "layer_norm";
    case op::rms_norm:
      return "rms_norm";
    case op::add_layer_norm:
      return "add_layer_norm";
    case op::add_layer_norm_unfused:
      return "add_layer_norm_unfused";
    case op::add_rms_norm:
      return "add_rms_norm";
    case op::add_rms_norm_unfused:
      return "add_rms_norm_unfused";
  }
  return "";
}

bool is_rms(op o) {
  return o == op::rms_norm || o == op::add_rms_norm || o == op::add_rms_norm_unfused;
}
bool is_fused(op o) { return o == op::add_layer_norm || o == op::add_rms_norm; }
bool is_unfused(op o) { return o == op::add_layer_norm_unfused || o == op::add_rms_norm_unfused; }

void run_case(benchmark::State& state, op o, dtype t, std::int64_t rows, std::int64_t d,
              int threads) {
  const std::int64_t count = rows * d;
  const auto x = tensor(t, count, 1u, 0.5f);
  auto residual = tensor(t, count, 2u, 0.0f);
  std::vector<unsigned char> y(x.size()), sum(x.size());
  std::vector<float> gamma(d, 1.25f), beta(d, 0.5f), bias(d, 0.125f), mean(rows), rstd(rows);
  const bool rms = is_rms(o);
  const auto norm = [&](const void* in) {
    if (rms) {
      simdnorm::rms_norm(t, in, rows, d, gamma.data(), nullptr, 1e-5f, y.data(), rstd.data());
    } else {
      simdnorm::layer_norm(t, in, rows, d, gamma.data(), beta.data(), 1e-5f, y.data(), mean.data(),
                           rstd.data());
    }
  };
  const auto call = [&] {
    if (is_fused(o)) {
      if (rms) {
        simdnorm::add_rms_norm(t, x.data(), residual.data(), bias.data(), rows, d, gamma.data(),
                               nullptr, 1e-5f, y.data(), sum.data(), rstd.data());
      } else {
        simdnorm::add_layer_norm(t, x.data(), residual.data(), bias.data(), rows, d, gamma.data(),
                                 beta.data(), 1e-5f, y.data(), sum.data(), mean.data(),
                                 rstd.data());
      }
    } else if (is_unfused(o)) {
      simdnorm::bench::residual_add(t, x.data(), residual.data(), bias.data(), rows, d, sum.data());
      norm(sum.data());
    } else {
      norm(x.data());
    }
  };
  tbb::task_arena arena(threads);
  arena.execute(call);  // warm-up: pages, threads
  for (auto _ : state) {
    arena.execute(call);
    benchmark::ClobberMemory();
  }
  // Fused and unfused: x and residual read, sum and y written (the least
  // traffic of the outputs both give).
  const std::int64_t tensors = (is_fused(o) || is_unfused(o)) ? 4 : 2;
  const std::int64_t params = (rms ? 1 : 2) + (is_fused(o) || is_unfused(o) ? 1 : 0);
  state.SetBytesProcessed(state.iterations() *
                          (tensors * count * element_size(t) + params * d * 4));
  state.SetItemsProcessed(state.iterations() * count);
}

}  // namespace

int main(int argc, char** argv) {
  const int all = static_cast<int>(std::thread::hardware_concurrency());
  const std::int64_t shapes[][2] = {{1, 768},    {1, 4096},   {128, 768},  {512, 768},
                                    {512, 2048}, {512, 4096}, {512, 8192}, {2048, 4096}};
  for (const op o : {op::layer_norm, op::rms_norm, op::add_layer_norm, op::add_layer_norm_unfused,
                     op::add_rms_norm, op::add_rms_norm_unfused}) {
    for (const auto& shape : shapes) {
      for (const dtype t : {dtype::float32, dtype::bfloat16, dtype::float16}) {
        for (const int threads : {1, all}) {
          if (threads == all && all == 1 && threads != 1) continue;
          const std::string name =
              std::string(name_of(o)) + "/" + name_of(t) + "/rows:" + std::to_string(shape[0]) +
              "/d:" + std::to_string(shape[1]) + "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(name.c_str(), run_case, o, t, shape[0], shape[1], threads)
              ->UseRealTime();
          if (all == 1) break;
        }
      }
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
