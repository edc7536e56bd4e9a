#include "copy_bandwidth.hpp"

#include <tbb/parallel_for.h>

#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>

#include "median_time.hpp"

namespace simdnorm::bench {

double copy_bandwidth_gbps(std::size_t bytes, int reps) {
  const std::unique_ptr<unsigned char[]> source(new unsigned char[bytes]);
  const std::unique_ptr<unsigned char[]> destination(new unsigned char[bytes]);
  // Touch every page of both buffers so no page fault lands in a timed copy.
  std::memset(source.get(), 1, bytes);
  std::memset(destination.get(), 0, bytes);
  // 64 KiB pieces over oneTBB, so the probe runs on as many threads as the
  // kernels it is compared with (the caller caps them with global_control).
  constexpr std::size_t piece = std::size_t{1} << 16;
  const double ns = median_time_ns(
      [&] {
        tbb::parallel_for(std::size_t{0}, (bytes + piece - 1) / piece, [&](std::size_t k) {
          const std::size_t begin = k * piece;
          const std::size_t length = begin + piece < bytes ? piece : bytes - begin;
          std::memcpy(destination.get() + begin, source.get() + begin, length);
        });
        // Keep the copy observable so the compiler cannot drop it.
        asm volatile("" : : "r"(destination.get()) : "memory");
      },
      reps, std::numeric_limits<double>::infinity());
  return 2.0 * static_cast<double>(bytes) / ns;  // bytes per ns = GB/s
}

}  // namespace simdnorm::bench
