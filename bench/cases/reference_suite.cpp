#include <cstdint>
#include <utility>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

std::vector<case_spec> reference_suite() {
  std::vector<case_spec> cases;
  for (const auto& [rows, d] : {std::pair<std::int64_t, std::int64_t>{1, 768},
                                {128, 768},
                                {512, 1024},
                                {2048, 4096},
                                {8, 4096}}) {
    cases.push_back({"layer_norm", "rows", rows, 0, 0, 0, d});
  }
  struct activation {
    std::int64_t n, c, h, w, groups;
  };
  const activation batch_shapes[] = {{1, 64, 112, 112, 0},
                                     {8, 64, 112, 112, 0},
                                     {8, 256, 56, 56, 0},
                                     {8, 512, 28, 28, 0},
                                     {8, 2048, 7, 7, 0}};
  const activation group_shapes[] = {{1, 320, 64, 64, 32},  {2, 640, 32, 32, 32},
                                     {2, 1280, 16, 16, 32}, {8, 256, 56, 56, 32},
                                     {4, 64, 56, 56, 1},    {4, 64, 56, 56, 64}};
  const activation instance_shapes[] = {{1, 64, 256, 256, 0}, {4, 128, 128, 128, 0}};
  for (const char* layout : {"nchw", "nhwc"}) {
    for (const char* method : {"batch_norm_inference", "batch_norm_training"}) {
      for (const activation& a : batch_shapes) {
        cases.push_back({method, layout, a.n, a.c, a.h * a.w, 0, 0});
      }
    }
    for (const activation& a : group_shapes) {
      cases.push_back({"group_norm", layout, a.n, a.c, a.h * a.w, a.groups, 0});
    }
    for (const activation& a : instance_shapes) {
      cases.push_back({"instance_norm", layout, a.n, a.c, a.h * a.w, 0, 0});
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
