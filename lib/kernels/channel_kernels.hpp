// Vectorised kernels over activation tensors whose statistics are per
// channel: batch statistics in both layouts, and the per-channel affine
// normalisation every channel method ends with. Interface only, no SIMD
// code: the bodies are in channel_kernels-inl.hpp, instantiated per
// instruction set (lib/arch/), scheduled by schedule/channel_steps.cpp.
#ifndef SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_HPP_
#define SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::kernels {

// Statistics of NCHW channels: with per_instance false, channel c's n runs
// of spatial floats, each reduced on its own and merged in sample order (a
// fixed order, so the result does not depend on the thread count); with
// per_instance true, each (n, c) plane on its own. Work item i writes
// sets[i]: channel i, or plane i = n * c_total + c.
struct channel_moments_args {
  const void* x;  // elements of type
  shape s;        // NCHW
  bool per_instance;
  statistics::set_moments* sets;
  dtype type = dtype::float32;
};

struct nchw_channel_moments_kernel {
  template <class Arch>
  void operator()(Arch, const channel_moments_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// Partial statistics of NHWC channels over sets of rows_per_set rows (n *
// spatial for batch statistics, spatial for per-instance ones). Each set's
// rows are cut into chunks of rows_per_chunk rows (a function of the shape
// only); chunk k, the (k % chunks_per_set)-th of set k / chunks_per_set,
// writes the mean and m2 of its rows, per channel, to partial_mean and
// partial_m2 at k * c + channel (its count is its row count). A call's
// chunks [first, last) use chunk first's part of states, [first *
// states_per_channel * c, (first + 1) * states_per_channel * c), as scratch;
// it writes every value it reads, so none of the three needs initialising. The caller merges each
// set's chunks in order, so the result does not depend on the thread count.
// The tiles of channels NHWC statistics take the rows of a block in.
enum class channel_tiling {
  // Four vectors of channels a tile, each tile's two sweeps in turn, the
  // next block prefetched meanwhile.
  four,
  // The same with tiles of eight vectors where the instruction set has the
  // registers (AVX-512): for L1 data caches of 48 KiB or more.
  eight,
  // Tiles of four, each tile's first sweep in one loop with the second sweep
  // of the tile before it, nothing prefetched: for inputs the last-level
  // cache holds (schedule/channel_steps.cpp, channel_tiling_for).
  pipelined,
};

// Whether a block's rows, C elements apart, crowd into a few of L1's sets:
// a row stride that is a multiple of 1 KiB maps the 64 rows of a block to
// at most 4 of the 64 sets (32 or 48 KiB L1s of 8 or 12 ways, on Zen 4 and
// on Intel's cores alike), 16 or more lines a set for a tile of four
// vectors, so the block's second sweep missed L1. Such blocks may be copied
// (as x - shift, in float32) into a contiguous buffer by the first sweep,
// and the second reads the copy: NHWC statistics per 16 floats on Zen 4, 1
// thread, 1024 rows, tiles of four: 1.58 -> 1.44 ns at C = 256, 1.67 ->
// 1.49 at 512, 1.66 -> 1.49 at 1280, 2.20 -> 1.72 at 2048. Elsewhere the
// copy's stores cost more than they save (0.92 -> 1.05 ns at C = 64, 1.33
// -> 1.44 at 320, 1.42 -> 1.50 at 640): float32 blocks elsewhere are not
// copied, 16-bit ones are (their second sweep then widens nothing). Whether
// they are copied is the schedule's choice (blocks_copied_for,
// schedule/channel_steps.cpp).
inline bool rows_share_l1_sets(std::int64_t channels, std::int64_t element_bytes) {
  return (channels * element_bytes) % 1024 == 0;
}

struct nhwc_channel_moments_args {
  // A running mean and m2, and the shift (the chunk's first row, widened).
  static constexpr std::int64_t states_per_channel = 3;
  const void* x;  // elements of type
  shape s;        // NHWC
  std::int64_t rows_per_set;
  std::int64_t rows_per_chunk;
  std::int64_t chunks_per_set;
  double* partial_mean;
  double* partial_m2;
  float* states;
  dtype type = dtype::float32;
  // How a block's channels are tiled (channel_kernels-inl.hpp,
  // merge_channel_block), and whether the first sweep copies the block for
  // the second (blocks_copied_for); the schedule chooses. The bits are
  // the same whichever they are.
  channel_tiling tiling = channel_tiling::four;
  bool copy_blocks = false;
};

struct nhwc_channel_moments_kernel {
  template <class Arch>
  void operator()(Arch, const nhwc_channel_moments_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// y = (x - mean_hi[i]) * scale[i] + shift[i], the factors per channel (i =
// c, factors_per_sample 0) or per instance (i = n * c_total + c,
// factors_per_sample c_total); the mean's second part is folded into shift
// (normalize-inl.hpp).
struct channel_affine_args {
  const void* x;  // elements of type, as y
  shape s;
  std::int64_t factors_per_sample;
  const float* mean_hi;
  const float* scale;
  const float* shift;
  void* y;
  // NHWC: the factors are those of x/2, for a call with a set whose x - mean
  // could overflow (statistics/normalizer.hpp); NCHW runs decide per plane.
  bool halved_input = false;
  // y written with non-temporal stores (schedule/thread_policy.hpp).
  bool stream_output = false;
  // Applied to each y before it is stored.
  activation act = activation::none;
  dtype type = dtype::float32;
};

// Work items [first, last): NCHW planes (n, c) at n * c_total + c, or NHWC
// positions (n, p) at n * spatial + p.
struct channel_affine_kernel {
  template <class Arch>
  void operator()(Arch, const channel_affine_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// The factors of channel_affine_args from each set's normaliser: for sets
// [first, last) (set i of channel i % channels), hi[i] = sets[i].hi,
// scale[i] = sets[i].rstd * gamma[c] and shift[i] = beta[c] - sets[i].lo *
// scale[i] (gamma, beta null: 1, 0), with channel_steps::normalize's guard
// for a shift that overflows.
struct channel_factors_args {
  const statistics::set_normalizer* sets;
  std::int64_t channels;
  const float* gamma;  // may be null
  const float* beta;   // may be null
  float* hi;
  float* scale;
  float* shift;
};

struct channel_factors_kernel {
  template <class Arch>
  void operator()(Arch, const channel_factors_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// Inference normalisers from running statistics: sets[c] = {mean[c], 0,
// 1 / sqrt(var[c] + eps)} for channels [first, last), the square root and
// division in double as statistics::rstd_of (IEEE operations, so the same
// bits in any lane width).
struct running_normalizers_args {
  const float* mean;
  const float* var;
  float eps;
  statistics::set_normalizer* sets;
};

struct running_normalizers_kernel {
  template <class Arch>
  void operator()(Arch, const running_normalizers_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// sets[c] = normalizer_of(mean, variance, eps) of moments[c]: a batch-norm
// training call's normalisers from its channels' moments.
struct moment_normalizers_args {
  const statistics::set_moments* moments;
  float eps;
  statistics::set_normalizer* sets;
};

struct moment_normalizers_kernel {
  template <class Arch>
  void operator()(Arch, const moment_normalizers_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// One set's NHWC chunk partials merged per channel in chunk order: for
// channels [first, last), chunk k's (mean, m2) at k * channels + c merges
// into chunks [0, k)'s, held in chunk 0's place, with weights[k]
// (statistics::merge_with, in double vectors across channels: IEEE
// operations without contraction, so the same bits as one channel at a
// time).
struct chunk_merge_args {
  double* mean;  // the set's chunk 0; chunk k's at k * channels
  double* m2;
  std::int64_t channels;
  std::int64_t chunks;
  const statistics::merge_weights* weights;  // [k] for k >= 1
};

struct chunk_merge_kernel {
  template <class Arch>
  void operator()(Arch, const chunk_merge_args& args, std::int64_t first, std::int64_t last) const;
};

// The instantiations: defined for one instruction set by its translation unit
// (lib/arch/kernels_for_isa.cpp.in), declared extern here for all of them.
#define SIMDNORM_CHANNEL_KERNELS(PREFIX, ARCH)                                                     \
  PREFIX template void nhwc_channel_moments_kernel::operator()<ARCH>(                              \
      ARCH, const nhwc_channel_moments_args&, std::int64_t, std::int64_t) const;                   \
  PREFIX template void nchw_channel_moments_kernel::operator()<ARCH>(                              \
      ARCH, const channel_moments_args&, std::int64_t, std::int64_t) const;                        \
  PREFIX template void channel_affine_kernel::operator()<ARCH>(ARCH, const channel_affine_args&,   \
                                                               std::int64_t, std::int64_t) const;  \
  PREFIX template void channel_factors_kernel::operator()<ARCH>(ARCH, const channel_factors_args&, \
                                                                std::int64_t, std::int64_t) const; \
  PREFIX template void running_normalizers_kernel::operator()<ARCH>(                               \
      ARCH, const running_normalizers_args&, std::int64_t, std::int64_t) const;                    \
  PREFIX template void moment_normalizers_kernel::operator()<ARCH>(                                \
      ARCH, const moment_normalizers_args&, std::int64_t, std::int64_t) const;                     \
  PREFIX template void chunk_merge_kernel::operator()<ARCH>(ARCH, const chunk_merge_args&,         \
                                                            std::int64_t, std::int64_t) const;
// Declared for every instruction set of the build (cmake/instruction_sets.cmake).
#define SIMDNORM_INSTRUCTION_SET(id, name, arch, features) SIMDNORM_CHANNEL_KERNELS(extern, arch)
#include "dispatch/instruction_set_list.inc"
#undef SIMDNORM_INSTRUCTION_SET

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_CHANNEL_KERNELS_HPP_
