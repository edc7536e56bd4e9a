// The contiguous-set kernels (kernels/contiguous_set_kernels.hpp) on every
// instruction set this CPU runs, against the scalar path's kernels: rows of
// layer norm, RMS norm and weight norm, and NCHW groups (runs of one
// channel each), at lengths around every tile the kernels have: a vector,
// four accumulators, a 64-long float chain of them, a 4096-float block and a
// 16384-float chunk. Then each set alone and the chunked schedule, which
// must give the same bits as the whole-set kernel.
#include "kernels/contiguous_set_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/path.hpp"
#include "kernel_tester.hpp"
#include "scalar/methods.hpp"
#include "schedule/aligned_vector.hpp"
#include "schedule/contiguous_sets.hpp"
#include "statistics/set_chunks.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::kernel_testing {
namespace {

using kernels::set_norm_kind;

constexpr float eps = 1e-5f;

class ContiguousSetsTester {
 public:
  ContiguousSetsTester& kind(set_norm_kind k) {
    kind_ = k;
    return *this;
  }
  ContiguousSetsTester& sets(std::int64_t n) {
    sets_ = n;
    return *this;
  }
  ContiguousSetsTester& set_length(std::int64_t n) {
    set_length_ = n;
    return *this;
  }
  // 1: rows, affine parameters per element; more: NCHW groups, each set
  // set_length / run_length channels of run_length positions.
  ContiguousSetsTester& run_length(std::int64_t n) {
    run_length_ = n;
    return *this;
  }
  ContiguousSetsTester& offset(float value) {
    offset_ = value;
    return *this;
  }
  ContiguousSetsTester& scale(float value) {
    scale_ = value;
    return *this;
  }
  // Sets of constant values in place of random ones: set s holds
  // values[s % size] throughout, or, split, in its first half and the next
  // value in its second (a later block unlike the set's first value).
  ContiguousSetsTester& constant_sets(std::vector<float> values, bool split) {
    constants_ = std::move(values);
    split_ = split;
    return *this;
  }

  // Set s multiplied by factor: one set of a batch whose squares leave
  // float32's range, the others not.
  ContiguousSetsTester& scaled_set(std::int64_t s, float factor) {
    scaled_set_ = s;
    set_factor_ = factor;
    return *this;
  }

