// A std::vector whose data starts on a cache line, allocated through the
// aligned operator new (not xsimd's aligned_malloc, which goes to malloc
// directly): so a replacement of operator new (an engine's arena, the fault
// injection tests) sees these allocations like every other of the library.
#ifndef SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_
#define SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_

#include <cstddef>
#include <new>
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

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_ALIGNED_VECTOR_HPP_
