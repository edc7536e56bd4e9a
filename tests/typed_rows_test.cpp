// Layer and RMS norm on bfloat16 and float16 tensors, plain and fused with a
// residual add: every output element against the correctly rounded 16-bit
// value of the float64 result computed from the same (already rounded)
// inputs, the statistics against their float32 bounds, the sum output bit
// for bit against the rounding of its float32 value, the conversions on every
// instruction set, thread-count independence, and refusals that write
// nothing. The suite runs once per instruction set (tests/CMakeLists.txt),
// so the ISA paths are each covered; the conversion test also loops over
// them itself.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "half_float_support.hpp"
#include "isa_levels.hpp"
#include "reference/reference.hpp"
#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

enum class fusion { none, residual, residual_and_bias, residual_bias_and_sum };
const fusion fusions[] = {fusion::none, fusion::residual, fusion::residual_and_bias,
                          fusion::residual_bias_and_sum};

// One call's tensors, all 16-bit elements of one type.
struct row_problem {
  dtype type;
  std::int64_t rows;
  std::int64_t d;
  std::vector<bits16> x, residual;
  std::vector<float> bias, gamma, beta;
};

struct row_result {
  std::vector<bits16> y, sum;
  std::vector<float> mean, rstd;
};

row_result run(const row_problem& p, bool rms, fusion f) {
  const std::int64_t count = p.rows * p.d;
  row_result r{
      std::vector<bits16>(count, 0x7fff), {}, sentinel_buffer(p.rows), sentinel_buffer(p.rows)};
  if (f == fusion::none) {
    if (rms) {
      rms_norm(p.type, p.x.data(), p.rows, p.d, p.gamma.data(), p.beta.data(), 1e-5f, r.y.data(),
               r.rstd.data());
    } else {
      layer_norm(p.type, p.x.data(), p.rows, p.d, p.gamma.data(), p.beta.data(), 1e-5f, r.y.data(),
                 r.mean.data(), r.rstd.data());
    }
    return r;
  }
  const float* bias = f == fusion::residual ? nullptr : p.bias.data();
  if (f == fusion::residual_bias_and_sum) r.sum.assign(count, 0x7fff);
  void* sum = r.sum.empty() ? nullptr : r.sum.data();
  if (rms) {
    add_rms_norm(p.type, p.x.data(), p.residual.data(), bias, p.rows, p.d, p.gamma.data(),
                 p.beta.data(), 1e-5f, r.y.data(), sum, r.rstd.data());
  } else {
    add_layer_norm(p.type, p.x.data(), p.residual.data(), bias, p.rows, p.d, p.gamma.data(),
                   p.beta.data(), 1e-5f, r.y.data(), sum, r.mean.data(), r.rstd.data());
  }
  return r;
}

// The data families: values of x before rounding to the 16-bit type.
enum class family { normal, offset, constant_rows, small_variance };

std::vector<float> family_data(family f, std::int64_t count, std::uint32_t seed, dtype type) {
  switch (f) {
    case family::normal:
      return normal(count, seed);
    case family::offset:
      // 1e4 + N(0, 1) is a few values apart in 16 bits (an ulp is 64 in
      // bfloat16, 8 in float16); 1e2 + N(0, 1) keeps the spread visible.
      return normal(count, seed, type == dtype::bfloat16 ? 1e4f : 1e2f, 1.0f);
    case family::constant_rows:
      return constant(count, 3.0f);
    case family::small_variance:
      return normal(count, seed, 0.0f, 1e-3f);
  }
  return {};
}

row_problem make_problem(dtype type, std::int64_t rows, std::int64_t d, family f,
                         std::uint32_t seed) {
  row_problem p{type, rows, d, {}, {}, {}, {}, {}};
  const std::int64_t count = rows * d;
  p.x = rounded(type, family_data(f, count, seed, type));
  p.residual = rounded(type, normal(count, seed + 1, 0.0f, 0.5f));
  p.bias = normal(d, seed + 2, 0.0f, 0.25f);
  p.gamma = normal(d, seed + 3, 1.0f, 0.2f);
  p.beta = normal(d, seed + 4, 0.0f, 0.2f);
  return p;
}

