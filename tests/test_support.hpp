// What every simdnorm test shares: seeded data, sentinel-filled outputs, the
// comparison of a float32 result with the float64 oracle, layout transposes
// and the shape lists the suites sweep. Header only: the test binary is the
// only user.
#ifndef SIMDNORM_TESTS_TEST_SUPPORT_HPP_
#define SIMDNORM_TESTS_TEST_SUPPORT_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm {

// Lets gtest print a shape in failure messages.
inline void PrintTo(const shape& s, std::ostream* os) {
  *os << "{n=" << s.n << ", c=" << s.c << ", spatial=" << s.spatial << ", "
      << (s.layout == layout::nchw ? "nchw" : "nhwc") << "}";
}

}  // namespace simdnorm

namespace simdnorm::testing {

// ---- seeded data ------------------------------------------------------------

// count draws of N(mean, stddev), the same for the same seed on every run.
inline std::vector<float> normal(std::int64_t count, std::uint32_t seed, float mean = 0.0f,
                                 float stddev = 1.0f) {
  std::mt19937 engine(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(static_cast<std::size_t>(count));
  for (float& e : v) e = dist(engine);
  return v;
}

// 1e4 + N(0, 1): the data on which E[x^2] - E[x]^2 in float32 loses every
// digit of the variance (DESIGN.md section 2).
inline std::vector<float> offset_normal(std::int64_t count, std::uint32_t seed) {
  return normal(count, seed, 1e4f, 1.0f);
}

inline std::vector<float> constant(std::int64_t count, float value) {
  return std::vector<float>(static_cast<std::size_t>(count), value);
}

inline std::vector<float> uniform(std::int64_t count, std::uint32_t seed, float lo, float hi) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<std::size_t>(count));
  for (float& e : v) e = dist(engine);
  return v;
}

// A pointer to v's data, or nullptr when v is empty (an optional argument
// left out).
inline const float* data_or_null(const std::vector<float>& v) {
  return v.empty() ? nullptr : v.data();
}
inline float* data_or_null(std::vector<float>& v) { return v.empty() ? nullptr : v.data(); }

// ---- sentinel-filled outputs -------------------------------------------------

// A signalling-NaN bit pattern no kernel computes: an output still holding it
// was never written.
constexpr std::uint32_t sentinel_bits = 0x7fa5a5a5u;

inline std::vector<float> sentinel_buffer(std::int64_t count) {
  std::vector<float> v(static_cast<std::size_t>(count));
  for (float& e : v) std::memcpy(&e, &sentinel_bits, sizeof e);
  return v;
}

// Whether two buffers hold the same bytes (NaN payloads included). Two
// empty ones (buffers a call leaves out) are alike; memcmp may not be given
// their null data.
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// ---- thread settings ----------------------------------------------------------

// Whether calls run on a vector path: the scalar path runs every call on the
// calling thread, whatever the thread settings.
inline bool vector_path() { return std::string(active_isa()) != "scalar"; }

// Puts the thread settings back to oneTBB without a cap when a test ends,
// however it ends: they are the process's, and the next test's.
struct default_threads_at_exit {
  ~default_threads_at_exit() {
    set_parallel_for(nullptr, nullptr, 0);
    set_max_threads(0);
  }
};

// ---- comparing with the float64 oracle -------------------------------------------

inline double max_abs(const std::vector<float>& v) {
  double m = 0.0;
  for (float e : v) m = std::max(m, std::fabs(static_cast<double>(e)));
  return m;
}

// max |got - ref|; NaN when any element is NaN on one side only (or sizes
// differ), so that a NaN never passes an EXPECT_LE.
inline double max_abs_error(const std::vector<float>& got, const std::vector<double>& ref) {
  if (got.size() != ref.size()) return std::nan("");
  double worst = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]);
    if (std::isnan(g) && std::isnan(ref[i])) continue;
    const double e = std::fabs(g - ref[i]);
    if (std::isnan(e)) return e;
    worst = std::max(worst, e);
  }
  return worst;
}

