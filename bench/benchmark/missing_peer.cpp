// Stands in for a peer (oneDNN or ATen) that this build does not have: it
// registers the peer's family names on the same shapes, each reporting why it
// was skipped, so a missing peer shows up in the output instead of vanishing.
// CMake compiles this file once per missing peer, defining
// SIMDNORM_MISSING_ONEDNN or SIMDNORM_MISSING_ATEN, and
// SIMDNORM_PEERS_DISABLED=1 when the peers were turned off rather than not
// found.
#include <benchmark/benchmark.h>

#include <string>

#include "benchmark_shapes.hpp"
#include "peer_registry.hpp"

namespace simdnorm::bench {
namespace {

struct missing_peer {
  const char* suffix;       // family names are <Family>_<suffix>[/layout]
  const char* context_key;  // where the present peer records its version
  const char* name;
  const char* package;  // the Debian package that provides it
};

#if defined(SIMDNORM_MISSING_ONEDNN)
constexpr missing_peer this_peer{"onednn", "onednn_version", "oneDNN",
                                 "libdnnl-dev and ocl-icd-opencl-dev"};
#elif defined(SIMDNORM_MISSING_ATEN)
constexpr missing_peer this_peer{"aten", "torch_version", "ATen (libtorch)", "libtorch-dev"};
#else
#error "define SIMDNORM_MISSING_ONEDNN or SIMDNORM_MISSING_ATEN"
#endif

std::string reason() {
#if SIMDNORM_PEERS_DISABLED
  return std::string(this_peer.name) + " not built: configured with -DSIMDNORM_BENCH_PEERS=OFF";
#else
  return std::string(this_peer.name) + " not found at configure time; install " + this_peer.package;
#endif
}

// The families onednn_peer.cpp and aten_peer.cpp both register, in order.
struct peer_family {
  const char* family;
  const char* layout;  // nullptr for row norms
  void (*shapes)(benchmark::internal::Benchmark*);
};

constexpr peer_family peer_families[] = {
    {"LayerNorm", nullptr, RowShapes},
    {"BatchNormInference", "nchw", ActivationShapes},
    {"BatchNormInference", "nhwc", ActivationShapes},
    {"BatchNormTraining", "nchw", ActivationShapes},
    {"BatchNormTraining", "nhwc", ActivationShapes},
    {"GroupNorm", "nchw", GroupShapes},
    {"GroupNorm", "nhwc", GroupShapes},
    {"InstanceNorm", "nchw", InstanceShapes},
    {"InstanceNorm", "nhwc", InstanceShapes},
};

bool register_skipped_families() {
  const std::string message = reason();
  for (const peer_family& f : peer_families) {
    std::string name = std::string(f.family) + "_" + this_peer.suffix;
    if (f.layout != nullptr) name += std::string("/") + f.layout;
    benchmark::RegisterBenchmark(name.c_str(), [message](benchmark::State& state) {
      state.SkipWithError(message.c_str());
    })->Apply(f.shapes);
  }
  return true;
}

void add_missing_context() { benchmark::AddCustomContext(this_peer.context_key, reason()); }

[[maybe_unused]] const bool registered =
    register_skipped_families() && register_peer({nullptr, add_missing_context});

}  // namespace
}  // namespace simdnorm::bench
