// The scalar path's steps for the methods whose statistics or factors are
// per channel or per (n, c): the same three steps, with the same meaning and
// index order, as the vector path's schedule::channel_steps, so that a
// method written once over the steps runs on either.
#ifndef SIMDNORM_LIB_SCALAR_CHANNEL_STEPS_HPP_
#define SIMDNORM_LIB_SCALAR_CHANNEL_STEPS_HPP_

#include <cstdint>
#include <vector>

#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::scalar {

struct channel_steps {
  // Moments of every channel over all samples and spatial positions; x
  // holds elements of type.
  std::vector<statistics::set_moments> batch_moments(const void* x, const shape& s,
                                                     dtype type = dtype::float32) const;
  // Moments of every (n, c) over the spatial positions, index n * c_total + c.
  std::vector<statistics::set_moments> instance_moments(const void* x, const shape& s,
                                                        dtype type = dtype::float32) const;
  // y = ((x - hi) - lo) * (rstd * gamma) + beta, one set per channel, or per
  // (n, c) at n * c_total + c when per_instance; then act of it. x and y
  // hold elements of type.
  // input_read_before: as the vector steps take it (their choice of
  // streaming stores); the scalar path has none.
  void normalize(const void* x, const shape& s, const std::vector<statistics::set_normalizer>& sets,
                 bool per_instance, const float* gamma, const float* beta, void* y,
                 activation act = activation::none, dtype type = dtype::float32,
                 bool input_read_before = false) const;
};

// y[i] = act(y[i]) for count values, as the scalar path applies a fused
// activation.
void activate(float* y, std::int64_t count, activation act);

// tensor[i] = value rounded to the tensor's element type: how the scalar
// path stores a 16-bit output (statistics::set_values::at reads one).
void store_element(dtype type, void* tensor, std::int64_t i, float value);

}  // namespace simdnorm::scalar

#endif  // SIMDNORM_LIB_SCALAR_CHANNEL_STEPS_HPP_
