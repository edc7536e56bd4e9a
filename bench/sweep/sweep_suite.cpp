#include <cstdint>
#include <string>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::sweep {

std::vector<case_spec> sweep_suite() {
  std::vector<case_spec> cases;
  for (std::int64_t d = 64; d <= 16384; d *= 2) {
    for (const char* method : {"layer_norm", "rms_norm"}) {
      // About 4M floats a case, so each row count keeps the time per call
      // well above the timer's resolution.
      cases.push_back({method, "rows", (std::int64_t{1} << 22) / d, 0, 0, 0, d});
    }
  }
  const std::int64_t batches[] = {1, 2, 4, 8, 16, 32, 64};
  const std::int64_t spatials[] = {7 * 7, 28 * 28, 56 * 56};
  const char* const per_channel_methods[] = {"batch_norm_inference", "batch_norm_training",
                                             "instance_norm"};
  for (const char* layout : {"nchw", "nhwc"}) {
    for (std::int64_t c = 16; c <= 2048; c *= 2) {
      for (std::int64_t n : batches) {
        for (std::int64_t spatial : spatials) {
          // At most 64M floats (256 MiB) a tensor, so the whole grid fits
          // in memory next to its reference.
          if (n * c * spatial > (std::int64_t{1} << 26)) continue;
          for (const char* method : per_channel_methods) {
            cases.push_back({method, layout, n, c, spatial, 0, 0});
          }
          for (std::int64_t groups : {std::int64_t{1}, std::int64_t{2}, std::int64_t{4},
                                      std::int64_t{8}, std::int64_t{16}, std::int64_t{32}, c}) {
            if (groups > c || c % groups != 0) continue;
            if (groups == c && c <= 32) continue;  // already listed
            cases.push_back({"group_norm", layout, n, c, spatial, groups, 0});
          }
        }
      }
    }
  }
  return cases;
}

std::vector<case_spec> suite_named(const std::string& name) {
  if (name == "quick") return quick_suite();
  if (name == "reference") return reference_suite();
  if (name == "sweep") return sweep_suite();
  return {};
}

}  // namespace simdnorm::sweep
