// The contiguous-set kernels' bodies, written once for every instruction set;
// included only by the per-instruction-set translation units (lib/arch/), each compiled
// with its own flags.
#ifndef SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "kernels/batched_statistics-inl.hpp"
#include "kernels/block_statistics-inl.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "kernels/normalize-inl.hpp"
#include "statistics/normalizer.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::kernels {

namespace {

// Normalises elements [begin, end) of set `set`: per feature along a row
// (run_length 1), or run by run with one factor per channel.
template <class Arch>
void normalize_set_range(const contiguous_sets_args& a, std::int64_t set, std::int64_t begin,
                         std::int64_t end, const statistics::set_normalizer& normalizer) {
  const std::int64_t offset = set * a.set_length;
  const float* x = a.x + offset;
  float* y = a.y + offset;
  // Rows skip the two integer divisions (tens of cycles on a row's critical
  // path): their affine parameters start at feature 0.
  const std::int64_t affine_base =
      a.sets_per_sample == 1 ? 0 : (set % a.sets_per_sample) * (a.set_length / a.run_length);
  if (a.run_length == 1) {
    normalize_row<Arch>(float_source{x + begin}, end - begin, normalizer,
                        a.gamma != nullptr ? a.gamma + affine_base + begin : nullptr,
                        a.beta != nullptr ? a.beta + affine_base + begin : nullptr,
                        float_sink{y + begin});
    return;
  }
  for (std::int64_t o = begin; o < end;) {
    const std::int64_t run = o / a.run_length;
    const std::int64_t run_end = (run + 1) * a.run_length < end ? (run + 1) * a.run_length : end;
    const std::int64_t channel = affine_base + run;
    const run_factors f = factors_of(normalizer, a.gamma != nullptr ? a.gamma[channel] : 1.0f,
                                     a.beta != nullptr ? a.beta[channel] : 0.0f);
    normalize_run<Arch>(float_source{x + o}, run_end - o, f, float_sink{y + o});
    o = run_end;
  }
}

// Rows of exactly Vectors whole vectors (64 floats with AVX-512: 4) keep
// gamma and beta in registers for all of them, and their loop unrolled: the
// compiler cannot hoist the loads itself, since y might alias them. The
// operations per element are normalize_row_vectors', and so are the bits.
template <class Arch, int Vectors, bool HasGamma, bool HasBeta>
void normalize_short_rows(const contiguous_sets_args& a, std::int64_t first, std::int64_t count,
                          const statistics::set_normalizer* normalizers) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  constexpr std::int64_t d = Vectors * width;
  batch gamma[Vectors], beta[Vectors];
  for (int v = 0; v < Vectors; ++v) {
    gamma[v] = HasGamma ? batch::load_unaligned(a.gamma + v * width) : batch(1.0f);
    beta[v] = HasBeta ? batch::load_unaligned(a.beta + v * width) : batch(0.0f);
  }
  for (std::int64_t k = 0; k < count; ++k) {
    const float* x = a.x + (first + k) * d;
    float* y = a.y + (first + k) * d;
    const statistics::set_normalizer& set = normalizers[k];
    if (statistics::subtraction_may_overflow(set.hi)) {
      normalize_row_of<Arch>(halved_source<float_source>{float_source{x}}, d,
                             statistics::halved(set), a.gamma, a.beta, float_sink{y});
      continue;
    }
    const batch hi(set.hi), rstd(set.rstd), lo_term(-set.lo * set.rstd);
    for (int v = 0; v < Vectors; ++v) {
      const batch t = multiply_add(batch::load_unaligned(x + v * width) - hi, rstd, lo_term);
      with_affine<HasGamma, HasBeta>(
          t, [&] { return gamma[v]; }, [&] { return beta[v]; })
          .store_unaligned(y + v * width);
    }
  }
}

