// Waiting for a forked child with a time limit, for the tests that need a
// fresh process (oneTBB's start-up) or one under a resource limit.
#ifndef SIMDNORM_TESTS_CHILD_PROCESS_HPP_
#define SIMDNORM_TESTS_CHILD_PROCESS_HPP_

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

namespace simdnorm::testing {

// The child's exit code, or -1 when it died of a signal or outlived limit
// (it is killed then: a hang).
inline int exit_code_of(pid_t child, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace simdnorm::testing

#endif  // SIMDNORM_TESTS_CHILD_PROCESS_HPP_
