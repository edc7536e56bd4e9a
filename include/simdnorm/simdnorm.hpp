// simdnorm C++ API: normalisation layers of deep learning on float32 tensors.
//
// The same operations as the C API (simdnorm/simdnorm.h), with the same
// argument order and semantics. Every function validates all of its arguments
// before it touches memory and throws std::invalid_argument, whose message
// names the offending argument, without writing anything to any output or
// running statistic. Optional pointers may be nullptr where the comment says
// so. Exact in-place operation (y == x) is allowed; any other overlap between
// an output and another buffer is refused.
//
// Besides std::invalid_argument, a call throws std::bad_alloc when its
// scratch memory cannot be allocated (nothing written), and what oneTBB
// throws when the system refuses it a worker thread: a std::runtime_error
// whose message starts with "pthread_create" (or a std::system_error). Then
// nothing was written if the refused thread was the first the call asked
// for, always the case when oneTBB runs one worker thread; with more, a
// worker already running may have written part of the outputs (simdnorm.h,
// SN_ERROR_RESOURCE, says more).
//
// Thread safety: every function may be called from many threads at once on
// distinct outputs; a moments object is not to be updated from two threads at
// once (adapt one per thread and merge).
#ifndef SIMDNORM_SIMDNORM_HPP_
#define SIMDNORM_SIMDNORM_HPP_

#include <array>
#include <cstdint>
#include <memory>

#include "simdnorm/export.h"

namespace simdnorm {

enum class layout {
  nchw,  // channels first: NC (spatial = 1), NCHW, NCDHW
  nhwc,  // channels last: NHWC, NDHWC
};

// n samples, c channels, spatial = product of the spatial dimensions.
struct shape {
  std::int64_t n;
  std::int64_t c;
  std::int64_t spatial;
  simdnorm::layout layout;
};

// How batch-norm training feeds the batch variance into running_var:
// unbiased multiplies it by m / (m - 1), m = values per channel (PyTorch);
// biased uses it as is (Keras, whose momentum k is momentum = 1 - k here).
enum class running_var_kind { unbiased, biased };

// Switchable norm's mixing weights, indexed by instance, layer, batch.
struct switch_weights {
  std::array<float, 3> mean;
  std::array<float, 3> var;
};

// The element type of a typed call's activation tensors (simdnorm.h,
// sn_dtype, says what a typed call computes). bfloat16 and float16 hold the
// bits; simdnorm/half_float.h converts them.
enum class dtype { float32, bfloat16, float16 };

// Bytes per element of type: 4 for float32, 2 for bfloat16 and float16; 0
// for a value no enumerator has (which every typed call refuses).
constexpr std::int64_t element_size(dtype type) {
  switch (type) {
    case dtype::float32:
      return 4;
    case dtype::bfloat16:
    case dtype::float16:
      return 2;
  }
  return 0;
}

struct bfloat16 {
  std::uint16_t bits;
};
struct float16 {
  std::uint16_t bits;
};

// An elementwise function applied to a norm's output before it is stored
// (simdnorm.h, sn_activation): relu(v) = v < 0 ? 0 : v, silu(v) = v / (1 +
// exp(-v)), gelu(v) = v Phi(v) = v / 2 erfc(-v / sqrt 2) (the erf form).
enum class activation { none, relu, silu, gelu };

SIMDNORM_API const char* version();

// The instruction set the vectorised kernels use now: "avx512", "avx2",
// "sse4.2", "sse2", "neon64" (AArch64) or "scalar" (the portable path). It is the best the CPU
// and OS support, capped by the environment variable SIMDNORM_ISA (read once,
// same names or "best", in any case; another value caps nothing and is
// reported once on stderr) and by set_max_isa.
SIMDNORM_API const char* active_isa();
// Caps the instruction set for the whole process (one of the names above or
// "best", in any case; throws std::invalid_argument for any other). A cap
// above what the CPU supports has no effect; "scalar" selects the portable
// scalar path for every method.
SIMDNORM_API void set_max_isa(const char* name);

// ---- threads ---------------------------------------------------------------
//
// A call that is worth splitting (about 32K floats of work or more) runs on
// oneTBB's workers in the caller's task arena, or on the caller's own pool
// once set_parallel_for gives one. Both settings are process-wide, may be
// changed from any thread between or during calls, and apply from the next
// call on: a call reads them once, so it never mixes two pools. The bits of
// every output are the same whatever the pool and its size.

// Caps the threads a call uses at max_threads (0, the default: no cap, as
// many as oneTBB's arena or the caller's pool has). Throws
// std::invalid_argument for a negative value. max_threads = 1 runs every
// call on the calling thread.
SIMDNORM_API void set_max_threads(int max_threads);
// The cap set_max_threads set: 0 when none.
SIMDNORM_API int max_threads();

// Work items [first, last) of one parallel loop of a call.
using parallel_task = void (*)(void* task_context, std::int64_t first, std::int64_t last);
// A caller's parallel-for: runs task(task_context, first, last) over
// disjoint ranges that together cover [0, items) exactly once, on any threads
// (the calling one included), in any order and any partition, and returns
// once every range has finished. items is at least 2. simdnorm calls it from
// the threads that call simdnorm, several at once when several threads call
// simdnorm, and never from inside a task. task does not throw.
using parallel_for_function = void (*)(void* pool_context, std::int64_t items, parallel_task task,
                                       void* task_context);
// Runs the parallel loops of later calls through parallel_for(pool_context,
// ...) instead of oneTBB; pool_threads (at least 1) is how many threads the
// pool runs at once, which decides how a call splits its work (capped by
// set_max_threads). A null parallel_for goes back to oneTBB, and
// pool_context and pool_threads are then ignored. Throws
// std::invalid_argument for pool_threads below 1 with a pool. A call that
// started on a pool keeps it to its end: keep a pool alive until every call
// that may use it has returned. If the pool runs a range outside [0, items)
// or does not run every item once, the call fails with std::runtime_error
// naming parallel_for (its outputs may be partly written, and a range
// outside [0, items) is not run).
SIMDNORM_API void set_parallel_for(parallel_for_function parallel_for, void* pool_context,
                                   int pool_threads);

// ---- standardize (Keras Normalization) ------------------------------------

// Streaming per-feature mean and biased variance of rows x features data
// (features contiguous). Adapt chunk by chunk, merge partial accumulators,
// finalize once.
class SIMDNORM_API moments {
 public:
  // Allocates 24 bytes of state per feature: features past 2^40 / 24 (about
  // 4.6e10) throw std::invalid_argument, fewer that memory cannot hold
  // std::bad_alloc.
  explicit moments(std::int64_t features);
  ~moments();
  moments(moments&&) noexcept;
  moments& operator=(moments&&) noexcept;
  moments(const moments&) = delete;
  moments& operator=(const moments&) = delete;