// h = (x + residual) + bias in float32, as the kernels form it.
std::vector<float> float32_sum(const row_problem& p, fusion f) {
  std::vector<float> h(p.x.size());
  for (std::size_t i = 0; i < h.size(); ++i) {
    float v = to_float(p.type, p.x[i]);
    if (f != fusion::none) v += to_float(p.type, p.residual[i]);
    if (f == fusion::residual_and_bias || f == fusion::residual_bias_and_sum) {
      v += p.bias[i % p.d];
    }
    h[i] = v;
  }
  return h;
}

// The oracle normalises the rows the float32 sequence add-then-norm would
// normalise: x widened exactly, plus residual, plus bias, each addition
// rounded to float32 as the kernels do (and as the unfused float32 calls
// would). The float64 sum differs from it by the float32 rounding of the
// additions, which is the caller's choice of a float32 residual stream,
// not an error of the norm.
reference::normalized reference_of(const row_problem& p, bool rms, fusion f) {
  const std::vector<float> h32 = float32_sum(p, f);
  const std::vector<double> h =
      reference::rows_of(dtype::float32, h32.data(), nullptr, nullptr, p.rows, p.d);
  return rms ? reference::rms_norm(h, p.rows, p.d, p.gamma.data(), p.beta.data(), 1e-5f)
             : reference::layer_norm(h, p.rows, p.d, p.gamma.data(), p.beta.data(), 1e-5f);
}

// max |got - ref| / bound[set] over the sets: at most 1 when every set is
// within its bound.
double relative_error(const std::vector<float>& got, const std::vector<double>& ref,
                      const std::vector<double>& bound) {
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = std::fabs(static_cast<double>(got[i]) - ref[i]) / bound[i];
    worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  return worst;
}

const std::int64_t shapes[][2] = {{1, 1},   {1, 7},    {3, 16},    {5, 64}, {4, 100},
                                  {9, 768}, {2, 4101}, {1, 40000}, {33, 48}};

TEST(TypedRows, OutputsAreCorrectlyRoundedOrOneUlpAwayAndStatisticsKeepFloat32Bounds) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    rounding_tally tally;
    for (const bool rms : {false, true}) {
      for (const family f :
           {family::normal, family::offset, family::constant_rows, family::small_variance}) {
        for (const auto& shape : shapes) {
          const std::int64_t rows = shape[0], d = shape[1];
          const row_problem p = make_problem(type, rows, d, f, 11u + static_cast<unsigned>(d));
          for (const fusion fused : fusions) {
            const std::string what = std::string(name_of(type)) + (rms ? " rms" : " layer") +
                                     " family " + std::to_string(static_cast<int>(f)) + " " +
                                     std::to_string(rows) + "x" + std::to_string(d) + " fusion " +
                                     std::to_string(static_cast<int>(fused));
            const row_result got = run(p, rms, fused);
            const reference::normalized ref = reference_of(p, rms, fused);
            tally.add(type, got.y, ref.y, what);

            // Statistics: rstd relative 1e-5 (float32's bound); the mean
            // within 1e-5 of the row's spread (1 / rstd), so that a small
            // variance's error shows, plus the float32 rounding of the mean
            // itself (half an ulp, at most 2^-24 of it).
            std::vector<double> mean_bound(rows), rstd_bound(rows);
            for (std::int64_t r = 0; r < rows; ++r) {
              rstd_bound[r] = 1e-5 * ref.rstd[r];
              if (!rms) mean_bound[r] = 1e-5 / ref.rstd[r] + 0x1p-24 * std::fabs(ref.mean[r]);
            }
            EXPECT_LE(relative_error(got.rstd, ref.rstd, rstd_bound), 1.0) << what;
            if (!rms) {
              EXPECT_LE(relative_error(got.mean, ref.mean, mean_bound), 1.0) << what;
            }

            if (fused == fusion::residual_bias_and_sum) {
              const std::vector<float> h = float32_sum(p, fused);
              ASSERT_EQ(got.sum, rounded(type, h)) << what;
            }
          }
        }
      }
    }
    report_and_check(tally, "layer and RMS norm, plain and fused", type);
  }
}

