// Rows whose tensors fill the last-level cache take their own stores: float32
// rows of 1, 2 or 4 whole vectors are written with non-temporal stores, and
// longer rows prefetch the next row while one is normalised
// (kernels/contiguous_set_kernels-inl.hpp). Both change how y is written,
// never its values: the same rows normalised in pieces far below the cache's
// size give the same bits. Buffers are 64-byte aligned, as a streamed vector
// must be, and once more offset by one float, where no vector can stream.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "schedule/aligned_vector.hpp"
#include "schedule/last_level_cache.hpp"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

using floats = std::vector<float, schedule::aligned_allocator<float, 64>>;

// rows x d float32 layer or RMS norm, whole or in pieces of `piece` rows,
// into a buffer whose y starts `offset` floats in.
floats normalized(bool rms, const floats& x, std::int64_t rows, std::int64_t d,
                  const std::vector<float>& gamma, const std::vector<float>& beta,
                  std::int64_t piece, std::int64_t offset) {
  floats buffer(static_cast<std::size_t>(rows * d + offset));
  float* y = buffer.data() + offset;
  for (std::int64_t first = 0; first < rows; first += piece) {
    const std::int64_t count = first + piece < rows ? piece : rows - first;
    if (rms) {
      rms_norm(x.data() + first * d, count, d, gamma.data(), beta.data(), 1e-5f, y + first * d,
               nullptr);
    } else {
      layer_norm(x.data() + first * d, count, d, gamma.data(), beta.data(), 1e-5f, y + first * d,
                 nullptr, nullptr);
    }
  }
  return buffer;
}

TEST(PastTheCache, RowsGiveTheBitsOfTheSameRowsInCacheSizedPieces) {
  const std::int64_t cache = schedule::last_level_cache_bytes();
  for (const std::int64_t d : {16, 64, 40, 4096}) {
    // x and y together fill the cache, plus a partial group of rows.
    const std::int64_t rows = cache / (2 * d * static_cast<std::int64_t>(sizeof(float))) + 5;
    // N(3, 2) values, 4099 of them over and over: drawing 8 M would take
    // longer than the test.
    const std::vector<float> values = normal(4099, static_cast<std::uint32_t>(d), 3.0f, 2.0f);
    floats x(static_cast<std::size_t>(rows * d));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = values[i % values.size()];
    const std::vector<float> gamma = uniform(d, 7u, 0.5f, 1.5f);
    const std::vector<float> beta = uniform(d, 8u, -1.0f, 1.0f);
    const std::int64_t piece = (std::int64_t{1} << 16) / d;  // 256 KiB of x
    for (const bool rms : {false, true}) {
      for (const std::int64_t offset : {0, 1}) {
        const std::string what = std::string(rms ? "rms" : "layer") + " norm d " +
                                 std::to_string(d) + " offset " + std::to_string(offset) + " on " +
                                 active_isa();
        const floats whole = normalized(rms, x, rows, d, gamma, beta, rows, offset);
        const floats pieces = normalized(rms, x, rows, d, gamma, beta, piece, offset);
        EXPECT_EQ(std::memcmp(whole.data(), pieces.data(), whole.size() * sizeof(float)), 0)
            << what;
      }
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
