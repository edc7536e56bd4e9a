// What simdnorm_bench and simdnorm_sweep both need to know of the oneDNN they
// link: its version and threading runtime, the instruction set it dispatches
// to, and how to cap its threads. Only the oneDNN peer files include this.
#ifndef SIMDNORM_BENCH_COMMON_ONEDNN_RUNTIME_HPP_
#define SIMDNORM_BENCH_COMMON_ONEDNN_RUNTIME_HPP_

#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#endif

namespace simdnorm::bench {

inline void set_onednn_threads(int threads) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
  // This oneDNN runs its primitives on OpenMP, which tbb::global_control does
  // not reach. The benchmarks call from the main thread, whose OpenMP thread
  // count this sets.
  omp_set_num_threads(threads);
#else
  // On oneTBB, the caller's tbb::global_control caps oneDNN already;
  // sequential builds have nothing to cap.
  static_cast<void>(threads);
#endif
}

inline std::string onednn_version() {
  const dnnl_version_t* version = dnnl_version();
  return std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
         std::to_string(version->patch);
}

inline const char* onednn_runtime() {
  switch (dnnl_version()->cpu_runtime) {
    case DNNL_RUNTIME_SEQ:
      return "sequential";
    case DNNL_RUNTIME_OMP:
      return "openmp";
    case DNNL_RUNTIME_TBB:
      return "tbb";
    case DNNL_RUNTIME_THREADPOOL:
      return "threadpool";
    default:
      return "other";
  }
}

// The instruction set oneDNN's JIT kernels target on this CPU.
inline const char* onednn_isa() {
  switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic:
      return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "unknown";
  }
}

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_COMMON_ONEDNN_RUNTIME_HPP_
