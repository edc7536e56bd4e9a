// The vector path's steps for the methods whose statistics or factors are
// per channel or per (n, c) (batch norm, standardize, the mixed norms; NHWC
// group and instance norm): the schedules of the per-channel kernels over
// both layouts. The same three steps, with the same meaning and index order,
// as scalar::channel_steps, so that a method written once over the steps runs
// on either path.
#ifndef SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_
#define SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_

#include <vector>

#include "dispatch/path.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::schedule {

class channel_steps {
 public:
  // p's level is a vector instruction set.
  explicit channel_steps(const dispatch::path& p);

  // Moments of every channel over all samples and spatial positions; x
  // holds elements of type.
  std::vector<statistics::set_moments> batch_moments(const void* x, const shape& s,
                                                     dtype type = dtype::float32) const;
  // Moments of every (n, c) over the spatial positions, index n * c_total + c.
  std::vector<statistics::set_moments> instance_moments(const void* x, const shape& s,
                                                        dtype type = dtype::float32) const;
  // Moments of every (n, group) of an NHWC tensor, index n * groups + g, the
  // groups' channels consecutive: its instance moments merged in channel
  // order.
  std::vector<statistics::set_moments> group_moments(const void* x, const shape& s,
                                                     std::int64_t groups,
                                                     dtype type = dtype::float32) const;
  // y = ((x - hi) - lo) * (rstd * gamma) + beta, one set per channel, or per
  // (n, c) at n * c_total + c when per_instance. Evaluated as
  // (x - hi) * scale + (beta - lo * scale), one fused multiply-add
  // (kernels/normalize-inl.hpp).
  // Then act of it; x and y hold elements of type.
  void normalize(const void* x, const shape& s, const std::vector<statistics::set_normalizer>& sets,
                 bool per_instance, const float* gamma, const float* beta, void* y,
                 activation act = activation::none, dtype type = dtype::float32) const;

 private:
  const dispatch::path& path_;
};

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_
