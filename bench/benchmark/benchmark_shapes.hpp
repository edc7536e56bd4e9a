// The shapes every Google Benchmark family runs on. simdnorm and its peers
// (oneDNN, ATen) apply the same list, so each row of a peer lines up with a
// row of simdnorm.
#ifndef SIMDNORM_BENCH_BENCHMARK_BENCHMARK_SHAPES_HPP_
#define SIMDNORM_BENCH_BENCHMARK_BENCHMARK_SHAPES_HPP_

#include <benchmark/benchmark.h>

#include <cstdint>
#include <utility>

#include "height_width.hpp"

namespace simdnorm::bench {

// Layer norm and RMS norm, rows x d: the project's reference shapes (latency
// at 1 x 768, a DRAM-sized 2048 x 4096), then 1 Mi floats from BERT-base
// tokens to LLM hidden sizes.
inline void RowShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"rows", "d"});
  for (const auto& [rows, d] : {std::pair{1, 768},
                                {1, 4096},
                                {128, 768},
                                {512, 1024},
                                {8, 4096},
                                {2048, 4096},
                                {4096, 256},
                                {1024, 1024},
                                {256, 4096},
                                {16384, 4096}}) {  // 256 MiB: past the LLC
    b->Args({rows, d});
  }
}

// Batch norm, n x c x spatial: ResNet-50 activations: conv2_x at batch 8,
// conv5_x at batch 32, the stem (conv1) at batch 1 and conv3_x at batch 8.
inline void ActivationShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "spatial"});
  b->Args({8, 64, 56 * 56});
  b->Args({32, 512, 7 * 7});
  b->Args({8, 256, 56 * 56});  // the project's reference shape, 25.7 MB
  b->Args({1, 64, 112 * 112});
  b->Args({8, 512, 28 * 28});
  b->Args({16, 256, 128 * 128});  // 256 MiB: past the last-level cache
}

// Group norm, n x c x spatial x groups: Stable Diffusion's U-Net at 64 x 64
// latents (32 groups), the single-group case that equals layer norm over
// c x spatial, and both ends of the group count on one ResNet-sized tensor
// (1 group; 64 groups of one channel, which is instance norm).
inline void GroupShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "spatial", "groups"});
  b->Args({2, 320, 64 * 64, 32});
  b->Args({8, 64, 32 * 32, 1});
  b->Args({8, 256, 56 * 56, 32});  // the project's reference shape, 25.7 MB
  b->Args({4, 64, 56 * 56, 1});
  b->Args({4, 64, 56 * 56, 64});
  b->Args({1, 320, 64 * 64, 32});
  b->Args({16, 256, 128 * 128, 32});  // 256 MiB: past the last-level cache
}

// Instance norm, n x c x spatial: style-transfer resolutions, one large
// image, then a batch of smaller ones with more channels.
inline void InstanceShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"n", "c", "spatial"});
  b->Args({1, 64, 256 * 256});
  b->Args({4, 128, 128 * 128});
  b->Args({16, 256, 128 * 128});  // 256 MiB: past the last-level cache
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_BENCHMARK_BENCHMARK_SHAPES_HPP_