// The sum output of h = 0 + 0 + bias is the rounding of bias itself, so a
// bias holding every kind of float (ties, denormals of the 16-bit format,
// overflow, NaN, Inf) checks the vector narrowing of every path against the
// scalar conversion; and x = every 16-bit pattern with a zero residual
// checks the widening (the sum is x itself, NaNs made quiet).
TEST(TypedRows, ConversionsOnEveryInstructionSetMatchTheScalarOnes) {
  std::vector<float> specials = {
      0.0f,      -0.0f,    1.0f,      -1.0f,        65504.0f, 65519.0f,    65520.0f,   -70000.0f,
      1e-39f,    -1e-39f,  3e-6f,     5.960464e-8f, 2.98e-8f, 2.99e-8f,    1e-45f,     3.4e38f,
      -3.39e38f, INFINITY, -INFINITY, NAN,          -NAN,     1.00390625f, 1.01171875f};
  for (float v : uniform(4000, 5u, -3.0f, 3.0f)) specials.push_back(v);
  // Floats whose low bits sit at the 16-bit formats' rounding points.
  for (std::uint32_t k = 0; k < 2000; ++k) {
    specials.push_back(sn_float_of_bits(0x3f800000u + k * 0x1000u + (k % 3) * 0x800u));
  }
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    for (const dtype type : {dtype::bfloat16, dtype::float16}) {
      // Narrowing.
      const std::int64_t d = static_cast<std::int64_t>(specials.size());
      const std::vector<bits16> zeros(d, 0);
      std::vector<bits16> y(d), sum(d);
      add_rms_norm(type, zeros.data(), zeros.data(), specials.data(), 1, d, nullptr, nullptr, 1e-5f,
                   y.data(), sum.data(), nullptr);
      for (std::int64_t i = 0; i < d; ++i) {
        const bits16 want = from_float(type, (0.0f + 0.0f) + specials[i]);
        ASSERT_EQ(sum[i], want) << level << " " << name_of(type) << " narrowing " << specials[i];
      }
      // Widening: every pattern.
      std::vector<bits16> all(65536);
      for (std::uint32_t h = 0; h < 65536; ++h) all[h] = static_cast<bits16>(h);
      const std::vector<bits16> zero_residual(65536, 0);
      std::vector<bits16> all_y(65536), all_sum(65536);
      add_rms_norm(type, all.data(), zero_residual.data(), nullptr, 256, 256, nullptr, nullptr,
                   1e-5f, all_y.data(), all_sum.data(), nullptr);
      for (std::uint32_t h = 0; h < 65536; ++h) {
        const bits16 want = from_float(type, to_float(type, static_cast<bits16>(h)) + 0.0f);
        ASSERT_EQ(all_sum[h], want) << level << " " << name_of(type) << " widening " << h;
      }
    }
  }
}

// The normalisation sweep's stores: with gamma = 0, y = v * 0 + beta is
// beta itself, so a beta holding every kind of float checks the narrowing
// of y, which goes out two vectors at a time (one conversion and one check
// for denormals per pair on AVX-512 BF16), against the scalar conversion:
// a denormal in either vector of a pair, lengths with an odd vector and a
// tail. (-0 is left out: v * 0 + -0 is +0 where v >= 0.)
TEST(TypedRows, NormalisedOutputsNarrowLikeTheScalarConversion) {
  std::vector<float> specials = {0.0f,    1.0f,        -1.0f,       65504.0f,     65520.0f,
                                 1e-39f,  -1e-39f,     3e-6f,       5.960464e-8f, 1e-45f,
                                 3.4e38f, -3.39e38f,   INFINITY,    -INFINITY,    NAN,
                                 -NAN,    1.00390625f, 1.01171875f, -2.5e-39f,    1.1754942e-38f};
  for (float v : uniform(997, 6u, -3.0f, 3.0f)) specials.push_back(v);
  for (std::uint32_t k = 0; k < 500; ++k) {
    specials.push_back(sn_float_of_bits(0x3f800000u + k * 0x1000u + (k % 3) * 0x800u));
    specials.push_back(sn_float_of_bits(0x00001000u + k * 0x1357u));  // denormals
  }
  const std::int64_t full = static_cast<std::int64_t>(specials.size());
  for (const std::string& level : levels_here()) {
    const isa_cap cap(level);
    for (const dtype type : {dtype::bfloat16, dtype::float16}) {
      for (const std::int64_t d :
           {full, full - 16, full - 37, std::int64_t{48}, std::int64_t{33}}) {
        const std::vector<float> beta(specials.end() - d, specials.end());
        const std::vector<bits16> x = rounded(type, normal(2 * d, 7u, 1.0f, 2.0f));
        const std::vector<float> zeros(d, 0.0f);
        std::vector<bits16> y(2 * d, 0x7fff);
        layer_norm(type, x.data(), 2, d, zeros.data(), beta.data(), 1e-5f, y.data(), nullptr,
                   nullptr);
        for (std::int64_t i = 0; i < 2 * d; ++i) {
          ASSERT_EQ(y[i], from_float(type, beta[i % d]))
              << level << " " << name_of(type) << " d " << d << " beta " << beta[i % d];
        }
      }
    }
  }
}