  std::int64_t features() const;
  std::int64_t count() const;  // rows accumulated
  void update(const float* x, std::int64_t rows);
  // The same on rows of type (simdnorm.h, sn_moments_update_typed).
  void update(dtype type, const void* x, std::int64_t rows);
  void merge(const moments& other);
  // Writes features floats to each; throws when no row was accumulated.
  void finalize(float* mean, float* var) const;

  struct state;

 private:
  std::unique_ptr<state> state_;
};

// y = (x - mean) / max(sqrt(var), 1e-7), per feature; var >= 0 (a NaN poisons its feature).
SIMDNORM_API void standardize_apply(const float* x, std::int64_t rows, std::int64_t features,
                                    const float* mean, const float* var, float* y);
// x = y * max(sqrt(var), 1e-7) + mean, per feature; var >= 0 (a NaN poisons its feature).
SIMDNORM_API void standardize_invert(const float* y, std::int64_t rows, std::int64_t features,
                                     const float* mean, const float* var, float* x);
// The same on tensors of type (simdnorm.h, sn_standardize_apply_typed).
SIMDNORM_API void standardize_apply(dtype type, const void* x, std::int64_t rows,
                                    std::int64_t features, const float* mean, const float* var,
                                    void* y);
SIMDNORM_API void standardize_invert(dtype type, const void* y, std::int64_t rows,
                                     std::int64_t features, const float* mean, const float* var,
                                     void* x);

// ---- batch norm -------------------------------------------------------------

// y = (x - running_mean) * gamma / sqrt(running_var + eps) + beta.
// running_var >= 0 (a NaN poisons its channel). gamma, beta: optional.
SIMDNORM_API void batch_norm_inference(const float* x, const shape& s, const float* running_mean,
                                       const float* running_var, const float* gamma,
                                       const float* beta, float eps, float* y);

// Batch statistics per channel over n and spatial; running stats (optional,
// both or neither) move as run = (1 - momentum) * run + momentum * batch.
// Needs n * spatial > 1. gamma, beta, save_mean, save_rstd: optional.
SIMDNORM_API void batch_norm_training(const float* x, const shape& s, float* running_mean,
                                      float* running_var, const float* gamma, const float* beta,
                                      float momentum, float eps, running_var_kind kind, float* y,
                                      float* save_mean, float* save_rstd);

// The same on activations of type, followed by an activation, y = act(plain
// y), in one pass (simdnorm.h, sn_batch_norm_inference_typed).
SIMDNORM_API void batch_norm_inference(dtype type, const void* x, const shape& s,
                                       const float* running_mean, const float* running_var,
                                       const float* gamma, const float* beta, float eps,
                                       activation act, void* y);
SIMDNORM_API void batch_norm_training(dtype type, const void* x, const shape& s,
                                      float* running_mean, float* running_var, const float* gamma,
                                      const float* beta, float momentum, float eps,
                                      running_var_kind kind, activation act, void* y,
                                      float* save_mean, float* save_rstd);

// y = x - batch_mean + beta; running_mean, beta, save_mean: optional.
SIMDNORM_API void batch_norm_mean_only_training(const float* x, const shape& s, float* running_mean,
                                                const float* beta, float momentum, float* y,
                                                float* save_mean);
// y = x - running_mean + beta; beta: optional.
SIMDNORM_API void batch_norm_mean_only_inference(const float* x, const shape& s,
                                                 const float* running_mean, const float* beta,
                                                 float* y);
// The same on activations of type (simdnorm.h,
// sn_batch_norm_mean_only_training_typed).
SIMDNORM_API void batch_norm_mean_only_training(dtype type, const void* x, const shape& s,
                                                float* running_mean, const float* beta,
                                                float momentum, void* y, float* save_mean);
SIMDNORM_API void batch_norm_mean_only_inference(dtype type, const void* x, const shape& s,
                                                 const float* running_mean, const float* beta,
                                                 void* y);

// ---- layer norm and RMS norm over rows x d ------------------------------------

// gamma, beta (d) and mean, rstd (rows): optional.
SIMDNORM_API void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                             const float* beta, float eps, float* y, float* mean, float* rstd);
// y = x / sqrt(mean(x^2) + eps) * gamma + beta; gamma, beta, rstd: optional.
SIMDNORM_API void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                           const float* beta, float eps, float* y, float* rstd);

