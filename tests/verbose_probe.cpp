// SIMDNORM_VERBOSE, checked from outside: this program makes two calls, and
// tests/CMakeLists.txt runs it with the variable set or not and matches what
// it prints on stderr. The variable is read once per process, so each
// expectation is a process of its own.
//
// With the argument global_control, it makes instead one call large enough
// to split under a tbb::global_control limit of one thread, which the call
// must see as one thread (its arena still reports every core).
#include <tbb/global_control.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "simdnorm/simdnorm.hpp"

namespace {

struct tensors {
  std::vector<float> x;
  std::vector<float> y;
};

// Group norm (4 groups) of an x of shape s holding a pattern of 17 values,
// into y; both returned for a later call.
tensors group_normed(const simdnorm::shape& s) {
  tensors t{std::vector<float>(static_cast<std::size_t>(s.n * s.c * s.spatial)), {}};
  for (std::size_t i = 0; i < t.x.size(); ++i) t.x[i] = static_cast<float>(i % 17);
  t.y.resize(t.x.size());
  simdnorm::group_norm(t.x.data(), s, 4, nullptr, nullptr, 1e-5f, t.y.data(), nullptr, nullptr);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "global_control") == 0) {
    const tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
    group_normed(simdnorm::shape{2, 64, 1024, simdnorm::layout::nhwc});
    return 0;
  }
  tensors t = group_normed(simdnorm::shape{2, 8, 64, simdnorm::layout::nhwc});
  simdnorm::layer_norm(t.x.data(), 3, 100, nullptr, nullptr, 1e-5f, t.y.data(), nullptr, nullptr);
  return 0;
}
