// SIMDNORM_VERBOSE=1: one line on stderr per call, as ONEDNN_VERBOSE does for
// oneDNN, so that a user can see which implementation ran for each call of
// an engine without a profiler:
//   simdnorm_verbose,group_norm,nhwc n:2 c:64 spatial:1024 groups:8,
//   nhwc_channels,avx512,threads:2,0.041 ms,declined: nchw_sets (layout is nhwc)
// (one line). The variable is read once per process.
#ifndef SIMDNORM_LIB_DISPATCH_VERBOSE_HPP_
#define SIMDNORM_LIB_DISPATCH_VERBOSE_HPP_

#include <cstdint>
#include <string>

#include "dispatch/path.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::dispatch {

bool verbose_enabled();

// The implementations that declined a call, with their reasons. Lists have
// a handful of entries.
class declined_list {
 public:
  void add(const char* name, const char* reason);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Prints the line of a call that ran; allocates nothing.
void report_call(const char* method, const std::string& shape, const char* implementation,
                 const path& p, double milliseconds, const declined_list& declined);

// "nhwc n:2 c:64 spatial:1024", "rows:128 d:768": a call's shape as
// SIMDNORM_VERBOSE prints it.
std::string describe_activation(const shape& s);
std::string describe_rows(std::int64_t rows, std::int64_t d);

}  // namespace simdnorm::dispatch

#endif  // SIMDNORM_LIB_DISPATCH_VERBOSE_HPP_
