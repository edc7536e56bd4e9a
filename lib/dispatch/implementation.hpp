// The path of a call is chosen once, from an ordered list of implementations
// per method, most specialised first (as oneDNN's primitive lists): each
// either takes the call or says why it declines, and the scalar path, last,
// takes every call. With SIMDNORM_VERBOSE=1 each call prints what ran, on
// which instruction set and threads, for how long, and why the
// implementations above it declined (verbose.hpp).
#ifndef SIMDNORM_LIB_DISPATCH_IMPLEMENTATION_HPP_
#define SIMDNORM_LIB_DISPATCH_IMPLEMENTATION_HPP_

#include <chrono>
#include <cstddef>
#include <string>

#include "dispatch/path.hpp"
#include "dispatch/verbose.hpp"
#include "validation/debug_assert.hpp"

namespace simdnorm::dispatch {

// Call is a method's validated arguments; describe(const Call&), found by
// argument-dependent lookup, gives its shape for SIMDNORM_VERBOSE.
template <class Call>
struct implementation {
  const char* name;  // names the strategy: "nhwc_channels", "rows", "scalar"
  // Null when it takes the call; otherwise why not ("layout is nhwc").
  const char* (*declines)(const Call& call, const path& p);
  void (*run)(const Call& call, const path& p);
};

// Runs the first implementation of the list that takes the call.
template <class Call, std::size_t N>
void run_first_accepting(const char* method, const implementation<Call> (&list)[N],
                         const Call& call) {
  const path p = current_path();
  const bool verbose = verbose_enabled();
  declined_list declined;
  for (const implementation<Call>& candidate : list) {
    if (const char* reason = candidate.declines(call, p)) {
      if (verbose) declined.add(candidate.name, reason);
      continue;
    }
    if (!verbose) {
      candidate.run(call, p);
      return;
    }
    // The line's text is built before the call runs: once it has written
    // to the caller's buffers nothing may fail (report_call allocates
    // nothing), so that an error always means nothing was written.
    const std::string shape = describe(call);
    const auto start = std::chrono::steady_clock::now();
    candidate.run(call, p);
    const std::chrono::duration<double, std::milli> elapsed =
        std::chrono::steady_clock::now() - start;
    report_call(method, shape, candidate.name, p, elapsed.count(), declined);
    return;
  }
  SIMDNORM_DEBUG_ASSERT(!"the last implementation of a list takes every call");
}

// The reason a vector implementation declines when the call's level is
// scalar; null otherwise.
inline const char* needs_vector_isa(const path& p) {
  return p.level == isa::scalar ? why_scalar() : nullptr;
}

template <class Call>
const char* takes_every_call(const Call&, const path&) {
  return nullptr;
}

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_IMPLEMENTATION_HPP_
