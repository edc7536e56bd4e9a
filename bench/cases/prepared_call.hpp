// A benchmark case made ready to run: inputs generated, the call checked once on
// fresh state against the float64 reference, and a repeatable call to time.
#ifndef SIMDNORM_BENCH_CASES_PREPARED_CALL_HPP_
#define SIMDNORM_BENCH_CASES_PREPARED_CALL_HPP_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "case_spec.hpp"
#include "page_placed_allocator.hpp"

namespace simdnorm::bench {

// NaN where a figure does not apply (written as an empty CSV cell). Where the
// reference is NaN, infinite or past float32's range, a non-finite output is
// right and counts as no error; any other disagreement on finiteness (a NaN where the reference is
// a number, a number where it is not) is a mismatch and an infinite error.
struct error_figures {
  double max_abs = std::numeric_limits<double>::quiet_NaN();       // of y
  double mean_abs = std::numeric_limits<double>::quiet_NaN();      // of y
  double stat_max_abs = std::numeric_limits<double>::quiet_NaN();  // of every statistic output
  std::int64_t nonfinite_mismatches = 0;                           // of y and the statistics
  // Statistics relative to their own size (measure_relative_stats in
  // case_inputs.hpp says how), for the accuracy gate; NaN from a peer. Size
  // statistics (variances, running variances, rstd as the var + eps it
  // carries, norms) relative to themselves:
  double stat_var_rel = std::numeric_limits<double>::quiet_NaN();
  // Means (set means, running means) relative to their set's spread:
  double stat_mean_rel = std::numeric_limits<double>::quiet_NaN();
  // Of a bfloat16 or float16 method's tensor outputs (y, the fused add's
  // sum), against the correctly rounded element of the float64 reference:
  // the fraction that equals it, and the largest distance in units in the
  // last place. NaN for float32 methods and peers.
  double exact_rounded = std::numeric_limits<double>::quiet_NaN();
  double max_ulp = std::numeric_limits<double>::quiet_NaN();
};

// FNV-1a (64 bits) of one output buffer's bytes.
struct output_digest {
  std::string name;  // "y", "mean", "running_var", ...
  std::uint64_t fnv1a;
};

struct prepared_call {
  std::int64_t bytes = 0;  // minimum_traffic_bytes of the case; 0 from a peer
  error_figures errors;
  std::function<void()> call;
  // Digests of every output buffer as the last call left it (right after
  // prepare(): the checked call), so that a change can be shown to leave each
  // bit as it was (simdnorm_accuracy --digests). Empty from a peer.
  std::function<std::vector<output_digest>()> digests;
};

// A buffer a case owns: 64-byte aligned, as engines and the peers allocate
// tensors (malloc's 16 bytes would keep simdnorm from its non-temporal
// stores, which need an aligned vector, where every peer gets aligned
// memory), and 64 bytes into a page whatever ran before
// (page_placed_allocator.hpp).
using case_buffer = std::vector<float, page_placed_allocator<float>>;

// The float64 reference of one case and input, kept between prepare() calls
// that check several implementations (instruction sets, peers) on the same
// input. Empty until the first call fills it; one cache per case and input.
struct reference_cache {
  std::shared_ptr<const methods::reference_outputs> value;
  // Per buffer index of the method, the float64 standard deviation of each
  // set a mean output is taken over; filled on first use, empty elsewhere.
  std::shared_ptr<const std::vector<std::vector<double>>> spreads;
  // Per buffer index, the initial values of the buffers a call reads or
  // updates (not x, not pure outputs), copied into each call: the running
  // statistics of inference are a float64 pass over the data, which the
  // accuracy gate would otherwise repeat for every path.
  std::shared_ptr<const std::vector<case_buffer>> initial;
};

// Throws std::invalid_argument for an unknown method, and whatever simdnorm
// throws when the call itself fails. With a cache, the reference is computed
// by the first call only.
prepared_call prepare(const case_spec& spec, const std::vector<float>& x,
                      reference_cache* cache = nullptr);

// The least memory traffic of simdnorm's call on a case (methods::method::
// traffic_bytes of the buffers the benchmarks pass). Peer rows use it too, so
// that their GB/s compare as times do.
std::int64_t minimum_traffic_bytes(const case_spec& spec);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_PREPARED_CALL_HPP_
