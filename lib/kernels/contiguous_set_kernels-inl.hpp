// The contiguous-set kernels' bodies, written once for every instruction set;
// included only by the per-instruction-set translation units (lib/arch/), each compiled
// with its own flags.
#ifndef SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_
#define SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <xsimd/xsimd.hpp>

#include "kernels/activation-inl.hpp"
#include "kernels/batched_statistics-inl.hpp"
#include "kernels/block_statistics-inl.hpp"
#include "kernels/contiguous_set_kernels.hpp"
#include "kernels/normalize-inl.hpp"
#include "kernels/short_row_statistics-inl.hpp"
#include "kernels/typed_io-inl.hpp"
#include "statistics/normalizer.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::kernels {

namespace {

// What a set's elements are formed from, besides x.
enum class addend { none, residual };

// Whether rows of Element take the short-row kernels on Arch
// (normalize_short_rows, short_row_normalizers), plain or a fused add's
// staged rows: float32 everywhere, 16-bit on AVX-512 only (on AVX2
// bfloat16 rows of 32 in L2 lost 6-9% with them, and float16 gained 3-4%,
// not worth the compile time).
template <class Arch, class Element>
constexpr bool has_short_rows = std::is_same<Element, float>::value || is_avx512<Arch>;

// Where the kernels read the sets' elements and write their outputs: Element
// tensors, with a residual (and bias) added first when Add says so. Offsets
// count elements from the tensor's start; `feature` is an offset's position
// in its row, which indexes the bias.
template <class Arch, class Element, addend Add, bool Activated>
struct set_io {
  static constexpr addend add = Add;
  // Rows with a fused add are staged into float32 (up to staged_floats,
  // sets_in_groups) and normalised through staged_io; this io meets them
  // only past that length, or as chunks of long rows. So the rows machinery
  // (batched statistics, per-affine row loops) is instantiated for the plain
  // ios of each element type only, short rows in registers where
  // has_short_rows says, and batched statistics for the activated ios
  // too (an activation must not change the statistics' bits, and batched
  // statistics differ from set_statistics_of's in the last bits). Each
  // further io with all of it grew the AVX-512 file's compile time under
  // AddressSanitizer + UBSan (38 s for float32 alone at -O2 -g, 6 minutes
  // with everything). Staging 16-bit rows too would save another quarter
  // of it, but made them 1.4 to 2.4x slower (512 x 768 and 512 x 4096,
  // layer and RMS norm, Zen 5).
  static constexpr bool staged = Add != addend::none;
  static constexpr bool rows_machinery = !staged && !Activated;
  static constexpr bool batched_statistics = !staged;
  static constexpr bool short_rows = rows_machinery && has_short_rows<Arch, Element>;
  static constexpr bool tiles_affine = true;  // normalize_rows, affine_tile
  // normalize_rows, past the last-level cache.
  static constexpr bool pairs_past_last_level_cache =
      rows_machinery && std::is_same<Element, float>::value;
  const Element* x;
  const Element* residual;
  const float* bias;
  Element* y;
  Element* sum;
  activation act;  // applied to y where Activated
  bool stream;     // y and sum past the last-level cache (element_sink)

  auto source(std::int64_t offset, std::int64_t feature) const {
    if constexpr (Add == addend::none) {
      return element_source<Element>{x + offset};
    } else {
      return residual_source<Element>{x + offset, residual + offset,
                                      bias != nullptr ? bias + feature : nullptr};
    }
  }
  // What each statistics block's first sweep reads (chunk_statistics_of).
  auto first_sweep_source(std::int64_t offset, std::int64_t feature) const {
    return source(offset, feature);
  }
  // What the normalisation sweep reads: the source, which also writes the
  // sum output where the call asked for it.
  auto normalized_source(std::int64_t offset, std::int64_t feature) const {
    if constexpr (Add == addend::none) {
      return source(offset, feature);
    } else {
      return summing_source<decltype(source(0, 0)), Element>{
          source(offset, feature), sum != nullptr ? sum + offset : nullptr,
          native_stores<Element>(), stream};
    }
  }
  auto sink(std::int64_t offset) const {
    if constexpr (Activated) {
      return chosen_activation_sink<element_sink<Element>, Arch>{
          element_sink<Element>{y + offset, native_stores<Element>(), stream}, act};
    } else {
      return element_sink<Element>{y + offset, native_stores<Element>(), stream};
    }
  }
  // The same values as the scalar fallback reads them.
  statistics::set_values values(std::int64_t offset, std::int64_t feature,
                                std::int64_t length) const {
    return statistics::set_values{
        dtype_of(x), x + offset, Add == addend::none ? nullptr : residual + offset,
        Add == addend::residual && bias != nullptr ? bias + feature : nullptr, length};
  }
};

// A fused add's rows staged: h, formed once per element into a float32
// buffer (staged_values, holding elements [base, base + its length) of the
// tensor: a buffer on the stack, or a float32 sum's or y's own rows), is
// what the statistics and the normalisation read; y is written as by
// set_io. The buffer holds the same floats that set_io's source forms, so
// both give the same bits; x, residual and bias are loaded, converted and
// added once per element instead of once per sweep (three).
//
// The statistics' first sweep over each block forms h and writes it there,
// with the sum where that is not the buffer itself (staging_source): that
// sweep reads x, residual and bias anyway, and a separate staging sweep,
// read back by the statistics, was one sweep too many over a row of floats.
// With the rows grouped as sets_in_groups says, layer norm of x + residual +
// bias, 2-core Zen 4, C API, best of 10-call batches over 1 s, 3 runs
// alternating, Gelem/s, staged first -> formed by the statistics (the
// unfused sequence, residual_add then the norm in place, beside):
//
//   float16 512 x 4096, 1 / 2 threads     3.0-3.1 / 6.4 -> 3.4-3.6 / 7.3 (3.4 / 6.5-6.9)
//   bfloat16 512 x 4096, 1 thread         2.9-3.1 -> 3.3-3.5 (3.2)
//   bfloat16 512 x 8192                   2.3-2.6 -> 2.8 (2.3-2.4)
//   bfloat16 128 x 768                    4.0-4.1 -> 4.4-4.6 (3.1)
//   float32 512 x 2048 (four rows a group) 2.9 -> 3.3 (3.0-3.1)
//   with the sum, one row a group (as then staged at 4096; now two, whose
//   effect sets_in_groups gives):
//   float16 512 x 4096                    2.8 -> 3.0 (3.1-3.2)
//   bfloat16 512 x 4096, 1 / 2 threads    2.8 / 5.5-5.6 -> 3.0 / 5.8-5.9 (2.8-3.1 / 6.1-6.2)
//   float16 128 x 768                     4.1-4.2 -> 4.0 (3.4)
//   float32 512 x 1024, 128 x 768         3.3 -> 3.4, 3.4 -> 3.3-3.4 (3.2, 3.1)
//
// RMS norm float16 512 x 4096 without the sum 3.2-3.4 -> 3.9-4.0 (4.2-4.3).
// AVX2: float16 layer norm 512 x 4096 without the sum 2.95 -> 3.58.
template <class Arch, class Element>
struct staged_io {
  static constexpr addend add = addend::none;
  static constexpr bool staged = false;
  static constexpr bool rows_machinery = true;
  static constexpr bool batched_statistics = true;
  // Short staged rows as set_io's (normalize_short_rows, the first sweep
  // staging): before, a fused call of short rows took longer than the add
  // and the norm apart. Layer norm of x + residual + bias without the sum,
  // 1 thread, 2-core Xeon VM, C API, 3 alternating runs, us: float32 16384
  // x 16 497 -> 189, 65536 x 64 2862 -> 2310; bfloat16 131072 x 32 4921 ->
  // 2241, 131072 x 64 5871 -> 3365; float16 65536 x 128 3960 -> 2337; 2
  // threads float32 65536 x 64 1319 -> 1121. AVX2 float32 2-3%.
  static constexpr bool short_rows = has_short_rows<Arch, Element>;
  static constexpr bool tiles_affine = false;  // normalize_rows, affine_tile
  static constexpr bool pairs_past_last_level_cache = false;
  // The tensor's (later rows are prefetched from x and residual).
  const Element* x;
  const Element* residual;
  const float* bias;
  float* staged_values;
  std::int64_t base;
  Element* y;
  Element* sum;  // null where there is none, or staged_values is the sum
  bool stream;

