#include "case_spec.hpp"

#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>

#include "dispatch/instruction_sets.hpp"

namespace simdnorm::bench {

const methods::method& method_of(const case_spec& spec) { return methods::named(spec.method); }

methods::problem problem_of(const case_spec& spec) {
  methods::problem p;
  for (const methods::layout_kind layout :
       {methods::layout_kind::nchw, methods::layout_kind::nhwc, methods::layout_kind::rows}) {
    if (spec.layout == methods::name_of(layout)) p.layout = layout;
  }
  if (spec.layout != methods::name_of(p.layout)) {
    throw std::invalid_argument("unknown layout " + spec.layout);
  }
  p.n = spec.n;
  p.c = spec.c;
  p.spatial = spec.spatial;
  p.groups = spec.groups;
  p.d = spec.d;
  return p;
}

bool takes(const methods::method& m, methods::layout_kind layout) {
  for (const methods::layout_kind taken : m.layouts()) {
    if (taken == layout) return true;
  }
  return false;
}

bool per_feature_statistics(const methods::method& m) {
  for (const methods::buffer& b : m.buffers) {
    if (b.size == methods::extent::features &&
        (b.holds == methods::contents::mean || b.holds == methods::contents::var)) {
      return true;
    }
  }
  return false;
}

std::vector<const methods::method*> rows_methods() {
  std::vector<const methods::method*> found;
  for (const bool per_feature : {false, true}) {
    for (const methods::method& m : methods::all()) {
      if (m.rows && per_feature_statistics(m) == per_feature) found.push_back(&m);
    }
  }
  return found;
}

case_spec case_of(const methods::method& m, methods::layout_kind layout, std::int64_t n,
                  std::int64_t c, std::int64_t spatial, std::int64_t groups, std::int64_t d) {
  return {m.name, methods::name_of(layout), n, c, spatial, groups, d};
}

std::uint64_t input_seed(const case_spec& spec, const char* family) {
  // FNV-1a over the case's identity.
  std::uint64_t hash = 0xcbf29ce484222325ull;
  const std::string key = spec.method + "/" + spec.layout + "/" + std::to_string(spec.n) + "/" +
                          std::to_string(spec.c) + "/" + std::to_string(spec.spatial) + "/" +
                          std::to_string(spec.groups) + "/" + std::to_string(spec.d) + "/" + family;
  for (const char ch : key) {
    hash ^= static_cast<unsigned char>(ch);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::array<named_size, 5> sizes_of(const case_spec& spec) {
  return {{{"n", spec.n},
           {"c", spec.c},
           {"spatial", spec.spatial},
           {"groups", spec.groups},
           {"d", spec.d}}};
}

std::string case_label(const case_spec& spec) {
  std::string label = spec.method + " " + spec.layout;
  for (const named_size& size : sizes_of(spec)) {
    if (size.value > 0) label += std::string(" ") + size.name + "=" + std::to_string(size.value);
  }
  return label;
}

std::string size_cells(const case_spec& spec) {
  std::string cells;
  const char* separator = "";
  for (const named_size& size : sizes_of(spec)) {
    cells += separator;
    if (size.value > 0) cells += std::to_string(size.value);
    separator = ",";
  }
  return cells;
}

std::string number_cell(double value, const char* format) {
  if (std::isnan(value)) return "";
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::vector<std::string> engine_isas(const std::string& choice) {
  std::vector<std::string> isas;
  // This build's instruction sets, best first.
  for (auto set = std::rbegin(dispatch::instruction_sets);
       set != std::rend(dispatch::instruction_sets); ++set) {
    const std::string level = set->name;
    if (level == "scalar" || (choice != "all" && choice != "best" && choice != level)) continue;
    simdnorm::set_max_isa(level.c_str());
    if (simdnorm::active_isa() == level) isas.push_back(level);
  }
  simdnorm::set_max_isa("best");
  if (choice == "best" && isas.size() > 1) isas.resize(1);
  return isas;
}

}  // namespace simdnorm::bench
