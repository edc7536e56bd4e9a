#include "copy_bandwidth.hpp"

#include <cstddef>
#include <cstring>
#include <memory>

#include "median_time.hpp"

namespace simdnorm::sweep {

double copy_bandwidth_gbps(std::size_t bytes, int reps) {
  const std::unique_ptr<unsigned char[]> source(new unsigned char[bytes]);
  const std::unique_ptr<unsigned char[]> destination(new unsigned char[bytes]);
  // Touch every page of both buffers so no page fault lands in a timed copy.
  std::memset(source.get(), 1, bytes);
  std::memset(destination.get(), 0, bytes);
  const double ns = median_time_ns(
      [&] {
        std::memcpy(destination.get(), source.get(), bytes);
        // Keep the copy observable so the compiler cannot drop it.
        asm volatile("" : : "r"(destination.get()) : "memory");
      },
      reps);
  return 2.0 * static_cast<double>(bytes) / ns;  // bytes per ns = GB/s
}

}  // namespace simdnorm::sweep
