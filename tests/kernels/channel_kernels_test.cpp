// The per-channel kernels (kernels/channel_kernels.hpp) on every instruction
// set this CPU runs, against the scalar path: NCHW channel and plane
// moments, NHWC chunk moments (tiles of four vectors of channels, blocks of
// about 4096 floats of rows), and the per-channel affine normalisation, at
// channel counts and lengths around each tile, one less and one more; and
// the per-set factors and running normalisers, bit for bit.
#include "kernels/channel_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "dispatch/call_on_isa.hpp"
#include "half_float_support.hpp"
#include "kernel_tester.hpp"
#include "scalar/normalize.hpp"
#include "schedule/aligned_vector.hpp"
#include "statistics/activation_sets.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::kernel_testing {
namespace {

// The largest deviation from the set's first value and from its mean, the
// scales the bounds of kernel_tester.hpp are stated in.
struct set_scales {
  double largest = 0.0;
  double spread = 0.0;
};

set_scales scales_of(const statistics::strided_set& set, double mean) {
  set_scales scales;
  const double first = set.at(0);
  for (std::int64_t r = 0; r < set.runs; ++r) {
    for (std::int64_t i = 0; i < set.run_length; ++i) {
      const double v = set.at(r * set.run_stride + i);
      scales.largest = std::max(scales.largest, std::fabs(v - first));
      scales.spread = std::max(scales.spread, std::fabs(v - mean));
    }
  }
  return scales;
}

::testing::AssertionResult moments_near(const statistics::set_moments& got,
                                        const statistics::set_moments& want,
                                        const set_tolerance& t) {
  if (got.count != want.count) {
    return ::testing::AssertionFailure() << "count " << got.count << " != " << want.count;
  }
  const double mean_error = std::fabs(got.mean - want.mean);
  const double var_error = std::fabs(got.variance() - want.variance());
  if (mean_error <= t.mean && var_error <= t.variance * want.variance()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "mean " << got.mean << " vs " << want.mean << " (bound " << t.mean << "), variance "
         << got.variance() << " vs " << want.variance() << " (relative bound " << t.variance << ")";
}

// ---- NCHW channel and plane moments -------------------------------------------

// Each plane is reduced as a contiguous run (chains of at most 64 per lane,
// as the contiguous-set kernels), and a channel's planes merge in double.
void test_nchw_moments(dispatch::isa level, const shape& s, bool per_instance, float offset) {
  const std::vector<float> x = normal(
      s.n * s.c * s.spatial, static_cast<std::uint32_t>(s.c * 131 + s.spatial), offset, 1.0f);
  const std::int64_t count = per_instance ? s.n * s.c : s.c;
  std::vector<statistics::set_moments> got(static_cast<std::size_t>(count));
  const kernels::channel_moments_args args{x.data(), s, per_instance, got.data()};
  dispatch::call_on_isa(level, kernels::nchw_channel_moments_kernel{}, args, std::int64_t{0},
                        count);
  for (std::int64_t i = 0; i < count; ++i) {
    const statistics::strided_set set =
        per_instance ? statistics::strided_set{x.data() + i * s.spatial, 1, s.spatial, 0}
                     : statistics::channel_set(x.data(), s, i);
    const statistics::set_moments want = statistics::moments_of(set);
    // Each plane is shifted by its own first value, within the channel's
    // spread of the mean as every value is: deviations from it are at most
    // twice the spread.
    const set_scales scales = scales_of(set, want.mean);
    const set_tolerance t =
        chain_tolerance(64, 16, 2 * scales.spread, scales.spread, want.variance());
    EXPECT_TRUE(moments_near(got[static_cast<std::size_t>(i)], want, t))
        << (per_instance ? "plane " : "channel ") << i;
  }
}

class ChannelKernels : public ::testing::TestWithParam<dispatch::isa> {};

TEST_P(ChannelKernels, NchwChannelAndPlaneMomentsMatchTheScalarPath) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t spatial : around({1, lanes, 4 * lanes, 64 * 4 * lanes, 4096})) {
    for (bool per_instance : {false, true}) {
      // Channels enough for a full batch of planes and a partial one.
      const shape s{3, lanes + 3, spatial, layout::nchw};
      test_nchw_moments(GetParam(), s, per_instance, 0.0f);
      test_nchw_moments(GetParam(), s, per_instance, 1e4f);
    }
  }
}

// The moments' doubles, for same_bits: mean and m2 of each set in turn.
std::vector<double> moment_bits(const std::vector<statistics::set_moments>& sets) {
  std::vector<double> bits;
  for (const statistics::set_moments& set : sets) {
    bits.push_back(set.count);
    bits.push_back(set.mean);
    bits.push_back(set.m2);
  }
  return bits;
}