// The same on dtype tensors x and y (simdnorm.h, sn_layer_norm_typed).
SIMDNORM_API void layer_norm(dtype type, const void* x, std::int64_t rows, std::int64_t d,
                             const float* gamma, const float* beta, float eps, void* y, float* mean,
                             float* rstd);
SIMDNORM_API void rms_norm(dtype type, const void* x, std::int64_t rows, std::int64_t d,
                           const float* gamma, const float* beta, float eps, void* y, float* rstd);

// h = (x + residual) + bias per row, normalised; sum = h when given
// (simdnorm.h, sn_add_layer_norm). bias, gamma, beta, sum, mean, rstd:
// optional; sum may be residual exactly.
SIMDNORM_API void add_layer_norm(dtype type, const void* x, const void* residual, const float* bias,
                                 std::int64_t rows, std::int64_t d, const float* gamma,
                                 const float* beta, float eps, void* y, void* sum, float* mean,
                                 float* rstd);
SIMDNORM_API void add_rms_norm(dtype type, const void* x, const void* residual, const float* bias,
                               std::int64_t rows, std::int64_t d, const float* gamma,
                               const float* beta, float eps, void* y, void* sum, float* rstd);

// The typed calls with the element type taken from x (the other tensors
// must be of the same type; nullptr is fine for an optional one).
template <class T>
struct element_of {
  using type = T;
};
template <class T>
using same_element_t = typename element_of<T>::type;

inline constexpr dtype dtype_of(const float*) { return dtype::float32; }
inline constexpr dtype dtype_of(const bfloat16*) { return dtype::bfloat16; }
inline constexpr dtype dtype_of(const float16*) { return dtype::float16; }

template <class T>
void layer_norm(const T* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, same_element_t<T>* y, float* mean, float* rstd) {
  layer_norm(dtype_of(x), x, rows, d, gamma, beta, eps, y, mean, rstd);
}
template <class T>
void rms_norm(const T* x, std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
              float eps, same_element_t<T>* y, float* rstd) {
  rms_norm(dtype_of(x), x, rows, d, gamma, beta, eps, y, rstd);
}
template <class T>
void add_layer_norm(const T* x, const same_element_t<T>* residual, const float* bias,
                    std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                    float eps, same_element_t<T>* y, same_element_t<T>* sum, float* mean,
                    float* rstd) {
  add_layer_norm(dtype_of(x), x, residual, bias, rows, d, gamma, beta, eps, y, sum, mean, rstd);
}
template <class T>
void add_rms_norm(const T* x, const same_element_t<T>* residual, const float* bias,
                  std::int64_t rows, std::int64_t d, const float* gamma, const float* beta,
                  float eps, same_element_t<T>* y, same_element_t<T>* sum, float* rstd) {
  add_rms_norm(dtype_of(x), x, residual, bias, rows, d, gamma, beta, eps, y, sum, rstd);
}