// Normalises rows [first, first + count) (run_length 1), the affine
// variant chosen once for all of them rather than per row: a 64-float row
// takes a few dozen instructions, and per-row choices were a third of them.
// Past the last-level cache, longer rows prefetch, while normalised, the
// row count places on (the next group's, whose statistics come next), if it
// is below prefetch_end, so that memory reads it while this row is written:
// on a 2-core Zen 5, layer norm 2048 x 4096 went from 20.5 to 23.1 GB/s at
// 1 thread and from 44.1 to 47.9 at 2. In cache it cost 2-5% (128 x 768,
// 512 x 1024), so it is off there. Short rows leave it to the hardware
// prefetcher.
template <class Arch, bool HasGamma, bool HasBeta>
void normalize_rows(const contiguous_sets_args& a, std::int64_t first, std::int64_t count,
                    std::int64_t prefetch_end, const statistics::set_normalizer* normalizers) {
  const std::int64_t d = a.set_length;
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  if (d % width == 0) {
    switch (d / width) {
      case 1:
        return normalize_short_rows<Arch, 1, HasGamma, HasBeta>(a, first, count, normalizers);
      case 2:
        return normalize_short_rows<Arch, 2, HasGamma, HasBeta>(a, first, count, normalizers);
      case 4:
        return normalize_short_rows<Arch, 4, HasGamma, HasBeta>(a, first, count, normalizers);
      default:
        break;
    }
  }
  for (std::int64_t k = 0; k < count; ++k) {
    const float_source x{a.x + (first + k) * d};
    const float_sink y{a.y + (first + k) * d};
    const statistics::set_normalizer& set = normalizers[k];
    if (statistics::subtraction_may_overflow(set.hi)) {
      normalize_row_of<Arch>(halved_source<float_source>{x}, d, statistics::halved(set), a.gamma,
                             a.beta, y);
    } else if (a.prefetch_rows && first + k + count < prefetch_end) {
      normalize_row<Arch, HasGamma, HasBeta>(prefetching_float_source{x.data, x.data + count * d},
                                             d, set, a.gamma, a.beta, y);
    } else {
      normalize_row<Arch, HasGamma, HasBeta>(x, d, set, a.gamma, a.beta, y);
    }
  }
}

template <class Arch>
void normalize_sets(const contiguous_sets_args& a, std::int64_t first, std::int64_t count,
                    std::int64_t prefetch_end, const statistics::set_normalizer* normalizers) {
  // Rows: the affine parameters are per element of the set (a set may also
  // be an NCHW group of one-position channels, whose index differs).
  if (a.run_length != 1 || a.sets_per_sample != 1) {
    for (std::int64_t k = 0; k < count; ++k) {
      normalize_set_range<Arch>(a, first + k, 0, a.set_length, normalizers[k]);
    }
  } else if (a.gamma != nullptr && a.beta != nullptr) {
    normalize_rows<Arch, true, true>(a, first, count, prefetch_end, normalizers);
  } else if (a.gamma != nullptr) {
    normalize_rows<Arch, true, false>(a, first, count, prefetch_end, normalizers);
  } else if (a.beta != nullptr) {
    normalize_rows<Arch, false, true>(a, first, count, prefetch_end, normalizers);
  } else {
    normalize_rows<Arch, false, false>(a, first, count, prefetch_end, normalizers);
  }
}

// Work item `item` of the chunked schedule: chunk item % chunks of set
// item / chunks, elements [begin, end) of the set.
struct set_chunk {
  std::int64_t set;
  std::int64_t begin;
  std::int64_t end;
};

set_chunk chunk_of(std::int64_t item, std::int64_t chunks, std::int64_t set_length) {
  const std::int64_t begin = (item % chunks) * statistics::chunk_floats;
  return set_chunk{item / chunks, begin,
                   begin + statistics::chunk_floats < set_length ? begin + statistics::chunk_floats
                                                                 : set_length};
}

