// Rows whose tensors fill the last-level cache (as far as a call's output
// stays there: schedule::streaming_thresholds_of_this_cpu) take their own stores: y
// (and a fused add's sum) is written with non-temporal stores, and rows
// prefetch later rows while one is normalised
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
#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

using floats = std::vector<float, schedule::aligned_allocator<float, 64>>;

// The bytes read and written from which a call streams its output at any
// thread count: what "the cache" below means.
std::int64_t streamed_bytes() { return schedule::streaming_thresholds_of_this_cpu().more_threads; }

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
  const std::int64_t cache = streamed_bytes();
  // 4096 and 8192: rows normalised in pairs (8192 in groups of two rows);
  // 1000: rows whose outputs' heads differ, normalised one at a time.
  for (const std::int64_t d : {16, 64, 40, 4096, 8192, 1000}) {
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

// The fused add's two outputs, streamed: y and sum of layer norm of x +
// residual + bias in `type` (Element its storage), whole and in cache-sized
// pieces, and whole in place (y over x, sum over residual), where each
// streamed line is one the call has just read. In place the call's memory is
// x and residual alone (schedule::distinct_tensors), so those two fill the
// cache. round: a float to Element.
template <class Element, class Round>
void fused_add_past_the_cache(dtype type, Round round) {
  using tensor = std::vector<Element, schedule::aligned_allocator<Element, 64>>;
  const std::int64_t cache = streamed_bytes();
  const auto element = static_cast<std::int64_t>(sizeof(Element));
  for (const std::int64_t d : {64, 40, 4096}) {
    // x and residual together fill the cache, plus a partial group.
    const std::int64_t rows = cache / (2 * d * element) + 5;
    const std::vector<float> values = normal(4099, static_cast<std::uint32_t>(d), 3.0f, 2.0f);
    const std::vector<float> others = normal(4097, static_cast<std::uint32_t>(d) + 1, 0.0f, 1.0f);
    const auto count = static_cast<std::size_t>(rows * d);
    tensor x(count), residual(count);
    for (std::size_t i = 0; i < count; ++i) {
      x[i] = round(values[i % values.size()]);
      residual[i] = round(others[i % others.size()]);
    }
    const std::vector<float> bias = uniform(d, 6u, -0.5f, 0.5f);
    const std::vector<float> gamma = uniform(d, 7u, 0.5f, 1.5f);
    const std::vector<float> beta = uniform(d, 8u, -1.0f, 1.0f);
    const std::int64_t piece = (std::int64_t{1} << 17) / (d * element);  // 128 KiB of x
    const auto call = [&](const Element* in, const Element* res, std::int64_t first,
                          std::int64_t rows_now, Element* y, Element* sum) {
      add_layer_norm(type, in + first * d, res + first * d, bias.data(), rows_now, d, gamma.data(),
                     beta.data(), 1e-5f, y + first * d, sum + first * d, nullptr, nullptr);
    };
    tensor y(count), sum(count), y_pieces(count), sum_pieces(count);
    call(x.data(), residual.data(), 0, rows, y.data(), sum.data());
    for (std::int64_t first = 0; first < rows; first += piece) {
      call(x.data(), residual.data(), first, first + piece < rows ? piece : rows - first,
           y_pieces.data(), sum_pieces.data());
    }
    const std::string what = "type " + std::to_string(static_cast<int>(type)) + " d " +
                             std::to_string(d) + " on " + active_isa();
    const std::size_t bytes = count * sizeof(Element);
    EXPECT_EQ(std::memcmp(y.data(), y_pieces.data(), bytes), 0) << what;
    EXPECT_EQ(std::memcmp(sum.data(), sum_pieces.data(), bytes), 0) << what;
    tensor in_place_x = x, in_place_residual = residual;
    call(in_place_x.data(), in_place_residual.data(), 0, rows, in_place_x.data(),
         in_place_residual.data());
    EXPECT_EQ(std::memcmp(y.data(), in_place_x.data(), bytes), 0) << what;
    EXPECT_EQ(std::memcmp(sum.data(), in_place_residual.data(), bytes), 0) << what;
  }
}

TEST(PastTheCache, FusedAddRowsWriteYAndSumAsInCacheSizedPieces) {
  fused_add_past_the_cache<float>(dtype::float32, [](float v) { return v; });
}

// bfloat16 and float16 vectors stream at half width (AVX2 and AVX-512; SSE
// stores them as before).
TEST(PastTheCache, SixteenBitFusedAddRowsWriteYAndSumAsInCacheSizedPieces) {
  fused_add_past_the_cache<std::uint16_t>(dtype::bfloat16, sn_bfloat16_from_float);
  fused_add_past_the_cache<std::uint16_t>(dtype::float16, sn_float16_from_float);
}

// Past the cache an output that starts off a vector boundary (malloc's
// 16-byte alignment, or any element offset) has its first elements written
// one at a time and streams from its first aligned vector
// (kernels/normalize-inl.hpp, head_length): the bits must be those of the
// same call into an aligned buffer. Rows of 4096 (each row starts where
// the buffer does) and of 1000 (rows start at every alignment), in every
// element type (compared byte for byte), and rows of 64 (which float32
// streams as one run of short rows with AVX-512: kernels/element_io-inl.hpp,
// realigning_stream) and 16; batch-norm inference in both
// layouts (planes and channel rows of 1000); y offset by 1, 4 and 7
// elements.
TEST(PastTheCache, OutputsOffAVectorBoundaryGiveTheBitsOfAlignedOnes) {
  using bytes = std::vector<unsigned char, schedule::aligned_allocator<unsigned char, 64>>;
  const std::int64_t cache = streamed_bytes();
  const std::vector<float> values = normal(4099, 11u, 3.0f, 2.0f);
  for (const dtype type : {dtype::float32, dtype::bfloat16, dtype::float16}) {
    const std::int64_t element = type == dtype::float32 ? 4 : 2;
    for (const std::int64_t d : {4096, 1000, 64, 16}) {
      // x and y together fill the cache, plus a few rows.
      const std::int64_t rows = cache / (2 * d * element) + 5;
      const std::int64_t count = rows * d;
      bytes x(static_cast<std::size_t>(count * element));
      for (std::int64_t i = 0; i < count; ++i) {
        const float v = values[static_cast<std::size_t>(i) % values.size()];
        if (type == dtype::float32) {
          std::memcpy(x.data() + i * 4, &v, 4);
        } else {
          const std::uint16_t h =
              type == dtype::bfloat16 ? sn_bfloat16_from_float(v) : sn_float16_from_float(v);
          std::memcpy(x.data() + i * 2, &h, 2);
        }
      }
      const std::vector<float> gamma = uniform(d, 7u, 0.5f, 1.5f);
      const std::vector<float> beta = uniform(d, 8u, -1.0f, 1.0f);
      const auto normalized = [&](std::int64_t offset) {
        bytes y(static_cast<std::size_t>((count + offset) * element));
        layer_norm(type, x.data(), rows, d, gamma.data(), beta.data(), 1e-5f,
                   y.data() + offset * element, nullptr, nullptr);
        y.erase(y.begin(), y.begin() + offset * element);
        return y;
      };
      const bytes aligned = normalized(0);
      for (const std::int64_t offset : {1, 4, 7}) {
        EXPECT_TRUE(normalized(offset) == aligned)
            << "layer norm type " << static_cast<int>(type) << " d " << d << " y offset " << offset
            << " on " << active_isa();
      }
    }
  }
  for (const layout order : {layout::nchw, layout::nhwc}) {
    // Planes of 1000 (NCHW) or channel rows of 1000 (NHWC).
    const std::int64_t n = cache / (2 * 1000 * 16 * 4) + 1;
    const shape s = order == layout::nchw ? shape{n, 16, 1000, order} : shape{n, 1000, 16, order};
    const std::int64_t count = s.n * s.c * s.spatial;
    floats x(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = values[i % values.size()];
    const std::vector<float> mean = uniform(s.c, 3u, 2.0f, 4.0f);
    const std::vector<float> var = uniform(s.c, 4u, 0.5f, 4.0f);
    const std::vector<float> gamma = uniform(s.c, 5u, 0.5f, 1.5f);
    const std::vector<float> beta = uniform(s.c, 6u, -1.0f, 1.0f);
    const auto normalized = [&](std::int64_t offset) {
      floats y(static_cast<std::size_t>(count + offset));
      batch_norm_inference(x.data(), s, mean.data(), var.data(), gamma.data(), beta.data(), 1e-5f,
                           y.data() + offset);
      y.erase(y.begin(), y.begin() + offset);
      return y;
    };
    const floats aligned = normalized(0);
    for (const std::int64_t offset : {1, 4, 7}) {
      EXPECT_EQ(std::memcmp(normalized(offset).data(), aligned.data(), aligned.size() * 4), 0)
          << "batch norm inference " << (order == layout::nchw ? "nchw" : "nhwc") << " y offset "
          << offset << " on " << active_isa();
    }
  }
}

}  // namespace
}  // namespace simdnorm::testing
