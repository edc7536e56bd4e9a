// A replacement of the global operator new (every form: plain, array,
// aligned, nothrow) that counts allocations from every thread and fails the
// one with a chosen index: std::bad_alloc from the throwing forms, null from
// the nothrow ones. Linked into a test binary, it reaches every allocation
// simdnorm and the C++ runtime make through new, oneTBB's included; malloc
// itself is left alone (oneTBB's task memory comes from there).
#ifndef SIMDNORM_TESTS_FAULT_INJECTION_FAILING_ALLOCATOR_HPP_
#define SIMDNORM_TESTS_FAULT_INJECTION_FAILING_ALLOCATOR_HPP_

#include <cstdint>

namespace simdnorm::testing::failing_allocator {

// From now on, counting from 0, the allocation with this index fails. Only
// one fails: the ones after it succeed, as they would after memory was freed.
void fail_at(std::int64_t index);

// Stops failing. Returns whether the chosen allocation was reached (and
// failed) since fail_at.
bool disarm();

// Allocations since the last fail_at or disarm.
std::int64_t count();

}  // namespace simdnorm::testing::failing_allocator

#endif  // SIMDNORM_TESTS_FAULT_INJECTION_FAILING_ALLOCATOR_HPP_