  float_source source(std::int64_t offset, std::int64_t) const {
    return float_source{staged_values + (offset - base)};
  }
  staging_source<residual_source<Element>, Element> first_sweep_source(std::int64_t offset,
                                                                       std::int64_t feature) const {
    return staging_source<residual_source<Element>, Element>{
        residual_source<Element>{x + offset, residual + offset,
                                 bias != nullptr ? bias + feature : nullptr},
        staged_values + (offset - base),
        element_sink<Element>{sum != nullptr ? sum + offset : nullptr, native_stores<Element>(),
                              stream}};
  }
  float_source normalized_source(std::int64_t offset, std::int64_t feature) const {
    return source(offset, feature);
  }
  element_sink<Element> sink(std::int64_t offset) const {
    return element_sink<Element>{y + offset, native_stores<Element>(), stream};
  }
  statistics::set_values values(std::int64_t offset, std::int64_t, std::int64_t length) const {
    return statistics::set_values{dtype::float32, staged_values + (offset - base), nullptr, nullptr,
                                  length};
  }
};

// The element type of an io's tensors (x, y, residual, sum).
template <class IO>
using io_element = std::remove_const_t<std::remove_pointer_t<decltype(std::declval<IO>().x)>>;

// Runs body(io) with the call's set_io: one instantiation per element type
// and addend or activation (a call has at most one of them), chosen once per
// call.
template <class Arch, class Element, class Body>
void with_element_io(const contiguous_sets_args& a, Body&& body) {
  const auto* x = static_cast<const Element*>(a.x);
  const auto* residual = static_cast<const Element*>(a.residual);
  auto* y = static_cast<Element*>(a.y);
  auto* sum = static_cast<Element*>(a.sum);
  const activation none = activation::none;
  const bool stream = a.past_last_level_cache;
  if (residual != nullptr) {
    body(set_io<Arch, Element, addend::residual, false>{x, residual, a.bias, y, sum, none, stream});
  } else if (a.act != activation::none) {
    body(set_io<Arch, Element, addend::none, true>{x, nullptr, nullptr, y, nullptr, a.act, stream});
  } else {
    body(set_io<Arch, Element, addend::none, false>{x, nullptr, nullptr, y, nullptr, none, stream});
  }
}

template <class Arch, class Body>
void with_set_io(const contiguous_sets_args& a, Body&& body) {
  switch (a.type) {
    case dtype::bfloat16:
      return with_element_io<Arch, bfloat16>(a, body);
    case dtype::float16:
      return with_element_io<Arch, float16>(a, body);
    case dtype::float32:
      break;
  }
  with_element_io<Arch, float>(a, body);
}

// Normalises elements [begin, end) of set `set`: per feature along a row
// (run_length 1), or run by run with one factor per channel.
template <class Arch, class IO>
void normalize_set_range(const contiguous_sets_args& a, const IO& io, std::int64_t set,
                         std::int64_t begin, std::int64_t end,
                         const statistics::set_normalizer& normalizer) {
  const std::int64_t offset = set * a.set_length;
  // Rows skip the two integer divisions (tens of cycles on a row's critical
  // path): their affine parameters start at feature 0.
  const std::int64_t affine_base =
      a.sets_per_sample == 1 ? 0 : (set % a.sets_per_sample) * (a.set_length / a.run_length);
  if (a.run_length == 1) {
    normalize_row<Arch>(io.normalized_source(offset + begin, begin), end - begin, normalizer,
                        a.gamma != nullptr ? a.gamma + affine_base + begin : nullptr,
                        a.beta != nullptr ? a.beta + affine_base + begin : nullptr,
                        io.sink(offset + begin));
    return;
  }
  for (std::int64_t o = begin; o < end;) {
    const std::int64_t run = o / a.run_length;
    const std::int64_t run_end = (run + 1) * a.run_length < end ? (run + 1) * a.run_length : end;
    const std::int64_t channel = affine_base + run;
    const run_factors f = factors_of(normalizer, a.gamma != nullptr ? a.gamma[channel] : 1.0f,
                                     a.beta != nullptr ? a.beta[channel] : 0.0f);
    normalize_run<Arch>(io.normalized_source(offset + o, o), run_end - o, f, io.sink(offset + o));
    o = run_end;
  }
}

// A 4 KiB page: the span of the hardware prefetcher's streams, and of the
// address bits a load is matched against pending stores by.
constexpr std::int64_t page_bytes = 4096;

// Rows of exactly Vectors whole vectors (1, 2 or 4; 8 on AVX-512, whose 32
// registers hold the 16 vectors of gamma and beta of a 128-float row) keep
// gamma and beta in registers for all of them, and their loop unrolled: the
// compiler cannot hoist the loads itself, since y might alias them. The
// operations per element are normalize_row_vectors', and so are the bits.
// Rows of 128 floats on AVX-512 (this and short_row_normalizers), layer
// norm, 2-core Xeon VM, C API, best of 10-call batches, 3 alternating runs,
// us, against batched_set_statistics and normalize_row_pair: 1 thread 2048
// x 128 (in L2) 63.5 -> 47.8, 32768 x 128 (in L3) 1481 -> 1302; 2 threads
// 770 -> 647 (oneDNN 2.6: 59, 1181, 600). 16-bit rows of 16 to 128
// elements alike, their pairs of vectors narrowed together where the sink
// stores in pairs (bfloat16): layer norm, 1 thread, the same probe, us,
// bfloat16 131072 x 64 (16 MiB) 3684 -> 2534, 65536 x 128 2576 -> 1982,
// 2048 x 128 60 -> 52; float16 262144 x 16 5526 -> 3115, 131072 x 32 2576
// -> 1592, 65536 x 128 2299 -> 1899; RMS norm bfloat16 8192 x 32 98 -> 52;
// 2 threads bfloat16 131072 x 64 1869 -> 1297.
// Past the last-level cache y is written with non-temporal stores (where a
// vector is aligned), as by the sinks of longer rows: such rows spend most
// of their time waiting on the store stream, and an ordinary store reads
// each line of y first. The stores are fenced once, when the kernel's whole
// range is done (contiguous_sets_kernel): a fence after each group of 16
// rows here waited for every 4 KiB of y to reach memory. Layer norm 65536 x
// 64 float32, 2-core Zen 5, medians of 3 alternating passes, 1 / 2 threads:
// 1726 / 852 us fencing each group, 886 / 443 fencing once, 921 / 470 with
// ordinary stores. They also prefetch, past the
// last-level cache: row k of the group after next (a group
// of 16 rows of 64 floats is one 4 KiB page, where the hardware
// prefetcher's streams stop, and normalises in about 60 ns, less than a
// memory access takes). Layer norm 65536 x 64, 1 thread, Zen 5, medians of
// 6 alternating runs: 1.86 ms without prefetching, 1.65 one group ahead,
// 1.23 two groups ahead, no better four ahead; the longer rows of
// normalize_rows lost 2-8% two groups ahead (32768 x 128, 16384 x 256).
template <class Arch, int Vectors, bool HasGamma, bool HasBeta, class IO>
void normalize_short_rows(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                          std::int64_t count, std::int64_t prefetch_end,
                          const statistics::set_normalizer* normalizers) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  constexpr std::int64_t d = Vectors * width;
  batch gamma[Vectors], beta[Vectors];
  for (int v = 0; v < Vectors; ++v) {
    gamma[v] = HasGamma ? batch::load_unaligned(a.gamma + v * width) : batch(1.0f);
    beta[v] = HasBeta ? batch::load_unaligned(a.beta + v * width) : batch(0.0f);
  }
  // Read once: a store to y might alias the flag, as far as the compiler knows.
  const bool stream = a.past_last_level_cache;
  // In cache too, rows of 64 floats prefetch the group after next where y
  // lies 768 bytes or more after x modulo 4 KiB. There each group's loads
  // came late behind the stores of the group before (likely loads whose
  // addresses match pending stores' in their low 12 bits, "4K aliasing";
  // this VM has no counters to show it): layer norm 65536 x 64 (16 MiB in
  // this Xeon's 480 MiB L3), 1 thread, C API, best of 10-call batches, 2-5
  // alternating runs, us, by y - x modulo 4096 bytes: 0 1360-1430, 64 1399,
  // 256 1384, 512 1443, but 768 1704, 1024 1520-1728, 2048 1790-1900, 3072
  // 1687, 3584 1733, 3968 1701; prefetching, 1348-1505 at 768 to 3968 (2048
  // at 2 threads 950 -> 742), but 1420-1555 at 0 (2 threads 713 -> 758),
  // so not there. oneDNN 2.6 took 1490 at 0 and 1506-1584 at 2048. Rows of
  // 16 and 32 floats gained nothing (262144 x 16 and 131072 x 32 at 0 and
  // 2048). Rows of 128 floats alike, 32768 x 128: at 2048 1359 -> 1258, at
  // 3072 1366 -> 1290, at 768 1311 -> 1313, but at 0 1283 -> 1318 and at
  // 256 1267 -> 1330 (oneDNN 2.6: 1181). AMD not measured.
  using element = io_element<IO>;
  constexpr std::int64_t row_bytes = d * static_cast<std::int64_t>(sizeof(element));
  bool prefetch = stream;
  if constexpr (is_avx512<Arch> && Vectors >= 4) {
    const auto y_after_x =
        (reinterpret_cast<std::uintptr_t>(io.y) - reinterpret_cast<std::uintptr_t>(io.x)) %
        page_bytes;
    prefetch = prefetch || y_after_x >= 768;
  }
  // The rows, each vector handed to store(y, v, out); a row that takes the
  // halved path goes alone, after lone_row(k). One loop for both ways of
  // storing below, each its own instantiation, so no branch per vector.
  const auto rows = [&](auto store, auto lone_row) {
    for (std::int64_t k = 0; k < count; ++k) {
      const auto x = io.normalized_source((first + k) * d, 0);
      const auto y = io.sink((first + k) * d);
      const statistics::set_normalizer& set = normalizers[k];
      const std::int64_t ahead = first + k + 2 * count;
      if (prefetch && ahead < prefetch_end) {
        const auto prefetch_row = [&](const element* tensor) {
          const char* const row = reinterpret_cast<const char*>(tensor + ahead * d);
          for (std::int64_t line = 0; line < row_bytes; line += 64) __builtin_prefetch(row + line);
        };
        prefetch_row(io.x);
        // A fused add's residual (staged_io); not measured apart.
        if (io.residual != nullptr) prefetch_row(io.residual);
      }
      if (statistics::subtraction_may_overflow(set.hi)) {
        lone_row(k);
        normalize_row_of<Arch>(halved_source<decltype(x)>{x}, d, statistics::halved(set), a.gamma,
                               a.beta, y);
        continue;
      }
      // Read before any store (one might alias them, as far as the
      // compiler knows).
      const row_terms<Arch> terms(set);
      const auto at = [&](int v) SIMDNORM_INLINE_LAMBDA {
        return terms.template at<HasGamma, HasBeta>(
            x, v * width, [&] { return gamma[v]; }, [&] { return beta[v]; });
      };
      if constexpr (stores_in_pairs<decltype(io.sink(0))>::value && Vectors % 2 == 0) {
        for (int v = 0; v < Vectors; v += 2)
          y.template store_pair<Arch>(v * width, at(v), at(v + 1));
      } else {
        for (int v = 0; v < Vectors; ++v) store(y, v, at(v));
      }
    }
  };
#if defined(__AVX512F__)
  // Streamed rows of 64 floats whose y starts off a 64-byte boundary: their
  // vectors are one contiguous run, streamed through realigning_stream
  // (each row alone is shorter than head_length's 16 vectors), one run per
  // call's group of rows. Layer and RMS norm 65536 x 64, 1 thread, 2-core
  // Zen 4, x and y 16 bytes off, 3 alternating runs: 9.0-11.4 -> 11.4-13.8
  // and 10.2-14.9 -> 16.1-20.4 GB/s. Not for rows of 16 (RMS norm 262144 x
  // 16: 10.4-13.5 -> 7.8-8.0, a group's run being 1 KiB, its two masked
  // ends a line each) or 32 (131072 x 32: no difference within the noise).
  if constexpr (is_avx512<Arch> && Vectors == 4 && std::is_same<element, float>::value) {
    const std::int64_t head = stream ? io.sink(first * d).template unaligned_head<Arch>() : 0;
    if (head != 0) {
      realigning_stream out(io.y + first * d, static_cast<unsigned>(head));
      // A lone row ends one run; the next starts after it.
      rows([&](const auto&, int, const batch& v) { out.put(v); },
           [&](std::int64_t k) { out.finish(io.y + (first + k + 1) * d); });
      out.finish(nullptr);
      return;
    }
  }
#endif
  rows(
      // The sink streams by its own flag (past_last_level_cache).
      [](const auto& y, int v, const batch& out) { y.template store<Arch>(v * width, out); },
      [](std::int64_t) {});
}