// Planes are measured a batch of neighbours at a time, up to a vector's
// width of them: a plane's bits must not depend on the batch (so not on the
// range a thread was given), and a channel's must be its planes' merged in
// sample order by statistics::merge, which is how the schedule merges the
// per-instance moments where it splits a channel along n (NaN and Inf
// planes included: an inlined copy of the merge gave another NaN there).
TEST_P(ChannelKernels, NchwPlanesGetTheSameBitsInAnyBatchAndMergeInSampleOrder) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t spatial : around({1, lanes, 49, 196, 1024, 4096})) {
    const shape s{3, 2 * lanes + 5, spatial, layout::nchw};
    const std::int64_t planes = s.n * s.c;
    std::vector<float> x =
        normal(planes * spatial, static_cast<std::uint32_t>(spatial), 1e4f, 1.0f);
    // A NaN in one plane, an Inf in another, both in a third.
    x[static_cast<std::size_t>(3 * spatial)] = std::numeric_limits<float>::quiet_NaN();
    x[static_cast<std::size_t>((s.c + 3) * spatial + spatial / 2)] =
        std::numeric_limits<float>::infinity();
    x[static_cast<std::size_t>((2 * s.c + 3) * spatial)] = -std::numeric_limits<float>::infinity();
    x[static_cast<std::size_t>((2 * s.c + 4) * spatial - 1)] =
        std::numeric_limits<float>::quiet_NaN();
    const auto moments = [&](bool per_instance, std::int64_t first, std::int64_t last,
                             std::vector<statistics::set_moments>& out) {
      const kernels::channel_moments_args args{x.data(), s, per_instance, out.data()};
      dispatch::call_on_isa(GetParam(), kernels::nchw_channel_moments_kernel{}, args, first, last);
    };
    std::vector<statistics::set_moments> whole(static_cast<std::size_t>(planes));
    moments(true, 0, planes, whole);
    std::vector<statistics::set_moments> channels(static_cast<std::size_t>(s.c));
    moments(false, 0, s.c, channels);
    std::vector<statistics::set_moments> merged(static_cast<std::size_t>(s.c));
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t c = 0; c < s.c; ++c) {
        merged[c] = statistics::merge(merged[c], whole[n * s.c + c]);
      }
    }
    EXPECT_TRUE(same_bits(moment_bits(channels), moment_bits(merged))) << "spatial " << spatial;
    // The same sets from ranges cut anywhere.
    for (std::int64_t cut : {std::int64_t{1}, std::int64_t{3}, lanes - 1, lanes + 2}) {
      std::vector<statistics::set_moments> pieces(static_cast<std::size_t>(planes));
      for (std::int64_t first = 0; first < planes; first += cut) {
        moments(true, first, std::min(first + cut, planes), pieces);
      }
      EXPECT_TRUE(same_bits(moment_bits(pieces), moment_bits(whole)))
          << "planes in ranges of " << cut << ", spatial " << spatial;
      std::vector<statistics::set_moments> channel_pieces(static_cast<std::size_t>(s.c));
      for (std::int64_t first = 0; first < s.c; first += cut) {
        moments(false, first, std::min(first + cut, s.c), channel_pieces);
      }
      EXPECT_TRUE(same_bits(moment_bits(channel_pieces), moment_bits(channels)))
          << "channels in ranges of " << cut << ", spatial " << spatial;
    }
    // Not vacuous: the non-finite planes reach their channels.
    EXPECT_TRUE(std::isnan(channels[3].mean) || std::isnan(channels[3].m2)) << spatial;
    EXPECT_TRUE(std::isfinite(channels[0].mean) && std::isfinite(channels[0].m2)) << spatial;
  }
}

// ---- NHWC chunk moments -------------------------------------------------------------

// The kernel's partial means and m2 (chunk-major) of x, rows x channels of
// type.
struct nhwc_partials {
  std::vector<double> mean, m2;
};

nhwc_partials nhwc_partials_of(dispatch::isa level, dtype type, const void* x, std::int64_t rows,
                               std::int64_t channels, std::int64_t rows_per_chunk,
                               kernels::channel_tiling tiling, bool copy_blocks) {
  const shape s{1, channels, rows, layout::nhwc};
  const std::int64_t chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
  // NaN where the kernel must write before it reads: the schedule leaves
  // all three uninitialised.
  const double unset = std::numeric_limits<double>::quiet_NaN();
  nhwc_partials out{std::vector<double>(static_cast<std::size_t>(chunks * channels), unset),
                    std::vector<double>(static_cast<std::size_t>(chunks * channels), unset)};
  std::vector<float> states(
      static_cast<std::size_t>(chunks * kernels::nhwc_channel_moments_args::states_per_channel *
                               channels),
      std::numeric_limits<float>::quiet_NaN());
  kernels::nhwc_channel_moments_args args{
      x, s, rows, rows_per_chunk, chunks, out.mean.data(), out.m2.data(), states.data()};
  args.type = type;
  args.tiling = tiling;
  args.copy_blocks = copy_blocks;
  dispatch::call_on_isa(level, kernels::nhwc_channel_moments_kernel{}, args, std::int64_t{0},
                        chunks);
  return out;
}

nhwc_partials nhwc_partials_of(dispatch::isa level, const std::vector<float>& x, std::int64_t rows,
                               std::int64_t channels, std::int64_t rows_per_chunk,
                               kernels::channel_tiling tiling, bool copy_blocks = false) {
  return nhwc_partials_of(level, dtype::float32, x.data(), rows, channels, rows_per_chunk, tiling,
                          copy_blocks);
}

