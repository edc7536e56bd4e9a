// One benchmark case: a public method, a layout and a shape.
#ifndef SIMDNORM_BENCH_CASES_CASE_SPEC_HPP_
#define SIMDNORM_BENCH_CASES_CASE_SPEC_HPP_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "methods/method_table.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::bench {

// Sizes that do not apply to a method are 0 (an empty CSV cell):
// rows x d methods (standardize, layer/RMS norm, weight norm) use n = rows
// and d; activation methods use n, c, spatial, and groups for group norm.
struct case_spec {
  std::string method;
  std::string layout;  // "nchw", "nhwc" or "rows"
  std::int64_t n = 0;
  std::int64_t c = 0;
  std::int64_t spatial = 0;
  std::int64_t groups = 0;
  std::int64_t d = 0;

  std::int64_t elements() const { return layout == "rows" ? n * d : n * c * spatial; }
};

// The method table's entry of a case; throws std::invalid_argument when
// there is none.
const methods::method& method_of(const case_spec& spec);
// The case's layout and sizes as the table's calls take them.
methods::problem problem_of(const case_spec& spec);

// What the suites ask of the table. Whether m takes tensors laid out so.
bool takes(const methods::method& m, methods::layout_kind layout);
// Whether m's statistics are per feature of a dataset of samples
// (standardize, Keras' Normalization) rather than per row.
bool per_feature_statistics(const methods::method& m);
// The rows x d methods, those with per-row statistics first, then those with
// per-feature statistics, each part in the table's order: the order of the
// sweep's and the accuracy suite's rows, as earlier reports have them.
std::vector<const methods::method*> rows_methods();
// A case of m; sizes that do not apply are 0.
case_spec case_of(const methods::method& m, methods::layout_kind layout, std::int64_t n,
                  std::int64_t c, std::int64_t spatial, std::int64_t groups, std::int64_t d);

// Every method x layout of the public API once, at moderate sizes (4 MiB
// tensors), so that the whole suite runs in well under a minute on a small
// machine. Such tensors stay in the last-level cache of most machines, so
// their bw_fraction can exceed 1; DRAM-sized shapes belong to a larger suite.
std::vector<case_spec> quick_suite();

// Exactly the shapes the project's speed targets are stated on (issues 4, 12
// and 13): layer and RMS norm rows x d, batch norm (inference and training),
// group norm and instance norm activations, each activation in both layouts;
// then the 16-bit and fused variants at transformer, UNet and ResNet shapes.
std::vector<case_spec> reference_suite();
// Its float32 targets of issues 4 and 12 alone, which the accuracy suite
// takes (the variants have cases of their own there).
std::vector<case_spec> float32_reference_targets();

// The grid users choose kernels from: for every activation method and layout,
// slices through one centre shape (8 x 256 x 28 x 28, 32 groups) along batch
// size (1 to 64), channels (16 to 2048), spatial size (7x7 to 56x56) and, for
// group norm, group count (1 to C); every rows x d method over d from 64 to
// 16384.
std::vector<case_spec> sweep_suite();

// The accuracy gate's cases (scripts/check-accuracy.sh): quick and reference
// of every function's own entry, one moderate tensor of every variant (a
// type, an activation), then odd sizes of every method and layout, then
// narrow channels-last tensors (C = 1 to 16, 32822 positions) of every
// function that takes them.
std::vector<case_spec> accuracy_suite();
// Whether the accuracy gate measures spec on the data family called family:
// every case on every family, but for cases of more than 2^22 elements
// whose statistics are per row or per sample (layer and RMS norm 2048 x
// 4096, instance norm 4 x 128 x 128 x 128, group norm 8 x 256 x 56 x 56),
// on the families the targets are stated on alone (normal, offset1e4,
// offset1e5, small_var). Past 2^22 elements such a case adds sets of the
// length a smaller case already has on every family (rows of 4096 in
// 8 x 4096; instance and group norm sets of 65536 and 40960 in
// 1 x 64 x 256 x 256 and 1 x 320 x 64 x 64), and the hostile families on
// them took 70 of the gate's 250 s. Batch statistics (sets spanning the
// batch, up to 100352 elements) keep every family.
bool accuracy_measures(const case_spec& spec, const std::string& family);

// The suite called name ("quick", "reference", "sweep", "accuracy"); empty if
// none is.
std::vector<case_spec> suite_named(const std::string& name);

// The seed of a case's input for one data family. It depends on what the case
// is, not on its position in a suite, so a filtered run, and each front end
// (simdnorm_sweep, simdnorm_bench), measures the same inputs as a full one.
std::uint64_t input_seed(const case_spec& spec, const char* family);

// A case's sizes by name, in the CSV's column order (n, c, spatial, groups,
// d); a size that does not apply is 0.
struct named_size {
  const char* name;
  std::int64_t value;
};
std::array<named_size, 5> sizes_of(const case_spec& spec);

// "layer_norm rows n=2048 d=4096": the method, layout and every size that
// applies.
std::string case_label(const case_spec& spec);

// The five size cells of a CSV row, "1,,,,768": empty where a size does not
// apply.
std::string size_cells(const case_spec& spec);

// value printed with format, or an empty cell where it is NaN (a figure that
// does not apply).
std::string number_cell(double value, const char* format);

// The instruction sets simdnorm's rows run on: every one this CPU has, best
// first ("all"), the best one alone ("best"), or the one named, if the CPU
// has it. Leaves set_max_isa uncapped.
std::vector<std::string> engine_isas(const std::string& choice);

}  // namespace simdnorm::bench

#endif  // SIMDNORM_BENCH_CASES_CASE_SPEC_HPP_
