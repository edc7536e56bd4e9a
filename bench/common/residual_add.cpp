// Compiled for AVX-512, AVX2 and the x86-64 baseline (GCC's target_clones
// picks one at load time), as an engine's own add kernel would be: GCC
// vectorises the float32 loop; bfloat16 takes AVX-512 where the CPU has it
// (below), else GCC's loop over simdnorm/half_float.h's conversions; float16
// uses F16C where the CPU has it.
#include "residual_add.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <vector>

#include "simdnorm/half_float.h"

namespace simdnorm::bench {

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
#define SIMDNORM_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SIMDNORM_CLONES
#endif

// bias of d zeros where the call has none: the loops stay branch-free.
SIMDNORM_CLONES void add_rows_f32(const float* x, const float* r, const float* bias,
                                  std::int64_t rows, std::int64_t d, float* h) {
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < d; ++j) h[i * d + j] = (x[i * d + j] + r[i * d + j]) + bias[j];
  }
}

SIMDNORM_CLONES void add_rows_bf16(const std::uint16_t* x, const std::uint16_t* r,
                                   const float* bias, std::int64_t rows, std::int64_t d,
                                   std::uint16_t* h) {
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      const float v =
          (sn_bfloat16_to_float(x[i * d + j]) + sn_bfloat16_to_float(r[i * d + j])) + bias[j];
      h[i * d + j] = sn_bfloat16_from_float(v);
    }
  }
}

SIMDNORM_CLONES void add_rows_f16_software(const std::uint16_t* x, const std::uint16_t* r,
                                           const float* bias, std::int64_t rows, std::int64_t d,
                                           std::uint16_t* h) {
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < d; ++j) {
      const float v =
          (sn_float16_to_float(x[i * d + j]) + sn_float16_to_float(r[i * d + j])) + bias[j];
      h[i * d + j] = sn_float16_from_float(v);
    }
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,f16c"))) void add_rows_f16c(const std::uint16_t* x,
                                                        const std::uint16_t* r, const float* bias,
                                                        std::int64_t rows, std::int64_t d,
                                                        std::uint16_t* h) {
  for (std::int64_t i = 0; i < rows; ++i) {
    std::int64_t j = 0;
    for (; j + 8 <= d; j += 8) {
      const std::int64_t k = i * d + j;
      const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + k)));
      const __m256 b = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(r + k)));
      const __m256 v = _mm256_add_ps(_mm256_add_ps(a, b), _mm256_loadu_ps(bias + j));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(h + k),
                       _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; j < d; ++j) {
      const float v =
          (sn_float16_to_float(x[i * d + j]) + sn_float16_to_float(r[i * d + j])) + bias[j];
      h[i * d + j] = sn_float16_from_float(v);
    }
  }
}

// bfloat16 with AVX-512: GCC's loop over add_rows_bf16's rounding was
// slow enough to flatter every fused bfloat16 call (on a Zen 5 the unfused
// bfloat16 sequence took 836 us at 512 x 4096 against float16's 460). The
// add alone, 512 x 4096, 2-core Zen 4, 1 / 2 threads: 567-579 / 281-306 us
// before, 359-384 / 177-185 here. The same rounding as
// sn_bfloat16_from_float, in integer lanes (to nearest even, a NaN
// quieted), so the same bits, but for which payload survives where both
// addends are NaN (the operand order GCC picks for the scalar sum).
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which
// -Wmaybe-uninitialized reports wherever they are inlined into a function
// compiled for AVX-512 by attribute (a known false positive).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f,avx512bw"))) __m512 widened(const std::uint16_t* p) {
  const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
}

__attribute__((target("avx512f,avx512bw"))) void add_rows_bf16_avx512(
    const std::uint16_t* x, const std::uint16_t* r, const float* bias, std::int64_t rows,
    std::int64_t d, std::uint16_t* h) {
  const __m512i one = _mm512_set1_epi32(1), half_ulp = _mm512_set1_epi32(0x7fff);
  const __m512i magnitude = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i quiet = _mm512_set1_epi32(0x40);
  for (std::int64_t i = 0; i < rows; ++i) {
    std::int64_t j = 0;
    for (; j + 16 <= d; j += 16) {
      const std::int64_t k = i * d + j;
      const __m512 v =
          _mm512_add_ps(_mm512_add_ps(widened(x + k), widened(r + k)), _mm512_loadu_ps(bias + j));
      const __m512i bits = _mm512_castps_si512(v);
      const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), one);
      const __m512i rounded =
          _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(bits, half_ulp), odd), 16);
      const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, magnitude), inf);
      const __m512i out =
          _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(_mm512_srli_epi32(bits, 16), quiet));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + k), _mm512_cvtepi32_epi16(out));
    }
    for (; j < d; ++j) {
      const float v =
          (sn_bfloat16_to_float(x[i * d + j]) + sn_bfloat16_to_float(r[i * d + j])) + bias[j];
      h[i * d + j] = sn_bfloat16_from_float(v);
    }
  }
}
#pragma GCC diagnostic pop
#endif

void add_rows_bf16_best(const std::uint16_t* x, const std::uint16_t* r, const float* bias,
                        std::int64_t rows, std::int64_t d, std::uint16_t* h) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx512bw")) return add_rows_bf16_avx512(x, r, bias, rows, d, h);
#endif
  add_rows_bf16(x, r, bias, rows, d, h);
}

void add_rows_f16(const std::uint16_t* x, const std::uint16_t* r, const float* bias,
                  std::int64_t rows, std::int64_t d, std::uint16_t* h) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2")) {
    return add_rows_f16c(x, r, bias, rows, d, h);
  }
#endif
  add_rows_f16_software(x, r, bias, rows, d, h);
}

}  // namespace

void residual_add(dtype type, const void* x, const void* residual, const float* bias,
                  std::int64_t rows, std::int64_t d, void* h) {
  std::vector<float> zeros;
  if (bias == nullptr) {
    zeros.assign(static_cast<std::size_t>(d), 0.0f);
    bias = zeros.data();
  }
  const std::int64_t bytes = element_size(type);
  // Rows split over the arena's threads, as simdnorm splits them, so that
  // the unfused sequence uses as many threads as the fused call.
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows), [&](const auto& range) {
    const std::int64_t offset = range.begin() * d * bytes;
    const auto* xs = static_cast<const char*>(x) + offset;
    const auto* rs = static_cast<const char*>(residual) + offset;
    auto* hs = static_cast<char*>(h) + offset;
    const std::int64_t count = range.end() - range.begin();
    if (type == dtype::float32) {
      add_rows_f32(reinterpret_cast<const float*>(xs), reinterpret_cast<const float*>(rs), bias,
                   count, d, reinterpret_cast<float*>(hs));
    } else if (type == dtype::bfloat16) {
      add_rows_bf16_best(reinterpret_cast<const std::uint16_t*>(xs),
                         reinterpret_cast<const std::uint16_t*>(rs), bias, count, d,
                         reinterpret_cast<std::uint16_t*>(hs));
    } else {
      add_rows_f16(reinterpret_cast<const std::uint16_t*>(xs),
                   reinterpret_cast<const std::uint16_t*>(rs), bias, count, d,
                   reinterpret_cast<std::uint16_t*>(hs));
    }
  });
}

}  // namespace simdnorm::bench
