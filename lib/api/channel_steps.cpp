#include "api/channel_steps.hpp"

#include <cstdint>
#include <vector>

#include "dispatch/run_on_active_isa.hpp"
#include "scalar/batch_statistics.hpp"
#include "simd/channel_norms.hpp"

namespace simdnorm::api {

namespace {

// Rows of an NHWC tensor per chunk of its statistics: about 64K floats, a
// function of the shape only, so that the chunks (and the order they merge
// in) never depend on the thread count.
std::int64_t rows_per_chunk(const shape& s) {
  const std::int64_t rows = (std::int64_t{1} << 16) / s.c;
  return rows < 1 ? 1 : rows;
}

}  // namespace

// Moments of every channel over n and spatial: the engine when active, the
// scalar path otherwise.
std::vector<scalar::set_moments> batch_moments(const float* x, const shape& s) {
  if (s.layout == layout::nhwc) {
    const std::int64_t rows = s.n * s.spatial;
    const std::int64_t per_chunk = rows_per_chunk(s);
    const std::int64_t chunks = (rows + per_chunk - 1) / per_chunk;
    std::vector<scalar::set_moments> partials(static_cast<std::size_t>(chunks * s.c));
    const simd::nhwc_channel_moments_args args{x, s, per_chunk, partials.data()};
    if (dispatch::run_on_active_isa(simd::nhwc_channel_moments_kernel{}, args, chunks,
                                    per_chunk * s.c)) {
      std::vector<scalar::set_moments> channels(static_cast<std::size_t>(s.c));
      for (std::int64_t k = 0; k < chunks; ++k) {
        for (std::int64_t c = 0; c < s.c; ++c) {
          channels[c] = scalar::merge(channels[c], partials[k * s.c + c]);
        }
      }
      return channels;
    }
  }
  if (s.layout == layout::nchw) {
    std::vector<scalar::set_moments> channels(static_cast<std::size_t>(s.c));
    const simd::channel_moments_args args{x, s, channels.data()};
    if (dispatch::run_on_active_isa(simd::nchw_channel_moments_kernel{}, args, s.c,
                                    s.n * s.spatial)) {
      return channels;
    }
  }
  return scalar::channel_moments(x, s);
}

// y = ((x - hi) - lo) * (rstd * gamma) + beta per channel: the engine over NCHW
// planes or NHWC positions, or the scalar path. The engine evaluates it as
// (x - hi) * scale + (beta - lo * scale), one fma (normalize-inl.hpp).
void normalize_per_channel(const float* x, const shape& s,
                           const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                           const float* beta, float* y) {
  if (dispatch::active_isa() != dispatch::isa::scalar) {
    std::vector<float> hi(sets.size()), scale(sets.size()), shift(sets.size());
    for (std::size_t c = 0; c < sets.size(); ++c) {
      hi[c] = sets[c].hi;
      scale[c] = gamma != nullptr ? sets[c].rstd * gamma[c] : sets[c].rstd;
      shift[c] = (beta != nullptr ? beta[c] : 0.0f) - sets[c].lo * scale[c];
    }
    const simd::channel_affine_args args{x, s, hi.data(), scale.data(), shift.data(), y};
    const bool planes = s.layout == layout::nchw;
    if (dispatch::run_on_active_isa(simd::channel_affine_kernel{}, args,
                                    planes ? s.n * s.c : s.n * s.spatial,
                                    planes ? s.spatial : s.c)) {
      return;
    }
  }
  scalar::normalize(x, y, s, sets, scalar::set_map{0, 1}, gamma, beta);
}

std::vector<scalar::set_moments> instance_moments(const float* x, const shape& s) {
  const shape sample{1, s.c, s.spatial, s.layout};
  const std::int64_t sample_floats = s.c * s.spatial;
  std::vector<scalar::set_moments> instances;
  instances.reserve(static_cast<std::size_t>(s.n * s.c));
  for (std::int64_t n = 0; n < s.n; ++n) {
    const std::vector<scalar::set_moments> channels = batch_moments(x + n * sample_floats, sample);
    instances.insert(instances.end(), channels.begin(), channels.end());
  }
  return instances;
}

void normalize_per_instance(const float* x, const shape& s,
                            const std::vector<scalar::set_normalizer>& sets, const float* gamma,
                            const float* beta, float* y) {
  const shape sample{1, s.c, s.spatial, s.layout};
  const std::int64_t sample_floats = s.c * s.spatial;
  for (std::int64_t n = 0; n < s.n; ++n) {
    const std::vector<scalar::set_normalizer> channels(sets.begin() + n * s.c,
                                                       sets.begin() + (n + 1) * s.c);
    normalize_per_channel(x + n * sample_floats, sample, channels, gamma, beta,
                          y + n * sample_floats);
  }
}

}  // namespace simdnorm::api