// A chunk of rows is reduced in blocks of block_rows rows: each channel's
// lane sums block_rows terms in one float chain, then the block merges into
// the chunk's float state (a few roundings per merge).
void test_nhwc_moments(dispatch::isa level, std::int64_t rows, std::int64_t channels,
                       std::int64_t rows_per_chunk, float offset) {
  const std::vector<float> x =
      normal(rows * channels, static_cast<std::uint32_t>(rows * 977 + channels), offset, 1.0f);
  const std::int64_t chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
  const nhwc_partials narrow =
      nhwc_partials_of(level, x, rows, channels, rows_per_chunk, kernels::channel_tiling::four);
  // Tiles of eight vectors (AVX-512, where L1 holds them) and pipelined tiles
  // of four keep each lane's chains, copied blocks or not, so every partial
  // has the narrow uncopied tiles' bits.
  for (const auto tiling : {kernels::channel_tiling::four, kernels::channel_tiling::eight,
                            kernels::channel_tiling::pipelined}) {
    for (const bool copied : {false, true}) {
      if (tiling == kernels::channel_tiling::four && !copied) continue;
      const nhwc_partials other =
          nhwc_partials_of(level, x, rows, channels, rows_per_chunk, tiling, copied);
      EXPECT_TRUE(same_bits(narrow.mean, other.mean))
          << rows << " x " << channels << ", tiling " << static_cast<int>(tiling) << ", copied "
          << copied;
      EXPECT_TRUE(same_bits(narrow.m2, other.m2))
          << rows << " x " << channels << ", tiling " << static_cast<int>(tiling) << ", copied "
          << copied;
    }
  }
  const std::vector<double>& partial_mean = narrow.mean;
  const std::vector<double>& partial_m2 = narrow.m2;
  // kernels/channel_kernels-inl.hpp: max_block_rows, whatever the width.
  const std::int64_t block_rows = 64;
  for (std::int64_t k = 0; k < chunks; ++k) {
    const std::int64_t r0 = k * rows_per_chunk;
    const std::int64_t r1 = std::min(rows, r0 + rows_per_chunk);
    const double blocks = std::ceil(static_cast<double>(r1 - r0) / block_rows);
    for (std::int64_t c = 0; c < channels; ++c) {
      const statistics::strided_set set{x.data() + r0 * channels + c, r1 - r0, 1, channels};
      const statistics::set_moments want = statistics::moments_of(set);
      const set_scales scales = scales_of(set, want.mean);
      const set_tolerance t =
          chain_tolerance(static_cast<double>(std::min(block_rows, r1 - r0)), 4 * blocks + 8,
                          scales.largest, scales.spread, want.variance());
      const auto at = static_cast<std::size_t>(k * channels + c);
      const statistics::set_moments got{static_cast<double>(r1 - r0), partial_mean[at],
                                        partial_m2[at]};
      EXPECT_TRUE(moments_near(got, want, t)) << "chunk " << k << ", channel " << c;
    }
  }
}

TEST_P(ChannelKernels, NhwcChunkMomentsMatchTheScalarPathAroundEveryTile) {
  const std::int64_t lanes = lanes_of(GetParam());
  // Channels around a vector, a tile of four and one of eight, and past a
  // block's width; rows around a block of rows, two, and a window (4096 / C
  // rows, at least 256).
  for (std::int64_t channels : around({1, lanes, 4 * lanes, 8 * lanes, 12 * lanes})) {
    for (std::int64_t rows : around({64, 128, std::max<std::int64_t>(256, 4096 / channels)})) {
      test_nhwc_moments(GetParam(), rows, channels, 64, 0.0f);
      test_nhwc_moments(GetParam(), rows, channels, rows, 1e4f);
    }
  }
  test_nhwc_moments(GetParam(), 70, 4097, 64, 0.0f);  // wider than a block
  // Rows a whole number of KiB apart: blocks copied by their first sweep.
  for (std::int64_t channels : {256, 768}) {
    test_nhwc_moments(GetParam(), 130, channels, 64, 0.0f);
    test_nhwc_moments(GetParam(), 130, channels, 130, 1e4f);
  }
}

// Every channel count from `first` through `last`, then those of `wider`
// that are not a whole number of vectors of `lanes`.
std::vector<std::int64_t> channel_counts(std::int64_t first, std::int64_t last,
                                         std::initializer_list<std::int64_t> wider,
                                         std::int64_t lanes) {
  std::vector<std::int64_t> counts;
  for (std::int64_t channels = first; channels <= last; ++channels) counts.push_back(channels);
  for (const std::int64_t channels : wider) {
    if (channels % lanes != 0) counts.push_back(channels);
  }
  return counts;
}

TEST_P(ChannelKernels, NhwcTailChannelsGetTheBitsOfEachChannelAlone) {
  // The channels past a row's last whole vector (all of them in rows
  // narrower than a vector) go in a lane each of one vector
  // (channel_tail_blocks), loaded from the first of them into the next row,
  // and the last rows from a copy: each such channel's partials must be
  // those of its own values as a tensor of one channel, whatever its
  // neighbours hold. Chunks of 64 rows and longer; the buffers end where x
  // does. Within one window of blocks (at least 256 rows, 4096 / C where
  // that is more), as the tensor of one channel, whose window is 4096 rows:
  // a window's end merges the float states into the double partials.
  const std::int64_t lanes = lanes_of(GetParam());
  for (const std::int64_t channels :
       channel_counts(2, lanes - 1, {lanes + 1, lanes + lanes / 2, 4 * lanes - 1}, lanes)) {
    const std::int64_t longest = std::max<std::int64_t>(256, 4096 / channels);
    for (const std::int64_t rows : {std::int64_t{63}, std::int64_t{130}, longest}) {
      for (const std::int64_t rows_per_chunk : {std::int64_t{64}, rows}) {
        const std::vector<float> x =
            normal(rows * channels, static_cast<std::uint32_t>(rows * 31 + channels), 1e4f, 1.0f);
        const nhwc_partials all = nhwc_partials_of(GetParam(), x, rows, channels, rows_per_chunk,
                                                   kernels::channel_tiling::four);
        for (std::int64_t c = channels / lanes * lanes; c < channels; ++c) {
          std::vector<float> own(static_cast<std::size_t>(rows));
          for (std::int64_t r = 0; r < rows; ++r) {
            own[static_cast<std::size_t>(r)] = x[static_cast<std::size_t>(r * channels + c)];
          }
          const nhwc_partials alone = nhwc_partials_of(GetParam(), own, rows, 1, rows_per_chunk,
                                                       kernels::channel_tiling::four);
          for (std::size_t k = 0; k < alone.mean.size(); ++k) {
            const std::size_t at =
                k * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c);
            EXPECT_TRUE(same_bits(std::vector<double>{all.mean[at], all.m2[at]},
                                  std::vector<double>{alone.mean[k], alone.m2[k]}))
                << rows << " x " << channels << ", chunks of " << rows_per_chunk << ", chunk " << k
                << ", channel " << c;
          }
        }
      }
    }
  }
}