  void Test(dispatch::isa level) const {
    const std::int64_t count = sets_ * set_length_;
    const std::int64_t affine = run_length_ == 1 ? set_length_ : sets_ * set_length_ / run_length_;
    std::vector<float> x = normal(count, seed(), offset_, scale_);
    if (!constants_.empty()) {
      const auto size = static_cast<std::int64_t>(constants_.size());
      for (std::int64_t s = 0; s < sets_; ++s) {
        for (std::int64_t i = 0; i < set_length_; ++i) {
          const std::int64_t k = s + (split_ && 2 * i >= set_length_ ? 1 : 0);
          x[static_cast<std::size_t>(s * set_length_ + i)] =
              constants_[static_cast<std::size_t>(k % size)];
        }
      }
    }
    for (std::int64_t i = 0; scaled_set_ >= 0 && i < set_length_; ++i) {
      x[static_cast<std::size_t>(scaled_set_ * set_length_ + i)] *= set_factor_;
    }
    const std::vector<float> gamma = uniform(affine, seed() + 1, -2.0f, 2.0f);
    const std::vector<float> beta = uniform(affine, seed() + 2, -1.0f, 1.0f);
    const std::vector<float> gain = uniform(sets_, seed() + 3, 0.5f, 2.0f);

    outputs vector = fresh();
    const kernels::contiguous_sets_args args = args_of(x, gamma, beta, gain, vector);
    dispatch::call_on_isa(level, kernels::contiguous_sets_kernel{}, args, std::int64_t{0}, sets_);
    const outputs scalar = scalar_path(x, gamma, beta, gain);

    for (std::int64_t s = 0; s < sets_; ++s) check_set(s, x, gamma, beta, vector, scalar);

    // A set's bits do not depend on its neighbours: short sets are reduced a
    // vector's width at a time, and thread counts cut sets into different
    // ranges, so every set alone must match the batch it was in.
    outputs alone = fresh();
    const kernels::contiguous_sets_args alone_args = args_of(x, gamma, beta, gain, alone);
    for (std::int64_t s = 0; s < sets_; ++s) {
      dispatch::call_on_isa(level, kernels::contiguous_sets_kernel{}, alone_args, s, s + 1);
    }
    EXPECT_TRUE(same_bits(alone.y, vector.y));
    EXPECT_TRUE(same_bits(alone.mean, vector.mean));
    EXPECT_TRUE(same_bits(alone.rstd, vector.rstd));
    EXPECT_TRUE(same_bits(alone.norm, vector.norm));

    // Nor on the group it is in: one set a group (the schedule's choice for
    // float32 rows near or past L2 on Intel, thread_policy.hpp) gives the same
    // bits, whether or not the rows are of a length whose sweeps it unrolls.
    outputs one_a_group = fresh();
    kernels::contiguous_sets_args one_a_group_args = args_of(x, gamma, beta, gain, one_a_group);
    one_a_group_args.one_row_a_group = true;
    dispatch::call_on_isa(level, kernels::contiguous_sets_kernel{}, one_a_group_args,
                          std::int64_t{0}, sets_);
    EXPECT_TRUE(same_bits(one_a_group.y, vector.y));
    EXPECT_TRUE(same_bits(one_a_group.mean, vector.mean));
    EXPECT_TRUE(same_bits(one_a_group.rstd, vector.rstd));
    EXPECT_TRUE(same_bits(one_a_group.norm, vector.norm));

    // Nor on where x and y start: an output off a vector boundary is written
    // one element at a time up to it (alignment_head), with the vector
    // loop's operations, so the same bits; x off by as much, or by another
    // amount. Nor on where x starts in its 4 KiB page, which decides where
    // a call's groups of rows begin (rows_to_group_phase): 256, 2048 and
    // 4032 bytes in. Offsets in floats from a page boundary.
    for (const auto& [x_offset, y_offset] : std::vector<std::pair<std::int64_t, std::int64_t>>{
             {1, 1}, {3, 3}, {0, 5}, {7, 2}, {64, 0}, {512, 16}, {1008, 3}}) {
      using aligned = std::vector<float, schedule::aligned_allocator<float, 4096>>;
      aligned x_at(static_cast<std::size_t>(count + 1024));
      aligned y_at(static_cast<std::size_t>(count + 1024));
      std::copy(x.begin(), x.end(), x_at.begin() + x_offset);
      // In groups and one set a group (whose rows of a known length take
      // their unrolled sweeps only where y has no head).
      for (const bool one_set_a_group : {false, true}) {
        outputs moved = fresh();
        kernels::contiguous_sets_args moved_args = args_of(x, gamma, beta, gain, moved);
        moved_args.x = x_at.data() + x_offset;
        moved_args.y = y_at.data() + y_offset;
        moved_args.one_row_a_group = one_set_a_group;
        dispatch::call_on_isa(level, kernels::contiguous_sets_kernel{}, moved_args, std::int64_t{0},
                              sets_);
        const std::vector<float> y(y_at.begin() + y_offset, y_at.begin() + y_offset + count);
        EXPECT_TRUE(same_bits(y, vector.y))
            << "x and y " << x_offset << " and " << y_offset
            << " floats off a page boundary, one set a group: " << one_set_a_group;
        EXPECT_TRUE(same_bits(moved.mean, vector.mean));
        EXPECT_TRUE(same_bits(moved.rstd, vector.rstd));
        EXPECT_TRUE(same_bits(moved.norm, vector.norm));
      }
    }

    // The chunked schedule (sets fewer than threads) must not change a bit.
    // A path of 8 threads makes it cut every set longer than a chunk.
    outputs chunked = fresh();
    const dispatch::path eight{level, 8};
    schedule::normalize_contiguous_sets(eight, args_of(x, gamma, beta, gain, chunked), sets_);
    EXPECT_TRUE(same_bits(chunked.y, vector.y));
    EXPECT_TRUE(same_bits(chunked.mean, vector.mean));
    EXPECT_TRUE(same_bits(chunked.rstd, vector.rstd));
    EXPECT_TRUE(same_bits(chunked.norm, vector.norm));
  }

 private:
  struct outputs {
    std::vector<float> y, mean, rstd, norm;
    std::vector<unsigned char> unscaled;
  };

  std::uint32_t seed() const {
    return static_cast<std::uint32_t>(set_length_ * 7919 + run_length_ * 104729 + sets_ * 31 +
                                      static_cast<int>(kind_));
  }

  outputs fresh() const {
    const auto per_set = static_cast<std::size_t>(sets_);
    return {std::vector<float>(static_cast<std::size_t>(sets_ * set_length_)),
            std::vector<float>(per_set), std::vector<float>(per_set), std::vector<float>(per_set),
            std::vector<unsigned char>(per_set, 0)};
  }

