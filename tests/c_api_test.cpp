// The C API: an error message per thread, the version, and the moments
// object (every method's C call against its C++ call: method_table_test).
#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

namespace simdnorm::testing {
namespace {

sn_status refused_call() {
  return sn_layer_norm(nullptr, 2, 3, nullptr, nullptr, 1e-5f, nullptr, nullptr, nullptr);
}

sn_status successful_call() {
  const std::vector<float> x = normal(6, 1);
  std::vector<float> y(6);
  return sn_layer_norm(x.data(), 2, 3, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr);
}

TEST(CApiLastError, IsEmptyAfterASuccessfulCall) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);
  ASSERT_STRNE(sn_last_error(), "");

  ASSERT_EQ(successful_call(), SN_OK);

  EXPECT_STREQ(sn_last_error(), "");
}

TEST(CApiLastError, IsPerThread) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);
  const std::string main_message = sn_last_error();
  ASSERT_FALSE(main_message.empty());

  std::string seen_by_other_thread_before, seen_by_other_thread_after;
  std::thread other([&] {
    seen_by_other_thread_before = sn_last_error();
    const sn_status status = sn_group_norm(nullptr, sn_shape{1, 4, 4, SN_LAYOUT_NCHW}, 3, nullptr,
                                           nullptr, 1e-5f, nullptr, nullptr, nullptr);
    if (status == SN_ERROR_INVALID_ARGUMENT) seen_by_other_thread_after = sn_last_error();
  });
  other.join();

  // The other thread saw none of this thread's error, and its own error
  // left this thread's message as it was.
  EXPECT_EQ(seen_by_other_thread_before, "");
  EXPECT_FALSE(seen_by_other_thread_after.empty());
  EXPECT_NE(seen_by_other_thread_after, main_message);
  EXPECT_EQ(std::string(sn_last_error()), main_message);
}

// Calls that cannot fail still end with the message of their own success.
TEST(CApiLastError, IsEmptyAfterSnVersion) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);

  sn_version();

  EXPECT_STREQ(sn_last_error(), "");
}

TEST(CApiLastError, IsEmptyAfterSnActiveIsa) {
  ASSERT_EQ(refused_call(), SN_ERROR_INVALID_ARGUMENT);

  sn_active_isa();

  EXPECT_STREQ(sn_last_error(), "");
}

TEST(CApiVersion, IsMajorMinorPatchAndMatchesCpp) {
  EXPECT_TRUE(std::regex_match(sn_version(), std::regex("[0-9]+\\.[0-9]+\\.[0-9]+")))
      << sn_version();
  EXPECT_STREQ(sn_version(), version());
}

// ---- the moments object ----------------------------------------------------------------
//
// Every method's C call gives the bits of its C++ call (method_table_test);
// the accumulator there is made, updated once and finalized. Here: several
// updates, and the count.

TEST(CApiMoments, SeveralUpdatesGiveTheBitsOfTheCppAccumulator) {
  const std::int64_t rows = 40, features = 9;
  const std::vector<float> x = normal(rows * features, 601, 2.0f, 3.0f);
  moments m(features);
  m.update(x.data(), 15);
  m.update(x.data() + 15 * features, rows - 15);
  std::vector<float> mean(features), var(features);
  m.finalize(mean.data(), var.data());

  sn_moments* cm = nullptr;
  ASSERT_EQ(sn_moments_create(features, &cm), SN_OK);
  ASSERT_EQ(sn_moments_update(cm, x.data(), 15), SN_OK);
  ASSERT_EQ(sn_moments_update(cm, x.data() + 15 * features, rows - 15), SN_OK);
  std::int64_t counted = 0;
  ASSERT_EQ(sn_moments_count(cm, &counted), SN_OK);
  std::vector<float> cmean(features), cvar(features);
  ASSERT_EQ(sn_moments_finalize(cm, cmean.data(), cvar.data()), SN_OK);
  sn_moments_destroy(cm);

  EXPECT_EQ(counted, rows);
  EXPECT_TRUE(same_bits(cmean, mean));
  EXPECT_TRUE(same_bits(cvar, var));
}

TEST(CApiMoments, DestroyAcceptsNull) { sn_moments_destroy(nullptr); }

