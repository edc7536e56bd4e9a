// A std::vector whose data starts on a cache line, allocated through the
// aligned operator new (not xsimd's aligned_malloc, which goes to malloc
// directly): so a replacement of operator new (an engine's arena, the fault
// injection tests) sees these allocations like every other of the library.
#ifndef SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_
#define SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace simdnorm::schedule {

template <class T, std::size_t Alignment>
struct aligned_allocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = aligned_allocator<U, Alignment>;
  };

  aligned_allocator() = default;
  template <class U>
  explicit aligned_allocator(const aligned_allocator<U, Alignment>&) noexcept {}

  T* allocate(std::size_t count) {
    return static_cast<T*>(::operator new (count * sizeof(T), std::align_val_t{Alignment}));
  }
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete (p, std::align_val_t{Alignment});
  }

  template <class U>
  bool operator==(const aligned_allocator<U, Alignment>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const aligned_allocator<U, Alignment>&) const noexcept {
    return false;
  }
};

// 64 bytes: one AVX-512 register, one cache line.
template <class T>
using cache_aligned_vector = std::vector<T, aligned_allocator<T, 64>>;

// The same allocator, but a vector(count) leaves its values uninitialised:
// for scratch that a kernel writes before it reads (an NHWC call's partial
// statistics: zeroing them on the calling thread was serial time, a few
// microseconds per call, that no thread count could share).
template <class T>
struct uninitialized_allocator : aligned_allocator<T, 64> {
  static_assert(std::is_trivially_destructible_v<T>);
  template <class U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };

  uninitialized_allocator() = default;
  template <class U>
  explicit uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}

  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;  // default-initialised: no value for a scalar
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <class T>
using uninitialized_vector = std::vector<T, uninitialized_allocator<T>>;

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_
