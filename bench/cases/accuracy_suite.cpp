#include <cstdint>
#include <string>
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
  for (const char* method :
       {"layer_norm", "rms_norm", "weight_norm", "standardize_adapt", "standardize_apply"}) {
    for (const auto& [rows, d] :
         {std::pair<std::int64_t, std::int64_t>{3, 1031}, {7, 5}, {1, 1}, {1, 65537}}) {
      cases.push_back({method, "rows", rows, 0, 0, 0, d});
    }
  }
  for (const char* layout : {"nchw", "nhwc"}) {
    for (const char* method : activation_methods) {
      if (std::string(method) == "group_norm") {
        cases.push_back({method, layout, 3, 7, 131, 7, 0});
        cases.push_back({method, layout, 1, 5, 97, 5, 0});
        cases.push_back({method, layout, 2, 6, 33, 1, 0});
        cases.push_back({method, layout, 2, 6, 33, 3, 0});
      } else {
        cases.push_back({method, layout, 3, 7, 131, 0, 0});
        cases.push_back({method, layout, 1, 5, 97, 0, 0});
      }
    }
  }
  return cases;
}

}  // namespace simdnorm::bench