// In cache, a group's rows of affine_tile * 2 elements or more are normalised
// a column tile at a time across the group: their gamma and beta (8 bytes an
// element, 32 KiB at d = 4096, an L1 of Zen 4's size) then come from L2
// once a group rather than once a row. The same operations on every element
// (a tile's head and tail, where its output is off a vector boundary, take
// the vector loop's operations one element at a time), so the same bits.
// 2-core Zen 4, 3 runs alternating with the row-at-a-time loop, Gelem/s:
// layer norm bfloat16 512 x 4096 4.56-4.75 ->
// 5.13-5.19 at 1 thread, 8.99-9.31 -> 10.03-10.09 at 2; float32 512 x 2048
// 4.82-4.99 -> 5.11-5.30; RMS norm bfloat16 512 x 4096, 2 threads, 12.70-12.86
// -> 14.74-14.79; float16 layer norm 512 x 2048 at 2 threads unchanged. Tiles
// of 512 and 2048 floats did no better. Not for a fused add's staged rows
// (512 x 4096 bfloat16 with the sum: 2.74-2.78 -> 2.69-2.73).
constexpr std::int64_t affine_tile = 1024;

// Normalises rows [first, first + count) (run_length 1), the affine
// variant chosen once for all of them rather than per row: a 64-float row
// takes a few dozen instructions, and per-row choices were a third of them.
// Past the last-level cache, longer rows prefetch, while normalised, the
// row count places on (the next group's, whose statistics come next), if it
// is below prefetch_end, so that memory reads it while this row is written:
// on a 2-core Zen 5, layer norm 2048 x 4096 went from 20.5 to 23.1 GB/s at
// 1 thread and from 44.1 to 47.9 at 2. In cache it cost 2-5% (128 x 768,
// 512 x 1024), so it is off there. In cache, rows go in pairs instead
// (normalize_row_pair).
//
// Past the last-level cache, float32 rows without a fused add are also
// normalised in pairs (normalize_row_pair, each row prefetching its own
// later row), so that gamma and beta, which do not stay in L1 beside a
// group's rows and the rows prefetched for the next, come from L2 once per
// two rows rather than once per row; and rows of up to group_bytes form
// groups of two (sets_in_groups). Measured first: layer norm 2048 x
// 4096 float32 at 1 thread took 1413 us without gamma and beta, 1775 with
// gamma, 2100 with both (RMS norm 1560 with gamma, 1805 with beta too),
// while doubling its centred-squares sweep added 150. 2-core Zen 5, C API,
// one process alternating with rows one at a time, medians of 7-11 rounds
// of the best of 5 calls, us: 1 thread, layer norm 2048 x 4096 2005 ->
// 1810, with gamma only 1672 -> 1567, RMS norm with beta 1750 -> 1543;
// 4096 x 2048 layer norm 1863 -> 1667, RMS norm 1458 -> 1278; 1024 x 8192
// (groups of two rows) 2081 -> 1911 and 1499 -> 1439; 2 threads, 2048 x
// 4096 1105 -> 963 and 850 -> 741, 4096 x 2048 1011 -> 955 and 804 -> 747.
// Not for 16-bit rows (bfloat16 and float16 layer and RMS norm 4096 x
// 4096, 0.94-1.12x over three sittings, within the noise) nor a fused
// add's staged rows (float32 layer norm of x + residual 2048 x 4096 with
// and without the sum 0.95-1.01x), nor rows of 16384 floats in groups of
// two (1024 x 16384, processes alternating, 3 runs: layer norm 5418 ->
// 5610 us, RMS norm 3841 -> 4541). The same bits either way.
template <class Arch, bool HasGamma, bool HasBeta, std::int64_t Known = 0, class IO>
void normalize_rows(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                    std::int64_t count, std::int64_t prefetch_end,
                    const statistics::set_normalizer* normalizers) {
  const std::int64_t d = a.set_length;
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  if constexpr (IO::short_rows) {
    if (d % width == 0) {
      switch (d / width) {
        case 1:
          return normalize_short_rows<Arch, 1, HasGamma, HasBeta>(a, io, first, count, prefetch_end,
                                                                  normalizers);
        case 2:
          return normalize_short_rows<Arch, 2, HasGamma, HasBeta>(a, io, first, count, prefetch_end,
                                                                  normalizers);
        case 4:
          return normalize_short_rows<Arch, 4, HasGamma, HasBeta>(a, io, first, count, prefetch_end,
                                                                  normalizers);
        case 8:
          if constexpr (is_avx512<Arch>) {
            return normalize_short_rows<Arch, 8, HasGamma, HasBeta>(a, io, first, count,
                                                                    prefetch_end, normalizers);
          }
          break;
        default:
          break;
      }
    }
  }
  // Row k's source and sink from column c0 on, and gamma and beta from c0.
  const auto source_at = [&](std::int64_t k, std::int64_t c0) {
    return io.normalized_source((first + k) * d, 0).advanced(c0);
  };
  const auto sink_at = [&](std::int64_t k, std::int64_t c0) {
    return io.sink((first + k) * d).advanced(c0);
  };
  const auto gamma_at = [&](std::int64_t c0) { return HasGamma ? a.gamma + c0 : nullptr; };
  const auto beta_at = [&](std::int64_t c0) { return HasBeta ? a.beta + c0 : nullptr; };
  // Elements [c0, c0 + length) of row k, halved where x - hi could overflow.
  const auto row_part = [&](std::int64_t k, std::int64_t c0, std::int64_t length) {
    const auto x = source_at(k, c0);
    const auto y = sink_at(k, c0);
    const float* const gamma = gamma_at(c0);
    const float* const beta = beta_at(c0);
    const statistics::set_normalizer& set = normalizers[k];
    if (statistics::subtraction_may_overflow(set.hi)) {
      normalize_row_of<Arch>(halved_source<decltype(x)>{x}, length, statistics::halved(set), gamma,
                             beta, y);
    } else {
      normalize_row<Arch, HasGamma, HasBeta, Known>(x, length, set, gamma, beta, y);
    }
  };
  // Row k's head (head_length) as a whole row.
  const auto head_of = [&](std::int64_t k) { return head_length<Arch>(sink_at(k, 0), d); };
  // In cache, rows k and k + 1 together where neither is halved and their
  // outputs' heads agree (normalize_row_pair; the caller says whether they
  // do); otherwise row k alone. Returns the rows done.
  const auto rows_part = [&](std::int64_t k, std::int64_t c0, std::int64_t length,
                             bool heads_agree) {
    if constexpr (HasGamma || HasBeta) {
      if (heads_agree && k + 1 < count &&
          !statistics::subtraction_may_overflow(normalizers[k].hi) &&
          !statistics::subtraction_may_overflow(normalizers[k + 1].hi)) {
        normalize_row_pair<Arch, HasGamma, HasBeta>(
            source_at(k, c0), source_at(k + 1, c0), length, normalizers[k], normalizers[k + 1],
            gamma_at(c0), beta_at(c0), sink_at(k, c0), sink_at(k + 1, c0));
        return std::int64_t{2};
      }
    }
    row_part(k, c0, length);
    return std::int64_t{1};
  };
  if (!a.past_last_level_cache) {
    if constexpr ((HasGamma || HasBeta) && IO::tiles_affine) {
      if (count > 1 && d >= 2 * affine_tile) {
        // Tile t of a row whose output starts h elements before a vector
        // boundary (head_length) is [h + t * affine_tile, h + (t + 1) *
        // affine_tile), the first from 0 and the last to d: every tile but
        // the first starts on the boundary, so the row gets the one head and
        // tail a whole row gets (normalize_row), and each element the same
        // instruction, whatever rows a group holds (a NaN's sign and payload
        // follow the instruction). Rows pair only where their tiles coincide.
        for (std::int64_t t = 0; t * affine_tile < d; ++t) {
          for (std::int64_t k = 0; k < count;) {
            const std::int64_t h = head_of(k);
            const std::int64_t c0 = t == 0 ? 0 : h + t * affine_tile;
            const std::int64_t c1 = std::min(d, h + (t + 1) * affine_tile);
            if (c0 >= c1) {
              ++k;
              continue;
            }
            k += rows_part(k, c0, c1 - c0, k + 1 < count && head_of(k + 1) == h);
          }
        }
        return;
      }
    }
    for (std::int64_t k = 0; k < count;) {
      k += rows_part(k, 0, d, k + 1 < count && head_of(k + 1) == head_of(k));
    }
    return;
  }
  using element = io_element<IO>;
  // Row k's source, prefetching the row count places on.
  const auto prefetching_at = [&](std::int64_t k) {
    const auto x = io.normalized_source((first + k) * d, 0);
    const std::int64_t ahead = (first + k + count) * d;
    return prefetching_source<decltype(x), element>{
        x, io.x + ahead, io.residual != nullptr ? io.residual + ahead : nullptr};
  };
  const auto prefetches = [&](std::int64_t k) {
    return first + k + count < prefetch_end &&
           !statistics::subtraction_may_overflow(normalizers[k].hi);
  };
  for (std::int64_t k = 0; k < count;) {
    if constexpr (IO::pairs_past_last_level_cache && (HasGamma || HasBeta)) {
      if (k + 1 < count && prefetches(k) && prefetches(k + 1) && head_of(k) == head_of(k + 1)) {
        normalize_row_pair<Arch, HasGamma, HasBeta>(prefetching_at(k), prefetching_at(k + 1), d,
                                                    normalizers[k], normalizers[k + 1], a.gamma,
                                                    a.beta, sink_at(k, 0), sink_at(k + 1, 0));
        k += 2;
        continue;
      }
    }
    if (prefetches(k)) {
      normalize_row<Arch, HasGamma, HasBeta>(prefetching_at(k), d, normalizers[k], a.gamma, a.beta,
                                             sink_at(k, 0));
    } else {
      row_part(k, 0, d);
    }
    ++k;
  }
}

