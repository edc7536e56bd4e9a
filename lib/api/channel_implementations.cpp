#include "api/channel_implementations.hpp"

#include <string>

#include "dispatch/verbose.hpp"

namespace simdnorm::api {

std::string describe(const channel_normalization& call) {
  return dispatch::describe_activation(call.s);
}

void run_channel_normalization(const char* method, const channel_normalization& call) {
  channel_normalization kernels_call = call;
  kernels_call.s = kernel_shape(call.s);
  dispatch::run_first_accepting(
      method, channel_implementations<channel_normalization, normalize_per_channel>::list,
      kernels_call);
}

}  // namespace simdnorm::api