// bfloat16 and float16 blocks are widened as they are loaded, then take the
// float32 operations: every tiling, copied or not, gives the float32
// kernel's bits on the widened values. The schedule copies every 16-bit
// block where L1 holds 48 KiB or more (channel_steps.cpp,
// blocks_copied_for), so on such a CPU the uncopied 16-bit sweeps (what
// an L1 under 48 KiB runs) are tested here only. Channels around a tile of
// four and of eight; 512 channels put 16-bit rows 1 KiB apart.
TEST_P(ChannelKernels, SixteenBitNhwcChunkMomentsAreTheFloat32BitsOfTheWidenedValues) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (const dtype type : {dtype::bfloat16, dtype::float16}) {
    for (const std::int64_t channels :
         {lanes - 1, 4 * lanes - 1, 8 * lanes + 1, std::int64_t{512}}) {
      for (const float offset : {0.0f, 1e3f}) {
        const std::int64_t rows = 130;
        const std::vector<testing::bits16> x = testing::rounded(
            type, normal(rows * channels, static_cast<std::uint32_t>(channels * 31 + rows), offset,
                         1.0f));
        const nhwc_partials want = nhwc_partials_of(GetParam(), testing::widened(type, x), rows,
                                                    channels, 64, kernels::channel_tiling::four);
        for (const auto tiling : {kernels::channel_tiling::four, kernels::channel_tiling::eight,
                                  kernels::channel_tiling::pipelined}) {
          for (const bool copied : {false, true}) {
            const nhwc_partials got =
                nhwc_partials_of(GetParam(), type, x.data(), rows, channels, 64, tiling, copied);
            const std::string where =
                std::string(testing::name_of(type)) + " " + std::to_string(rows) + " x " +
                std::to_string(channels) + ", offset " + std::to_string(offset) + ", tiling " +
                std::to_string(static_cast<int>(tiling)) + ", copied " + std::to_string(copied);
            EXPECT_TRUE(same_bits(want.mean, got.mean)) << where;
            EXPECT_TRUE(same_bits(want.m2, got.m2)) << where;
          }
        }
      }
    }
  }
}

// A block whose lanes all equal their channel's shift (the chunk's first
// value) skips the largest-deviation sweep (finish_tile), and nothing else
// may: a block that is constant at another value, far from the shift, has
// m2 = 0 as well, and only the sweep finds its deviations out of float32's
// range, so that the chunk goes to the scalar path. Channel c holds 1 + c
// in its first two blocks; in the third, the odd channels jump to 2^60: a
// deviation past float32's safe 2^50 whose block sums are exact, so that
// the block's m2 is exactly 0 (with 1e30, rounded sums left it huge, and
// the sweep ran for that reason alone). Without the mean's test in
// finish_tile, the float32 merge gives these channels' m2 with a float's
// precision, 1e-8 off, not the scalar path's.
TEST_P(ChannelKernels, NhwcBlocksEqualToTheShiftAreExactAndOnlyThoseSkipTheSweep) {
  const std::int64_t lanes = lanes_of(GetParam());
  const std::int64_t rows = 3 * 64;
  for (std::int64_t channels : {lanes, 4 * lanes + 3, 8 * lanes}) {
    std::vector<float> x(static_cast<std::size_t>(rows * channels));
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < channels; ++c) {
        const bool jumps = r >= 128 && c % 2 == 1;
        x[static_cast<std::size_t>(r * channels + c)] =
            jumps ? 0x1p60f : 1.0f + static_cast<float>(c);
      }
    }
    for (const auto tiling : {kernels::channel_tiling::four, kernels::channel_tiling::eight,
                              kernels::channel_tiling::pipelined}) {
      for (const bool copied : {false, true}) {
        const nhwc_partials got =
            nhwc_partials_of(GetParam(), x, rows, channels, rows, tiling, copied);
        for (std::int64_t c = 0; c < channels; ++c) {
          const auto at = static_cast<std::size_t>(c);
          const std::string where = std::to_string(channels) + " channels, tiling " +
                                    std::to_string(static_cast<int>(tiling)) + ", copied " +
                                    std::to_string(copied) + ", channel " + std::to_string(c);
          if (c % 2 == 0) {
            EXPECT_EQ(got.mean[at], 1.0 + static_cast<double>(c)) << where;
            EXPECT_EQ(got.m2[at], 0.0) << where;
            continue;
          }
          const statistics::set_moments want =
              statistics::moments_of(statistics::strided_set{x.data() + c, rows, 1, channels});
          EXPECT_NEAR(got.mean[at], want.mean, 1e-12 * std::fabs(want.mean)) << where;
          EXPECT_NEAR(got.m2[at], want.m2, 1e-12 * want.m2) << where;
        }
      }
    }
  }
}

