// Out of memory writes nothing. Every call of every method of the method
// table (lib/methods), in each layout, on every instruction set this CPU
// runs and on the scalar path, on a small shape (the calling thread) and a
// parallel one (oneTBB), is made once per allocation it performs with that
// allocation failing (failing_allocator.hpp): the k-th call fails the k-th
// allocation, until a call completes without reaching its index. Each
// failing call must return SN_ERROR_OUT_OF_MEMORY with every buffer,
// inputs, outputs and running statistics alike, byte for byte as before
// the call; a call that absorbs the failure must return the bits of an
// undisturbed call. The C++ API throws std::bad_alloc under the same rule.
// The reproducer (sn_batch_instance_norm_training on 2 x 6 x 9
// NCHW, its ninth allocation failing after y was written) is one of these
// calls. The totals (indices injected, calls checked, buffers found
// written) are printed at the end for the record.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "failing_allocator.hpp"
#include "isa_levels.hpp"
#include "method_calls.hpp"
#include "methods/method_table.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::testing {
namespace {

namespace fa = failing_allocator;

// A call that allocates more than this is a runaway loop, not a test.
constexpr std::int64_t max_index = 4000;

struct tally {
  std::int64_t injected = 0;  // allocation indices failed
  std::int64_t calls = 0;     // calls made with a failure injected, or absorbed
  std::int64_t written = 0;   // buffers found changed after an error (must stay 0)
};

tally& totals() {
  static tally t;
  return t;
}

// A small problem, run on the calling thread (the 2 x 6 x 9); a
// parallel one (64K floats: past the parallel threshold of
// schedule/thread_policy.hpp, so the call hands work to oneTBB); and the
// schedules for few sets: long sets cut into chunks (one sample, one group)
// and NCHW channels split along n (fewer channels than twice the threads).
std::vector<problem> problems_for(const method& m, layout_kind l) {
  if (m.rows) return {rows_problem(6, 9), rows_problem(64, 1024), rows_problem(2, 32768)};
  const auto groups = [&](std::int64_t g) { return m.grouped ? g : std::int64_t{0}; };
  return {activation_problem({2, 6, 9, layout::nchw}, l, groups(3)),
          activation_problem({2, 16, 2048, layout::nchw}, l, groups(4)),
          activation_problem({1, 8, 8192, layout::nchw}, l, groups(1)),
          activation_problem({8, 2, 4096, layout::nchw}, l, groups(2))};
}

enum class api { c, cpp };

// Makes the call through one API; true when it succeeded. A failure other
// than out of memory is a test failure.
bool make(const method& m, const arguments& a, api through) {
  if (through == api::c) {
    const sn_status status = m.c(a);
    if (status == SN_OK) return true;
    EXPECT_EQ(status, SN_ERROR_OUT_OF_MEMORY) << sn_last_error();
    EXPECT_STREQ(sn_last_error(), "out of memory");
    return false;
  }
  try {
    m.cpp(a);
    return true;
  } catch (const std::bad_alloc&) {
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw " << e.what() << " instead of std::bad_alloc";
    return false;
  }
}

// Fails each allocation index of the call in turn; see the file comment.
void fail_each_allocation(const method& m, const problem& p, api through,
                          const std::string& where) {
  const call before(m, p, variant{}, seed_of(p));
  call undisturbed = before;
  arguments a = undisturbed.args();
  ASSERT_TRUE(make(m, a, through)) << where << ": the call fails with no failure injected";

  call k_call;
  for (std::int64_t k = 0;; ++k) {
    ASSERT_LT(k, max_index) << where;
    k_call.assign(before, variant{});
    a = k_call.args();
    fa::fail_at(k);
    const bool ok = make(m, a, through);
    const bool reached = fa::disarm();
    ++totals().calls;
    if (!reached) {
      ASSERT_TRUE(ok) << where << ": failed with nothing injected at index " << k;
      break;  // every allocation of the call has failed once
    }
    ++totals().injected;
    const call& expected = ok ? undisturbed : before;
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      if (same_bits(k_call.buffers[i], expected.buffers[i])) continue;
      if (!ok) ++totals().written;
      ADD_FAILURE() << where << ", allocation " << k << " failing: " << m.buffers[i].name
                    << (ok ? " differs from an undisturbed call's"
                           : " was written by a failed call");
    }
  }
}

class FaultInjection : public ::testing::TestWithParam<method_layout> {};

// A variant of a function (a type, an activation) allocates on the vector
// paths what the function's own entry does at every level; its scalar path
// is its own (the typed row norms' once allocated row by row). So the best
// level and the scalar path.
std::vector<std::string> levels_for(const method& m) {
  std::vector<std::string> levels = levels_here();
  if (m.variant() && levels.size() > 2) levels = {levels.front(), levels.back()};
  return levels;
}

