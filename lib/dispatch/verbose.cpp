#include "dispatch/verbose.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace simdnorm::dispatch {

bool verbose_enabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("SIMDNORM_VERBOSE");
    return value != nullptr && std::strcmp(value, "1") == 0;
  }();
  return enabled;
}

void declined_list::add(const char* name, const char* reason) {
  text_ += text_.empty() ? ",declined: " : "; ";
  text_ += std::string(name) + " (" + reason + ")";
}

void report_call(const char* method, const std::string& shape, const char* implementation,
                 const path& p, double milliseconds, const declined_list& declined) {
  // One fprintf a line: stdio locks the stream per call, so lines from
  // concurrent callers do not interleave.
  std::fprintf(stderr, "simdnorm_verbose,%s,%s,%s,%s,threads:%d,%.4g ms%s\n", method, shape.c_str(),
               implementation, name_of(p.level), p.went_parallel ? p.threads() : 1, milliseconds,
               declined.text().c_str());
}

std::string describe_activation(const shape& s) {
  return std::string(s.layout == layout::nhwc ? "nhwc" : "nchw") + " n:" + std::to_string(s.n) +
         " c:" + std::to_string(s.c) + " spatial:" + std::to_string(s.spatial);
}

std::string describe_rows(std::int64_t rows, std::int64_t d) {
  return "rows:" + std::to_string(rows) + " d:" + std::to_string(d);
}

}  // namespace simdnorm::dispatch