  kernels::contiguous_sets_args args_of(const std::vector<float>& x,
                                        const std::vector<float>& gamma,
                                        const std::vector<float>& beta,
                                        const std::vector<float>& gain, outputs& out) const {
    const bool weight = kind_ == set_norm_kind::weight;
    return {kind_,
            x.data(),
            set_length_,
            run_length_,
            run_length_ == 1 ? 1 : sets_,
            weight ? nullptr : gamma.data(),
            weight ? nullptr : beta.data(),
            eps,
            out.y.data(),
            kind_ == set_norm_kind::standardize ? out.mean.data() : nullptr,
            weight ? nullptr : out.rstd.data(),
            weight ? gain.data() : nullptr,
            weight ? out.norm.data() : nullptr,
            weight ? out.unscaled.data() : nullptr};
  }

  outputs scalar_path(const std::vector<float>& x, const std::vector<float>& gamma,
                      const std::vector<float>& beta, const std::vector<float>& gain) const {
    outputs out = fresh();
    switch (kind_) {
      case set_norm_kind::standardize:
        if (run_length_ == 1) {
          scalar::layer_norm(x.data(), sets_, set_length_, gamma.data(), beta.data(), eps,
                             out.y.data(), out.mean.data(), out.rstd.data());
        } else {
          const shape s{1, sets_ * set_length_ / run_length_, run_length_, layout::nchw};
          scalar::group_norm(dtype::float32, x.data(), s, sets_, gamma.data(), beta.data(), eps,
                             activation::none, out.y.data(), out.mean.data(), out.rstd.data());
        }
        break;
      case set_norm_kind::rms:
        scalar::rms_norm(x.data(), sets_, set_length_, gamma.data(), beta.data(), eps, out.y.data(),
                         out.rstd.data());
        break;
      case set_norm_kind::weight:
        scalar::weight_norm(x.data(), gain.data(), sets_, set_length_, out.y.data(),
                            out.norm.data());
        break;
    }
    return out;
  }

  // The vector kernel reduces a set in chains of at most 64 additions per
  // lane (kernels/block_statistics-inl.hpp); the steps around them (the
  // horizontal sum of four accumulators, the block mean rounded to float,
  // the squares' correction) add a few more roundings, counted as 16.
  void check_set(std::int64_t s, const std::vector<float>& x, const std::vector<float>& gamma,
                 const std::vector<float>& beta, const outputs& vector,
                 const outputs& scalar) const {
    const float* set = x.data() + s * set_length_;
    const statistics::set_moments exact =
        statistics::moments_of(statistics::strided_set{set, 1, set_length_, 0});
    double largest = 0.0, spread = 0.0, square = 0.0;
    for (std::int64_t i = 0; i < set_length_; ++i) {
      largest = std::max(largest, std::fabs(static_cast<double>(set[i]) - set[0]));
      spread = std::max(spread, std::fabs(set[i] - exact.mean));
      square = std::max(square, static_cast<double>(set[i]) * set[i]);
    }
    const double u = unit_roundoff;
    const std::string where = "set " + std::to_string(s);
    const std::size_t at = static_cast<std::size_t>(s);
    double rstd_error = 0.0, mean_error = 0.0;  // of the factors y is made with
    if (kind_ == set_norm_kind::standardize) {
      const double var = exact.variance();
      const set_tolerance t = chain_tolerance(64, 16, largest, spread, var);
      // Both outputs are rounded to float: one more ulp of each.
      EXPECT_LE(std::fabs(vector.mean[at] - static_cast<double>(scalar.mean[at])),
                t.mean + 2 * u * std::fabs(exact.mean))
          << where;
      // rstd = (var + eps)^(-1/2): half var's relative error, eps damping it.
      mean_error = t.mean;
      rstd_error = (t.variance / 2.0 * var / (var + eps) + 2 * u) * scalar.rstd[at];
      EXPECT_LE(std::fabs(vector.rstd[at] - static_cast<double>(scalar.rstd[at])), rstd_error)
          << where;
    } else {
      // A sum of squares: positive terms, relative error at most the chain's
      // length in ulps, plus the steps around the chains.
      const double relative = (64 + 16) * u;
      if (kind_ == set_norm_kind::rms) {
        rstd_error = (relative / 2.0 + 2 * u) * scalar.rstd[at];
        EXPECT_LE(std::fabs(vector.rstd[at] - static_cast<double>(scalar.rstd[at])), rstd_error)
            << where;
      } else {
        EXPECT_LE(std::fabs(vector.norm[at] - static_cast<double>(scalar.norm[at])),
                  (relative / 2.0 + 2 * u) * scalar.norm[at])
            << where;
      }
    }
    // y: the factors' errors carried to each output, plus a few roundings of
    // the normalisation itself on either path (subtraction, two multiply-adds
    // against three operations), 8 ulps of the terms.
    const std::vector<float> got(vector.y.begin() + s * set_length_,
                                 vector.y.begin() + (s + 1) * set_length_);
    const std::vector<float> want(scalar.y.begin() + s * set_length_,
                                  scalar.y.begin() + (s + 1) * set_length_);
    const double rstd = kind_ == set_norm_kind::weight ? 0.0 : scalar.rstd[at];
    EXPECT_TRUE(within(got, want, [&](std::size_t i) {
      const double value = set[i];
      if (kind_ == set_norm_kind::weight) {
        return (64 + 16) * u * std::fabs(want[i]) + 8 * u * std::fabs(want[i]);
      }
      const std::int64_t feature =
          run_length_ == 1 ? static_cast<std::int64_t>(i)
                           : (s * set_length_ + static_cast<std::int64_t>(i)) / run_length_;
      const double g = std::fabs(gamma[static_cast<std::size_t>(feature)]);
      const double b = std::fabs(beta[static_cast<std::size_t>(feature)]);
      const double centred =
          kind_ == set_norm_kind::standardize ? std::fabs(value - exact.mean) : std::fabs(value);
      return g * (rstd * mean_error + centred * rstd_error) + 8 * u * (centred * rstd * g + b);
    })) << where;
  }