template <class Arch, std::int64_t Known = 0, class IO>
void normalize_sets(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                    std::int64_t count, std::int64_t prefetch_end,
                    const statistics::set_normalizer* normalizers) {
  // Rows: the affine parameters are per element of the set (a set may also
  // be an NCHW group of one-position channels, whose index differs).
  if (!IO::rows_machinery || a.run_length != 1 || a.sets_per_sample != 1) {
    for (std::int64_t k = 0; k < count; ++k) {
      normalize_set_range<Arch>(a, io, first + k, 0, a.set_length, normalizers[k]);
    }
    return;
  }
  if constexpr (!IO::rows_machinery) {
    return;
  } else if (a.gamma != nullptr && a.beta != nullptr) {
    normalize_rows<Arch, true, true, Known>(a, io, first, count, prefetch_end, normalizers);
  } else if (a.gamma != nullptr) {
    normalize_rows<Arch, true, false, Known>(a, io, first, count, prefetch_end, normalizers);
  } else if (a.beta != nullptr) {
    normalize_rows<Arch, false, true, Known>(a, io, first, count, prefetch_end, normalizers);
  } else {
    normalize_rows<Arch, false, false, Known>(a, io, first, count, prefetch_end, normalizers);
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
  for (std::int64_t k = 0; k < count; ++k) {
    const statistics::split_mean parts =
        standardize ? statistics::split(moments.mean[k]) : statistics::split_mean{0.0f, 0.0f};
    hi[k] = parts.hi;
    lo[k] = parts.lo;
  }
  using doubles = xsimd::batch<double, Arch>;
  constexpr std::int64_t double_width = doubles::size;
  if constexpr (Most % double_width == 0) {
    // Only the vectors that hold the batch's sets: a group of two rows of
    // 4096 floats would otherwise pay sixteen sets' divisions and square
    // roots.
    for (std::int64_t k = 0; k < count; k += double_width) {
      // rstd_of across the batch: 1 / sqrt(var + eps) in double, rounded once.
      const doubles var = doubles::load_aligned(moments.m2 + k) / doubles(n);
      alignas(64) double r[double_width];
      (doubles(1.0) / xsimd::sqrt(var + doubles(eps))).store_aligned(r);
      for (std::int64_t j = 0; j < double_width; ++j) rstd[k + j] = static_cast<float>(r[j]);
    }
  } else {
    for (std::int64_t k = 0; k < count; ++k) {
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

// Short sets go in groups: the statistics of up to 16 sets (at most 32 KiB
// of input, so still in L1 or L2 when normalised) first, then their
// normalisation. Each set's statistics are a chain of dependent reductions;
// with no normalisation between them, the core overlaps one set's chain with
// the next set's loads (measured: 128 x 768 layer norm, 1 thread, about 195
// -> 165 ns a row). The 32 KiB count x and residual at their own width.
constexpr std::int64_t group_bytes = std::int64_t{1} << 15;
constexpr std::int64_t group_sets = 16;

// short_row_normalizers for sets of 1, 2 or 4 whole vectors (8 on AVX-512) of a
// call without an activation whose io has short rows (a fused add's staged
// rows too), on the instruction sets that have it:
// false for other sets, and where it returns false.
template <class Arch, class IO>
bool short_row_normalizers_of(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                              statistics::set_normalizer* out) {
  if constexpr (IO::short_rows && has_short_row_conversions<Arch>) {
    constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
    if (a.kind == set_norm_kind::weight) return false;
    switch (a.set_length) {
      case width:
        return short_row_normalizers<Arch, 1>(a, io, first, out);
      case 2 * width:
        return short_row_normalizers<Arch, 2>(a, io, first, out);
      case 4 * width:
        return short_row_normalizers<Arch, 4>(a, io, first, out);
      case 8 * width:
        if constexpr (is_avx512<Arch>) return short_row_normalizers<Arch, 8>(a, io, first, out);
        break;
      default:
        break;
    }
  }
  return false;
}

// The statistics of sets [start, end), then their normalisation; Known as
// with_known_row_length gives it (0 but for one row a group).
template <class Arch, std::int64_t Known = 0, class IO>
void group_of_sets(const contiguous_sets_args& a, const IO& io, std::int64_t start,
                   std::int64_t end, std::int64_t prefetch_end,
                   statistics::set_normalizer* normalizers) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  const bool batched = IO::batched_statistics && a.set_length <= batched_set_floats<Arch>;
  const auto n = static_cast<double>(a.set_length);
  for (std::int64_t set = start; set < end; set += batched ? width : 1) {
    statistics::set_normalizer* out = normalizers + (set - start);
    // Batched statistics are instantiated only for the ios that have them
    // (set_io::batched_statistics).
    if constexpr (IO::batched_statistics) {
      if (batched) {
        const std::int64_t count = end - set < width ? end - set : width;
        if (count == width && short_row_normalizers_of<Arch>(a, io, set, out)) continue;
        if (count == 1) {
          batched_moments<1> moments;
          batched_set_statistics<Arch, 1, Known>(io, set, a.set_length, 1, statistic_of(a.kind),
                                                 moments);
          finish_batch<Arch, 1>(a, set, 1, n, moments, out);
        } else {
          batched_moments<width> moments;
          batched_set_statistics<Arch, width>(io, set, a.set_length, count, statistic_of(a.kind),
                                              moments);
          finish_batch<Arch, width>(a, set, count, n, moments, out);
        }
        continue;
      }
    }
    const std::int64_t offset = set * a.set_length;
    *out = finish_set(
        a, set,
        set_statistics_of<Arch>(io.first_sweep_source(offset, 0), io.source(offset, 0),
                                io.values(offset, 0, a.set_length), statistic_of(a.kind)));
  }
  normalize_sets<Arch, Known>(a, io, start, end - start, prefetch_end, normalizers);
}

// A fused add's rows of up to staged_floats are staged (staged_io), a group
// at a time, in a buffer of that many floats on the stack (64 KiB) or in a
// float32 output's own rows; longer ones form h in every sweep. Measured on
// a 2-core Zen 5, 1 thread, float32 layer norm of x + residual + bias with
// the sum written, medians of 3 alternating runs: 512 x 768 136 -> 111 us,
// 512 x 4096 1690 -> 1468 us, 4096 x 768 2809 -> 2280 us. The buffer held
// 8192 floats until rows of 8193 to 16384 16-bit values (the hidden sizes
// of the largest transformers, 12288 and 16384) were found re-forming h in
// each of their three sweeps, two conversions and two adds an element each
// time: layer norm of x + residual, 1 thread, 2-core Xeon VM, C API, 3
// alternating runs, us: bfloat16 256 x 16384 1340 -> 1250, with the sum
// 1620 -> 1516 (2 threads 842 -> 780), 256 x 12288 1035 -> 919; float16
// 256 x 10000 823 -> 735; float32 and RMS norm bfloat16 at 16384 even.
constexpr std::int64_t staged_floats = std::int64_t{1} << 14;
// A group's rows: as many as fill this many floats (at least one, at most
// group_sets), the group sizes measured below.
constexpr std::int64_t staged_group_floats = std::int64_t{1} << 13;

// Rows taken one a group (contiguous_sets_args::one_row_a_group) run their
// three sweeps back to back, and the core overlaps one row's finish and
// stores with the next row's loads only as far as it sees past the loops'
// exits. Rows of a known_row_lengths length get it as a compile-time
// constant (body(std::integral_constant<std::int64_t, d>); others 0, the
// length known at run time), so that each sweep is one straight run of
// vector operations, as a JIT kernel unrolls it: the same operations in the
// same order, so the same bits. Layer norm, 2-core Xeon VM (2 MiB L2), C API,
// best of 10-call batches, 3 alternating runs, us, one row a group with
// unrolled sweeps against the loops: 512 x 1024 1 thread 145 -> 140, 512 x
// 768 105 -> 96, 1024 x 1024 2 threads 149 -> 141 (oneDNN 2.6: 141, 95,
// 141). With the loops a row's time also depended on where y lies from x
// modulo 4 KiB (likely the next row's loads held behind stores whose
// addresses match theirs in the low 12 bits; this VM has no counters to
// show it): 512 x 1024 with y 2432 bytes further 184 us with the loops, 156
// unrolled (oneDNN 2.6: 159; 150 at no offset). AVX-512
// float32 rows only. Rows of 2048 floats (128 vectors a sweep) gained
// nothing in cache (128 x 2048 one at a time 55 against 52 in groups) and
// little past it (256 x 2048 146 -> 141; 512 x 2048 313 -> 304 in another
// sitting), and rows of 4096 lost (512 x 4096 705 -> 739, 2048 x 4096 3210
// -> 3534, one at a time unrolled against groups). Rows of 256 and 512
// floats past the threads' L2s (one at a time on Intel) gained the most:
// 1 thread, 8192 x 256 674 -> 583, 4096 x 512 669 -> 590 (oneDNN 2.6: 578,
// 577).
template <class Body, std::size_t... Index>
void with_known_row_length_of(std::int64_t d, Body& body, std::index_sequence<Index...>) {
  // One branch per known length, in the array's order; 0 if none matches.
  const bool known =
      ((d == known_row_lengths[Index]
            ? (body(std::integral_constant<std::int64_t, known_row_lengths[Index]>{}), true)
            : false) ||
       ...);
  if (!known) body(std::integral_constant<std::int64_t, 0>{});
}

template <class Arch, class IO, class Body>
void with_known_row_length(std::int64_t d, Body&& body) {
  using element = io_element<IO>;
  if constexpr (is_avx512<Arch> && std::is_same<element, float>::value && !IO::staged) {
    constexpr std::size_t lengths = sizeof known_row_lengths / sizeof known_row_lengths[0];
    with_known_row_length_of(d, body, std::make_index_sequence<lengths>{});
  } else {
    body(std::integral_constant<std::int64_t, 0>{});
  }
}

// Where a call's groups of rows start in their 4 KiB pages of x: the rows
// before the first group that starts group_phase bytes into a page, or
// less than a row further, for groups of whole pages (rows of 256 bytes to
// 2 KiB that divide a page: 64 to 512 floats, 128 to 1024 16-bit values),
// or that tile a page (rows of 16 and 32 floats, 32 and 64 16-bit values:
// one of the groups in each page then starts there); 0 otherwise, and for
// calls of fewer than 16 groups (layer norm 64 x 64 in four groups took 1.0
// us with a short first group against 0.8). A group's
// statistics sweep then touches the first line of the next page last, and
// that page is likely being prefetched by the time the next group reads it;
// groups that began elsewhere in a page took up to a quarter longer
// (likely the hardware prefetcher, which stops at each page and starts again
// on a page's first misses; this VM has no counters to show it). Layer norm
// 65536 x 64 (16 MiB, in this Xeon's L3), 1 thread, C API, best of 10-call
// batches, us, by the page offset where the groups start: 0 about 1500, 64
// 1262-1306, 320 1312, 832 1534, 1856 1552, 2880 1532, 3648 1523, 3904
// 1528-1557 (oneDNN 2.6: 1200-1300 wherever x starts); 2 threads 629-637 at
// 64, 768 at 3904; bfloat16 65536 x 128 2621 at 64, 2871 at 3904; float32
// 32768 x 128 1624-1651 at 64, 2064 at 3648. Streamed (1048576 x 64) within
// the noise. Rows of 32 floats (2 KiB groups), 65536 x 32, by x's page
// offset: 1088 902 -> 787, 3136 917 -> 762, 64 779 -> 782 (oneDNN 2.6 676);
// 2 threads at 1088 439 -> 429; rows of 16 and bfloat16 rows of 64 within
// the noise. The benchmark harness's 65536 x 64 case had x 3 KiB into a page:
// 1403 -> 1266 us at 1 thread, 701 -> 646 at 2 (3 alternating runs). The
// groups hold the same rows whatever their phase, so the same bits (a row's
// statistics do not depend on its group: batched_statistics-inl.hpp).
constexpr std::int64_t group_phase = 64;

template <class Element>
std::int64_t rows_to_group_phase(const Element* x, std::int64_t d, std::int64_t per_group,
                                 std::int64_t rows) {
  const std::int64_t row_bytes = d * static_cast<std::int64_t>(sizeof(Element));
  // A group's bytes, or a page where a group holds several.
  const std::int64_t period = std::min(per_group * row_bytes, page_bytes);
  if (row_bytes < 64 || row_bytes >= page_bytes || page_bytes % period != 0 ||
      period % row_bytes != 0 || rows < 16 * per_group) {
    return 0;
  }
  const auto at = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(x) % period);
  const std::int64_t to_phase = (group_phase - at + period) % period;
  return (to_phase + row_bytes - 1) / row_bytes;
}

template <class Arch, class IO>
void sets_in_groups(const contiguous_sets_args& a, const IO& io, std::int64_t first,
                    std::int64_t last) {
  statistics::set_normalizer normalizers[group_sets];
  const std::int64_t d = a.set_length;
  if constexpr (IO::staged) {
    if (d <= staged_floats) {
      using element = io_element<IO>;
      alignas(64) float staged[staged_floats];
      // A float32 sum written with ordinary stores holds h itself, so the
      // rows are staged in the sum's own rows and the buffer is not written:
      // one store an element fewer. (A streamed sum leaves the cache, and the
      // sweeps would read it back from memory.) Layer norm of x + residual +
      // bias with the sum, 2-core Zen 5, C API, minimum of 150 calls, runs
      // alternating, 1 / 2 threads: 128 x 768 26.0 -> 23.3 us / 15.7-16.9 ->
      // 14.2-15.1, 512 x 1024 158-161 -> 131-147 / 100-101 -> 77-88, 512 x 768
      // 1.0x / 74 -> 65; 512 x 2048 within the noise (305-358 against
      // 316-340 at 1 thread). Unfused, in cache, the same took 23 us at 128
      // x 768: the add and the norm both run at cache speed, so a fused call
      // saves less there than past the last-level cache. Without a sum, y
      // holds h the same way and is then normalised in place (each element
      // of h is formed from x and residual at its own index, so y may be x,
      // the one input it may alias): 2-core Zen 4, 3 alternating runs,
      // 512 x 4096 at 2 threads 3.87-4.04 -> 4.79-4.85 Gelem/s, 512 x 2048
      // at 1 thread 2.56-2.62 -> 2.84-2.95.
      float* staged_in_output = nullptr;
      if constexpr (std::is_same<element, float>::value) {
        if (!io.stream) staged_in_output = io.sum != nullptr ? io.sum : io.y;
      }
      element* const sum = staged_in_output != nullptr ? nullptr : io.sum;
      // As many rows as fill staged_group_floats (at most group_sets), so
      // that rows of up to 4096 floats are normalised in pairs at least
      // (normalize_row_pair: gamma and beta loaded once for two rows); but
      // 16-bit rows of 2048 one at a time. Layer norm of x + residual +
      // bias, 512 x 4096, 2-core Zen 4, best of 10-call batches, 3
      // alternating runs, Gelem/s, two rows a group against one: without
      // the sum, 1 thread, float16 3.5-3.6 against 3.3, bfloat16 3.5-3.6
      // against 3.1-3.2, RMS norm bfloat16 without beta 4.4 against 4.1;
      // with the sum, 2 threads, float16 6.4 against 5.9, bfloat16 6.3
      // against 5.7-5.9, RMS norm float16 7.2 against 6.3 (at 1 thread 0-7%
      // slower: 2.8 against 2.9-3.0 for both types). At 2048, bfloat16 RMS norm without beta, as
      // LLaMA's norms are, took 5.5 in pairs against 6.2 one at a time (4.8 against 4.3 with beta);
      // float32 RMS norm 3.9 against 3.6 (3.5 against 3.2 with beta).
      const bool one_by_one = d == staged_group_floats / 4 && !std::is_same<element, float>::value;
      std::int64_t per_group = one_by_one ? 1 : std::max<std::int64_t>(staged_group_floats / d, 1);
      per_group = per_group > group_sets ? group_sets : per_group;
      for (std::int64_t start = first; start < last; start += per_group) {
        const std::int64_t end = start + per_group < last ? start + per_group : last;
        float* const rows = staged_in_output != nullptr ? staged_in_output + start * d : staged;
        group_of_sets<Arch>(a,
                            staged_io<Arch, element>{io.x, io.residual, io.bias, rows, start * d,
                                                     io.y, sum, io.stream},
                            start, end, last, normalizers);
      }
      return;
    }
  }
  // A lone row is one a group too: a call of one row (a token's layer norm)
  // is all latency. 1 thread, C API, two sittings, us: layer norm 1 x 768
  // 0.173-0.190 -> 0.167-0.170, 1 x 1024 0.207-0.213 -> 0.195-0.200 (oneDNN
  // 2.6: 0.46, 0.49); RMS norm 1 x 768 0.139 -> 0.119, 1 x 1024 0.164 ->
  // 0.143.
  if (a.one_row_a_group || last - first == 1) {
    with_known_row_length<Arch, IO>(d, [&](auto known) {
      for (std::int64_t set = first; set < last; ++set) {
        group_of_sets<Arch, decltype(known)::value>(a, io, set, set + 1, last, normalizers);
      }
    });
    return;
  }
  const std::int64_t input_bytes = element_size(a.type) * (a.residual != nullptr ? 2 : 1);
  std::int64_t per_group = group_bytes / (d * input_bytes);
  per_group = per_group < 1 ? 1 : (per_group > group_sets ? group_sets : per_group);
  // Two at least past the last-level cache, so that normalize_rows pairs them.
  if constexpr (IO::pairs_past_last_level_cache) {
    if (a.past_last_level_cache && per_group == 1 && d * input_bytes <= group_bytes) {
      per_group = 2;
    }
  }
  std::int64_t start = first;
  const std::int64_t lead = rows_to_group_phase(io.x + first * d, d, per_group, last - first);
  if (lead > 0) {
    group_of_sets<Arch>(a, io, start, start + lead, last, normalizers);
    start += lead;
  }
  for (; start < last; start += per_group) {
    const std::int64_t end = start + per_group < last ? start + per_group : last;
    group_of_sets<Arch>(a, io, start, end, last, normalizers);
  }
}

template <class Arch>
void contiguous_sets_kernel::operator()(Arch, const contiguous_sets_args& a, std::int64_t first,
                                        std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  with_set_io<Arch>(a, [&](const auto& io) { sets_in_groups<Arch>(a, io, first, last); });
  if (a.past_last_level_cache) stream_fence();
}

template <class Arch>
void set_chunk_statistics_kernel::operator()(Arch, const set_chunk_statistics_args& a,
                                             std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  const contiguous_sets_args& sets = *a.sets;
  with_set_io<Arch>(sets, [&](const auto& io) {
    for (std::int64_t item = first; item < last; ++item) {
      const set_chunk c = chunk_of(item, a.chunks, sets.set_length);
      const std::int64_t offset = c.set * sets.set_length;
      a.partials[item] = chunk_statistics_of<Arch>(
          io.first_sweep_source(offset + c.begin, c.begin), io.source(offset + c.begin, c.begin),
          c.end - c.begin, statistic_of(sets.kind), io.source(offset, 0).at(0));
    }
  });
}

// Where a set's normalisation is cut between two chunks: the statistics'
// cut (a multiple of chunk_floats into the set) moved to where the piece it
// falls in (a row, or an NCHW set's run: one plane), normalised whole,
// stores a whole vector of y: after the piece's head
// (normalize_row, normalize_run_of) and a whole number of vectors, or to
// the piece's start or end where there is no such place past a head
// (shorter parts normalise without one) and before the tail. Every element
// then takes the instruction it takes unsplit: one at a time in its piece's
// head or tail, a vector lane elsewhere. Cut where the statistics' chunks
// are, a part starting mid-vector took a head of its own and a part ending
// mid-vector a tail, where a NaN could come out with another sign and
// payload than on one thread (which operand's an operation passes on
// follows its instruction, and the compiler picks the FMA's operand order):
// layer norm of one row of 65537 floats, y one float past a 64-byte
// boundary, a NaN at element 16384; NCHW group norm's planes of 30011
// floats, in the AddressSanitizer build (Determinism tests).
template <class Arch, class IO>
std::int64_t normalization_cut(const contiguous_sets_args& a, const IO& io, std::int64_t set,
                               std::int64_t cut) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  const std::int64_t piece = a.run_length == 1 ? a.set_length : a.run_length;
  const std::int64_t into = cut % piece;
  if (into == 0) return cut;
  const std::int64_t start = cut - into;
  const std::int64_t head = head_length<Arch>(io.sink(set * a.set_length + start), piece);
  if (into <= head) return start;
  const std::int64_t moved = head + (into - head + width - 1) / width * width;
  if (moved > whole_vectors_end<Arch>(head, piece)) return start + piece;
  if (head > 0 && moved < shortest_with_head<Arch>) return start;
  return start + moved;
}

template <class Arch>
void set_chunk_normalize_kernel::operator()(Arch, const set_chunk_normalize_args& a,
                                            std::int64_t first, std::int64_t last) const {
  SIMDNORM_DEBUG_ASSERT(0 <= first && first <= last);
  const contiguous_sets_args& sets = *a.sets;
  with_set_io<Arch>(sets, [&](const auto& io) {
    for (std::int64_t item = first; item < last; ++item) {
      const set_chunk c = chunk_of(item, a.chunks, sets.set_length);
      normalize_set_range<Arch>(sets, io, c.set, normalization_cut<Arch>(sets, io, c.set, c.begin),
                                normalization_cut<Arch>(sets, io, c.set, c.end),
                                a.normalizers[c.set]);
    }
  });
}

}  // namespace simdnorm::kernels

#endif  // SIMDNORM_LIB_KERNELS_CONTIGUOUS_SET_KERNELS_INL_HPP_
