// What a call says when the system refuses it a resource, provoked with an
// address-space limit (RLIMIT_AS) in a child process, so that the limit
// touches no other test: a thread oneTBB cannot start is SN_ERROR_RESOURCE,
// memory the moments object cannot get SN_ERROR_OUT_OF_MEMORY, and either
// way nothing is written. Under AddressSanitizer or ThreadSanitizer, whose
// shadow memory needs the address space, the tests skip.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "test_support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SIMDNORM_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SIMDNORM_TEST_SANITIZED 1
#endif
#endif

namespace simdnorm::testing {
namespace {

#if defined(SIMDNORM_TEST_SANITIZED) || !defined(__linux__)
constexpr const char* cannot_limit =
    "a sanitizer's shadow memory needs the address space an RLIMIT_AS test takes away, or "
    "this is not Linux (/proc/self)";
#else
constexpr const char* cannot_limit = nullptr;
#endif

// This process's mapped address space, in KiB (/proc/self/status).
long address_space_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmSize:", 0) == 0) return std::atol(line.c_str() + 7);
  }
  return -1;
}

// Lets this process map margin_kib more KiB than it has mapped now.
bool limit_address_space(long margin_kib) {
  const long now = address_space_kib();
  if (now < 0) return false;
  const rlim_t bytes = static_cast<rlim_t>(now + margin_kib) * 1024;
  const rlimit limit{bytes, bytes};
  return setrlimit(RLIMIT_AS, &limit) == 0;
}

bool untouched(const std::vector<float>& buffer) {
  return same_bits(buffer, sentinel_buffer(static_cast<std::int64_t>(buffer.size())));
}

bool all_written(const std::vector<float>& buffer) {
  const std::vector<float> sentinels = sentinel_buffer(1);
  for (const float& e : buffer) {
    if (std::memcmp(&e, sentinels.data(), sizeof e) == 0) return false;
  }
  return true;
}

// ---- a thread the system refuses ------------------------------------------------------

// How a first parallel call went under a limit (the child's exit code).
enum thread_outcome : int {
  succeeded = 0,       // the limit refused nothing
  out_of_memory = 1,   // SN_ERROR_OUT_OF_MEMORY, nothing written: the limit is below the call's
                       // scratch memory
  refused_thread = 2,  // SN_ERROR_RESOURCE with a message, nothing written, and a later call ran
  wrong_status = 3,    // refused with another status
  written = 4,         // refused after writing part of an output
  unusable_after = 5,  // the call after the refusal failed or left y unwritten
  no_limit = 6,        // setrlimit or /proc failed
};

const char* what_went_wrong(int outcome) {
  switch (outcome) {
    case wrong_status:
      return "the call was refused with a status other than SN_ERROR_RESOURCE or "
             "SN_ERROR_OUT_OF_MEMORY";
    case written:
      return "the refused call wrote part of an output";
    case unusable_after:
      return "the call after SN_ERROR_RESOURCE failed or left y unwritten";
    case no_limit:
      return "the child could not set its address-space limit";
    default:
      return "the child crashed or hung";
  }
}

constexpr const char* margin_variable = "SIMDNORM_TEST_ADDRESS_SPACE_MARGIN_KIB";

// The child: a group norm large enough to run on two threads (2 x 16 x 2048
// NHWC, the first parallel call of the process) under a limit that may leave
// no room for a thread's stack.
int first_parallel_call_under_limit(long margin_kib) {
  // One worker thread, so that only the calling thread starts threads: with
  // more, oneTBB's workers start further workers themselves, and a refusal
  // there ends the process (simdnorm.h, SN_ERROR_RESOURCE).
  const tbb::global_control one_worker(tbb::global_control::max_allowed_parallelism, 2);
  const sn_shape s{2, 16, 2048, SN_LAYOUT_NHWC};
  const std::int64_t groups = 4, count = s.n * s.c * s.spatial;
  const std::vector<float> x = normal(count, 7);
  std::vector<float> y = sentinel_buffer(count), mean = sentinel_buffer(s.n * groups),
                     rstd = sentinel_buffer(s.n * groups);
  if (!limit_address_space(margin_kib)) return no_limit;

  const sn_status status = sn_group_norm(x.data(), s, groups, nullptr, nullptr, 1e-5f, y.data(),
                                         mean.data(), rstd.data());
  if (status == SN_OK) return succeeded;
  if (status != SN_ERROR_RESOURCE && status != SN_ERROR_OUT_OF_MEMORY) return wrong_status;
  if (!untouched(y) || !untouched(mean) || !untouched(rstd)) return written;
  if (status == SN_ERROR_OUT_OF_MEMORY) return out_of_memory;
  if (*sn_last_error() == '\0') return wrong_status;
  const sn_status again = sn_group_norm(x.data(), s, groups, nullptr, nullptr, 1e-5f, y.data(),
                                        mean.data(), rstd.data());
  return again == SN_OK && all_written(y) ? refused_thread : unusable_after;
}