// ---- per-channel affine normalisation -------------------------------------------------

struct affine_case {
  shape s;
  bool per_instance;
};

// y = (x - hi) * scale + shift per channel or per (n, c), against the scalar
// path's ((x - hi) - lo) * scale + beta: the vector kernel folds lo into
// shift (kernels/normalize-inl.hpp), so the two round differently, by a few
// ulps of the terms.
std::vector<float> affine_by_kernel(dispatch::isa level, const affine_case& k,
                                    const std::vector<float>& x,
                                    const std::vector<statistics::set_normalizer>& sets,
                                    const std::vector<float>& gamma, const std::vector<float>& beta,
                                    bool stream_output = false, bool item_by_item = false,
                                    std::int64_t y_offset = 0) {
  std::vector<float> hi(sets.size()), scale(sets.size()), shift(sets.size());
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const std::size_t c = i % static_cast<std::size_t>(k.s.c);
    hi[i] = sets[i].hi;
    scale[i] = sets[i].rstd * gamma[c];
    shift[i] = beta[c] - sets[i].lo * scale[i];
  }
  // y_offset floats past a 64-byte boundary.
  std::vector<float, schedule::aligned_allocator<float, 64>> out(x.size() + 16);
  float* const y = out.data() + y_offset;
  const kernels::channel_affine_args args{x.data(),  k.s,          k.per_instance ? k.s.c : 0,
                                          hi.data(), scale.data(), shift.data(),
                                          y,         false,        stream_output};
  const std::int64_t items = k.s.layout == layout::nchw ? k.s.n * k.s.c : k.s.n * k.s.spatial;
  if (item_by_item) {
    for (std::int64_t i = 0; i < items; ++i) {
      dispatch::call_on_isa(level, kernels::channel_affine_kernel{}, args, i, i + 1);
    }
  } else {
    dispatch::call_on_isa(level, kernels::channel_affine_kernel{}, args, std::int64_t{0}, items);
  }
  return std::vector<float>(y, y + x.size());
}

// Normalisers with a two-part mean near 1e4, as a measured one has.
std::vector<statistics::set_normalizer> offset_normalizers(std::int64_t count) {
  const std::vector<float> means = normal(count, 7, 1e4f, 0.5f);
  const std::vector<float> rstds = uniform(count, 8, 0.5f, 2.0f);
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const statistics::split_mean m = statistics::split(means[i] + 3e-4);
    sets[i] = {m.hi, m.lo, rstds[i]};
  }
  return sets;
}

void test_affine(dispatch::isa level, const affine_case& k) {
  const std::int64_t count = k.s.n * k.s.c * k.s.spatial;
  const std::vector<float> x = normal(count, static_cast<std::uint32_t>(count + k.s.c), 1e4f, 1.0f);
  const std::int64_t set_count = k.per_instance ? k.s.n * k.s.c : k.s.c;
  const std::vector<statistics::set_normalizer> sets = offset_normalizers(set_count);
  const std::vector<float> gamma = uniform(k.s.c, 9, -2.0f, 2.0f);
  const std::vector<float> beta = uniform(k.s.c, 10, -1.0f, 1.0f);
  const std::vector<float> got = affine_by_kernel(level, k, x, sets, gamma, beta);
  // Non-temporal stores (outputs past the last-level cache) write the same
  // values: every vector whose address is aligned goes through them here.
  EXPECT_TRUE(same_bits(affine_by_kernel(level, k, x, sets, gamma, beta, true), got));
  std::vector<float> want(x.size());
  scalar::normalize(x.data(), want.data(), k.s, sets,
                    scalar::set_map{k.per_instance ? k.s.c : 0, 1}, gamma.data(), beta.data());
  EXPECT_TRUE(within(got, want,
                     [&](std::size_t i) {
                       const std::int64_t e = static_cast<std::int64_t>(i);
                       const std::int64_t c =
                           k.s.layout == layout::nchw ? (e / k.s.spatial) % k.s.c : e % k.s.c;
                       const std::int64_t n = e / (k.s.c * k.s.spatial);
                       const statistics::set_normalizer& set =
                           sets[static_cast<std::size_t>(k.per_instance ? n * k.s.c + c : c)];
                       const double scale =
                           std::fabs(set.rstd * gamma[static_cast<std::size_t>(c)]);
                       const double centred = std::fabs(x[i] - static_cast<double>(set.hi));
                       return 4 * unit_roundoff *
                              (centred * scale + std::fabs(beta[static_cast<std::size_t>(c)]) +
                               std::fabs(set.lo) * scale);
                     }))
      << (k.s.layout == layout::nchw ? "nchw" : "nhwc") << " c=" << k.s.c
      << " spatial=" << k.s.spatial;
}

TEST_P(ChannelKernels, AffineNormalizationMatchesTheScalarPathAroundEveryTail) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t size : around({1, lanes, 4 * lanes})) {
    for (bool per_instance : {false, true}) {
      // NCHW: planes ending at every tail; NHWC: rows of channels likewise.
      test_affine(GetParam(), {shape{2, 3, size, layout::nchw}, per_instance});
      test_affine(GetParam(), {shape{2, size, 3, layout::nhwc}, per_instance});
    }
  }
}

