#include "case_spec.hpp"

#include <utility>

namespace simdnorm::bench {

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

std::string case_label(const case_spec& spec) {
  std::string label = spec.method + " " + spec.layout;
  for (const auto& [name, value] : {std::pair<const char*, std::int64_t>{"n", spec.n},
                                    {"c", spec.c},
                                    {"spatial", spec.spatial},
                                    {"groups", spec.groups},
                                    {"d", spec.d}}) {
    if (value > 0) label += std::string(" ") + name + "=" + std::to_string(value);
  }
  return label;
}

std::vector<std::string> engine_isas(const std::string& choice) {
  std::vector<std::string> isas;
  for (const char* level : {"avx512", "avx2", "sse4.2", "sse2", "neon64"}) {
    if (choice != "all" && choice != "best" && choice != level) continue;
    simdnorm::set_max_isa(level);
    if (simdnorm::active_isa() == std::string(level)) isas.push_back(level);
  }
  simdnorm::set_max_isa("neon64");  // the top level: no cap
  if (choice == "best" && isas.size() > 1) isas.resize(1);
  return isas;
}

}  // namespace simdnorm::bench