// The test binary again, in a fresh process: oneTBB starts its threads once
// per process, so a child forked from this one, where other tests have run,
// would find them started. Only this test runs there, and finds the margin.
int thread_outcome_in_fresh_process(long margin_kib, const char* test_name) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return no_limit;
  self[length] = '\0';
  const std::string filter = std::string("--gtest_filter=ResourceFailure.") + test_name;
  const std::string margin = std::to_string(margin_kib);
  const pid_t pid = fork();
  if (pid == 0) {
    setenv(margin_variable, margin.c_str(), 1);
    // The vector path, where calls run on oneTBB, whatever this run caps.
    setenv("SIMDNORM_ISA", "best", 1);
    // A sharded run's variables would leave the child's one test to a shard.
    unsetenv("GTEST_TOTAL_SHARDS");
    unsetenv("GTEST_SHARD_INDEX");
    const int null = open("/dev/null", O_WRONLY);  // gtest's banner
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execl(self, self, filter.c_str(), static_cast<char*>(nullptr));
    _exit(no_limit);
  }
  return exit_code_of(pid, std::chrono::minutes(1));
}

// Limits from 512 KiB up, 512 KiB apart, less than a thread's stack (4 MiB
// by oneTBB's default): below the call's scratch memory the call is out of
// memory; from there, for a stack's worth, its thread is refused; above,
// the call succeeds.
TEST(ResourceFailure, ARefusedThreadIsAResourceErrorAndWritesNothing) {
  if (const char* margin = std::getenv(margin_variable)) {
    _exit(first_parallel_call_under_limit(std::atol(margin)));
  }
  if (cannot_limit != nullptr) GTEST_SKIP() << cannot_limit;
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "one hardware thread: no worker";
  const char* test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (long margin_kib = 512; margin_kib <= 64 * 1024; margin_kib += 512) {
    const int outcome = thread_outcome_in_fresh_process(margin_kib, test_name);
    if (outcome == out_of_memory) continue;
    if (outcome == refused_thread) return;
    if (outcome == succeeded) {
      GTEST_SKIP() << "with " << margin_kib << " KiB of address space to spare the call ran, "
                   << "and with 512 KiB less it was out of memory: no limit refused only a thread";
    }
    FAIL() << "with " << margin_kib
           << " KiB of address space to spare: " << what_went_wrong(outcome);
  }
  FAIL() << "the call was out of memory with 64 MiB of address space to spare";
}

// ---- memory the moments object cannot get ------------------------------------------------

// 2^34 features take 384 GiB of state: under the limit on a feature count
// (2^40 bytes of state), so an allocation the memory refuses:
// std::bad_alloc and SN_ERROR_OUT_OF_MEMORY, neither std::length_error nor an
// invalid argument. A limit makes it fail the same way on every machine,
// whatever its memory or overcommit policy.
TEST(ResourceFailure, MomentsTooLargeForMemoryAreOutOfMemory) {
  if (cannot_limit != nullptr) GTEST_SKIP() << cannot_limit;
  const std::int64_t features = std::int64_t{1} << 34;
  // What the child found wrong, as its exit code: an index into this list.
  const std::vector<const char*> findings = {
      "nothing",
      "moments(2^34) threw something other than std::bad_alloc, or nothing",
      "sn_moments_create(2^34) returned another status than SN_ERROR_OUT_OF_MEMORY",
      "sn_moments_create(2^34) wrote *moments",
      "the child could not set its address-space limit",
  };
  const pid_t pid = fork();
  if (pid == 0) {
    if (!limit_address_space(256 * 1024)) _exit(4);
    try {
      const moments m(features);
      _exit(1);
    } catch (const std::bad_alloc&) {
    } catch (...) {
      _exit(1);
    }
    int marker = 0;
    sn_moments* const before = reinterpret_cast<sn_moments*>(&marker);
    sn_moments* m = before;
    if (sn_moments_create(features, &m) != SN_ERROR_OUT_OF_MEMORY) _exit(2);
    _exit(m == before ? 0 : 3);
  }
  const int code = exit_code_of(pid, std::chrono::minutes(1));
  ASSERT_TRUE(code >= 0 && code < static_cast<int>(findings.size())) << "the child crashed or hung";
  EXPECT_EQ(code, 0) << findings[code];
}

}  // namespace
}  // namespace simdnorm::testing
