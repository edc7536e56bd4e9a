#include "copy_bandwidth.hpp"

#include <tbb/parallel_for.h>

#include <cstddef>
#include <cstring>
#include <limits>
#include <vector>

#include "median_time.hpp"
#include "page_placed_allocator.hpp"

namespace simdnorm::bench {

double copy_bandwidth_gbps(std::size_t bytes, int reps) {
  // Placed as the cases' buffers are, so that the kernels' fraction of this
  // bandwidth does not depend on where the heap put the copy's.
  using buffer = std::vector<unsigned char, page_placed_allocator<unsigned char>>;
  // Filled, so that every page is touched and no page fault lands in a
  // timed copy.
  const buffer source(bytes, 1);
  buffer destination(bytes, 0);
  // 64 KiB pieces over oneTBB, so the probe runs on as many threads as the
  // kernels it is compared with (the caller caps them with global_control).
  constexpr std::size_t piece = std::size_t{1} << 16;
  const double ns = median_time_ns(
      [&] {
        tbb::parallel_for(std::size_t{0}, (bytes + piece - 1) / piece, [&](std::size_t k) {
          const std::size_t begin = k * piece;
          const std::size_t length = begin + piece < bytes ? piece : bytes - begin;
          std::memcpy(destination.data() + begin, source.data() + begin, length);
        });
        // Keep the copy observable so the compiler cannot drop it.
        asm volatile("" : : "r"(destination.data()) : "memory");
      },
      reps, std::numeric_limits<double>::infinity());
  return 2.0 * static_cast<double>(bytes) / ns;  // bytes per ns = GB/s
}

}  // namespace simdnorm::bench
