// The peer libraries (oneDNN, ATen) that simdnorm_bench measures beside
// simdnorm. Each peer's translation unit registers itself from a static
// initializer, so main.cpp applies --threads to every peer and records their
// versions without knowing which peers this build has.
#ifndef SIMDNORM_BENCH_BENCHMARK_PEER_REGISTRY_HPP_
#define SIMDNORM_BENCH_BENCHMARK_PEER_REGISTRY_HPP_

namespace simdnorm::bench {

struct peer {
  // Caps the peer's own thread pool at threads (> 0): oneTBB's global_control
  // does not reach an OpenMP runtime or ATen's intra-op pool.
  void (*set_threads)(int threads);
  // Adds the peer's version, or why it is missing, to the benchmark context.
  void (*add_context)();
};

// Returns true, so that a peer can register by initialising a constant.
bool register_peer(const peer& p);

// Gives every registered peer the thread count simdnorm runs with (a count
// below 1 leaves each peer at its default) and records each peer's context.
// Call before benchmark::RunSpecifiedBenchmarks.
void configure_peers(int threads);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_BENCHMARK_PEER_REGISTRY_HPP_
