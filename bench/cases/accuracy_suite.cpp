#include <cstdint>
#include <utility>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

std::vector<case_spec> accuracy_suite() {
  // Every method x layout at the quick suite's size, the reference shapes,
  // then odd sizes: vector tails everywhere, single-row and single-sample
  // sets, a row longer than a statistics chunk, one group, groups of one
  // channel (G = C).
  std::vector<case_spec> cases = quick_suite();
  for (const case_spec& spec : reference_suite()) cases.push_back(spec);
  for (const methods::method* m : rows_methods()) {
    for (const auto& [rows, d] :
         {std::pair<std::int64_t, std::int64_t>{3, 1031}, {7, 5}, {1, 1}, {1, 65537}}) {
      cases.push_back(case_of(*m, methods::layout_kind::rows, rows, 0, 0, 0, d));
    }
  }
  for (const methods::layout_kind layout :
       {methods::layout_kind::nchw, methods::layout_kind::nhwc}) {
    for (const methods::method& m : methods::all()) {
      if (!takes(m, layout)) continue;
      if (m.grouped) {
        cases.push_back(case_of(m, layout, 3, 7, 131, 7, 0));
        cases.push_back(case_of(m, layout, 1, 5, 97, 5, 0));
        cases.push_back(case_of(m, layout, 2, 6, 33, 1, 0));
        cases.push_back(case_of(m, layout, 2, 6, 33, 3, 0));
      } else {
        cases.push_back(case_of(m, layout, 3, 7, 131, 0, 0));
        cases.push_back(case_of(m, layout, 1, 5, 97, 0, 0));
      }
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
