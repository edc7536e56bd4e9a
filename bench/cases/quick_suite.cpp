#include <cstdint>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

std::vector<case_spec> quick_suite() {
  // 2^20 floats (4 MiB) per tensor: large enough that call overhead is noise,
  // small enough that the scalar path takes milliseconds per call.
  constexpr std::int64_t n = 8, c = 64, spatial = 2048;  // ResNet-like activation
  constexpr std::int64_t rows = 1024, d = 1024;          // transformer-like rows
  // Standardize sees a dataset: many samples of a few hundred features.
  constexpr std::int64_t samples = 4096, features = 256;
  std::vector<case_spec> cases;
  for (const methods::method& m : methods::all()) {
    if (!m.rows) continue;
    const bool dataset = per_feature_statistics(m);
    cases.push_back(case_of(m, methods::layout_kind::rows, dataset ? samples : rows, 0, 0, 0,
                            dataset ? features : d));
  }
  for (const methods::method& m : methods::all()) {
    for (const methods::layout_kind layout : m.layouts()) {
      if (layout == methods::layout_kind::rows) continue;
      // 32 groups of 2 channels, the usual group-norm setting.
      cases.push_back(case_of(m, layout, n, c, spatial, m.grouped ? 32 : 0, 0));
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