// DESIGN.md section 7: a 16-bit call computes what the float32 call computes
// on the widened inputs and rounds y once, so its y is the float32 call's y
// rounded, and its statistics are the float32 call's, bit for bit. The data
// span 2^-12 to 2^12 times N(0, 1), so that float32 sums round and a sum
// taken in another order (as the bfloat16 sweeps load their elements:
// four_vector_loads) would show; the families above are mostly exact sums
// of 16-bit values. Rows shorter than a group of four vectors, rows of
// whole groups with tails, and rows past one block (4096 floats).
TEST(TypedRows, SixteenBitCallsGiveTheWidenedFloat32CallsBitsRoundedOnce) {
  // 3 x 3000 and 2 x 4096: a fused add stages rows of 2049 to 4096 floats
  // two or three at a time, one at a time beyond (sets_in_groups).
  // Batches of 16 rows of 16 to 128 elements, and a partial batch after
  // them: AVX-512 holds such rows in registers (normalize_short_rows).
  const std::int64_t row_shapes[][2] = {{3, 40},   {5, 64},   {4, 100},  {9, 768},   {3, 3000},
                                        {2, 4096}, {2, 4101}, {3, 8229}, {1, 40000}, {19, 16},
                                        {18, 32},  {17, 64},  {35, 128}};
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const auto& shape : row_shapes) {
      const std::int64_t rows = shape[0], d = shape[1], count = rows * d;
      row_problem p = make_problem(type, rows, d, family::normal, 31u + static_cast<unsigned>(d));
      const std::vector<float> scale =
          uniform(count, 41u + static_cast<unsigned>(d), -12.0f, 12.0f);
      std::vector<float> x = normal(count, 51u + static_cast<unsigned>(d));
      for (std::int64_t i = 0; i < count; ++i) x[i] *= std::exp2(std::floor(scale[i]));
      p.x = rounded(type, x);
      std::vector<float> x32(count), residual32(count);
      for (std::int64_t i = 0; i < count; ++i) {
        x32[i] = to_float(type, p.x[i]);
        residual32[i] = to_float(type, p.residual[i]);
      }
      for (const bool rms : {false, true}) {
        for (const fusion fused : {fusion::none, fusion::residual_and_bias}) {
          const std::string what = std::string(name_of(type)) + (rms ? " rms " : " layer ") +
                                   std::to_string(rows) + "x" + std::to_string(d) + " fusion " +
                                   std::to_string(static_cast<int>(fused));
          const row_result got = run(p, rms, fused);
          std::vector<float> y32 = sentinel_buffer(count);
          std::vector<float> mean32 = sentinel_buffer(rows), rstd32 = sentinel_buffer(rows);
          const float* residual = fused == fusion::none ? nullptr : residual32.data();
          const float* bias = fused == fusion::none ? nullptr : p.bias.data();
          if (rms) {
            if (residual != nullptr) {
              add_rms_norm(x32.data(), residual, bias, rows, d, p.gamma.data(), p.beta.data(),
                           1e-5f, y32.data(), nullptr, rstd32.data());
            } else {
              rms_norm(x32.data(), rows, d, p.gamma.data(), p.beta.data(), 1e-5f, y32.data(),
                       rstd32.data());
            }
          } else {
            if (residual != nullptr) {
              add_layer_norm(x32.data(), residual, bias, rows, d, p.gamma.data(), p.beta.data(),
                             1e-5f, y32.data(), nullptr, mean32.data(), rstd32.data());
            } else {
              layer_norm(x32.data(), rows, d, p.gamma.data(), p.beta.data(), 1e-5f, y32.data(),
                         mean32.data(), rstd32.data());
            }
            EXPECT_TRUE(same_bits(got.mean, mean32)) << what;
          }
          EXPECT_TRUE(same_bits(got.rstd, rstd32)) << what;
          EXPECT_EQ(got.y, rounded(type, y32)) << what;
        }
      }
    }
  }
}