  set_norm_kind kind_ = set_norm_kind::standardize;
  // More than one batch of the widest vector (16 sets), the last one partial.
  std::int64_t sets_ = 19;
  std::int64_t set_length_ = 1;
  std::int64_t run_length_ = 1;
  float offset_ = 0.0f;
  float scale_ = 1.0f;
  std::vector<float> constants_;
  bool split_ = false;
  std::int64_t scaled_set_ = -1;
  float set_factor_ = 1.0f;
};

// Lengths around each tile of a kernel of this many lanes: a vector, two,
// four and eight (the short rows kept in registers, eight on AVX-512), one
// 64-long chain of four, a
// block, a chunk, and a set of several chunks; and the lengths whose sweeps
// one set a group unrolls (kernels::known_row_lengths).
std::vector<std::int64_t> set_lengths(std::int64_t lanes) {
  std::vector<std::int64_t> lengths =
      around({1, lanes, 2 * lanes, 4 * lanes, 8 * lanes, 64 * 4 * lanes, 4096, 2 * 4096,
              statistics::chunk_floats, 2 * statistics::chunk_floats});
  lengths.insert(lengths.end(), std::begin(kernels::known_row_lengths),
                 std::end(kernels::known_row_lengths));
  return lengths;
}

class ContiguousSetKernels : public ::testing::TestWithParam<dispatch::isa> {};

TEST_P(ContiguousSetKernels, LayerNormRowsMatchTheScalarPathAroundEveryTile) {
  for (std::int64_t length : set_lengths(lanes_of(GetParam()))) {
    ContiguousSetsTester().set_length(length).Test(GetParam());
  }
}

TEST_P(ContiguousSetKernels, LayerNormRowsOfOffsetDataMatchTheScalarPath) {
  // 1e4 + N(0, 1): the shift by the set's first value is what keeps these.
  for (std::int64_t length : set_lengths(lanes_of(GetParam()))) {
    ContiguousSetsTester().set_length(length).offset(1e4f).Test(GetParam());
  }
}

TEST_P(ContiguousSetKernels, HugeAndTinyRowsTakeTheScalarStatisticsAndMatch) {
  // Squares past float32's range in some blocks: those sets are redone on
  // the scalar path, which must show at block and chunk boundaries alike.
  const std::int64_t lanes = lanes_of(GetParam());
  std::vector<std::int64_t> lengths = around({4 * lanes, 4096, statistics::chunk_floats});
  lengths.insert(lengths.end(), std::begin(kernels::known_row_lengths),
                 std::end(kernels::known_row_lengths));
  for (std::int64_t length : lengths) {
    ContiguousSetsTester().set_length(length).scale(1e25f).Test(GetParam());
    ContiguousSetsTester().set_length(length).scale(1e-25f).Test(GetParam());
  }
  // One such row in a full batch of short rows, the rest ordinary: the
  // batch leaves the register kernel (short_row_statistics-inl.hpp) for the
  // general path, which redoes that row alone.
  for (std::int64_t length : {lanes, 2 * lanes, 4 * lanes, 8 * lanes}) {
    for (const set_norm_kind kind : {set_norm_kind::standardize, set_norm_kind::rms}) {
      ContiguousSetsTester().kind(kind).set_length(length).scaled_set(5, 1e25f).Test(GetParam());
      ContiguousSetsTester().kind(kind).set_length(length).scaled_set(5, 1e-25f).Test(GetParam());
    }
  }
}

// Constant sets skip the largest-deviation sweep when their value is 2^-30
// or more (block_statistics-inl.hpp, squares_safe); below it (1e-20 and
// 1e-40 are unsafe: their deviations' squares underflow), and in sets whose
// second half holds another constant (a later block unlike the set's first
// value), the sweep decides as before.
TEST_P(ContiguousSetKernels, ConstantRowsMatchTheScalarPath) {
  // (Not -2e37 or -1e38: RMS norm of such a row, at 4097 features, differs
  // from the scalar path's by about 1.4e-8 where y = gamma * x / rms + beta
  // cancels to 0.01, past this tester's bound, with or without the skipped
  // sweep; the huge-row tests above cover that range.)
  const std::vector<float> constants = {9984.0f, 0x1p-30f, 0x1p-31f, 1e-20f, 1e-40f, 0.0f,
                                        -0.0f,   -3.0f,    1e30f,    1e-30f, 1.0f,   -7.5f};
  // 1e-30 and the float after it: deviations whose squares underflow, so a
  // square sum of 0 from a set that is not constant.
  const std::vector<float> two_constants = {
      9984.0f, 9984.5f, 0x1p-30f, 1.0f, 1e-20f, -3.0f, 1e-30f, std::nextafter(1e-30f, 1.0f)};
  const std::int64_t lanes = lanes_of(GetParam());
  std::vector<std::int64_t> lengths =
      around({lanes, 2 * lanes, 4 * lanes, 8 * lanes, 4096, 2 * 4096});
  lengths.insert(lengths.end(), std::begin(kernels::known_row_lengths),
                 std::end(kernels::known_row_lengths));
  for (std::int64_t length : lengths) {
    for (const set_norm_kind kind : {set_norm_kind::standardize, set_norm_kind::rms}) {
      ContiguousSetsTester()
          .kind(kind)
          .set_length(length)
          .constant_sets(constants, false)
          .Test(GetParam());
      ContiguousSetsTester()
          .kind(kind)
          .set_length(length)
          .constant_sets(two_constants, true)
          .Test(GetParam());
    }
  }
}

TEST_P(ContiguousSetKernels, RowsInGroupsThatTileOrFillPagesMatchAtEveryPagePhase) {
  // Enough rows (16 groups and a partial one) that a call's first group
  // starts where x's page phase puts it (rows_to_group_phase), for every
  // row length whose groups are whole pages or tile a page, in float32.
  for (std::int64_t length : {16, 32, 64, 128, 256, 512}) {
    ContiguousSetsTester().sets(16 * 16 + 5).set_length(length).Test(GetParam());
    ContiguousSetsTester()
        .kind(set_norm_kind::rms)
        .sets(16 * 16 + 5)
        .set_length(length)
        .offset(1e4f)
        .Test(GetParam());
  }
}

TEST_P(ContiguousSetKernels, RmsNormRowsMatchTheScalarPathAroundEveryTile) {
  for (std::int64_t length : set_lengths(lanes_of(GetParam()))) {
    ContiguousSetsTester().kind(set_norm_kind::rms).set_length(length).Test(GetParam());
  }
}

TEST_P(ContiguousSetKernels, WeightNormRowsMatchTheScalarPathAroundEveryTile) {
  for (std::int64_t length : set_lengths(lanes_of(GetParam()))) {
    ContiguousSetsTester().kind(set_norm_kind::weight).set_length(length).Test(GetParam());
  }
}

TEST_P(ContiguousSetKernels, NchwGroupsMatchTheScalarPathAroundEveryRunTail) {
  // Groups of two channels whose runs (planes) end at every vector tail, and
  // planes that straddle a chunk.
  const std::int64_t lanes = lanes_of(GetParam());
  for (std::int64_t run : around({lanes, 4 * lanes, 4096, statistics::chunk_floats / 2})) {
    ContiguousSetsTester().set_length(2 * run).run_length(run).Test(GetParam());
    ContiguousSetsTester().set_length(2 * run).run_length(run).offset(1e4f).Test(GetParam());
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, ContiguousSetKernels, ::testing::ValuesIn(runnable_levels()),
                         level_name);

}  // namespace
}  // namespace simdnorm::kernel_testing
