#include <cstdint>
#include <string>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

namespace {

// The grid's centre: a ResNet conv3_x activation at batch 8, 32 groups.
constexpr std::int64_t centre_n = 8, centre_c = 256, centre_spatial = 28 * 28, centre_groups = 32;

void add_unique(std::vector<case_spec>& cases, const case_spec& spec) {
  for (const case_spec& listed : cases) {
    if (listed.method == spec.method && listed.layout == spec.layout && listed.n == spec.n &&
        listed.c == spec.c && listed.spatial == spec.spatial && listed.groups == spec.groups &&
        listed.d == spec.d) {
      return;
    }
  }
  cases.push_back(spec);
}

}  // namespace

std::vector<case_spec> sweep_suite() {
  std::vector<case_spec> cases;
  // Rows x d methods: d from 64 to 16384 at 4M floats a case, so that every
  // row count keeps the time per call well above the timer's resolution.
  for (const methods::method* m : rows_methods()) {
    for (std::int64_t d = 64; d <= 16384; d *= 2) {
      add_unique(cases,
                 case_of(*m, methods::layout_kind::rows, (std::int64_t{1} << 22) / d, 0, 0, 0, d));
    }
  }
  // Activation methods: one-dimensional slices through the centre, along N,
  // C, the spatial size and (group norm) G, each with the others fixed. The
  // full product of those values would be thousands of cases, hours on a
  // small machine; the slices cover every value the plots are drawn against.
  for (const methods::layout_kind layout :
       {methods::layout_kind::nchw, methods::layout_kind::nhwc}) {
    for (const methods::method& m : methods::all()) {
      if (!takes(m, layout)) continue;
      const auto add = [&](std::int64_t n, std::int64_t c, std::int64_t spatial) {
        // C = 16 has no 32 groups; G = C is the group slice's end.
        if (m.grouped && c % centre_groups != 0) return;
        add_unique(cases, case_of(m, layout, n, c, spatial, m.grouped ? centre_groups : 0, 0));
      };
      for (const std::int64_t n : {1, 2, 4, 8, 16, 32, 64}) add(n, centre_c, centre_spatial);
      for (std::int64_t c = 16; c <= 2048; c *= 2) add(centre_n, c, centre_spatial);
      for (const std::int64_t spatial : {7 * 7, 14 * 14, 28 * 28, 56 * 56}) {
        add(centre_n, centre_c, spatial);
      }
      if (m.grouped) {
        for (const std::int64_t groups : {1, 2, 4, 8, 16, 32, 64, 128, 256}) {
          add_unique(cases, case_of(m, layout, centre_n, centre_c, centre_spatial, groups, 0));
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
  if (name == "accuracy") return accuracy_suite();
  return {};
}

}  // namespace simdnorm::bench
