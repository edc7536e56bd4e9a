// Stands in for a peer (oneDNN or ATen) that this build does not have, so that
// its rows are reported as skipped, with the reason, rather than dropped. CMake compiles this file
// once per missing peer, defining SIMDNORM_MISSING_ONEDNN or SIMDNORM_MISSING_ATEN, and
// SIMDNORM_PEERS_DISABLED=1 when the peers were turned off rather than not
// found.
#include <stdexcept>
#include <string>

#include "peer_library.hpp"

namespace simdnorm::bench {

namespace {

std::string reason(const char* name, const char* package) {
#if SIMDNORM_PEERS_DISABLED
  static_cast<void>(package);
  return std::string(name) + " not built: configured with -DSIMDNORM_BENCH_PEERS=OFF";
#else
  return std::string(name) + " not found at configure time; install " + package;
#endif
}

void no_threads(int) {}

prepared_call not_built(const case_spec& spec, const std::vector<float>&, reference_cache*) {
  throw std::logic_error("a missing peer was asked to run " + spec.method);
}

}  // namespace

#if defined(SIMDNORM_MISSING_ONEDNN)
peer_library onednn_peer() {
  return {"onednn",
          reason("oneDNN", "libdnnl-dev and ocl-icd-opencl-dev"),
          "",
          "",
          &methods::method::onednn,
          no_threads,
          not_built};
}
#elif defined(SIMDNORM_MISSING_ATEN)
peer_library aten_peer() {
  return {"aten",   reason("ATen", "libtorch-dev"), "", "", &methods::method::aten, no_threads,
          not_built};
}
#else
#error "define SIMDNORM_MISSING_ONEDNN or SIMDNORM_MISSING_ATEN"
#endif

}  // namespace simdnorm::bench
