#include <cstdint>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

std::vector<case_spec> quick_suite() {
  // 2^20 floats (4 MiB) per tensor: large enough that call overhead is noise,
  // small enough that the scalar path takes milliseconds per call.
  constexpr std::int64_t n = 8, c = 64, spatial = 2048;  // ResNet-like activation
  constexpr std::int64_t rows = 1024, d = 1024;          // transformer-like rows
  std::vector<case_spec> cases = {
      {"standardize_adapt", "rows", 4096, 0, 0, 0, 256},
      {"standardize_apply", "rows", 4096, 0, 0, 0, 256},
      {"layer_norm", "rows", rows, 0, 0, 0, d},
      {"rms_norm", "rows", rows, 0, 0, 0, d},
      {"weight_norm", "rows", rows, 0, 0, 0, d},
  };
  for (const char* method : activation_methods) {
    for (const char* layout : {"nchw", "nhwc"}) {
      // 32 groups of 2 channels, the usual group-norm setting.
      const std::int64_t groups = std::string(method) == "group_norm" ? 32 : 0;
      cases.push_back({method, layout, n, c, spatial, groups, 0});
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
