// The machine's copy bandwidth, measured in the same process as the kernels so
// that bw_fraction compares like with like (same memory, same frequency state).
#ifndef SIMDNORM_BENCH_CASES_COPY_BANDWIDTH_HPP_
#define SIMDNORM_BENCH_CASES_COPY_BANDWIDTH_HPP_

#include <cstddef>

namespace simdnorm::bench {

// GB/s of memcpy between two buffers of `bytes` each, counted as bytes read
// plus bytes written (2 * bytes per copy), median of reps copies, on every
// thread oneTBB allows the caller. bytes should be well above the last-level
// cache (256 MiB by default) so DRAM is measured.
double copy_bandwidth_gbps(std::size_t bytes, int reps);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_COPY_BANDWIDTH_HPP_
