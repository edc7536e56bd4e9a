// Every method of the method table (lib/methods), in each of its layouts,
// over the shapes of test_support.hpp and every choice of optional buffers
// it offers: the C++ call matches the float64 reference; the C call gives
// the same bits; exact in-place operation gives the same bits as out of
// place; every output passed is written in full and no input is written.
//
// A test is one behaviour of one method in one layout; it loops over the
// problems and optional buffers, and a failure names them.
#include "methods/method_table.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "method_calls.hpp"
#include "simdnorm/simdnorm.h"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

// Runs check(c, twin) for every problem and choice of optional buffers of
// the parameter's method and layout: c and twin are two copies of one call,
// made afresh each time, for a second run or a snapshot.
template <class Check>
void for_every_call(const method_layout& k, Check check) {
  call c, twin;
  for (const problem& p : problems_of(*k.m, k.layout)) {
    SCOPED_TRACE(describe(p));
    const call everything(*k.m, p, variant{}, seed_of(p));
    for (const variant& v : variants_of(*k.m)) {
      SCOPED_TRACE(describe(*k.m, v));
      c.assign(everything, v);
      twin.assign(everything, v);
      check(c, twin);
    }
  }
}

std::size_t count_sentinels(const std::vector<float>& v) {
  std::size_t found = 0;
  for (float e : v) {
    std::uint32_t bits;
    std::memcpy(&bits, &e, sizeof bits);
    if (bits == sentinel_bits) ++found;
  }
  return found;
}

class EveryMethod : public ::testing::TestWithParam<method_layout> {};

TEST_P(EveryMethod, MatchesTheFloat64Reference) {
  const method& m = *GetParam().m;
  for (const problem& p : problems_of(m, GetParam().layout)) {
    SCOPED_TRACE(describe(p));
    const call everything(m, p, variant{}, seed_of(p));
    call c = everything;
    // The reference computes every output, passed or not: it depends only on
    // the inputs a variant passes, and in-out buffers (running statistics)
    // are referenced from the values they hold before the call.
    std::map<std::tuple<bool, bool, running_var_kind>, methods::reference_outputs> references;
    for (const variant& v : variants_of(m)) {
      SCOPED_TRACE(describe(m, v));
      c.assign(everything, v);
      const arguments a = c.args();
      const auto key = std::make_tuple(v.affine, v.running, v.kind);
      if (references.count(key) == 0) references[key] = m.reference(a);
      const methods::reference_outputs& want = references[key];
      m.cpp(a);

      const std::vector<float> scale = output_scale(c);
      for (std::size_t i = 0; i < m.buffers.size(); ++i) {
        const buffer& b = m.buffers[i];
        if (!methods::is_output(b.kind) || c.buffers[i].empty()) continue;
        EXPECT_TRUE(all_near(c.values(b), want[i], tolerance_for(m, b, scale))) << b.name;
      }
    }
  }
}

TEST_P(EveryMethod, CApiGivesTheBitsOfTheCppApi) {
  for_every_call(GetParam(), [](call& c, call& from_c) {
    c.m->cpp(c.args());
    ASSERT_EQ(c.m->c(from_c.args()), SN_OK) << sn_last_error();

    for (const buffer& b : c.m->buffers) {
      EXPECT_TRUE(same_bits(from_c.of(b), c.of(b))) << b.name;
    }
  });
}

TEST_P(EveryMethod, WritesEveryOutputItIsGivenAndNoInput) {
  for_every_call(GetParam(), [](call& c, const call& before) {
    c.m->cpp(c.args());

    for (std::size_t i = 0; i < c.buffers.size(); ++i) {
      const buffer& b = c.m->buffers[i];
      if ((b.kind == role::output || b.kind == role::primary_output) && is_16_bit(*c.m, b)) {
        EXPECT_EQ(unwritten_elements(c.m->type, c.buffers[i], methods::size_of(b.size, c.p)), 0u)
            << b.name << ": elements never written";
      } else if (b.kind == role::output || b.kind == role::primary_output) {
        EXPECT_EQ(count_sentinels(c.buffers[i]), 0u) << b.name << ": elements never written";
      } else if (b.kind != role::in_out) {
        EXPECT_TRUE(same_bits(c.buffers[i], before.buffers[i])) << b.name << " was written";
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Methods, EveryMethod, ::testing::ValuesIn(method_layouts()),
                         method_layout_name);

// Exact in-place operation (y == x): the kernels must finish reading a value
// (for statistics and for normalising) before they overwrite it. The
// standardize accumulator reads and writes in different calls, so it has no
// in-place form.
class InPlace : public ::testing::TestWithParam<method_layout> {};

TEST_P(InPlace, GivesTheBitsOfOutOfPlace) {
  for_every_call(GetParam(), [](call& apart, call& in_place) {
    apart.m->cpp(apart.args());
    arguments a = in_place.args();
    a.y = a.x;
    in_place.m->cpp(a);

    const std::vector<float>& y_apart = apart.with_role(role::primary_output);
    const std::vector<float>& y_in_place = in_place.with_role(role::primary_input);
    EXPECT_TRUE(same_bits(y_in_place, y_apart));
    for (const buffer& b : apart.m->buffers) {
      if (b.kind == role::output || b.kind == role::in_out) {
        EXPECT_TRUE(same_bits(in_place.of(b), apart.of(b))) << b.name;
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Methods, InPlace, ::testing::ValuesIn(method_layouts(has_primary_output)),
                         method_layout_name);

}  // namespace
}  // namespace simdnorm::testing
