// What the kernel testers share: the instruction sets of this build that
// this CPU runs (each tested in this one process, whatever SIMDNORM_ISA or
// set_max_isa say, by calling the kernels through dispatch::call_on_isa), the
// sizes worth sweeping for a vector width, and the error bounds that compare
// a vector kernel with the scalar path.
#ifndef SIMDNORM_TESTS_KERNELS_KERNEL_TESTER_HPP_
#define SIMDNORM_TESTS_KERNELS_KERNEL_TESTER_HPP_

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/instruction_sets.hpp"
#include "test_support.hpp"

namespace simdnorm::kernel_testing {

// This build's instruction sets that this CPU has.
inline std::vector<dispatch::isa> runnable_levels() {
  std::vector<dispatch::isa> levels;
  for (const dispatch::instruction_set& set : dispatch::instruction_sets) {
    if (set.level != dispatch::isa::scalar && set.level <= dispatch::detected_isa()) {
      levels.push_back(set.level);
    }
  }
  return levels;
}

// Floats per vector register of a level: what the kernels' tiles and tails
// are multiples of. (The architecture tag alone, no vector type, so this
// file needs none of the level's compiler flags.)
struct float_lanes {
  template <class Arch>
  void operator()(Arch, std::int64_t& lanes) const {
    lanes = static_cast<std::int64_t>(Arch::alignment() / sizeof(float));
  }
};

inline std::int64_t lanes_of(dispatch::isa level) {
  std::int64_t lanes = 0;
  dispatch::call_on_isa(level, float_lanes{}, lanes);
  return lanes;
}

// Each size, one less and one more (sizes below 1 dropped, duplicates
// removed): the exact tile, and the two ways to miss it.
inline std::vector<std::int64_t> around(std::initializer_list<std::int64_t> sizes) {
  std::vector<std::int64_t> swept;
  for (std::int64_t size : sizes) {
    for (std::int64_t s : {size - 1, size, size + 1}) {
      if (s >= 1) swept.push_back(s);
    }
  }
  std::sort(swept.begin(), swept.end());
  swept.erase(std::unique(swept.begin(), swept.end()), swept.end());
  return swept;
}

// Seeded data, as every suite draws it.
using testing::normal;
using testing::uniform;

// ---- error bounds -------------------------------------------------------------
//
// The scalar path sums each block in double: its statistics are exact to a
// few ulps of double, nothing beside float32's. The vector kernels sum in
// float32 chains, so the difference between the two is the vector kernels'
// rounding, which has a worst case: a chain of k additions of terms of at
// most M accumulates at most u * M * k^2 / 2 (u = 2^-24, each partial sum
// below j * M rounded once), k / 2 * u * M per term summed. That bound times
// a small factor for the steps around the chains (the horizontal sum of the
// accumulators, a float block mean, the merges) is the tolerance: any real
// mistake (a lost tail element, a tile read twice, a wrong set) is off by
// about M / length or more, far outside it.

constexpr double unit_roundoff = 0x1p-24;

// Statistics of a set, and what its vector statistics may be off by.
struct set_tolerance {
  double mean;      // absolute
  double variance;  // relative
};

// chain: the longest float chain of one lane; extra_steps: further float
// roundings of a partial result (horizontal sums, block means, merges).
// largest: max |x - shift|; spread: max |x - mean|; variance: of the set.
inline set_tolerance chain_tolerance(double chain, double extra_steps, double largest,
                                     double spread, double variance) {
  const double per_term = (chain / 2.0 + extra_steps) * unit_roundoff;
  // The squares' chains carry the same factor on terms of spread^2; a zero
  // variance (constant data) has none to lose.
  const double relative_variance = variance > 0.0 ? per_term * spread * spread / variance : 0.0;
  return {per_term * largest, relative_variance};
}

// |got - want| <= bound, element by element; a message naming the worst.
template <class Bound>
::testing::AssertionResult within(const std::vector<float>& got, const std::vector<float>& want,
                                  Bound bound) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << want.size();
  }
  std::size_t bad = 0, worst = 0;
  double worst_ratio = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double error = std::fabs(static_cast<double>(got[i]) - want[i]);
    const double limit = bound(i);
    if (!(error <= limit)) {
      ++bad;
      const double ratio = limit > 0.0 ? error / limit : INFINITY;
      if (!(ratio <= worst_ratio)) {
        worst_ratio = ratio;
        worst = i;
      }
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << got.size() << " off; worst at " << worst << ": got " << got[worst]
         << ", scalar path " << want[worst] << ", bound " << bound(worst);
}

template <class Value>
::testing::AssertionResult same_bits(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(Value)) != 0) {
      return ::testing::AssertionFailure()
             << "element " << i << " of " << a.size() << ": " << a[i] << " != " << b[i];
    }
  }
  return ::testing::AssertionSuccess();
}

inline std::string level_name(const ::testing::TestParamInfo<dispatch::isa>& info) {
  std::string name = dispatch::name_of(info.param);
  name.erase(std::remove(name.begin(), name.end(), '.'), name.end());
  return name;
}

}  // namespace simdnorm::kernel_testing

#endif  // SIMDNORM_TESTS_KERNELS_KERNEL_TESTER_HPP_