TEST_P(ChannelKernels, AnNhwcChannelGetsTheSameBitsWhereverTheRowEnds) {
  // Channel c of a row of C channels is a tail element for some C and a
  // vector lane for others: its value must not depend on which, so the
  // first C channels of a C + 1 channel tensor equal a C channel tensor's.
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t channels : around({lanes, 4 * lanes})) {
    const std::vector<float> x = normal(channels + 1, 11, 1e4f, 1.0f);
    std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(channels + 1));
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const statistics::split_mean m = statistics::split(1e4 + 1e-3 * static_cast<double>(i));
      sets[i] = {m.hi, m.lo, 1.0f + 0.01f * static_cast<float>(i)};
    }
    const std::vector<float> gamma = uniform(channels + 1, 12, -2.0f, 2.0f);
    const std::vector<float> beta = uniform(channels + 1, 13, -1.0f, 1.0f);
    const affine_case wide{shape{1, channels + 1, 1, layout::nhwc}, false};
    const affine_case narrow{shape{1, channels, 1, layout::nhwc}, false};
    std::vector<float> from_wide = affine_by_kernel(GetParam(), wide, x, sets, gamma, beta);
    from_wide.pop_back();
    const std::vector<float> from_narrow = affine_by_kernel(
        GetParam(), narrow, std::vector<float>(x.begin(), x.end() - 1),
        std::vector<statistics::set_normalizer>(sets.begin(), sets.end() - 1), gamma, beta);
    EXPECT_TRUE(same_bits(from_narrow, from_wide)) << channels << " channels";
  }
}

TEST_P(ChannelKernels, NhwcPositionsGetTheSameBitsInPairsAndWhereverYStarts) {
  // A range's NHWC positions go two at a time where they share their
  // factors and y does not stream (normalize_channel_pair, across samples
  // too where the factors are per channel); a range of one position goes
  // alone. An odd spatial size leaves a position without a partner. Rows of
  // 16 vectors or more whose y is off a vector boundary write a head one
  // element at a time (alignment_head), with the vector loop's operations:
  // the bits of an aligned y, streamed or not (a streamed y's lines go out
  // non-temporal but for one in 16, stored ordinarily: element_io-inl.hpp;
  // rows of 16 vectors give outputs of 60 lines or more: both kinds).
  const std::int64_t lanes = lanes_of(GetParam());
  for (const std::int64_t channels : {2 * lanes + 1, 16 * lanes, 16 * lanes + 3}) {
    for (const bool per_instance : {false, true}) {
      const affine_case k{shape{3, channels, 5, layout::nhwc}, per_instance};
      const std::vector<float> x = normal(3 * channels * 5, 14, 1e4f, 1.0f);
      const std::vector<statistics::set_normalizer> sets =
          offset_normalizers(per_instance ? 3 * channels : channels);
      const std::vector<float> gamma = uniform(channels, 15, -2.0f, 2.0f);
      const std::vector<float> beta = uniform(channels, 16, -1.0f, 1.0f);
      const std::vector<float> aligned = affine_by_kernel(GetParam(), k, x, sets, gamma, beta);
      for (const bool stream : {false, true}) {
        const std::string where = std::to_string(channels) + " channels, per instance " +
                                  std::to_string(per_instance) + ", stream " +
                                  std::to_string(stream);
        EXPECT_TRUE(
            same_bits(affine_by_kernel(GetParam(), k, x, sets, gamma, beta, stream, true), aligned))
            << where << ", one position at a time";
        for (const std::int64_t offset : {1, 3, 7}) {
          EXPECT_TRUE(same_bits(
              affine_by_kernel(GetParam(), k, x, sets, gamma, beta, stream, false, offset),
              aligned))
              << where << ", y " << offset << " floats off a 64-byte boundary";
        }
      }
    }
  }
}

TEST_P(ChannelKernels, NhwcRunsAcrossPositionsGetTheBitsOfOnePositionAtATime) {
  // Rows of at most a vector, and rows not a whole number of vectors, are
  // normalised as one run of elements per sample, or per range
  // (normalize_positions_as_run), their vectors across positions, those
  // that cross taking their factors from a table. One position at a time,
  // a row takes its whole vectors and then one element at a time (every
  // element, in rows narrower than a vector). Both must give the same bits,
  // for every offset of the channels across vectors, with y off a vector
  // boundary (a run of 16 vectors or more writes a head first), and
  // streamed.
  const std::int64_t lanes = lanes_of(GetParam());
  for (const std::int64_t channels : channel_counts(
           1, lanes, {lanes + 1, lanes + lanes / 2, 2 * lanes - 1, 4 * lanes + 3, 16 * lanes + 3},
           lanes)) {
    for (const bool per_instance : {false, true}) {
      const std::int64_t spatial = 16 * lanes + 5;
      const affine_case k{shape{3, channels, spatial, layout::nhwc}, per_instance};
      const std::vector<float> x = normal(3 * channels * spatial, 17, 1e4f, 1.0f);
      const std::vector<statistics::set_normalizer> sets =
          offset_normalizers(per_instance ? 3 * channels : channels);
      const std::vector<float> gamma = uniform(channels, 18, -2.0f, 2.0f);
      const std::vector<float> beta = uniform(channels, 19, -1.0f, 1.0f);
      const std::vector<float> one_at_a_time =
          affine_by_kernel(GetParam(), k, x, sets, gamma, beta, false, true);
      for (const bool stream : {false, true}) {
        for (const std::int64_t offset : {0, 1, 3, 7}) {
          EXPECT_TRUE(same_bits(
              affine_by_kernel(GetParam(), k, x, sets, gamma, beta, stream, false, offset),
              one_at_a_time))
              << channels << " channels, per instance " << per_instance << ", stream " << stream
              << ", y " << offset << " floats off a 64-byte boundary";
        }
      }
    }
  }
}

