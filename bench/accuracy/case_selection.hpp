// Which of the accuracy suite's cases a run measures, and so which of the
// baseline's cases the comparison expects: the same selection on both sides,
// so that a deliberate subset (one method family, the target data families
// at small sizes under emulation) is not reported as cases gone missing,
// while a case the subset does include still is.
#ifndef SIMDNORM_BENCH_ACCURACY_CASE_SELECTION_HPP_
#define SIMDNORM_BENCH_ACCURACY_CASE_SELECTION_HPP_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace simdnorm::bench {

struct case_selection {
  std::string method_substring;       // --filter: methods whose name contains it; "" all
  std::vector<std::string> families;  // --families: these data families; empty: all
  std::int64_t max_elements = 0;      // --max-elements: tensors up to this size; 0: any

  bool selects(const std::string& method, const std::string& family, std::int64_t elements) const {
    return method.find(method_substring) != std::string::npos &&
           (families.empty() ||
            std::find(families.begin(), families.end(), family) != families.end()) &&
           (max_elements == 0 || elements <= max_elements);
  }
};

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_ACCURACY_CASE_SELECTION_HPP_