TEST(CApiMoments, MergeAddsTheOthersRows) {
  const std::vector<float> x = normal(5 * 3, 602);
  sn_moments *a = nullptr, *b = nullptr;
  ASSERT_EQ(sn_moments_create(3, &a), SN_OK);
  ASSERT_EQ(sn_moments_create(3, &b), SN_OK);
  ASSERT_EQ(sn_moments_update(a, x.data(), 2), SN_OK);
  ASSERT_EQ(sn_moments_update(b, x.data() + 6, 3), SN_OK);

  ASSERT_EQ(sn_moments_merge(a, b), SN_OK);

  std::int64_t rows = 0;
  ASSERT_EQ(sn_moments_count(a, &rows), SN_OK);
  EXPECT_EQ(rows, 5);
  sn_moments_destroy(a);
  sn_moments_destroy(b);
}

// ---- thread controls ----------------------------------------------------

// Pools that break the contract of sn_parallel_for, on the calling thread.
// Counts the loops they were given, as their pool_context.
void skips_the_last_item(void* loops, int64_t items, sn_parallel_task task, void* context) {
  ++*static_cast<int*>(loops);
  task(context, 0, items - 1);
}
void runs_past_the_end(void* loops, int64_t items, sn_parallel_task task, void* context) {
  ++*static_cast<int*>(loops);
  task(context, 0, items + 1);
}
void runs_every_item(void* loops, int64_t items, sn_parallel_task task, void* context) {
  ++*static_cast<int*>(loops);
  task(context, 0, items);
}

// Layer norm of 64 rows of 1024: 64K floats, split on more than one thread.
sn_status split_layer_norm(std::vector<float>& y) {
  std::vector<float> x(64 * 1024);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 97) * 0.25f;
  y.assign(x.size(), 0.0f);
  return sn_layer_norm(x.data(), 64, 1024, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr);
}

TEST(CApiThreads, BadSettingsAreNamedAndChangeNothing) {
  const default_threads_at_exit restore;
  ASSERT_EQ(sn_set_max_threads(3), SN_OK);
  EXPECT_EQ(sn_set_max_threads(-1), SN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sn_last_error()).find("max_threads"), std::string::npos) << sn_last_error();
  EXPECT_EQ(sn_max_threads(), 3);

  int loops = 0;
  ASSERT_EQ(sn_set_parallel_for(&runs_every_item, &loops, 4), SN_OK);
  int other_loops = 0;
  for (int threads : {0, -2}) {
    EXPECT_EQ(sn_set_parallel_for(&runs_every_item, &other_loops, threads),
              SN_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(sn_last_error()).find("pool_threads"), std::string::npos)
        << sn_last_error();
  }
  std::vector<float> y;
  ASSERT_EQ(split_layer_norm(y), SN_OK);
  if (vector_path()) {
    EXPECT_GT(loops, 0);  // the first pool still
  }
  EXPECT_EQ(other_loops, 0);
}

TEST(CApiThreads, APoolThatDoesNotRunItsItemsIsAnError) {
  const default_threads_at_exit restore;
  if (!vector_path()) {
    GTEST_SKIP() << "the scalar path runs every call on the calling thread";
  }
  std::vector<float> expected;
  ASSERT_EQ(split_layer_norm(expected), SN_OK);
  for (sn_parallel_for pool : {&skips_the_last_item, &runs_past_the_end}) {
    int loops = 0;
    ASSERT_EQ(sn_set_parallel_for(pool, &loops, 2), SN_OK);
    std::vector<float> y;
    EXPECT_EQ(split_layer_norm(y), SN_ERROR_RESOURCE);
    EXPECT_NE(std::string(sn_last_error()).find("parallel_for"), std::string::npos)
        << sn_last_error();
    EXPECT_EQ(loops, 1);
  }
  // A pool that keeps the contract on the calling thread alone: the bits of
  // oneTBB's.
  int loops = 0;
  ASSERT_EQ(sn_set_parallel_for(&runs_every_item, &loops, 2), SN_OK);
  std::vector<float> y;
  ASSERT_EQ(split_layer_norm(y), SN_OK);
  EXPECT_GT(loops, 0);
  EXPECT_TRUE(same_bits(y, expected));
  // Back on oneTBB, nothing more reaches the pool.
  ASSERT_EQ(sn_set_parallel_for(nullptr, &loops, 0), SN_OK);
  const int before = loops;
  ASSERT_EQ(split_layer_norm(y), SN_OK);
  EXPECT_EQ(loops, before);
}

}  // namespace
}  // namespace simdnorm::testing
