// The unfused sequence an engine runs where simdnorm has a fused call, so
// that the suites show what the fusion buys: for a norm followed by an
// activation, the plain call, then the activation as a pass of its own over
// y (a simdnorm batch norm with identity statistics and the activation,
// in place: the same vector code, one more read and write of y); for the
// fused residual add, the add (bench/common/residual_add.hpp) writing h
// into sum, or into y when the call has no sum, then the plain norm of h.
// In a 16-bit type the unfused sequence rounds y (or h) to 16 bits between
// its steps, as an engine's would.
#ifndef SIMDNORM_BENCH_CASES_UNFUSED_CALLS_HPP_
#define SIMDNORM_BENCH_CASES_UNFUSED_CALLS_HPP_

#include <vector>

#include "case_spec.hpp"
#include "methods/method_table.hpp"
#include "prepared_call.hpp"

namespace simdnorm::bench {

// Whether m fuses a neighbour (an activation, a residual add).
bool has_unfused(const methods::method& m);

// As prepare(): the fused case's buffers filled, the unfused sequence run
// once and scored against the fused method's float64 reference, then the
// sequence to time. Throws std::invalid_argument when the case's method
// fuses nothing.
prepared_call prepare_unfused(const case_spec& spec, const std::vector<float>& x,
                              reference_cache* cache = nullptr);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_UNFUSED_CALLS_HPP_
