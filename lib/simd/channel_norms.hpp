// Vectorised kernels over activation tensors whose statistics are per
// channel: batch statistics in both layouts, and the per-channel affine
// normalisation every channel method ends with. Interface only, no SIMD code: the bodies are in
// channel_norms-inl.hpp, instantiated per instruction set in lib/arch/.
#ifndef SIMDNORM_LIB_SIMD_CHANNEL_NORMS_HPP_
#define SIMDNORM_LIB_SIMD_CHANNEL_NORMS_HPP_

#include <cstdint>

#include "scalar/set_statistics.hpp"
#include "simd/architectures.hpp"
#include "simdnorm/simdnorm.hpp"

namespace simdnorm::simd {

// Batch statistics of NCHW channels: channel c's n runs of spatial floats,
// each reduced on its own and merged in sample order (a fixed order, so the
// result does not depend on the thread count).
struct channel_moments_args {
  const float* x;
  shape s;  // NCHW
  scalar::set_moments* channels;
};

struct nchw_channel_moments_kernel {
  template <class Arch>
  void operator()(Arch, const channel_moments_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// Partial batch statistics of NHWC channels: the n * spatial rows of c
// channels are cut into chunks of rows_per_chunk rows (a function of the shape
// only); chunk k writes the moments of its rows, per channel, to
// partials[k * c + channel]. The caller merges chunks in order, so the result
// does not depend on the thread count.
struct nhwc_channel_moments_args {
  const float* x;
  shape s;  // NHWC
  std::int64_t rows_per_chunk;
  scalar::set_moments* partials;
};

struct nhwc_channel_moments_kernel {
  template <class Arch>
  void operator()(Arch, const nhwc_channel_moments_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// y = (x - mean_hi[c]) * scale[c] + shift[c], the factors per channel; the
// mean's second part is folded into shift (normalize-inl.hpp).
struct channel_affine_args {
  const float* x;
  shape s;
  const float* mean_hi;
  const float* scale;
  const float* shift;
  float* y;
};

// Work items [first, last): NCHW planes (n, c) at n * c_total + c, or NHWC
// positions (n, p) at n * spatial + p.
struct channel_affine_kernel {
  template <class Arch>
  void operator()(Arch, const channel_affine_args& args, std::int64_t first,
                  std::int64_t last) const;
};

// The instantiations, explicit (in lib/arch/) or declared extern (here).
#define SIMDNORM_CHANNEL_KERNELS(PREFIX, ARCH)                                                   \
  PREFIX template void nhwc_channel_moments_kernel::operator()<ARCH>(                            \
      ARCH, const nhwc_channel_moments_args&, std::int64_t, std::int64_t) const;                 \
  PREFIX template void nchw_channel_moments_kernel::operator()<ARCH>(                            \
      ARCH, const channel_moments_args&, std::int64_t, std::int64_t) const;                      \
  PREFIX template void channel_affine_kernel::operator()<ARCH>(ARCH, const channel_affine_args&, \
                                                               std::int64_t, std::int64_t) const;
SIMDNORM_FOR_EACH_ARCH(SIMDNORM_CHANNEL_KERNELS, extern)

}  // namespace simdnorm::simd

#endif  // SIMDNORM_LIB_SIMD_CHANNEL_NORMS_HPP_