TEST(TypedRows, BitsDoNotDependOnTheThreadCount) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    // Many short rows (split by rows), and one long row (split by chunks).
    for (const auto& shape :
         {std::array<std::int64_t, 2>{256, 768}, std::array<std::int64_t, 2>{1, 100000}}) {
      const row_problem p = make_problem(type, shape[0], shape[1], family::normal, 3u);
      for (const fusion fused : fusions) {
        std::vector<row_result> results;
        for (const int threads : {1, 2, 4}) {
          tbb::task_arena arena(threads);
          arena.execute([&] { results.push_back(run(p, false, fused)); });
        }
        for (const row_result& r : results) {
          EXPECT_EQ(r.y, results[0].y) << name_of(type);
          EXPECT_EQ(r.sum, results[0].sum) << name_of(type);
          EXPECT_TRUE(same_bits(r.mean, results[0].mean)) << name_of(type);
          EXPECT_TRUE(same_bits(r.rstd, results[0].rstd)) << name_of(type);
        }
      }
    }
  }
}

TEST(TypedRows, Float32TypedCallsGiveThePlainCallsBits) {
  const std::int64_t rows = 17, d = 300;
  const std::vector<float> x = normal(rows * d, 9u, 2.0f, 3.0f);
  const std::vector<float> gamma = normal(d, 10u, 1.0f, 0.1f), beta = normal(d, 11u);
  std::vector<float> y1 = sentinel_buffer(rows * d), y2 = sentinel_buffer(rows * d);
  std::vector<float> m1 = sentinel_buffer(rows), m2 = sentinel_buffer(rows);
  std::vector<float> r1 = sentinel_buffer(rows), r2 = sentinel_buffer(rows);
  layer_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f, y1.data(), m1.data(), r1.data());
  layer_norm(dtype::float32, x.data(), rows, d, gamma.data(), beta.data(), 1e-5f, y2.data(),
             m2.data(), r2.data());
  EXPECT_TRUE(same_bits(y1, y2));
  EXPECT_TRUE(same_bits(m1, m2));
  EXPECT_TRUE(same_bits(r1, r2));
  // A zero residual adds nothing.
  const std::vector<float> zeros(rows * d, 0.0f);
  std::vector<float> y3 = sentinel_buffer(rows * d);
  add_rms_norm(x.data(), zeros.data(), nullptr, rows, d, gamma.data(), beta.data(), 1e-5f,
               y3.data(), nullptr, r2.data());
  rms_norm(x.data(), rows, d, gamma.data(), beta.data(), 1e-5f, y1.data(), r1.data());
  EXPECT_TRUE(same_bits(y1, y3));
  EXPECT_TRUE(same_bits(r1, r2));
}

TEST(TypedRows, InPlaceOutputsMatchSeparateOnes) {
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    const row_problem p = make_problem(type, 12, 200, family::normal, 21u);
    const row_result separate = run(p, false, fusion::residual_bias_and_sum);
    // y over x, sum over residual: the residual stream updated in place.
    std::vector<bits16> x = p.x, residual = p.residual;
    std::vector<float> mean(12), rstd(12);
    add_layer_norm(type, x.data(), residual.data(), p.bias.data(), 12, 200, p.gamma.data(),
                   p.beta.data(), 1e-5f, x.data(), residual.data(), mean.data(), rstd.data());
    EXPECT_EQ(x, separate.y) << name_of(type);
    EXPECT_EQ(residual, separate.sum) << name_of(type);
  }
}

// One call's y over rows [first, first + rows) of x.
template <class T>
std::vector<T> normalized_rows(dtype type, const std::vector<T>& x, std::int64_t first,
                               std::int64_t rows, std::int64_t d, const float* gamma,
                               const float* beta, bool rms) {
  std::vector<T> y(static_cast<std::size_t>(rows * d));
  std::vector<float> mean(rows), rstd(rows);
  const T* in = x.data() + first * d;
  if (rms) {
    rms_norm(type, in, rows, d, gamma, beta, 1e-5f, y.data(), rstd.data());
  } else {
    layer_norm(type, in, rows, d, gamma, beta, 1e-5f, y.data(), mean.data(), rstd.data());
  }
  return y;
}