TEST_P(FaultInjection, AFailedAllocationWritesNothing) {
  const method& m = *GetParam().m;
  for (const std::string& level : levels_for(m)) {
    const isa_cap cap(level);
    for (const problem& p : problems_for(m, GetParam().layout)) {
      for (const api through : {api::c, api::cpp}) {
        const std::string where = name_of(GetParam()) + " " + describe(p) + " on " + level +
                                  (through == api::c ? " (C API)" : " (C++ API)");
        fail_each_allocation(m, p, through, where);
        if (HasFatalFailure()) return;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Methods, FaultInjection, ::testing::ValuesIn(method_layouts()),
                         method_layout_name);

// The moments accumulator: an update or merge that fails leaves the
// accumulator as it was (its finalised statistics bitwise the same).
TEST(FaultInjectionMoments, AFailedUpdateOrMergeLeavesTheAccumulator) {
  const std::int64_t features = 40;
  for (const std::int64_t rows : {std::int64_t{5}, std::int64_t{2048}}) {
    const std::vector<float> x = feature_data(rows, features, 7);
    const auto finalized = [&](const moments& acc) {
      std::vector<float> out(2 * features);
      acc.finalize(out.data(), out.data() + features);
      return out;
    };
    moments first(features), other(features);
    first.update(x.data(), rows);
    other.update(x.data(), rows);
    const std::vector<float> before = finalized(first);
    for (const bool merging : {false, true}) {
      for (std::int64_t k = 0;; ++k) {
        ASSERT_LT(k, max_index);
        moments acc(features);
        acc.update(x.data(), rows);
        bool ok = true;
        fa::fail_at(k);
        try {
          if (merging) {
            acc.merge(other);
          } else {
            acc.update(x.data(), rows);
          }
        } catch (const std::bad_alloc&) {
          ok = false;
        }
        if (!fa::disarm()) break;
        ++totals().injected;
        ++totals().calls;
        if (!ok) {
          EXPECT_EQ(acc.count(), rows);
          const std::vector<float> after = finalized(acc);
          const bool same =
              std::memcmp(after.data(), before.data(), after.size() * sizeof(float)) == 0;
          if (!same) ++totals().written;
          EXPECT_TRUE(same) << (merging ? "merge" : "update") << " with allocation " << k
                            << " failing changed the accumulator";
        }
      }
    }
  }
}

// Creating an accumulator that cannot get its memory: no object, and the C
// API's out parameter untouched.
TEST(FaultInjectionMoments, AFailedCreateReturnsNoObject) {
  for (std::int64_t k = 0;; ++k) {
    ASSERT_LT(k, max_index);
    sn_moments* const untouched = reinterpret_cast<sn_moments*>(std::uintptr_t{0x1234});
    sn_moments* acc = untouched;
    fa::fail_at(k);
    const sn_status status = sn_moments_create(40, &acc);
    if (!fa::disarm()) {
      ASSERT_EQ(status, SN_OK);
      sn_moments_destroy(acc);
      break;
    }
    ++totals().injected;
    ++totals().calls;
    EXPECT_EQ(status, SN_ERROR_OUT_OF_MEMORY);
    EXPECT_EQ(acc, untouched);
    if (status == SN_OK) sn_moments_destroy(acc);
  }
}

// A bad argument whose message cannot be built (or stored for
// sn_last_error) is still an error, never a crash: the C API reports out of
// memory or the argument, and writes nothing.
TEST(FaultInjectionMessages, AnErrorWhoseMessageCannotBeAllocatedIsStillAnError) {
  const method& m = methods::named("group_norm");
  const problem p = activation_problem({2, 6, 9, layout::nchw}, layout_kind::nhwc, 3);
  const call before(m, p, variant{}, 3);
  for (std::int64_t k = 0;; ++k) {
    ASSERT_LT(k, max_index);
    call broken = before;
    arguments a = broken.args();
    a.p.groups = 4;  // does not divide c = 6
    fa::fail_at(k);
    const sn_status status = m.c(a);
    if (!fa::disarm()) {
      EXPECT_EQ(status, SN_ERROR_INVALID_ARGUMENT);
      break;
    }
    ++totals().injected;
    ++totals().calls;
    EXPECT_TRUE(status == SN_ERROR_INVALID_ARGUMENT || status == SN_ERROR_OUT_OF_MEMORY)
        << "status " << status;
    for (std::size_t i = 0; i < m.buffers.size(); ++i) {
      EXPECT_TRUE(same_bits(broken.buffers[i], before.buffers[i])) << m.buffers[i].name;
    }
  }
}

// Printed once, after every test: the counts the issue asks for.
class Totals : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf(
        "fault injection: %lld allocation indices injected, %lld calls checked, "
        "%lld buffers found written after an error\n",
        static_cast<long long>(totals().injected), static_cast<long long>(totals().calls),
        static_cast<long long>(totals().written));
  }
};

const ::testing::Environment* const totals_printer =
    ::testing::AddGlobalTestEnvironment(new Totals);

}  // namespace
}  // namespace simdnorm::testing
