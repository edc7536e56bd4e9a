// Vectorised subtract-first normalisation for a run with one set of factors,
// a row with per-feature affine parameters, or a row of channels with one
// factor each. Included only by -inl kernel headers (lib/arch/ files).
//
// The mean's first part is subtracted first (exact near the mean, Sterbenz);
// its second part, lo, is folded into a constant: (d - lo) * s equals
// d * s - lo * s, which one fma evaluates with a single rounding. So the
// two-part mean costs no extra instruction per element.
#ifndef SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_
#define SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "scalar/normalize.hpp"
#include "simd/element_io-inl.hpp"

namespace simdnorm::simd {

// Internal linkage, for the reason given in block_statistics-inl.hpp.
namespace {

// y = fma(fma(x - hi, rstd, -lo * rstd), gamma, beta) over full vectors of a
// row; the affine parameters are template arguments so the loop has no branch.
template <class Arch, bool HasGamma, bool HasBeta, class Source, class Sink>
void normalize_row_vectors(Source x, std::int64_t d, const scalar::set_normalizer& set,
                           const float* gamma, const float* beta, Sink y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const batch hi(set.hi), rstd(set.rstd), lo_term(-set.lo * set.rstd);
  for (std::int64_t i = 0; i + width <= d; i += width) {
    batch v = xsimd::fma(x.template load<Arch>(i) - hi, rstd, lo_term);
    if (HasGamma && HasBeta) {
      v = xsimd::fma(v, batch::load_unaligned(gamma + i), batch::load_unaligned(beta + i));
    } else if (HasGamma) {
      v = v * batch::load_unaligned(gamma + i);
    } else if (HasBeta) {
      v = v + batch::load_unaligned(beta + i);
    }
    y.template store<Arch>(i, v);
  }
}

template <class Arch, bool HasGamma, bool HasBeta, class Source, class Sink>
void normalize_row(Source x, std::int64_t d, const scalar::set_normalizer& set, const float* gamma,
                   const float* beta, Sink y) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  const std::int64_t body = d - d % width;
  normalize_row_vectors<Arch, HasGamma, HasBeta>(x, body, set, gamma, beta, y);
  if (body == d) return;
  // The tail goes through the same vector code on a padded copy, so every
  // element of a row is computed the same way whatever its position.
  alignas(64) float x_tail[width] = {}, gamma_tail[width] = {}, beta_tail[width] = {};
  alignas(64) float y_tail[width];
  const std::int64_t tail = d - body;
  for (std::int64_t i = 0; i < tail; ++i) {
    x_tail[i] = x.at(body + i);
    if (HasGamma) gamma_tail[i] = gamma[body + i];
    if (HasBeta) beta_tail[i] = beta[body + i];
  }
  normalize_row_vectors<Arch, HasGamma, HasBeta>(float_source{x_tail}, width, set, gamma_tail,
                                                 beta_tail, float_sink{y_tail});
  for (std::int64_t i = 0; i < tail; ++i) y.put(body + i, y_tail[i]);
}

// y = ((x - hi) - lo) * (rstd * gamma) + beta over one row, gamma and beta
// per feature (either may be null).
template <class Arch, class Source, class Sink>
void normalize_row(Source x, std::int64_t d, const scalar::set_normalizer& set, const float* gamma,
                   const float* beta, Sink y) {
  if (gamma != nullptr && beta != nullptr) {
    normalize_row<Arch, true, true>(x, d, set, gamma, beta, y);
  } else if (gamma != nullptr) {
    normalize_row<Arch, true, false>(x, d, set, gamma, beta, y);
  } else if (beta != nullptr) {
    normalize_row<Arch, false, true>(x, d, set, gamma, beta, y);
  } else {
    normalize_row<Arch, false, false>(x, d, set, gamma, beta, y);
  }
}

// Factors of a run (or channel) sharing one scale: y = (x - hi) * scale + shift,
// with the mean's second part already folded into shift (shift = beta -
// lo * scale).
struct run_factors {
  float hi;
  float scale;
  float shift;
};

inline run_factors factors_of(const scalar::set_normalizer& set, float gamma, float beta) {
  const float scale = set.rstd * gamma;
  return run_factors{set.hi, scale, beta - set.lo * scale};
}

template <class Arch, class Source, class Sink>
void normalize_run_vectors(Source x, std::int64_t length, const run_factors& f, Sink y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  const batch hi(f.hi), scale(f.scale), shift(f.shift);
  for (std::int64_t i = 0; i + width <= length; i += width) {
    y.template store<Arch>(i, xsimd::fma(x.template load<Arch>(i) - hi, scale, shift));
  }
}

// y = (x - hi) * scale + shift over a run sharing one set of factors (an
// NCHW plane, or part of one). The tail takes the vector path on a padded
// copy, so an element's bits do not depend on where a run was cut.
template <class Arch, class Source, class Sink>
void normalize_run(Source x, std::int64_t length, const run_factors& f, Sink y) {
  constexpr std::int64_t width = xsimd::batch<float, Arch>::size;
  const std::int64_t body = length - length % width;
  normalize_run_vectors<Arch>(x, body, f, y);
  if (body == length) return;
  alignas(64) float x_tail[width] = {};
  alignas(64) float y_tail[width];
  for (std::int64_t i = body; i < length; ++i) x_tail[i - body] = x.at(i);
  normalize_run_vectors<Arch>(float_source{x_tail}, width, f, float_sink{y_tail});
  for (std::int64_t i = body; i < length; ++i) y.put(i, y_tail[i - body]);
}

// y[c] = (x[c] - hi[c]) * scale[c] + shift[c] over a row of channels (an
// NHWC position), the factors one per channel.
template <class Arch>
void normalize_channels(const float* x, std::int64_t channels, const float* hi, const float* scale,
                        const float* shift, float* y) {
  using batch = xsimd::batch<float, Arch>;
  constexpr std::int64_t width = batch::size;
  std::int64_t c = 0;
  for (; c + width <= channels; c += width) {
    xsimd::fma(batch::load_unaligned(x + c) - batch::load_unaligned(hi + c),
               batch::load_unaligned(scale + c), batch::load_unaligned(shift + c))
        .store_unaligned(y + c);
  }
  for (; c < channels; ++c) y[c] = (x[c] - hi[c]) * scale[c] + shift[c];
}

}  // namespace

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_NORMALIZE_INL_HPP_
