// The vector loops take their input and output as policies (element_io-inl.hpp)
// so that bfloat16 storage and fused neighbours are a template argument away.
// This instantiates them with a bfloat16 input plus a float32 residual added
// before the norm, and a ReLU and bfloat16 store after it, and checks that the
// result is exactly what the float32 loops give on the materialised input,
// rounded the same way. Built for SSE2, the x86-64 baseline, so it needs no
// flags; internal headers, so it reaches into lib/.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
// The internal headers define helpers with internal linkage; this file uses
// only some of them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "kernels/block_statistics-inl.hpp"
#include "kernels/normalize-inl.hpp"
#pragma GCC diagnostic pop
#endif

#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

#if defined(__x86_64__)

using arch = xsimd::sse2;
using batch = xsimd::batch<float, arch>;
constexpr std::int64_t width = batch::size;

// bfloat16: the upper half of a float32, rounded to nearest even (finite
// values only here).
std::uint16_t to_bfloat16(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<std::uint16_t>(bits >> 16);
}

float from_bfloat16(std::uint16_t half) {
  const std::uint32_t bits = static_cast<std::uint32_t>(half) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// x (bfloat16) + residual (float32), widened lane by lane.
struct bfloat16_residual_source {
  const std::uint16_t* x;
  const float* residual;

  template <class Arch>
  xsimd::batch<float, Arch> load(std::int64_t i) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    for (std::size_t l = 0; l < xsimd::batch<float, Arch>::size; ++l) lanes[l] = at(i + l);
    return xsimd::batch<float, Arch>::load_aligned(lanes);
  }
  float at(std::int64_t i) const { return from_bfloat16(x[i]) + residual[i]; }
  bfloat16_residual_source advanced(std::int64_t k) const { return {x + k, residual + k}; }
};

// max(y, 0), stored as bfloat16.
struct relu_bfloat16_sink {
  std::uint16_t* y;

  template <class Arch>
  void store(std::int64_t i, const xsimd::batch<float, Arch>& v) const {
    alignas(64) float lanes[xsimd::batch<float, Arch>::size];
    v.store_aligned(lanes);
    for (std::size_t l = 0; l < xsimd::batch<float, Arch>::size; ++l) put(i + l, lanes[l]);
  }
  void put(std::int64_t i, float v) const { y[i] = to_bfloat16(v > 0.0f ? v : 0.0f); }
  template <class Arch>
  std::int64_t unaligned_head() const {
    return 0;  // never streams
  }
  relu_bfloat16_sink advanced(std::int64_t k) const { return {y + k}; }
};

struct fused_data {
  std::vector<std::uint16_t> x;
  std::vector<float> residual;
  std::vector<float> materialised;  // x + residual in float32
};

fused_data make_data(std::int64_t d) {
  fused_data data;
  for (float v : normal(d, 71u, 3.0f, 2.0f)) data.x.push_back(to_bfloat16(v));
  data.residual = normal(d, 72u);
  for (std::int64_t i = 0; i < d; ++i) {
    data.materialised.push_back(from_bfloat16(data.x[i]) + data.residual[i]);
  }
  return data;
}

// Lengths with and without a tail, shorter and longer than a vector.
const std::int64_t lengths[] = {1, width - 1, width, 4 * width + 1, 37, 1000};

TEST(ElementIo, StatisticsOfFusedBfloat16InputMatchFloat32) {
  for (std::int64_t d : lengths) {
    const fused_data data = make_data(d);
    const bfloat16_residual_source source{data.x.data(), data.residual.data()};
    const float shift = data.materialised[0];
    const kernels::block_moments fused = kernels::shifted_block<arch>(source, source, d, shift);
    const kernels::float_source materialised{data.materialised.data()};
    const kernels::block_moments plain =
        kernels::shifted_block<arch>(materialised, materialised, d, shift);
    EXPECT_EQ(fused.mean, plain.mean) << "d = " << d;
    EXPECT_EQ(fused.m2, plain.m2) << "d = " << d;
    // Staged by the first sweep (a fused add's staged rows), read back by
    // the second: the same moments, and the buffer holds the input.
    std::vector<float> staged(d, -1.0f);
    const kernels::staging_source<bfloat16_residual_source, float> staging{
        source, staged.data(), kernels::element_sink<float>{nullptr}};
    const kernels::block_moments formed =
        kernels::shifted_block<arch>(staging, kernels::float_source{staged.data()}, d, shift);
    EXPECT_EQ(formed.mean, plain.mean) << "d = " << d;
    EXPECT_EQ(formed.m2, plain.m2) << "d = " << d;
    EXPECT_EQ(staged, data.materialised) << "d = " << d;
    EXPECT_EQ(kernels::block_square_sum<arch>(source, d),
              kernels::block_square_sum<arch>(materialised, d))
        << "d = " << d;

    double mean = 0.0;
    for (float v : data.materialised) mean += v;
    mean /= static_cast<double>(d);
    double m2 = 0.0;
    for (float v : data.materialised) m2 += (v - mean) * (v - mean);
    EXPECT_NEAR(shift + fused.mean, mean, 1e-5 * (1.0 + std::abs(mean))) << "d = " << d;
    EXPECT_NEAR(fused.m2, m2, 1e-5 * (1.0 + m2)) << "d = " << d;
  }
}

TEST(ElementIo, NormalisationWithFusedNeighboursMatchesFloat32) {
  const statistics::set_normalizer set{2.5f, 1e-7f, 0.75f};
  const kernels::run_factors factors{2.5f, 0.75f, -0.25f};
  for (std::int64_t d : lengths) {
    const fused_data data = make_data(d);
    const bfloat16_residual_source source{data.x.data(), data.residual.data()};
    const std::vector<float> gamma = normal(d, 73u, 1.0f, 0.1f);
    const std::vector<float> beta = normal(d, 74u, 0.0f, 0.1f);

    std::vector<std::uint16_t> row(d), run(d);
    std::vector<float> row_plain(d), run_plain(d);
    kernels::normalize_row<arch>(source, d, set, gamma.data(), beta.data(),
                                 relu_bfloat16_sink{row.data()});
    kernels::normalize_row<arch>(kernels::float_source{data.materialised.data()}, d, set,
                                 gamma.data(), beta.data(), kernels::float_sink{row_plain.data()});
    kernels::normalize_run<arch>(source, d, factors, relu_bfloat16_sink{run.data()});
    kernels::normalize_run<arch>(kernels::float_source{data.materialised.data()}, d, factors,
                                 kernels::float_sink{run_plain.data()});

    int negatives = 0;
    for (std::int64_t i = 0; i < d; ++i) {
      EXPECT_EQ(row[i], to_bfloat16(row_plain[i] > 0.0f ? row_plain[i] : 0.0f))
          << "d = " << d << ", i = " << i;
      EXPECT_EQ(run[i], to_bfloat16(run_plain[i] > 0.0f ? run_plain[i] : 0.0f))
          << "d = " << d << ", i = " << i;
      negatives += row_plain[i] < 0.0f ? 1 : 0;
    }
    // The ReLU is exercised: some outputs were negative before it.
    if (d >= 37) {
      EXPECT_GT(negatives, 0) << "d = " << d;
    }
  }
}

#else

TEST(ElementIo, NeedsX86) { GTEST_SKIP() << "instantiated for SSE2, the x86-64 baseline"; }

#endif

}  // namespace
}  // namespace simdnorm::testing