// ---- Per-set factors and running normalisers ---------------------------------

// The factors as channel_steps::normalize computed them one set at a time
// before they were vectorised: the kernel must give these bits.
void factors_one_at_a_time(const std::vector<statistics::set_normalizer>& sets,
                           std::int64_t channels, const float* gamma, const float* beta,
                           std::int64_t first, std::int64_t last, std::vector<float>& hi,
                           std::vector<float>& scale, std::vector<float>& shift) {
  for (std::int64_t i = first; i < last; ++i) {
    const auto at = static_cast<std::size_t>(i);
    const std::size_t c = static_cast<std::size_t>(i % channels);
    hi[at] = sets[at].hi;
    scale[at] = gamma != nullptr ? sets[at].rstd * gamma[c] : sets[at].rstd;
    const float lo_term = sets[at].lo * scale[at];
    shift[at] = std::isfinite(lo_term) || !std::isfinite(scale[at])
                    ? (beta != nullptr ? beta[c] : 0.0f) - lo_term
                    : std::copysign(std::numeric_limits<float>::max(), -lo_term);
  }
}

TEST_P(ChannelKernels, FactorsAreTheScalarFormulasBitForBitInAnyRange) {
  const std::int64_t lanes = lanes_of(GetParam());
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (std::int64_t channels : around({1, lanes, 4 * lanes})) {
    // Two samples' sets (per-instance factors), with the cases the
    // overflow guard and the non-finite values take mixed in.
    const std::int64_t count = 2 * channels;
    const std::vector<float> means = normal(count, 21, 1e4f, 10.0f);
    const std::vector<float> rstds = uniform(count, 22, 0.01f, 100.0f);
    std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const statistics::split_mean m = statistics::split(means[i] + 1e-4);
      sets[i] = {m.hi, m.lo, rstds[i]};
      switch (i % 7) {
        case 1:  // lo * scale overflows: shift is FLT_MAX of -lo's sign
          sets[i] = {1e35f, -3e31f, 4e15f};
          break;
        case 3:
          sets[i].rstd = inf;
          break;
        case 4:
          sets[i].rstd = nan;
          break;
        case 5:
          sets[i] = {-0.0f, 0.0f, 0.0f};
          break;
        default:
          break;
      }
    }
    const std::vector<float> gamma = uniform(channels, 23, -2.0f, 2.0f);
    const std::vector<float> beta = uniform(channels, 24, -1.0f, 1.0f);
    const std::int64_t ranges[][2] = {{0, count}, {1, count - 1}, {channels, count}, {0, 1}};
    for (const auto& range : ranges) {
      const std::int64_t first = range[0], last = range[1];
      if (first >= last) continue;
      for (const bool with_gamma : {true, false}) {
        for (const bool with_beta : {true, false}) {
          const float* g = with_gamma ? gamma.data() : nullptr;
          const float* b = with_beta ? beta.data() : nullptr;
          // Sets outside the range keep their sentinel.
          std::vector<float> hi(sets.size(), -7.0f), scale(sets.size(), -7.0f),
              shift(sets.size(), -7.0f);
          std::vector<float> want_hi = hi, want_scale = scale, want_shift = shift;
          const kernels::channel_factors_args args{sets.data(), channels,     g,           b,
                                                   hi.data(),   scale.data(), shift.data()};
          dispatch::call_on_isa(GetParam(), kernels::channel_factors_kernel{}, args, first, last);
          factors_one_at_a_time(sets, channels, g, b, first, last, want_hi, want_scale, want_shift);
          const std::string where = std::to_string(channels) + " channels, sets [" +
                                    std::to_string(first) + ", " + std::to_string(last) +
                                    "), gamma " + std::to_string(with_gamma) + ", beta " +
                                    std::to_string(with_beta);
          EXPECT_TRUE(same_bits(hi, want_hi)) << where;
          EXPECT_TRUE(same_bits(scale, want_scale)) << where;
          EXPECT_TRUE(same_bits(shift, want_shift)) << where;
        }
      }
    }
  }
}

TEST_P(ChannelKernels, RunningNormalizersAreRstdOfBitForBit) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t channels : around({1, lanes, 4 * lanes})) {
    std::vector<float> var = uniform(channels, 31, 0.0f, 4.0f);
    const std::vector<float> mean = normal(channels, 32, 0.0f, 3.0f);
    // Variances at the ends of float's range, where double's square root
    // and division are what keep rstd finite and exact.
    const float specials[] = {0.0f, 1e-45f, 1e-38f, 3e38f, std::numeric_limits<float>::infinity()};
    for (std::size_t i = 0; i < var.size(); i += 3) var[i] = specials[(i / 3) % 5];
    for (const float eps : {1e-5f, 1e-30f, 1e-3f}) {
      const std::int64_t first = channels > 2 ? 1 : 0;
      std::vector<statistics::set_normalizer> got(static_cast<std::size_t>(channels),
                                                  statistics::set_normalizer{-7.0f, -7.0f, -7.0f});
      const kernels::running_normalizers_args args{mean.data(), var.data(), eps, got.data()};
      dispatch::call_on_isa(GetParam(), kernels::running_normalizers_kernel{}, args, first,
                            channels);
      for (std::int64_t c = 0; c < channels; ++c) {
        const statistics::set_normalizer& set = got[static_cast<std::size_t>(c)];
        const std::size_t at = static_cast<std::size_t>(c);
        const std::vector<float> want =
            c < first ? std::vector<float>{-7.0f, -7.0f, -7.0f}
                      : std::vector<float>{mean[at], 0.0f, statistics::rstd_of(var[at], eps)};
        EXPECT_TRUE(same_bits({set.hi, set.lo, set.rstd}, want))
            << "channel " << c << " of " << channels << ", var " << var[at] << ", eps " << eps;
      }
    }
  }
}