template <class T>
void expect_rows_keep_their_bits_alone(dtype type, const std::vector<float>& values,
                                       std::int64_t rows, std::int64_t d) {
  std::vector<T> x;
  if constexpr (std::is_same_v<T, float>) {
    x = values;
  } else {
    x = rounded(type, values);
  }
  const std::vector<float> gamma = normal(d, 52u, 1.0f, 0.3f), beta = normal(d, 53u, 0.0f, 0.5f);
  const std::pair<const float*, const float*> affines[] = {
      {gamma.data(), beta.data()}, {gamma.data(), nullptr}, {nullptr, beta.data()}};
  for (const bool rms : {false, true}) {
    for (const auto& [g, b] : affines) {
      const std::vector<T> together = normalized_rows(type, x, 0, rows, d, g, b, rms);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::vector<T> alone = normalized_rows(type, x, r, 1, d, g, b, rms);
        EXPECT_EQ(0, std::memcmp(together.data() + r * d, alone.data(), d * sizeof(T)))
            << name_of(type) << " d " << d << " row " << r << (rms ? " rms" : " layer")
            << (g != nullptr ? " gamma" : "") << (b != nullptr ? " beta" : "");
      }
    }
  }
}

// In cache, rows are normalised two at a time, sharing each vector of gamma
// and beta (normalize_row_pair), and rows of 2048 elements or more, several
// to a group, a column tile at a time across the group (affine_tile,
// lib/kernels/contiguous_set_kernels-inl.hpp): each row must keep the bits
// it has in a call of its own, which does neither. With gamma and beta and
// each alone; rows with a tail (17, 100, 1000, 3000, 4100), and rows of 64
// and 128 (normalised with gamma and beta in registers on AVX-512,
// normalize_short_rows); and, where the type reaches it, a row near the
// top of float's range, normalised halved and alone, between pairs.
TEST(TypedRows, RowsOfACallKeepTheBitsOfRowsAlone) {
  for (const std::int64_t d : {17, 64, 100, 128, 768, 1000, 2048, 3000, 4100}) {
    const std::int64_t rows = 7;
    std::vector<float> values = normal(rows * d, 51u, 0.5f, 2.0f);
    std::vector<float> huge = values;
    for (std::int64_t i = 2 * d; i < 3 * d; ++i) huge[i] = 3e38f * (1.0f + 0.01f * values[i]);
    expect_rows_keep_their_bits_alone<float>(dtype::float32, huge, rows, d);
    expect_rows_keep_their_bits_alone<bits16>(dtype::bfloat16, huge, rows, d);
    expect_rows_keep_their_bits_alone<bits16>(dtype::float16, values, rows, d);
  }
}

