// A failed allocation in the first calls of a fresh process does not hang
// the process. oneTBB initialises itself once, on first use, and an
// exception thrown from inside that initialisation leaves it half done:
// every later oneTBB call then waits for it forever. simdnorm makes oneTBB
// initialise when the library is loaded, before any call (dispatch/path.cpp),
// so no call of ours can be the one that fails inside that window.
//
// Each allocation index k of the first call gets a fresh process (fork):
// the child fails allocation k during its first call (a parallel group
// norm, or the small 2 x 6 x 9 NHWC one), then makes the call again
// twice with memory back and must get the same bits both times within the
// time limit. The reproducer of the hang was k = 2 of the parallel call,
// inside tbb::this_task_arena::max_concurrency().
#include <gtest/gtest.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "child_process.hpp"
#include "failing_allocator.hpp"
#include "simdnorm/simdnorm.h"

namespace simdnorm::testing {
namespace {

namespace fa = failing_allocator;

// A child's exit codes.
constexpr int recovered = 0;
constexpr int nothing_to_fail = 3;  // k is past the first call's allocations
constexpr int wrong = 4;

int child(std::int64_t k, const sn_shape& s, std::int64_t groups) {
  const std::size_t count = static_cast<std::size_t>(s.n * s.c * s.spatial);
  std::vector<float> x(count), y(count), again(count);
  for (std::size_t i = 0; i < count; ++i) x[i] = static_cast<float>(i % 97) * 0.25f;
  fa::fail_at(k);
  const sn_status first =
      sn_group_norm(x.data(), s, groups, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr);
  if (!fa::disarm()) return nothing_to_fail;
  if (first != SN_OK && first != SN_ERROR_OUT_OF_MEMORY) return wrong;
  if (sn_group_norm(x.data(), s, groups, nullptr, nullptr, 1e-5f, y.data(), nullptr, nullptr) !=
          SN_OK ||
      sn_group_norm(x.data(), s, groups, nullptr, nullptr, 1e-5f, again.data(), nullptr, nullptr) !=
          SN_OK) {
    return wrong;
  }
  return std::memcmp(y.data(), again.data(), count * sizeof(float)) == 0 ? recovered : wrong;
}

// Runs child(k) in a fresh process; its exit code, or -1 when it hung (it is
// killed after the time limit) or died of a signal.
int in_fresh_process(std::int64_t k, const sn_shape& s, std::int64_t groups) {
  const pid_t pid = fork();
  if (pid == 0) _exit(child(k, s, groups));
  return exit_code_of(pid, std::chrono::seconds(20));
}

void fail_each_allocation_of_the_first_call(const sn_shape& s, std::int64_t groups) {
  for (std::int64_t k = 0;; ++k) {
    ASSERT_LT(k, 1000);
    const int code = in_fresh_process(k, s, groups);
    if (code == nothing_to_fail) break;
    ASSERT_EQ(code, recovered) << "allocation " << k << " failing in the first call: "
                               << (code < 0 ? "the process hung or crashed"
                                            : "a later call failed or differed");
  }
}

TEST(TbbStartup, AFailedFirstParallelCallDoesNotHangLaterCalls) {
  fail_each_allocation_of_the_first_call({2, 16, 2048, SN_LAYOUT_NHWC}, 4);
}

TEST(TbbStartup, AFailedFirstSmallCallDoesNotHangLaterCalls) {
  fail_each_allocation_of_the_first_call({2, 6, 9, SN_LAYOUT_NHWC}, 3);
}

}  // namespace
}  // namespace simdnorm::testing
