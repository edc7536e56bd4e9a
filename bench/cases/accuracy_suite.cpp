#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "case_spec.hpp"

namespace simdnorm::bench {

std::vector<case_spec> accuracy_suite() {
  // Every method x layout at the quick suite's size, the reference shapes,
  // then odd sizes: vector tails everywhere, single-row and single-sample
  // sets, one position a sample, a row longer than a statistics chunk, one
  // group, groups of one channel (G = C).
  // The variants of a function (types, activations) share its kernels but
  // for how elements are read and written, so they are measured on the odd
  // sizes and on one moderate tensor, not on the quick and reference shapes.
  std::vector<case_spec> cases;
  for (const case_spec& spec : quick_suite()) {
    if (!method_of(spec).variant()) cases.push_back(spec);
  }
  for (const case_spec& spec : float32_reference_targets()) cases.push_back(spec);
  for (const methods::method& m : methods::all()) {
    if (!m.variant()) continue;
    for (const methods::layout_kind layout : m.layouts()) {
      cases.push_back(m.rows ? case_of(m, layout, 64, 0, 0, 0, 1024)
                             : case_of(m, layout, 2, 64, 1024, m.grouped ? 32 : 0, 0));
    }
  }
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
      // One position a sample too (N x C, BatchNorm1d's input), which the
      // channel methods run on the channels-last kernels in both layouts.
      if (m.grouped) {
        cases.push_back(case_of(m, layout, 3, 7, 131, 7, 0));
        cases.push_back(case_of(m, layout, 1, 5, 97, 5, 0));
        cases.push_back(case_of(m, layout, 2, 6, 33, 1, 0));
        cases.push_back(case_of(m, layout, 2, 6, 33, 3, 0));
        cases.push_back(case_of(m, layout, 37, 13, 1, 1, 0));
        cases.push_back(case_of(m, layout, 37, 13, 1, 13, 0));
      } else {
        cases.push_back(case_of(m, layout, 3, 7, 131, 0, 0));
        cases.push_back(case_of(m, layout, 1, 5, 97, 0, 0));
        cases.push_back(case_of(m, layout, 37, 13, 1, 0, 0));
      }
    }
  }
  // Narrow channels-last tensors (issue 12): C below a vector's width and a
  // few more, over 32822 positions (n = 2, spatial = 16411: at least 32K,
  // odd, so every block and vector has a tail), where the vector path once
  // summed each channel in float32 chains of thousands of terms. Every
  // method that takes NHWC, grouped ones with G = 1 and G = C; standardize
  // as its engine runs it, samples as positions and features as channels.
  constexpr std::int64_t narrow_n = 2, narrow_spatial = 16411;
  for (const std::int64_t c : {1, 2, 3, 5, 7, 16}) {
    for (const methods::method& m : methods::all()) {
      if (m.variant()) continue;
      if (takes(m, methods::layout_kind::nhwc)) {
        const auto narrow = [&](std::int64_t groups) {
          cases.push_back(
              case_of(m, methods::layout_kind::nhwc, narrow_n, c, narrow_spatial, groups, 0));
        };
        if (!m.grouped) {
          narrow(0);
        } else {
          narrow(1);
          if (c > 1) narrow(c);
        }
      } else if (m.rows && per_feature_statistics(m)) {
        cases.push_back(
            case_of(m, methods::layout_kind::rows, narrow_n * narrow_spatial, 0, 0, 0, c));
      }
    }
  }
  return cases;
}

bool accuracy_measures(const case_spec& spec, const std::string& family) {
  constexpr std::int64_t largest_with_every_family = std::int64_t{1} << 22;
  const methods::method& m = method_of(spec);
  const bool per_sample = (m.rows && !per_feature_statistics(m)) ||
                          std::string_view(m.function) == "instance_norm" ||
                          std::string_view(m.function) == "group_norm";
  if (!per_sample || spec.elements() <= largest_with_every_family) return true;
  return family == "normal" || family == "offset1e4" || family == "offset1e5" ||
         family == "small_var";
}

}  // namespace simdnorm::bench
