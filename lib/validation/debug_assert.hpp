// Assertions below the validation boundary. lib/api validates every argument
// once; the schedules and kernels below it assume what it established (sizes
// positive, a vector level chosen, items in range) and say so here. They are
// checked in debug builds (and with SIMDNORM_DEBUG_ASSERTS, which the
// sanitizer builds define) and cost nothing in release builds.
#ifndef SIMDNORM_LIB_VALIDATION_DEBUG_ASSERT_HPP_
#define SIMDNORM_LIB_VALIDATION_DEBUG_ASSERT_HPP_

#if !defined(NDEBUG) || defined(SIMDNORM_DEBUG_ASSERTS)
#include <cstdio>
#include <cstdlib>
// A macro rather than <cassert>'s assert, which NDEBUG (set by every release
// and RelWithDebInfo build) would turn off in the sanitizer builds too.
#define SIMDNORM_DEBUG_ASSERT(condition)                                                  \
  ((condition) ? static_cast<void>(0)                                                     \
               : (std::fprintf(stderr, "%s:%d: simdnorm internal assertion failed: %s\n", \
                               __FILE__, __LINE__, #condition),                           \
                  std::abort()))
#else
#define SIMDNORM_DEBUG_ASSERT(condition) static_cast<void>(0)
#endif

#endif  // SIMDNORM_LIB_VALIDATION_DEBUG_ASSERT_HPP_
