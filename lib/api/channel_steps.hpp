// Steps shared by the methods whose statistics or factors are per channel
// (batch norm; NHWC group and instance norm, per sample): each runs on the
// vectorised engine when an instruction set is active and on the scalar path
// otherwise.
#ifndef SIMDNORM_LIB_API_CHANNEL_STEPS_HPP_
#define SIMDNORM_LIB_API_CHANNEL_STEPS_HPP_

#include <vector>

#include "scalar/normalize.hpp"
#include "scalar/set_statistics.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::api {

// Moments of every channel over all samples and spatial positions of s.
std::vector<scalar::set_moments> batch_moments(const float* x, const shape& s);

// Moments of every (n, c) over the spatial positions, index n * c_total + c:
// each sample's channel moments.
std::vector<scalar::set_moments> instance_moments(const float* x, const shape& s);

// y = ((x - hi) - lo) * (rstd * gamma) + beta with one set per (n, c), index
// n * c_total + c, sample by sample.
void normalize_per_instance(const float* x, const shape& s,
                            const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                            const float* beta, float* y);

// y = ((x - hi) - lo) * (rstd * gamma) + beta with one set per channel.
void normalize_per_channel(const float* x, const shape& s,
                           const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                           const float* beta, float* y);

}  // namespace simdnorm::api

#endif  // SIMDNORM_LIB_API_CHANNEL_STEPS_HPP_
