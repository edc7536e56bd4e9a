#include "api/channel_steps.hpp"

#include <tbb/task_arena.h>

#include <cstdint>
#include <vector>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/batch_statistics.hpp"
#include "simd/channel_norms.hpp"

namespace simdnorm::api {

namespace {

// Rows of an NHWC tensor per chunk of its statistics: about 64K floats, a
// function of the shape only, so that the chunks (and the order they merge
// in) never depend on the thread count. A chunk's scratch is 32 bytes per
// channel, so: at least 64 rows, which bounds it by an eighth of the tensor
// even for very wide rows (standardize over a million features); and at most
// 256 chunks over the tensor, which bounds it by 8 KiB per channel however
// large the tensor (8 x 256 x 56 x 56 keeps its 98 chunks, 0.8 MB; 256
// channels stay under 2 MB at any size), still 16 chunks a thread on 16
// cores.
std::int64_t rows_per_chunk(const shape& s) {
  constexpr std::int64_t max_chunks = 256;
  std::int64_t rows = (std::int64_t{1} << 16) / s.c;
  rows = rows < 64 ? 64 : rows;
  const std::int64_t for_max_chunks = (s.n * s.spatial + max_chunks - 1) / max_chunks;
  return rows < for_max_chunks ? for_max_chunks : rows;
}

// Per-channel moments of each set of rows_per_set consecutive NHWC rows (the
// whole tensor, or one sample), index set * c + channel, on the engine: the
// chunks of every set in one parallel loop, then merged set by set in chunk
// order. False, doing nothing, when the active level is scalar.
bool nhwc_moments(const float* x, const shape& s, std::int64_t rows_per_set,
                  std::vector<scalar::set_moments>& sets) {
  const std::int64_t set_count = s.n * s.spatial / rows_per_set;
  const std::int64_t per_chunk = rows_per_chunk(s);
  const std::int64_t chunks_per_set = (rows_per_set + per_chunk - 1) / per_chunk;
  const std::int64_t chunks = set_count * chunks_per_set;
  std::vector<scalar::set_moments> partials(static_cast<std::size_t>(chunks * s.c));
  std::vector<float> states(static_cast<std::size_t>(chunks * 2 * s.c));
  const simd::nhwc_channel_moments_args args{
      x, s, rows_per_set, per_chunk, chunks_per_set, partials.data(), states.data()};
  if (!dispatch::run_on_active_isa(simd::nhwc_channel_moments_kernel{}, args, chunks,
                                   per_chunk * s.c)) {
    return false;
  }
  sets.assign(static_cast<std::size_t>(set_count * s.c), scalar::set_moments{});
  for (std::int64_t k = 0; k < chunks; ++k) {
    scalar::set_moments* set = sets.data() + (k / chunks_per_set) * s.c;
    for (std::int64_t c = 0; c < s.c; ++c) set[c] = scalar::merge(set[c], partials[k * s.c + c]);
  }
  return true;
}

// NCHW channel (per_instance false) or plane (true) moments on the engine.
// With fewer channels than twice the threads, channel statistics are taken
// plane by plane in parallel (split along n, DESIGN section 3) and merged in
// sample order, as the per-channel kernel merges them: the same bits.
bool nchw_moments(const float* x, const shape& s, bool per_instance,
                  std::vector<scalar::set_moments>& sets) {
  if (!per_instance && s.n > 1 && s.c < 2 * tbb::this_task_arena::max_concurrency()) {
    std::vector<scalar::set_moments> planes;
    if (!nchw_moments(x, s, true, planes)) return false;
    sets.assign(static_cast<std::size_t>(s.c), scalar::set_moments{});
    for (std::int64_t n = 0; n < s.n; ++n) {
      for (std::int64_t c = 0; c < s.c; ++c) sets[c] = scalar::merge(sets[c], planes[n * s.c + c]);
    }
    return true;
  }
  const std::int64_t count = per_instance ? s.n * s.c : s.c;
  sets.resize(static_cast<std::size_t>(count));
  const simd::channel_moments_args args{x, s, per_instance, sets.data()};
  return dispatch::run_on_active_isa(simd::nchw_channel_moments_kernel{}, args, count,
                                     per_instance ? s.spatial : s.n * s.spatial);
}

// y = ((x - hi) - lo) * (rstd * gamma) + beta, one set per channel or per
// (n, c): the engine over NCHW planes or NHWC positions, or the scalar path.
// The engine evaluates it as (x - hi) * scale + (beta - lo * scale), one fma
// (normalize-inl.hpp).
void normalize_with(const float* x, const shape& s, const std::vector<scalar::set_normalizer>& sets,
                    bool per_instance, const float* gamma, const float* beta, float* y) {
  if (dispatch::active_isa() != dispatch::isa::scalar) {
    std::vector<float> hi(sets.size()), scale(sets.size()), shift(sets.size());
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const std::size_t c = i % static_cast<std::size_t>(s.c);
      hi[i] = sets[i].hi;
      scale[i] = gamma != nullptr ? sets[i].rstd * gamma[c] : sets[i].rstd;
      shift[i] = (beta != nullptr ? beta[c] : 0.0f) - sets[i].lo * scale[i];
    }
    const simd::channel_affine_args args{
        x, s, per_instance ? s.c : 0, hi.data(), scale.data(), shift.data(), y};
    const bool planes = s.layout == layout::nchw;
    if (dispatch::run_on_active_isa(simd::channel_affine_kernel{}, args,
                                    planes ? s.n * s.c : s.n * s.spatial,
                                    planes ? s.spatial : s.c)) {
      return;
    }
  }
  scalar::normalize(x, y, s, sets, scalar::set_map{per_instance ? s.c : 0, 1}, gamma, beta);
}

}  // namespace

std::vector<scalar::set_moments> batch_moments(const float* x, const shape& s) {
  std::vector<scalar::set_moments> channels;
  if (s.layout == layout::nhwc && nhwc_moments(x, s, s.n * s.spatial, channels)) return channels;
  if (s.layout == layout::nchw && nchw_moments(x, s, false, channels)) return channels;
  return scalar::channel_moments(x, s);
}

std::vector<scalar::set_moments> instance_moments(const float* x, const shape& s) {
  std::vector<scalar::set_moments> instances;
  if (s.layout == layout::nhwc && nhwc_moments(x, s, s.spatial, instances)) return instances;
  if (s.layout == layout::nchw && nchw_moments(x, s, true, instances)) return instances;
  const shape sample{1, s.c, s.spatial, s.layout};
  const std::int64_t sample_floats = s.c * s.spatial;
  instances.clear();
  for (std::int64_t n = 0; n < s.n; ++n) {
    const std::vector<scalar::set_moments> channels =
        scalar::channel_moments(x + n * sample_floats, sample);
    instances.insert(instances.end(), channels.begin(), channels.end());
  }
  return instances;
}

void normalize_per_channel(const float* x, const shape& s,
                           const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                           const float* beta, float* y) {
  normalize_with(x, s, sets, false, gamma, beta, y);
}

void normalize_per_instance(const float* x, const shape& s,
                            const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                            const float* beta, float* y) {
  normalize_with(x, s, sets, true, gamma, beta, y);
}

}  // namespace simdnorm::api