// Element i passes when |got - ref| <= abs + rel * |ref|; a NaN reference
// needs a NaN result, any other reference a finite one.
struct tolerance {
  double abs;
  double rel;
};

inline ::testing::AssertionResult all_near(const std::vector<float>& got,
                                           const std::vector<double>& ref, tolerance tol) {
  if (got.size() != ref.size()) {
    return ::testing::AssertionFailure()
           << "size " << got.size() << " != reference size " << ref.size();
  }
  std::size_t bad = 0;
  std::size_t first = 0;
  double worst_excess = -1.0;
  std::size_t worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = static_cast<double>(got[i]);
    const double r = ref[i];
    const double limit = tol.abs + tol.rel * std::fabs(r);
    double excess;
    if (std::isnan(r)) {
      excess = std::isnan(g) ? 0.0 : INFINITY;
    } else if (!std::isfinite(g)) {
      excess = std::isinf(r) && g == r ? 0.0 : INFINITY;
    } else {
      excess = std::fabs(g - r) - limit;
    }
    if (excess > 0.0) {
      if (bad++ == 0) first = i;
      if (excess > worst_excess) {
        worst_excess = excess;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  std::ostringstream out;
  out.precision(9);
  out << bad << " of " << got.size() << " elements off (first at " << first << "); worst at "
      << worst << ": got " << got[worst] << ", reference " << ref[worst] << ", error "
      << std::fabs(static_cast<double>(got[worst]) - ref[worst]) << " > "
      << tol.abs + tol.rel * std::fabs(ref[worst]) << " (abs " << tol.abs << " + rel " << tol.rel
      << "); max abs error " << max_abs_error(got, ref);
  return ::testing::AssertionFailure() << out.str();
}

// float32 results compared with float32 results of another call.
inline std::vector<double> widen(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// ---- tolerances ----------------------------------------------------------------------
//
// The kernels compute in float32 with shifted single-pass Welford/Chan
// statistics and subtract-first normalisation, so a normalised value
// xhat = (x - mean) * rstd carries a few float32 ulps of error relative to
// max(1, |xhat|) (|xhat| stays below ~5 on the N(0, 1) test data; one ulp at
// 4 is 4.8e-7), growing mildly with the set size through the statistics.
// 1e-5 leaves a 10-20x margin over that and still fails loudly on any real
// mistake (a wrong set, a missing shift: errors of 1e-3 and more).

// y = xhat * gamma + beta: the xhat error scaled by |gamma|; the relative
// part covers the rounding of large outputs (|beta| or |xhat * gamma| > 1).
inline tolerance output_tolerance(const std::vector<float>& gamma = {}) {
  return {1e-5 * std::max(1.0, max_abs(gamma)), 1e-6};
}
// Means: error a few ulps of the data's scale (standard deviation 1 here) or
// of the mean itself when it is larger, so absolute 1e-5 plus relative 1e-5.
constexpr tolerance mean_tolerance{1e-5, 1e-5};
// rstd, variances, running variances: relative 1e-5 (a few ulps of the
// float32 variance and of the square root).
constexpr tolerance rstd_tolerance{0.0, 1e-5};

// ---- layouts -----------------------------------------------------------------------

inline std::int64_t element_count(const shape& s) { return s.n * s.c * s.spatial; }

// Transposes each of n consecutive rows x cols matrices to cols x rows: the
// move between NCHW (c x spatial per sample) and NHWC (spatial x c).
template <class T>
std::vector<T> transpose_samples(const std::vector<T>& x, std::int64_t n, std::int64_t rows,
                                 std::int64_t cols) {
  std::vector<T> y(x.size());
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t k = 0; k < cols; ++k) {
        y[static_cast<std::size_t>((i * cols + k) * rows + r)] =
            x[static_cast<std::size_t>((i * rows + r) * cols + k)];
      }
    }
  }
  return y;
}

template <class T>
std::vector<T> nchw_to_nhwc(const std::vector<T>& x, std::int64_t n, std::int64_t c,
                            std::int64_t spatial) {
  return transpose_samples(x, n, c, spatial);
}

