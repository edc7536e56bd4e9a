#include "peer_registry.hpp"

#include <vector>

namespace simdnorm::bench {
namespace {

// A function-local static: peers register from static initializers in other
// translation units, whose order relative to this one is unspecified.
std::vector<peer>& registered_peers() {
  static std::vector<peer> peers;
  return peers;
}

}  // namespace

bool register_peer(const peer& p) {
  registered_peers().push_back(p);
  return true;
}

void configure_peers(int threads) {
  for (const peer& p : registered_peers()) {
    if (p.set_threads != nullptr && threads > 0) p.set_threads(threads);
    if (p.add_context != nullptr) p.add_context();
  }
}

}  // namespace simdnorm::bench
