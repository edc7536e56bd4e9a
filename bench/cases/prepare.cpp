// How the benchmarks call, check and time simdnorm, for every method the
// table describes: fill the call's buffers, take the float64 reference from
// that initial state (running statistics included), call simdnorm once and
// score every output it wrote, then hand back the same call for timing
// (timed calls keep updating running statistics, which does not change their
// cost).
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "case_inputs.hpp"
#include "prepared_call.hpp"

namespace simdnorm::bench {

namespace {

using methods::arguments;

std::uint64_t fnv1a(const float* values, std::int64_t byte_count) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(values);
  for (std::size_t i = 0; i < static_cast<std::size_t>(byte_count); ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Every buffer the call passes that an output can be, inputs such as
// standardize_apply's mean included, named by its member of arguments: the
// names (and order) of the digests earlier builds wrote, which
// scripts/compare-outputs.sh matches across commits.
std::vector<output_digest> digests_of(const case_call& call) {
  static const std::pair<const char*, methods::member> named[] = {
      {"y", &arguments::y},
      {"mean", &arguments::mean},
      {"rstd", &arguments::rstd},
      {"var", &arguments::var},
      {"save_mean", &arguments::save_mean},
      {"save_rstd", &arguments::save_rstd},
      {"norm", &arguments::norm},
      {"running_mean", &arguments::running_mean},
      {"running_var", &arguments::running_var},
      {"sum", &arguments::sum}};
  std::vector<output_digest> digests;
  for (const auto& [name, field] : named) {
    for (const methods::buffer& b : call.method->buffers) {
      const float* values = call.args.*b.field;
      if (b.field != field || values == nullptr) continue;
      digests.push_back({name, fnv1a(values, call.method->bytes_of(b, call.args.p))});
    }
  }
  return digests;
}

}  // namespace

std::int64_t minimum_traffic_bytes(const case_spec& spec) {
  const methods::method& m = method_of(spec);
  arguments args;
  args.p = problem_of(spec);
  // traffic_bytes asks only which buffers a call passes, never their values:
  // one address stands for each.
  static float passed_buffer;
  for (const methods::buffer& b : m.buffers) {
    if (passed(b)) args.*b.field = &passed_buffer;
  }
  return m.traffic_bytes(args);
}

prepared_call prepare(const case_spec& spec, const std::vector<float>& x, reference_cache* cache) {
  reference_cache local;
  const std::shared_ptr<case_call> call = fill_call(spec, x, cache != nullptr ? cache : &local);
  const methods::method& m = *call->method;
  const auto expected = reference_of(*call, cache != nullptr ? *cache : local);
  m.cpp(call->args);
  prepared_call prepared;
  prepared.bytes = m.traffic_bytes(call->args);
  measure_outputs(prepared.errors, *call, *expected);
  measure_relative_stats(prepared.errors, *call, *expected, cache != nullptr ? *cache : local);
  prepared.call = [call] { call->method->cpp(call->args); };
  prepared.digests = [call] { return digests_of(*call); };
  return prepared;
}

}  // namespace simdnorm::bench
