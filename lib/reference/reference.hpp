// The float64 oracle: every method of simdnorm computed the plain way, two
// passes in double (mean, then the sum of squared deviations), no shift, no
// blocking. Tests and benchmarks measure simdnorm's error against these
// functions on the same float32 input. Inputs are taken exactly as the public
// API takes them (float32; statistics given as float32 are used as given);
// every result is double. Arguments are assumed valid (callers are tests).
#ifndef SIMDNORM_LIB_REFERENCE_REFERENCE_HPP_
#define SIMDNORM_LIB_REFERENCE_REFERENCE_HPP_

#include <cstdint>
#include <vector>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::reference {

// Output of a normalisation plus the statistics of each set, in the index
// order the public API writes them. mean is empty for RMS norm.
struct normalized {
  std::vector<double> y;
  std::vector<double> mean;
  std::vector<double> rstd;
};

// Output of a training-mode call. running_mean/running_var are the updated
// running statistics (empty when the call had none); save_mean/save_rstd are
// the batch statistics per channel (empty where the method has none).
struct trained {
  std::vector<double> y;
  std::vector<double> save_mean;
  std::vector<double> save_rstd;
  std::vector<double> running_mean;
  std::vector<double> running_var;
};

struct feature_moments {
  std::vector<double> mean;
  std::vector<double> var;  // biased
};

// Per-feature mean and biased variance of rows x features.
feature_moments moments(const float* x, std::int64_t rows, std::int64_t features);
std::vector<double> standardize_apply(const float* x, std::int64_t rows, std::int64_t features,
                                      const float* mean, const float* var);
std::vector<double> standardize_invert(const float* y, std::int64_t rows, std::int64_t features,
                                       const float* mean, const float* var);

std::vector<double> batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                                         const float* running_var, const float* gamma,
                                         const float* beta, float eps);
// running_mean/running_var may be null (then trained's are empty).
trained batch_norm_training(const float* x, const shape& s, const float* running_mean,
                            const float* running_var, const float* gamma, const float* beta,
                            float momentum, float eps, running_var_kind kind);
// save_rstd and running_var of the result stay empty.
trained batch_norm_mean_only_training(const float* x, const shape& s, const float* running_mean,
                                      const float* beta, float momentum);
std::vector<double> batch_norm_mean_only_inference(const float* x, const shape& s,
                                                   const float* running_mean, const float* beta);

normalized layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                      const float* beta, float eps);
// mean of the result stays empty.
normalized rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                    const float* beta, float eps);

// act(v) (simdnorm.h, sn_activation): relu(v) = v < 0 ? 0 : v, NaN kept;
// silu(v) = v / (1 + exp(-v)); gelu(v) = v / 2 erfc(-v / sqrt 2).
double activated(activation act, double v);

// Rows in float64: x, or h = (x + residual) + bias for a fused add with
// each addition rounded to float32 as the API defines it, from tensors of
// `type` (widened exactly; residual and bias may be null).
std::vector<double> rows_of(dtype type, const void* x, const void* residual, const float* bias,
                            std::int64_t rows, std::int64_t d);
// layer_norm and rms_norm of float64 rows (rows x d).
normalized layer_norm(const std::vector<double>& h, std::int64_t rows, std::int64_t d,
                      const float* gamma, const float* beta, float eps);
normalized rms_norm(const std::vector<double>& h, std::int64_t rows, std::int64_t d,
                    const float* gamma, const float* beta, float eps);

normalized instance_norm(const float* x, const shape& s, const float* gamma, const float* beta,
                         float eps);
normalized group_norm(const float* x, const shape& s, std::int64_t groups, const float* gamma,
                      const float* beta, float eps);

// save_mean/save_rstd of the result stay empty.
trained batch_instance_norm_training(const float* x, const shape& s, const float* running_mean,
                                     const float* running_var, const float* gamma,
                                     const float* beta, const float* rho, float momentum,
                                     float eps);
std::vector<double> batch_instance_norm_inference(const float* x, const shape& s,
                                                  const float* running_mean,
                                                  const float* running_var, const float* gamma,
                                                  const float* beta, const float* rho, float eps);

// save_mean/save_rstd of the result stay empty.
trained switchable_norm_training(const float* x, const shape& s, const float* running_mean,
                                 const float* running_var, const float* gamma, const float* beta,
                                 const switch_weights& weights, float momentum, float eps);
std::vector<double> switchable_norm_inference(const float* x, const shape& s,
                                              const float* running_mean, const float* running_var,
                                              const float* gamma, const float* beta,
                                              const switch_weights& weights, float eps);

struct weight_normalized {
  std::vector<double> w;
  std::vector<double> norm;
};
weight_normalized weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols);

}  // namespace simdnorm::reference

#endif  // SIMDNORM_LIB_REFERENCE_REFERENCE_HPP_