// ---- instance norm and group norm ---------------------------------------------

// mean, rstd: n * c, optional; gamma, beta: c, optional.
SIMDNORM_API void instance_norm(const float* x, const shape& s, const float* gamma,
                                const float* beta, float eps, float* y, float* mean, float* rstd);
// groups divides c; mean, rstd: n * groups, optional; gamma, beta: c, optional.
SIMDNORM_API void group_norm(const float* x, const shape& s, std::int64_t groups,
                             const float* gamma, const float* beta, float eps, float* y,
                             float* mean, float* rstd);

// The same on activations of type, followed by an activation, y = act(plain
// y), in one pass (simdnorm.h, sn_group_norm_typed).
SIMDNORM_API void group_norm(dtype type, const void* x, const shape& s, std::int64_t groups,
                             const float* gamma, const float* beta, float eps, activation act,
                             void* y, float* mean, float* rstd);
SIMDNORM_API void instance_norm(dtype type, const void* x, const shape& s, const float* gamma,
                                const float* beta, float eps, activation act, void* y, float* mean,
                                float* rstd);

// ---- batch-instance norm --------------------------------------------------------

// y = (rho * xhat_batch + (1 - rho) * xhat_instance) * gamma + beta; rho per
// channel in [0, 1], required. Running stats: optional in training (both or
// neither), required in inference (running_var >= 0; a NaN poisons its channel).
SIMDNORM_API void batch_instance_norm_training(const float* x, const shape& s, float* running_mean,
                                               float* running_var, const float* gamma,
                                               const float* beta, const float* rho, float momentum,
                                               float eps, float* y);
SIMDNORM_API void batch_instance_norm_inference(const float* x, const shape& s,
                                                const float* running_mean, const float* running_var,
                                                const float* gamma, const float* beta,
                                                const float* rho, float eps, float* y);
// The same on activations of type (simdnorm.h,
// sn_batch_instance_norm_training_typed).
SIMDNORM_API void batch_instance_norm_training(dtype type, const void* x, const shape& s,
                                               float* running_mean, float* running_var,
                                               const float* gamma, const float* beta,
                                               const float* rho, float momentum, float eps,
                                               void* y);
SIMDNORM_API void batch_instance_norm_inference(dtype type, const void* x, const shape& s,
                                                const float* running_mean, const float* running_var,
                                                const float* gamma, const float* beta,
                                                const float* rho, float eps, void* y);

// ---- switchable norm ------------------------------------------------------------

// Mixes instance, layer and batch statistics with the caller's softmax
// weights (each in [0, 1], summing to 1 within 1e-3). Inference reads
// running_var (>= 0; a NaN poisons its channel).
SIMDNORM_API void switchable_norm_training(const float* x, const shape& s, float* running_mean,
                                           float* running_var, const float* gamma,
                                           const float* beta, const switch_weights& weights,
                                           float momentum, float eps, float* y);
SIMDNORM_API void switchable_norm_inference(const float* x, const shape& s,
                                            const float* running_mean, const float* running_var,
                                            const float* gamma, const float* beta,
                                            const switch_weights& weights, float eps, float* y);
// The same on activations of type (simdnorm.h, sn_switchable_norm_training_typed).
SIMDNORM_API void switchable_norm_training(dtype type, const void* x, const shape& s,
                                           float* running_mean, float* running_var,
                                           const float* gamma, const float* beta,
                                           const switch_weights& weights, float momentum, float eps,
                                           void* y);
SIMDNORM_API void switchable_norm_inference(dtype type, const void* x, const shape& s,
                                            const float* running_mean, const float* running_var,
                                            const float* gamma, const float* beta,
                                            const switch_weights& weights, float eps, void* y);

// ---- weight norm ------------------------------------------------------------------

// w[r, :] = g[r] * v[r, :] / ||v[r, :]||_2; norm (rows): optional.
SIMDNORM_API void weight_norm(const float* v, const float* g, std::int64_t rows, std::int64_t cols,
                              float* w, float* norm);
// The same on weights v and w of type (simdnorm.h, sn_weight_norm_typed).
SIMDNORM_API void weight_norm(dtype type, const void* v, const float* g, std::int64_t rows,
                              std::int64_t cols, void* w, float* norm);

}  // namespace simdnorm

#endif  // SIMDNORM_SIMDNORM_HPP_