// A batch-norm training call's normalisers from its channels' moments:
// normalizer_of's bits for every channel of a range, around the pieces of
// 64 and the double vectors, with means and variances at float's ends
// (the mean's second part, a non-finite mean's, rstd kept finite by
// double), and nothing written outside the range.
TEST_P(ChannelKernels, MomentNormalizersAreNormalizerOfBitForBit) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t channels : around({1, lanes, 64, 64 + 2 * lanes, 130})) {
    const std::vector<float> m2 = uniform(channels, 41, 0.0f, 400.0f);
    const std::vector<float> mean = normal(channels, 42, 1e4f, 3.0f);
    std::vector<statistics::set_moments> moments(static_cast<std::size_t>(channels));
    const double specials[][2] = {{0.0, 0.0}, {1e-300, 1e-45}, {-3e38, 1e300}, {1e39, 1e-38},
                                  {NAN, 1.0}, {INFINITY, 2.0}, {0.1, INFINITY}};
    for (std::int64_t c = 0; c < channels; ++c) {
      const auto at = static_cast<std::size_t>(c);
      moments[at] = statistics::set_moments{static_cast<double>(c % 7 + 2),
                                            static_cast<double>(mean[at]) + 1e-3 * c, m2[at]};
      if (c % 5 == 2) {
        moments[at].mean = specials[(c / 5) % 7][0];
        moments[at].m2 = specials[(c / 5) % 7][1];
      }
    }
    for (const float eps : {1e-5f, 1e-30f}) {
      const std::int64_t first = channels > 2 ? 1 : 0;
      const std::int64_t last = channels > 3 ? channels - 1 : channels;
      const statistics::set_normalizer unset{-7.0f, -7.0f, -7.0f};
      std::vector<statistics::set_normalizer> got(static_cast<std::size_t>(channels), unset);
      const kernels::moment_normalizers_args args{moments.data(), eps, got.data()};
      dispatch::call_on_isa(GetParam(), kernels::moment_normalizers_kernel{}, args, first, last);
      for (std::int64_t c = 0; c < channels; ++c) {
        const auto at = static_cast<std::size_t>(c);
        const statistics::set_normalizer want =
            c < first || c >= last
                ? unset
                : statistics::normalizer_of(moments[at].mean, moments[at].variance(), eps);
        const statistics::set_normalizer& set = got[at];
        EXPECT_TRUE(same_bits(std::vector<float>{set.hi, set.lo, set.rstd},
                              std::vector<float>{want.hi, want.lo, want.rstd}))
            << "channel " << c << " of " << channels << ", mean " << moments[at].mean << ", m2 "
            << moments[at].m2 << ", eps " << eps;
      }
    }
  }
}

TEST_P(ChannelKernels, ChunkMergesAreMergeWithBitForBit) {
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t channels : around({1, lanes, 4 * lanes})) {
    for (const std::int64_t chunks : {1, 2, 7}) {
      // Partials far apart (means around 1e4, spreads from 1e-3 to 1e3), so
      // that every merge's delta and cross terms count; chunks of 64 rows
      // but the last, as the schedule cuts them.
      const std::int64_t count = chunks * channels;
      const std::vector<float> means = normal(count, 41, 1e4f, 5.0f);
      const std::vector<float> spreads = uniform(count, 42, 1e-3f, 1e3f);
      std::vector<double> mean(means.begin(), means.end());
      std::vector<double> m2(spreads.begin(), spreads.end());
      std::vector<statistics::merge_weights> weights(static_cast<std::size_t>(chunks));
      for (std::int64_t k = 1; k < chunks; ++k) {
        weights[k] = statistics::merge_weights_of(64.0 * k, k + 1 < chunks ? 64.0 : 17.0);
      }
      // One channel at a time, as the schedule merged them before.
      std::vector<double> want_mean = mean, want_m2 = m2;
      const std::int64_t first = channels > 2 ? 1 : 0;
      for (std::int64_t c = first; c < channels; ++c) {
        for (std::int64_t k = 1; k < chunks; ++k) {
          const auto at = static_cast<std::size_t>(k * channels + c);
          const statistics::set_moments merged = statistics::merge_with(
              statistics::set_moments{0.0, want_mean[c], want_m2[c]},
              statistics::set_moments{0.0, want_mean[at], want_m2[at]}, weights[k]);
          want_mean[c] = merged.mean;
          want_m2[c] = merged.m2;
        }
      }
      const kernels::chunk_merge_args args{mean.data(), m2.data(), channels, chunks,
                                           weights.data()};
      dispatch::call_on_isa(GetParam(), kernels::chunk_merge_kernel{}, args, first, channels);
      // Channel 0 is outside the range (when first is 1), and chunks past the
      // first are only read: both as they were.
      EXPECT_TRUE(same_bits(mean, want_mean)) << channels << " channels, " << chunks << " chunks";
      EXPECT_TRUE(same_bits(m2, want_m2)) << channels << " channels, " << chunks << " chunks";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, ChannelKernels, ::testing::ValuesIn(runnable_levels()),
                         level_name);

}  // namespace
}  // namespace simdnorm::kernel_testing
