// The vector path's steps for the methods whose statistics or factors are
// per channel or per (n, c) (batch norm, standardize, the mixed norms; NHWC
// group and instance norm): the schedules of the per-channel kernels over
// both layouts. The same three steps, with the same meaning and index order,
// as scalar::channel_steps, so that a method written once over the steps runs
// on either path.
#ifndef SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_
#define SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "dispatch/path.hpp"
#include "schedule/aligned_vector.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"

namespace simdnorm::schedule {

// What the NHWC steps allocate for per-instance statistics (group_moments,
// then normalize with per-instance sets), taken before the call: the
// per-sample pipelines (api/group_norms.cpp) run several samples' steps at
// once, and none may fail for want of memory after another has written its
// output. reserve() sizes every buffer for a shape; the steps given the
// workspace then resize within it, allocating nothing.
struct channel_workspace {
  // The kernel's scratch (partials and states) group_moments takes on s, a
  // multiple of 64 bytes: the callers with several workspaces take theirs
  // from one block (several blocks freed at once passed glibc's trim
  // threshold, and each call faulted their pages in again: 4x slower).
  static std::size_t scratch_bytes(const shape& s);
  // For group_moments(x, s, groups, type, *this) and then normalize(..., *this)
  // on s (NHWC), and for normalizers of s.n * s.c sets; given_scratch holds
  // scratch_bytes(s), 64-byte aligned.
  void reserve(const shape& s, std::int64_t groups, std::byte* given_scratch);

  std::byte* scratch = nullptr;  // given_scratch, else own_scratch once used
  std::size_t scratch_size = 0;
  uninitialized_vector<std::byte> own_scratch;
  std::vector<statistics::merge_weights> chunk_weights, channel_weights;
  std::vector<statistics::set_moments> sets;
  std::vector<statistics::set_normalizer> normalizers;  // the caller's
  cache_aligned_vector<float> hi, scale, shift;
};

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
  // The same in workspace.sets (reserved for s and groups).
  const std::vector<statistics::set_moments>& group_moments(const void* x, const shape& s,
                                                            std::int64_t groups, dtype type,
                                                            channel_workspace& workspace) const;
  // y = ((x - hi) - lo) * (rstd * gamma) + beta, one set per channel, or per
  // (n, c) at n * c_total + c when per_instance. Evaluated as
  // (x - hi) * scale + (beta - lo * scale), one fused multiply-add
  // (kernels/normalize-inl.hpp).
  // Then act of it; x and y hold elements of type.
  // Per-instance sets of an NHWC tensor whose x - mean could overflow halve
  // their sample (statistics/normalizer.hpp), per-channel ones the call.
  // input_read_before: the call's statistics have just read x (y then
  // streams from a smaller size: stream_output).
  void normalize(const void* x, const shape& s, const std::vector<statistics::set_normalizer>& sets,
                 bool per_instance, const float* gamma, const float* beta, void* y,
                 activation act = activation::none, dtype type = dtype::float32,
                 bool input_read_before = false) const;
  // The same with the factors in workspace (reserved for s).
  void normalize(const void* x, const shape& s, const std::vector<statistics::set_normalizer>& sets,
                 bool per_instance, const float* gamma, const float* beta, void* y, activation act,
                 dtype type, channel_workspace& workspace, bool input_read_before) const;
  // statistics::normalizer_of(mean, variance, eps) of each set of moments,
  // vectorised (the same bits).
  std::vector<statistics::set_normalizer> normalizers_of(
      const std::vector<statistics::set_moments>& moments, float eps) const;
  // batch_moments, then normalize with the set normaliser_of gives each
  // channel's moments, a few channels at a time where an NCHW channel's
  // planes fit in half of L2 (each thread takes a range of channels): their
  // second read then comes from L2. The same kernels on the same items, so
  // the same bits. Returns false, having written nothing, where it does not
  // apply; else the moments and the sets.
  bool normalize_channel_by_channel(
      const void* x, const shape& s, dtype type,
      const std::function<statistics::set_normalizer(const statistics::set_moments&)>&
          normaliser_of,
      const float* gamma, const float* beta, void* y, activation act,
      std::vector<statistics::set_moments>& channels,
      std::vector<statistics::set_normalizer>& sets) const;

 private:
  const dispatch::path& path_;
};

}  // namespace simdnorm::schedule

#endif  // SIMDNORM_LIB_SCHEDULE_CHANNEL_STEPS_HPP_
