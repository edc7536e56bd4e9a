// The implementation list of every method written once over the per-channel
// steps (batch norm, standardize, batch-instance and switchable norm): the
// vector path's schedule for the call's layout, then the scalar path. Both
// steps types have the same three members (scalar/channel_steps.hpp,
// schedule/channel_steps.hpp), so the method's body is one template.
#ifndef SIMDNORM_LIB_API_CHANNEL_IMPLEMENTATIONS_HPP_
#define SIMDNORM_LIB_API_CHANNEL_IMPLEMENTATIONS_HPP_

#include "dispatch/implementation.hpp"
#include "scalar/channel_steps.hpp"
#include "schedule/channel_steps.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::api {

// Declines a call in the other layout, or when no vector level is active.
// Call has the activation's shape as member s.
template <class Call, layout Layout>
const char* unless_vector_in(const Call& call, const dispatch::path& p) {
  if (call.s.layout != Layout) return Layout == layout::nchw ? "layout is nhwc" : "layout is nchw";
  return dispatch::needs_vector_isa(p);
}

// The shape the kernels of a method with a set per channel take for s: N x C
// in NCHW (spatial 1: BatchNorm1d's input) is channels-last memory already,
// x[n * C + c] either way, and goes to the NHWC kernels, which read it row
// by row. The NCHW kernels take it plane by plane, and a plane of one value
// cost a call each, and in training a merge in double: 2-core Zen 5, 1
// thread, C API, 4096 x 64, batch-norm training 8660 us against 45 as
// NHWC, inference 601 against 29.
inline shape kernel_shape(shape s) {
  if (s.layout == layout::nchw && s.spatial == 1) s.layout = layout::nhwc;
  return s;
}

// Body: a functor with template <class Steps> void operator()(const Steps&,
// const Call&) const, the method on either path's steps.
template <class Call, class Body>
struct channel_implementations {
  static constexpr dispatch::implementation<Call> list[] = {
      {"nchw_channels", unless_vector_in<Call, layout::nchw>,
       [](const Call& call, const dispatch::path& p) { Body{}(schedule::channel_steps(p), call); }},
      {"nhwc_channels", unless_vector_in<Call, layout::nhwc>,
       [](const Call& call, const dispatch::path& p) { Body{}(schedule::channel_steps(p), call); }},
      {"scalar", dispatch::takes_every_call<Call>,
       [](const Call& call, const dispatch::path&) { Body{}(scalar::channel_steps{}, call); }},
  };
};

// The normalisation step alone, with normalisers already known (inference,
// standardize apply and invert): y = ((x - hi) - lo) * (rstd * gamma) + beta.
struct channel_normalization {
  const void* x;  // elements of type, as y
  shape s;
  const std::vector<statistics::set_normalizer>& sets;  // one per channel
  const float* gamma;
  const float* beta;
  void* y;
  activation act = activation::none;
  dtype type = dtype::float32;
};

struct normalize_per_channel {
  template <class Steps>
  void operator()(const Steps& steps, const channel_normalization& call) const {
    steps.normalize(call.x, call.s, call.sets, false, call.gamma, call.beta, call.y, call.act,
                    call.type);
  }
};

std::string describe(const channel_normalization& call);

// Runs the normalisation of a method (named for SIMDNORM_VERBOSE) on the
// path chosen for this call.
void run_channel_normalization(const char* method, const channel_normalization& call);

}  // namespace simdnorm::api

#endif  // SIMDNORM_LIB_API_CHANNEL_IMPLEMENTATIONS_HPP_