// Float32 rows in cache stage h in the sum's own rows (sets_in_groups): in
// place, that is the residual being read, and y is x. Without a sum they
// stage it in y's, which may be x. Groups of several rows
// (200, 1000; 16 and 128, whose statistics are kept in registers on
// AVX-512), one row a group (2048), and a tail of rows.
TEST(TypedRows, Float32InPlaceOutputsMatchSeparateOnes) {
  for (const std::int64_t d : {16, 128, 200, 1000, 2048}) {
    const std::int64_t rows = 37, count = rows * d;
    const std::vector<float> x = normal(count, 31u, 2.0f, 3.0f);
    const std::vector<float> residual = normal(count, 32u, -1.0f, 0.5f);
    const std::vector<float> bias = normal(d, 33u), gamma = normal(d, 34u, 1.0f, 0.1f);
    const std::vector<float> beta = normal(d, 35u);
    std::vector<float> y = sentinel_buffer(count), sum = sentinel_buffer(count);
    std::vector<float> mean(rows), rstd(rows), in_place_mean(rows), in_place_rstd(rows);
    add_layer_norm(dtype::float32, x.data(), residual.data(), bias.data(), rows, d, gamma.data(),
                   beta.data(), 1e-5f, y.data(), sum.data(), mean.data(), rstd.data());
    std::vector<float> in_place_x = x, in_place_residual = residual;
    add_layer_norm(dtype::float32, in_place_x.data(), in_place_residual.data(), bias.data(), rows,
                   d, gamma.data(), beta.data(), 1e-5f, in_place_x.data(), in_place_residual.data(),
                   in_place_mean.data(), in_place_rstd.data());
    EXPECT_TRUE(same_bits(y, in_place_x)) << d;
    EXPECT_TRUE(same_bits(sum, in_place_residual)) << d;
    EXPECT_TRUE(same_bits(mean, in_place_mean)) << d;
    EXPECT_TRUE(same_bits(rstd, in_place_rstd)) << d;
    // And the sum is h itself: (x + residual) + bias, rounded once each.
    for (std::int64_t i = 0; i < count; i += 97) {
      EXPECT_EQ(sum[i], (x[i] + residual[i]) + bias[i % d]) << d << " " << i;
    }
    // No sum: y apart, and y in x (y may alias x alone).
    std::vector<float> y_alone = sentinel_buffer(count), in_x = x;
    std::vector<float> alone_mean(rows), alone_rstd(rows);
    add_layer_norm(dtype::float32, x.data(), residual.data(), bias.data(), rows, d, gamma.data(),
                   beta.data(), 1e-5f, y_alone.data(), nullptr, alone_mean.data(),
                   alone_rstd.data());
    add_layer_norm(dtype::float32, in_x.data(), residual.data(), bias.data(), rows, d, gamma.data(),
                   beta.data(), 1e-5f, in_x.data(), nullptr, nullptr, nullptr);
    EXPECT_TRUE(same_bits(y, y_alone)) << d;
    EXPECT_TRUE(same_bits(mean, alone_mean)) << d;
    EXPECT_TRUE(same_bits(rstd, alone_rstd)) << d;
    EXPECT_TRUE(same_bits(y, in_x)) << d;
  }
}

// A fused call normalises h = (x + residual) + bias, each sum rounded to
// float32, exactly as the plain call normalises h given as its input: the
// staged rows (up to 16384 floats, one a group past 8192; rows of 1, 2, 4
// or, on AVX-512, 8 vectors in batches kept in registers on x86) and the
// rows that form h in every sweep (17000) must both give the plain rows'
// statistics and outputs bit for bit. Layer and RMS norm, with and without
// the sum output.
TEST(TypedRows, Float32FusedCallsGiveTheBitsOfTheAddThenThePlainCall) {
  for (const std::int64_t d : {16, 32, 64, 128, 48, 768, 9000, 17000}) {
    const std::int64_t rows = d > 4096 ? 3 : 37, count = rows * d;
    const std::vector<float> x = normal(count, 41u, 2.0f, 3.0f);
    const std::vector<float> residual = normal(count, 42u, -1.0f, 0.5f);
    const std::vector<float> bias = normal(d, 43u), gamma = normal(d, 44u, 1.0f, 0.1f);
    const std::vector<float> beta = normal(d, 45u);
    std::vector<float> h(static_cast<std::size_t>(count));
    for (std::int64_t i = 0; i < count; ++i) h[i] = (x[i] + residual[i]) + bias[i % d];
    for (const bool rms : {false, true}) {
      std::vector<float> want = sentinel_buffer(count), want_mean = sentinel_buffer(rows),
                         want_rstd = sentinel_buffer(rows);
      if (rms) {
        rms_norm(h.data(), rows, d, gamma.data(), beta.data(), 1e-5f, want.data(),
                 want_rstd.data());
      } else {
        layer_norm(h.data(), rows, d, gamma.data(), beta.data(), 1e-5f, want.data(),
                   want_mean.data(), want_rstd.data());
      }
      for (const bool with_sum : {false, true}) {
        const std::string what = std::string(rms ? "rms" : "layer") + " d " + std::to_string(d) +
                                 (with_sum ? " with the sum" : "");
        std::vector<float> y = sentinel_buffer(count), sum = sentinel_buffer(count);
        std::vector<float> mean = sentinel_buffer(rows), rstd = sentinel_buffer(rows);
        float* const sum_out = with_sum ? sum.data() : nullptr;
        if (rms) {
          add_rms_norm(dtype::float32, x.data(), residual.data(), bias.data(), rows, d,
                       gamma.data(), beta.data(), 1e-5f, y.data(), sum_out, rstd.data());
        } else {
          add_layer_norm(dtype::float32, x.data(), residual.data(), bias.data(), rows, d,
                         gamma.data(), beta.data(), 1e-5f, y.data(), sum_out, mean.data(),
                         rstd.data());
          EXPECT_TRUE(same_bits(mean, want_mean)) << what;
        }
        EXPECT_TRUE(same_bits(rstd, want_rstd)) << what;
        EXPECT_TRUE(same_bits(y, want)) << what;
        if (with_sum) {
          EXPECT_TRUE(same_bits(sum, h)) << what;
        }
      }
    }
  }
}

