// Normalisation whose statistics sets are contiguous and laid end to end:
// the rows of layer norm, RMS norm and weight norm (a set is a row), and NCHW
// group norm and instance norm (a set is the channels of one group of one
// sample). One kernel family serves them all, in every element type, with
// or without a residual added first; the interface has no SIMD code,
// so that the schedule (schedule/contiguous_sets.cpp) can call every
// instruction set's instantiation (compiled in lib/arch/).
#ifndef SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_HPP_
#define SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "statistics/normalizer.hpp"
#include "statistics/set_chunks.hpp"

namespace simdnorm::kernels {

// standardize: (x - mean) * rstd (layer, group, instance norm); rms: x * rstd
// with rstd of mean(x^2); weight: x * gain[set] / ||x_set||_2 (no eps).
enum class set_norm_kind { standardize, rms, weight };

// Row lengths whose sweeps the AVX-512 float32 kernels unroll whole when
// rows go one a group (contiguous_set_kernels-inl.hpp, with_known_row_length),
// so that the schedule takes such rows one at a time from smaller calls
// (schedule/thread_policy.hpp, rows_one_at_a_time): BERT's 768 and 1024, and
// the powers of two below them that go one at a time at all.
inline constexpr std::int64_t known_row_lengths[] = {256, 512, 768, 1024};
inline constexpr bool is_known_row_length(std::int64_t d) {
  for (const std::int64_t known : known_row_lengths) {
    if (d == known) return true;
  }
  return false;
}

// One call's arguments, already validated. Set s is x[s * set_length, (s + 1)
// * set_length). gamma and beta are indexed per run of run_length floats:
// element o of set s uses index (s % sets_per_sample) * (set_length /
// run_length) + o / run_length, which is the feature for rows (run_length 1,
// sets_per_sample 1) and the channel for NCHW groups (run_length spatial,
// sets_per_sample groups). mean is written by standardize only; gain and norm
// are weight norm's. x, y, residual and sum hold elements of `type`.
struct contiguous_sets_args {
  set_norm_kind kind;
  const void* x;
  std::int64_t set_length;
  std::int64_t run_length;
  std::int64_t sets_per_sample;
  const float* gamma;
  const float* beta;
  float eps;
  void* y;
  float* mean;
  float* rstd;
  const float* gain = nullptr;
  float* norm = nullptr;
  // Weight norm: set to 1 for each row left unscaled for the caller to finish
  // (scalar::finish_tiny_norm_rows); one byte per row.
  unsigned char* unscaled = nullptr;
  // Sets past the last-level cache: each row's normalisation prefetches a
  // later row, and float32 outputs (y, a fused add's sum) are written with
  // non-temporal stores (contiguous_sets_kernel). Set by the schedule.
  bool past_last_level_cache = false;
  // Rows go through their statistics and normalisation one at a time rather
  // than in groups (sets_in_groups). Set by the schedule.
  bool one_row_a_group = false;
  dtype type = dtype::float32;
  // A fused add (rows only): the sets are h = (x + residual) + bias, bias
  // indexed by feature (may be null); h is written to sum when it is given.
  const void* residual = nullptr;
  const float* bias = nullptr;
  void* sum = nullptr;
  // Applied to each y before it is stored (not with a fused add).
  activation act = activation::none;
};

// Internal linkage, for the reason given at finish_set below.
namespace {

// Set `set` of a call as the scalar fallback reads it.
inline statistics::set_values values_of_set(const contiguous_sets_args& a, std::int64_t set) {
  const std::int64_t offset = set * a.set_length * element_size(a.type);
  const auto at = [offset](const void* tensor) {
    return tensor == nullptr ? nullptr : static_cast<const char*>(tensor) + offset;
  };
  return statistics::set_values{a.type, at(a.x), at(a.residual), a.bias, a.set_length};
}

}  // namespace

inline statistics::set_statistic statistic_of(set_norm_kind kind) {
  return kind == set_norm_kind::standardize ? statistics::set_statistic::moments
                                            : statistics::set_statistic::mean_square;
}

// From a set's statistics to the factors that normalise it, writing the
// set's mean, rstd or norm where the caller asked for them. Shared by every
// instruction set and both schedules, defined here so that it inlines into
// the per-row loop; internal linkage, builtins only, for the reason given in
// statistics/normalizer.hpp. It has no a * b + c for a compiler to fuse, so
// every file computes the same bits. (It divides m2 by count itself rather
// than call set_moments::variance, an inline member with external linkage.)
namespace {

inline statistics::set_normalizer finish_set(const contiguous_sets_args& a, std::int64_t set,
                                             const statistics::set_moments& statistics) {
  statistics::set_normalizer normalizer;
  switch (a.kind) {
    case set_norm_kind::standardize:
      normalizer =
          statistics::normalizer_of(statistics.mean, statistics.m2 / statistics.count, a.eps);
      if (a.mean != nullptr) a.mean[set] = static_cast<float>(statistics.mean);
      break;
    case set_norm_kind::rms:
      normalizer.rstd = statistics::rstd_of(statistics.m2 / statistics.count, a.eps);
      break;
    case set_norm_kind::weight: {
      // m2 is the sum of squares here, so the norm is its square root.
      const double norm = __builtin_sqrt(statistics.m2);
      const double factor = static_cast<double>(a.gain[set]) / norm;
      if (statistics::factor_overflows(factor, norm)) {
        // Left as it is (a factor of 1 is exact) for the caller to finish.
        normalizer.rstd = 1.0f;
        a.unscaled[set] = 1;
      } else {
        normalizer.rstd = static_cast<float>(factor);
      }
      if (a.norm != nullptr) a.norm[set] = static_cast<float>(norm);
      break;
    }
  }
  if (a.rstd != nullptr) a.rstd[set] = normalizer.rstd;
  return normalizer;
}

}  // namespace

// Normalises sets [first, last), each read once from memory: statistics, then
// the normalisation while the set is still in cache. Sets are independent,
// so any split of them over threads gives the same bits.
struct contiguous_sets_kernel {
  template <class Arch>
  void operator()(Arch, const contiguous_sets_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// The same work cut into chunks (statistics/set_chunks.hpp), for sets fewer than
// threads: item i is chunk i % chunks of set i / chunks. First the chunks'
// statistics, into partials[i]; then, with every set's factors known, the
// chunks' normalisation.
struct set_chunk_statistics_args {
  const contiguous_sets_args* sets;
  std::int64_t chunks;
  statistics::chunk_statistics* partials;
};

struct set_chunk_statistics_kernel {
  template <class Arch>
  void operator()(Arch, const set_chunk_statistics_args& args, std::int64_t first,
                  std::int64_t last) const;
};

struct set_chunk_normalize_args {
  const contiguous_sets_args* sets;
  std::int64_t chunks;
  const statistics::set_normalizer* normalizers;  // one per set
};

struct set_chunk_normalize_kernel {
  template <class Arch>
  void operator()(Arch, const set_chunk_normalize_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// The instantiations: defined for one instruction set by its translation unit
// (lib/arch/kernels_for_isa.cpp.in), declared extern here for all of them.
#define SIMDNORM_CONTIGUOUS_SET_KERNELS(PREFIX, ARCH)                                              \
  PREFIX template void contiguous_sets_kernel::operator()<ARCH>(ARCH, const contiguous_sets_args&, \
                                                                std::int64_t, std::int64_t) const; \
  PREFIX template void set_chunk_statistics_kernel::operator()<ARCH>(                              \
      ARCH, const set_chunk_statistics_args&, std::int64_t, std::int64_t) const;                   \
  PREFIX template void set_chunk_normalize_kernel::operator()<ARCH>(                               \
      ARCH, const set_chunk_normalize_args&, std::int64_t, std::int64_t) const;
// Declared for every instruction set of the build (cmake/instruction_sets.cmake).
#define SIMDNORM_INSTRUCTION_SET(id, name, arch, features) \
  SIMDNORM_CONTIGUOUS_SET_KERNELS(extern, arch)
#include "dispatch/instruction_set_list.inc"
#undef SIMDNORM_INSTRUCTION_SET

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_HPP_