// finish_set for a batch of sets (first, first + count), for the
// standardising and RMS kinds: split per set, and rstd_of's 1 / sqrt(var +
// eps) in double vectors across the batch (which the compiler would not
// vectorise from rstd_of itself): the same operations, so the same bits.
// Weight norm keeps finish_set's per-set branch.
template <class Arch, std::int64_t Most>
void finish_batch(const contiguous_sets_args& a, std::int64_t first, std::int64_t count, double n,
                  const batched_moments<Most>& moments, statistics::set_normalizer* normalizers) {
  if (a.kind == set_norm_kind::weight) {
    for (std::int64_t k = 0; k < count; ++k) {
      normalizers[k] =
          finish_set(a, first + k, statistics::set_moments{n, moments.mean[k], moments.m2[k]});
    }
    return;
  }
  const bool standardize = a.kind == set_norm_kind::standardize;
  alignas(64) float hi[Most], lo[Most], rstd[Most];
  const auto eps = static_cast<double>(a.eps);
  for (std::int64_t k = 0; k < Most; ++k) {
    const statistics::split_mean parts =
        standardize ? statistics::split(moments.mean[k]) : statistics::split_mean{0.0f, 0.0f};
    hi[k] = parts.hi;
    lo[k] = parts.lo;
  }
  using doubles = xsimd::batch<double, Arch>;
  constexpr std::int64_t double_width = doubles::size;
  if constexpr (Most % double_width == 0) {
    for (std::int64_t k = 0; k < Most; k += double_width) {
      // rstd_of across the batch: 1 / sqrt(var + eps) in double, rounded once.
      const doubles var = doubles::load_aligned(moments.m2 + k) / doubles(n);
      alignas(64) double r[double_width];
      (doubles(1.0) / xsimd::sqrt(var + doubles(eps))).store_aligned(r);
      for (std::int64_t j = 0; j < double_width; ++j) rstd[k + j] = static_cast<float>(r[j]);
    }
  } else {
    for (std::int64_t k = 0; k < Most; ++k) {
      rstd[k] = statistics::rstd_of(moments.m2[k] / n, a.eps);
    }
  }
  for (std::int64_t k = 0; k < count; ++k) {
    normalizers[k] = statistics::set_normalizer{hi[k], lo[k], rstd[k]};
  }
  if (standardize && a.mean != nullptr) {
    for (std::int64_t k = 0; k < count; ++k) a.mean[first + k] = hi[k];
  }
  if (a.rstd != nullptr) {
    for (std::int64_t k = 0; k < count; ++k) a.rstd[first + k] = rstd[k];
  }
}

}  // namespace

// Short sets go in groups: the statistics of up to 16 sets (at most 32 KiB,
// so still in L1 or L2 when normalised) first, then their normalisation.
// Each set's statistics are a chain of dependent reductions; with no
// normalisation between them, the core overlaps one set's chain with the next
// set's loads (measured: 128 x 768 layer norm, 1 thread, about 195 -> 165 ns a row).
constexpr std::int64_t group_floats = std::int64_t{1} << 13;
constexpr std::int64_t group_sets = 16;

template <class Arch>
void contiguous_sets_kernel::operator()(Arch, const contiguous_sets_args& a, std::int64_t first,
                                        std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  std::int64_t per_group = group_floats / a.set_length;
  per_group = per_group < 1 ? 1 : (per_group > group_sets ? group_sets : per_group);
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  const bool batched = a.set_length <= batched_set_floats<Arch>;
  statistics::set_normalizer normalizers[group_sets];
  const auto n = static_cast<double>(a.set_length);
  for (std::int64_t start = first; start < last; start += per_group) {
    const std::int64_t end = start + per_group < last ? start + per_group : last;
    for (std::int64_t set = start; set < end; set += batched ? width : 1) {
      const float* x = a.x + set * a.set_length;
      statistics::set_normalizer* out = normalizers + (set - start);
      if (batched) {
        const std::int64_t count = end - set < width ? end - set : width;
        if (count == 1) {
          batched_moments<1> moments;
          batched_set_statistics<Arch, 1>(x, a.set_length, 1, statistic_of(a.kind), moments);
          finish_batch<Arch, 1>(a, set, 1, n, moments, out);
        } else {
          batched_moments<width> moments;
          batched_set_statistics<Arch, width>(x, a.set_length, count, statistic_of(a.kind),
                                              moments);
          finish_batch<Arch, width>(a, set, count, n, moments, out);
        }
      } else {
        *out = finish_set(a, set, set_statistics_of<Arch>(x, a.set_length, statistic_of(a.kind)));
      }
    }
    normalize_sets<Arch>(a, start, end - start, last, normalizers);
  }
}

template <class Arch>
void set_chunk_statistics_kernel::operator()(Arch, const set_chunk_statistics_args& a,
                                             std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  const contiguous_sets_args& sets = *a.sets;
  for (std::int64_t item = first; item < last; ++item) {
    const set_chunk c = chunk_of(item, a.chunks, sets.set_length);
    const float* x = sets.x + c.set * sets.set_length;
    a.partials[item] =
        chunk_statistics_of<Arch>(x + c.begin, c.end - c.begin, statistic_of(sets.kind), x[0]);
  }
}

template <class Arch>
void set_chunk_normalize_kernel::operator()(Arch, const set_chunk_normalize_args& a,
                                            std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  const contiguous_sets_args& sets = *a.sets;
  for (std::int64_t item = first; item < last; ++item) {
    const set_chunk c = chunk_of(item, a.chunks, sets.set_length);
    normalize_set_range<Arch>(sets, c.set, c.begin, c.end, a.normalizers[c.set]);
  }
}

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_