// A refused call: the C API's status and message, every output untouched.
void expect_refused(sn_status status, const std::string& word) {
  EXPECT_EQ(status, SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find(word), std::string::npos) << sn_last_error();
}

TEST(TypedRows, BadArgumentsAreNamedAndWriteNothing) {
  const std::int64_t rows = 4, d = 32, count = rows * d;
  const std::vector<bits16> x = rounded(dtype::bfloat16, normal(count, 1u));
  std::vector<bits16> residual = rounded(dtype::bfloat16, normal(count, 2u));
  std::vector<bits16> buffer(3 * count, 0x7fff);
  std::vector<float> mean = sentinel_buffer(rows), rstd = sentinel_buffer(rows);
  const std::vector<bits16> untouched = buffer;
  const std::vector<float> untouched_stats = mean;
  bits16* y = buffer.data();
  bits16* sum = buffer.data() + count;

  expect_refused(sn_layer_norm_typed(static_cast<sn_dtype>(7), x.data(), rows, d, nullptr, nullptr,
                                     1e-5f, y, mean.data(), rstd.data()),
                 "dtype");
  expect_refused(sn_add_layer_norm(SN_DTYPE_BFLOAT16, x.data(), nullptr, nullptr, rows, d, nullptr,
                                   nullptr, 1e-5f, y, sum, mean.data(), rstd.data()),
                 "residual");
  // The residual partly under y, and the sum one element off the residual.
  expect_refused(sn_add_rms_norm(SN_DTYPE_BFLOAT16, x.data(), buffer.data() + 1, nullptr, rows, d,
                                 nullptr, nullptr, 1e-5f, y, nullptr, rstd.data()),
                 "overlap");
  expect_refused(sn_add_rms_norm(SN_DTYPE_BFLOAT16, x.data(), sum, nullptr, rows, d, nullptr,
                                 nullptr, 1e-5f, y, sum + 1, rstd.data()),
                 "overlap");
  // The sum may not be x, nor y the residual, even exactly.
  std::vector<bits16> x_copy = x;
  expect_refused(
      sn_add_layer_norm(SN_DTYPE_FLOAT16, x_copy.data(), residual.data(), nullptr, rows, d, nullptr,
                        nullptr, 1e-5f, y, x_copy.data(), mean.data(), rstd.data()),
      "overlap");
  expect_refused(
      sn_add_layer_norm(SN_DTYPE_FLOAT16, x.data(), residual.data(), nullptr, rows, d, nullptr,
                        nullptr, 1e-5f, residual.data(), sum, mean.data(), rstd.data()),
      "overlap");
  // 16-bit elements: a y right after x's 2-byte elements is no overlap, one
  // element earlier is.
  std::vector<bits16> joined(2 * count);
  std::copy(x.begin(), x.end(), joined.begin());
  EXPECT_EQ(sn_rms_norm_typed(SN_DTYPE_BFLOAT16, joined.data(), rows, d, nullptr, nullptr, 1e-5f,
                              joined.data() + count, nullptr),
            SN_OK);
  expect_refused(sn_rms_norm_typed(SN_DTYPE_BFLOAT16, joined.data(), rows, d, nullptr, nullptr,
                                   1e-5f, joined.data() + count - 1, nullptr),
                 "overlap");
  EXPECT_EQ(buffer, untouched);
  EXPECT_EQ(x_copy, x);
  EXPECT_TRUE(same_bits(mean, untouched_stats));
  EXPECT_TRUE(same_bits(rstd, untouched_stats));
  // The C++ API throws, naming the argument.
  EXPECT_THROW(layer_norm(static_cast<dtype>(-1), x.data(), rows, d, nullptr, nullptr, 1e-5f, y,
                          nullptr, nullptr),
               std::invalid_argument);
  EXPECT_EQ(buffer, untouched);
}

}  // namespace
}  // namespace simdnorm::testing
