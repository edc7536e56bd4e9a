#include <cstdint>
#include <utility>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

// The methods here are the ones the speed targets are stated on (issues 4 and
// 12), by name: a method added to the table joins the other suites, not this
// one.
std::vector<case_spec> reference_suite() {
  using methods::layout_kind;
  using methods::named;
  std::vector<case_spec> cases;
  // Layer and RMS norm at the same shapes: transformer rows (768 to 4096
  // features, one token to a 2048-token batch), and 65536 rows of 64, where
  // the per-row work, not the bandwidth, sets the time. No in-run peer has RMS
  // norm (oneDNN 2.6, ATen 1.13), so its rows measure simdnorm alone.
  for (const char* method : {"layer_norm", "rms_norm"}) {
    for (const auto& [rows, d] : {std::pair<std::int64_t, std::int64_t>{1, 768},
                                  {128, 768},
                                  {512, 1024},
                                  {2048, 4096},
                                  {8, 4096},
                                  {65536, 64}}) {
      cases.push_back(case_of(named(method), layout_kind::rows, rows, 0, 0, 0, d));
    }
  }
  struct activation {
    std::int64_t n, c, h, w, groups;
  };
  const std::vector<activation> batch_shapes = {{1, 64, 112, 112, 0},
                                                {8, 64, 112, 112, 0},
                                                {8, 256, 56, 56, 0},
                                                {8, 512, 28, 28, 0},
                                                {8, 2048, 7, 7, 0}};
  const std::vector<activation> group_shapes = {{1, 320, 64, 64, 32},  {2, 640, 32, 32, 32},
                                                {2, 1280, 16, 16, 32}, {8, 256, 56, 56, 32},
                                                {4, 64, 56, 56, 1},    {4, 64, 56, 56, 64}};
  const std::vector<activation> instance_shapes = {{1, 64, 256, 256, 0}, {4, 128, 128, 128, 0}};
  const std::pair<const char*, const std::vector<activation>*> targets[] = {
      {"batch_norm_inference", &batch_shapes},
      {"batch_norm_training", &batch_shapes},
      {"group_norm", &group_shapes},
      {"instance_norm", &instance_shapes}};
  for (const layout_kind layout : {layout_kind::nchw, layout_kind::nhwc}) {
    for (const auto& [method, shapes] : targets) {
      for (const activation& a : *shapes) {
        cases.push_back(case_of(named(method), layout, a.n, a.c, a.h * a.w, a.groups, 0));
      }
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
