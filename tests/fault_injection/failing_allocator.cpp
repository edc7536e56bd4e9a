#include "failing_allocator.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace simdnorm::testing::failing_allocator {
namespace {

// Globals by necessity: operator new has no other way in. Disarmed, the
// target index is -1, which the counter never equals.
std::atomic<std::int64_t> allocations{0};
std::atomic<std::int64_t> target{-1};
std::atomic<bool> reached{false};

// Whether this allocation is the one to fail.
bool fails_now() {
  const std::int64_t index = allocations.fetch_add(1, std::memory_order_relaxed);
  if (index != target.load(std::memory_order_relaxed)) return false;
  reached.store(true, std::memory_order_relaxed);
  return true;
}

void* allocate(std::size_t size, std::size_t alignment) noexcept {
  if (fails_now()) return nullptr;
  if (size == 0) size = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  // aligned_alloc wants a size that is a multiple of the alignment.
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}

void* allocate_or_throw(std::size_t size, std::size_t alignment) {
  void* p = allocate(size, alignment);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void fail_at(std::int64_t index) {
  reached.store(false);
  allocations.store(0);
  target.store(index);
}

bool disarm() {
  target.store(-1);
  allocations.store(0);
  return reached.exchange(false);
}

std::int64_t count() { return allocations.load(); }

}  // namespace simdnorm::testing::failing_allocator

namespace fa = simdnorm::testing::failing_allocator;

void* operator new(std::size_t size) { return fa::allocate_or_throw(size, 0); }
void* operator new[](std::size_t size) { return fa::allocate_or_throw(size, 0); }
void* operator new(std::size_t size, std::align_val_t a) {
  return fa::allocate_or_throw(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return fa::allocate_or_throw(size, static_cast<std::size_t>(a));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return fa::allocate(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return fa::allocate(size, 0);
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fa::allocate(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fa::allocate(size, static_cast<std::size_t>(a));
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
