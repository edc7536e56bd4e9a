// A peer library (oneDNN, ATen) measured beside simdnorm, on the
// same case, data, parameters and thread counts, scored against the same
// float64 reference.
#ifndef SIMDNORM_BENCH_CASES_PEER_LIBRARY_HPP_
#define SIMDNORM_BENCH_CASES_PEER_LIBRARY_HPP_

#include <string>
#include <vector>

#include "case_spec.hpp"
#include "methods/method_table.hpp"
#include "prepared_call.hpp"

namespace simdnorm::bench {

struct peer_library {
  const char* name;  // the CSV's impl column
  // Empty when the peer is in this build; else why not (its rows are then
  // written as skipped).
  std::string missing_reason;
  std::string version;  // e.g. "oneDNN 2.6.3 (openmp runtime)"
  std::string isa;      // the CSV's isa column: what the peer says it runs
  // The method table's flag for this peer (&methods::method::onednn or
  // ::aten): which methods it has, in every layout they take. Known without
  // the peer, so that a missing peer's rows are the rows it would have had.
  bool methods::method::*has;
  // Caps the peer's own thread pool, which oneTBB's global_control does not
  // reach (OpenMP in Debian's builds of both peers).
  void (*set_threads)(int threads);
  // As simdnorm::bench::prepare: the same filled buffers (case_inputs.hpp),
  // the same reference (shared through cache where not null), one checked
  // call, then the call to time. bytes is left 0: the row uses simdnorm's
  // count of the case's minimum traffic, so GB/s compare as times do.
  prepared_call (*prepare)(const case_spec& spec, const std::vector<float>& x,
                           reference_cache* cache);

  bool covers(const case_spec& spec) const { return method_of(spec).*has; }
};

// Each defined by the peer's own file, or by missing_peer.cpp when this
// build does not have the peer.
peer_library onednn_peer();
peer_library aten_peer();

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_PEER_LIBRARY_HPP_
