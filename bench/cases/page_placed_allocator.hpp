// The allocator of every buffer a benchmark case passes (case_buffer) and of
// the copy that measures the memory bandwidth: each buffer starts 64 bytes
// into a 4 KiB page, whatever its size and whatever was allocated and freed
// before it.
//
// Why fixed: where two buffers lie from each other modulo 4 KiB changes a
// kernel's time (a load whose address matches a pending store's in its low
// 12 bits may wait for that store): layer norm 8192 x 1024, float32, 1
// thread, 2-core Zen 5, 1456 us with y at x's offset in its page, 2507 with
// y 2432 bytes further. With glibc's own placement a buffer's offset
// depended on the history of the heap: a block of 128 KiB or more is
// mapped fresh, 64 bytes into a page, until a mapped block is freed, which
// raises the size above which glibc maps to that block's (up to 32 MiB) and
// places later blocks below it in the heap (after a 32 MiB block was freed,
// two 8 MiB blocks lay 64 and 192 bytes into a page, two of 1 MiB 192 and
// 320: measured); so a case's time followed the cases run before it, and a
// filtered rerun could place it differently from the full run it checks.
//
// Why 64 bytes: it is where glibc puts a large block aligned to 64 bytes,
// the alignment engines give their tensors (PyTorch's CPU allocator, oneDNN
// and ONNX Runtime align to 64 bytes and get their memory from malloc), so
// large tensors of an engine lie as the benchmarks' do; every buffer of a
// case then starts at the same offset (x and y included), as an engine's
// large tensors do.
#ifndef SIMDNORM_BENCH_CASES_PAGE_PLACED_ALLOCATOR_HPP_
#define SIMDNORM_BENCH_CASES_PAGE_PLACED_ALLOCATOR_HPP_

#include <cstddef>
#include <new>

namespace simdnorm::bench {

inline constexpr std::size_t placement_page = 4096;
inline constexpr std::size_t placement_offset = 64;

template <class T>
struct page_placed_allocator {
  static_assert(placement_offset % alignof(T) == 0, "the offset keeps T aligned");
  using value_type = T;

  page_placed_allocator() = default;
  template <class U>
  explicit page_placed_allocator(const page_placed_allocator<U>&) noexcept {}

  T* allocate(std::size_t count) {
    // std::vector asks for at most PTRDIFF_MAX bytes, so adding the offset
    // cannot overflow.
    void* page =
        ::operator new (count * sizeof(T) + placement_offset, std::align_val_t{placement_page});
    return reinterpret_cast<T*>(static_cast<unsigned char*>(page) + placement_offset);
  }
  void deallocate(T* p, std::size_t) noexcept {
    ::operator delete (reinterpret_cast<unsigned char*>(p) - placement_offset,
                       std::align_val_t{placement_page});
  }

  template <class U>
  bool operator==(const page_placed_allocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const page_placed_allocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_PAGE_PLACED_ALLOCATOR_HPP_