template <class T>
std::vector<T> nhwc_to_nchw(const std::vector<T>& x, std::int64_t n, std::int64_t c,
                            std::int64_t spatial) {
  return transpose_samples(x, n, spatial, c);
}

// Index of element (sample, channel, position) in s's layout.
inline std::int64_t offset(const shape& s, std::int64_t n, std::int64_t c, std::int64_t p) {
  return s.layout == layout::nchw ? (n * s.c + c) * s.spatial + p : (n * s.spatial + p) * s.c + c;
}

// ---- shapes swept ------------------------------------------------------------------
//
// One shape per path, not many shapes per path: every suite that sweeps
// shapes runs each method over all of these, so a shape that reaches no path
// the others miss only costs time.

// Activation shapes (layout set by the caller). N = 1, C = 1, spatial = 1;
// the tails of every vector width and of its 4x unroll (3, 5, 15, 17, 31, 33,
// 63, 65, 127) both in C (the vector axis of NHWC) and in spatial (that of
// NCHW); then the sizes that reach the blocked and threaded paths.
inline std::vector<shape> activation_shapes() {
  return {
      {1, 1, 1, layout::nchw},  // one value per channel: training refuses it
      {2, 1, 7, layout::nchw},
      {3, 13, 1, layout::nchw},
      {1, 3, 5, layout::nchw},
      {2, 5, 3, layout::nchw},
      {1, 15, 17, layout::nchw},
      {2, 17, 15, layout::nchw},
      {1, 31, 33, layout::nchw},
      {1, 33, 31, layout::nchw},
      {2, 63, 65, layout::nchw},
      {1, 65, 63, layout::nchw},
      {2, 6, 127, layout::nchw},
      {1, 127, 2, layout::nchw},
      {1, 65, 1, layout::nchw},  // one value per channel, past four vectors of channels
      // A set longer than a statistics block (4096 floats).
      {1, 1, 4099, layout::nchw},
      // Past the parallel threshold (32K floats) with many sets.
      {4, 32, 784, layout::nchw},
      // Sets longer than a chunk (16K floats) and fewer than threads: the
      // engine splits them, and a plane straddles chunk boundaries.
      {1, 3, 30011, layout::nchw},
      // Wide NHWC rows: chunks of at least 64 rows (70 = 64 + 6) and a
      // channel count past the last full vector.
      {1, 2053, 70, layout::nchw},
  };
}

inline shape with_layout(shape s, layout l) {
  s.layout = l;
  return s;
}

// rows x d (or rows x features) matrices.
struct matrix {
  std::int64_t rows;
  std::int64_t cols;
};

// d = 1; the vector tails of d (rows vary so that both one row and several
// are seen); rows past a group of 16 (the engine normalises short rows 16 at
// a time); a row longer than a statistics block; rows of exactly one chunk;
// many rows on threads; rows longer than a chunk and fewer than threads,
// N = 1 among them, which the engine splits.
inline std::vector<matrix> matrix_shapes() {
  std::vector<matrix> shapes = {{1, 1}, {7, 1}};
  for (std::int64_t d : {3, 5, 15, 17, 31, 33, 63, 65, 127}) shapes.push_back({d % 4 + 1, d});
  shapes.insert(shapes.end(),
                {{17, 33}, {1, 4099}, {3, 16384}, {64, 1024}, {2, 40001}, {1, 65537}});
  return shapes;
}

// Whether message names argument as a word (not as part of a longer
// identifier: "n" is not found in "momentum").
inline bool names_argument(const std::string& message, const std::string& argument) {
  const auto is_word = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_';
  };
  for (std::size_t at = message.find(argument); at != std::string::npos;
       at = message.find(argument, at + 1)) {
    const bool starts = at == 0 || !is_word(message[at - 1]);
    const std::size_t end = at + argument.size();
    const bool ends = end == message.size() || !is_word(message[end]);
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_TEST_SUPPORT_HPP_
