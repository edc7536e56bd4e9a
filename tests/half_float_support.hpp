// What the 16-bit tests share: the scalar conversions by type, a value's
// place on the 16-bit number line, the correctly rounded 16-bit value of a
// double, and a tally of outputs against it. Header only.
#ifndef SIMDNORM_TESTS_HALF_FLOAT_SUPPORT_HPP_
#define SIMDNORM_TESTS_HALF_FLOAT_SUPPORT_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "simdnorm/half_float.h"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {

using bits16 = std::uint16_t;

inline float to_float(dtype type, bits16 h) {
  return type == dtype::bfloat16 ? sn_bfloat16_to_float(h) : sn_float16_to_float(h);
}
inline bits16 from_float(dtype type, float v) {
  return type == dtype::bfloat16 ? sn_bfloat16_from_float(v) : sn_float16_from_float(v);
}
inline const char* name_of(dtype type) { return type == dtype::bfloat16 ? "bfloat16" : "float16"; }

inline std::vector<bits16> rounded(dtype type, const std::vector<float>& v) {
  std::vector<bits16> out;
  for (float f : v) out.push_back(from_float(type, f));
  return out;
}

// Each element widened to float (exactly: every 16-bit value is a float).
inline std::vector<float> widened(dtype type, const std::vector<bits16>& v) {
  std::vector<float> out;
  for (bits16 h : v) out.push_back(to_float(type, h));
  return out;
}

inline bool is_nan(dtype type, bits16 h) { return std::isnan(to_float(type, h)); }

// Position on the number line in units in the last place: adjacent finite
// values (and the largest finite and Inf) differ by 1; -0 and +0 are both 0.
inline std::int64_t ordinal(bits16 h) {
  const std::int64_t magnitude = h & 0x7fff;
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

// The 16-bit value nearest to v (ties to even), v a double: the rounding of
// float(v) and its two neighbours, the nearest of them taken, so that a
// float32 tie created by the first rounding does not decide.
inline bits16 correctly_rounded(dtype type, double v) {
  if (std::isnan(v)) return from_float(type, NAN);
  const bits16 guess = from_float(type, static_cast<float>(v));
  if (std::isinf(to_float(type, guess))) return guess;
  bits16 best = guess;
  double best_error = std::fabs(static_cast<double>(to_float(type, guess)) - v);
  for (const int step : {-1, 1}) {
    const std::int64_t o = ordinal(guess) + step;
    const bits16 candidate =
        static_cast<bits16>(o < 0 ? (0x8000 | static_cast<bits16>(-o)) : static_cast<bits16>(o));
    const double value = to_float(type, candidate);
    if (!std::isfinite(value)) continue;
    const double error = std::fabs(value - v);
    if (error < best_error || (error == best_error && (candidate & 1) == 0 && (best & 1) != 0)) {
      best = candidate;
      best_error = error;
    }
  }
  return best;
}

// Tally of 16-bit outputs against the correctly rounded reference. An
// output that is the small difference of larger terms (y = xhat * gamma +
// beta near 0) carries float32's absolute error, a few 1e-8 for the O(1)
// terms here, which can be several 16-bit ulps of the tiny result: those,
// below 2^-10 in magnitude, are held to an absolute 1e-6 instead (the
// float32 path's own bound, output_tolerance) and counted apart.
struct rounding_tally {
  std::int64_t compared = 0;
  std::int64_t exact = 0;
  std::int64_t worst_ulps = 0;  // outside the cancellations
  std::string worst_case;
  std::int64_t cancellations = 0;  // more than 1 ulp, below 2^-10
  std::int64_t cancellation_ulps = 0;
  double cancellation_error = 0.0;

  void add(dtype type, const std::vector<bits16>& got, const std::vector<double>& ref,
           const std::string& what) {
    for (std::size_t i = 0; i < got.size(); ++i) {
      const bits16 want = correctly_rounded(type, ref[i]);
      std::int64_t ulps;
      if (is_nan(type, want) || is_nan(type, got[i])) {
        ulps = is_nan(type, want) && is_nan(type, got[i]) ? 0 : 1 << 20;
      } else {
        ulps = std::llabs(ordinal(got[i]) - ordinal(want));
      }
      ++compared;
      exact += ulps == 0 ? 1 : 0;
      if (ulps > 1 && std::fabs(ref[i]) < 0x1p-10) {
        ++cancellations;
        cancellation_ulps = std::max(cancellation_ulps, ulps);
        cancellation_error = std::max(
            cancellation_error, std::fabs(static_cast<double>(to_float(type, got[i])) - ref[i]));
        continue;
      }
      if (ulps > worst_ulps) {
        worst_ulps = ulps;
        worst_case = what + ", element " + std::to_string(i) + ": got " +
                     std::to_string(to_float(type, got[i])) + ", reference " +
                     std::to_string(ref[i]);
      }
    }
  }
};

// Prints the tally of `what` on the active path (the figures the issue's
// accuracy table quotes) and checks the bound: every output correctly
// rounded or one ulp away, the cancellations below 2^-10 within float32's
// absolute 1e-6, and at least 99% of outputs exactly rounded.
inline void report_and_check(const rounding_tally& tally, const char* what, dtype type) {
  std::printf(
      "%s, %s on %s: %lld of %lld outputs exactly rounded (%.4f%%), worst %lld ulp; %lld "
      "cancellations below 2^-10 off by up to %lld ulp (absolute %.2g)\n",
      what, name_of(type), active_isa(), static_cast<long long>(tally.exact),
      static_cast<long long>(tally.compared),
      100.0 * static_cast<double>(tally.exact) / static_cast<double>(tally.compared),
      static_cast<long long>(tally.worst_ulps), static_cast<long long>(tally.cancellations),
      static_cast<long long>(tally.cancellation_ulps), tally.cancellation_error);
  EXPECT_LE(tally.worst_ulps, 1) << what << ": " << tally.worst_case;
  EXPECT_LE(tally.cancellation_error, 1e-6) << what;
  EXPECT_GE(static_cast<double>(tally.exact), 0.99 * static_cast<double>(tally.compared)) << what;
}

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_HALF_FLOAT_SUPPORT_HPP_
