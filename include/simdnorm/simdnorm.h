/*
 * simdnorm C API: normalisation layers of deep learning on float32 tensors.
 *
 * Every call validates all of its arguments before it touches memory; on any
 * error it returns a status other than SN_OK, writes nothing to any output or
 * running statistic, and sn_last_error() returns a message (for the calling
 * thread) that names the offending argument. Semantics are those of the
 * project's DESIGN.md section 1; argument order follows PyTorch where PyTorch
 * has the operation: input first, then PyTorch's arguments in its order, then
 * the outputs. Optional pointers may be NULL where the comment says so.
 *
 * Layouts: SN_LAYOUT_NCHW is channels first (NC when spatial = 1, NCDHW with
 * spatial = D*H*W); SN_LAYOUT_NHWC is channels last (likewise NDHWC). All
 * strides are dense. Exact in-place operation (y == x) is allowed; any other
 * overlap between an output and another buffer is an error.
 *
 * Thread safety: every function may be called from many threads at once on
 * distinct outputs. One sn_moments object must not be updated from two threads
 * at once; adapt per thread and merge instead.
 */
#ifndef SIMDNORM_SIMDNORM_H_
#define SIMDNORM_SIMDNORM_H_

#include <stdint.h>

#include "simdnorm/export.h"
#include "simdnorm/half_float.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sn_status {
  SN_OK = 0,
  SN_ERROR_INVALID_ARGUMENT = 1, /* a bad argument; sn_last_error() names it */
  SN_ERROR_OUT_OF_MEMORY = 2,    /* scratch allocation failed; nothing was written */
  SN_ERROR_INTERNAL = 3,         /* a bug in simdnorm; please report it */
  SN_ERROR_RESOURCE = 4          /* the system refused a resource other than memory, such as a
                                    thread, or the caller's parallel_for (sn_set_parallel_for)
                                    did not run the work it was given; see below and there for
                                    what was written */
} sn_status;

/* SN_ERROR_RESOURCE: oneTBB could not start a worker thread for the call
 * (pthread_create failed, as under an address-space or process limit), and
 * sn_last_error() gives its message. Nothing was written when the refused
 * thread was the first the call asked for, which is always the case when
 * oneTBB runs one worker thread; with more, a worker already running may
 * have done part of the call before it stopped, so the outputs may be partly
 * written. Later calls run on the threads that exist. oneTBB's workers also
 * start further workers themselves: a refusal there happens outside any
 * call and ends the process inside oneTBB (std::terminate). */

typedef enum sn_layout { SN_LAYOUT_NCHW = 0, SN_LAYOUT_NHWC = 1 } sn_layout;

/* How batch-norm training feeds the batch variance into running_var:
 * UNBIASED multiplies it by m/(m-1), m = values per channel (PyTorch);
 * BIASED uses it as is (Keras). */
typedef enum sn_running_var {
  SN_RUNNING_VAR_UNBIASED = 0,
  SN_RUNNING_VAR_BIASED = 1
} sn_running_var;

/* Activation tensor shape: n samples, c channels, spatial = product of the
 * spatial dimensions (1 for NC). */
typedef struct sn_shape {
  int64_t n;
  int64_t c;
  int64_t spatial;
  sn_layout layout;
} sn_shape;

/* Indices of switchable norm's mixing weights. */
enum { SN_SWITCH_INSTANCE = 0, SN_SWITCH_LAYER = 1, SN_SWITCH_BATCH = 2 };

/* The message of the calling thread's last simdnorm call: "" when that call
 * succeeded. Every call sets it (sn_version and sn_active_isa too) except
 * sn_last_error and sn_moments_destroy, so that an object can be destroyed
 * before its error is read. Valid until the thread's next simdnorm call. */
SIMDNORM_API const char* sn_last_error(void);

/* Library version, "major.minor.patch". */
SIMDNORM_API const char* sn_version(void);

/* The instruction set the vectorised kernels use now: "avx512", "avx2",
 * "sse4.2", "sse2", "neon64" (AArch64) or "scalar": the best the CPU and OS support, capped by the
 * environment variable SIMDNORM_ISA (read once, same names or "best", in any case; another value
 * caps nothing and is reported once on stderr) and by sn_set_max_isa. */
SIMDNORM_API const char* sn_active_isa(void);
/* Caps the instruction set for the whole process; name is one of the above or
 * "best" (no cap), in any case ("AVX2" is "avx2"). */
SIMDNORM_API sn_status sn_set_max_isa(const char* name);

/* ---- threads ------------------------------------------------------------ */

/* A call that is worth splitting (about 32K floats of work or more) runs on
 * oneTBB's workers in the caller's task arena (as many threads as the arena
 * has, or fewer under a tbb::global_control limit on
 * max_allowed_parallelism), or on the caller's own pool once
 * sn_set_parallel_for gives one. Both settings are process-wide, may be
 * changed from any thread between or during calls, and apply from the next
 * call on: a call reads them once, so it never mixes two pools. The bits of
 * every output are the same whatever the pool and its size. */

/* Caps the threads a call uses at max_threads (0, the default: no cap, as
 * many as oneTBB's arena or the caller's pool has); a negative value is an
 * error. max_threads = 1 runs every call on the calling thread. */
SIMDNORM_API sn_status sn_set_max_threads(int max_threads);
/* The cap sn_set_max_threads set: 0 when none. */
SIMDNORM_API int sn_max_threads(void);

/* Work items [first, last) of one parallel loop of a call. */
typedef void (*sn_parallel_task)(void* task_context, int64_t first, int64_t last);
/* A caller's parallel-for: runs task(task_context, first, last) over disjoint
 * ranges that together cover [0, items) exactly once, on any threads (the
 * calling one included), in any order and any partition, and returns once
 * every range has finished. items is at least 2. simdnorm calls it from the
 * threads that call simdnorm, several at once when several threads call
 * simdnorm, and never from inside a task. task does not fail. */
typedef void (*sn_parallel_for)(void* pool_context, int64_t items, sn_parallel_task task,
                                void* task_context);
/* Runs the parallel loops of later calls through parallel_for(pool_context,
 * ...) instead of oneTBB; pool_threads (at least 1) is how many threads the
 * pool runs at once, which decides how a call splits its work (capped by
 * sn_set_max_threads). A NULL parallel_for goes back to oneTBB; pool_context
 * and pool_threads are then ignored. A call that started on a pool keeps it
 * to its end: keep a pool alive until every call that may use it has
 * returned. If the pool runs a range outside [0, items) (which is then not
 * run) or does not run every item once, the call returns
 * SN_ERROR_RESOURCE naming parallel_for, and its outputs may be partly
 * written. */
SIMDNORM_API sn_status sn_set_parallel_for(sn_parallel_for parallel_for, void* pool_context,
                                           int pool_threads);

/* ---- standardize (Keras Normalization) -------------------------------- */

/* Streaming per-feature moments of a rows x features matrix (features is the
 * last, contiguous axis). */
typedef struct sn_moments sn_moments;

/* Allocates 24 bytes of state per feature: features past 2^40 / 24 (about
 * 4.6e10) are an invalid argument, fewer that memory cannot hold
 * SN_ERROR_OUT_OF_MEMORY. */
SIMDNORM_API sn_status sn_moments_create(int64_t features, sn_moments** moments);
/* Accepts NULL. Leaves sn_last_error() as it is. */
SIMDNORM_API void sn_moments_destroy(sn_moments* moments);
/* Adds rows x features values to the accumulated moments. */
SIMDNORM_API sn_status sn_moments_update(sn_moments* moments, const float* x, int64_t rows);
/* Adds everything other has accumulated (same feature count) into moments. */
SIMDNORM_API sn_status sn_moments_merge(sn_moments* moments, const sn_moments* other);
/* Number of rows accumulated so far. */
SIMDNORM_API sn_status sn_moments_count(const sn_moments* moments, int64_t* rows);
/* Per-feature mean and biased variance; refuses when no row was added. */
SIMDNORM_API sn_status sn_moments_finalize(const sn_moments* moments, float* mean, float* var);

/* y = (x - mean) / max(sqrt(var), 1e-7), per feature; var >= 0 (a NaN poisons its feature). */
SIMDNORM_API sn_status sn_standardize_apply(const float* x, int64_t rows, int64_t features,
                                            const float* mean, const float* var, float* y);
/* x = y * max(sqrt(var), 1e-7) + mean, per feature; var >= 0 (a NaN poisons its feature). */
SIMDNORM_API sn_status sn_standardize_invert(const float* y, int64_t rows, int64_t features,
                                             const float* mean, const float* var, float* x);

/* ---- batch norm --------------------------------------------------------- */

/* y = (x - running_mean) * gamma / sqrt(running_var + eps) + beta.
 * running_var >= 0 (a NaN poisons its channel). gamma, beta: optional (1 and 0). */
SIMDNORM_API sn_status sn_batch_norm_inference(const float* x, sn_shape shape,
                                               const float* running_mean, const float* running_var,
                                               const float* gamma, const float* beta, float eps,
                                               float* y);

/* Normalises with the batch statistics of each channel (over n and spatial),
 * then, when running_mean/running_var are given (both or neither),
 * run = (1 - momentum) * run + momentum * batch. Needs more than one value per
 * channel (n * spatial > 1). gamma, beta, save_mean, save_rstd: optional. */
SIMDNORM_API sn_status sn_batch_norm_training(const float* x, sn_shape shape, float* running_mean,
                                              float* running_var, const float* gamma,
                                              const float* beta, float momentum, float eps,
                                              sn_running_var running_var_kind, float* y,
                                              float* save_mean, float* save_rstd);

/* Mean-only batch norm (Salimans & Kingma 2016): y = x - batch_mean + beta;
 * running_mean (optional) moves with momentum. beta, save_mean: optional. */
SIMDNORM_API sn_status sn_batch_norm_mean_only_training(const float* x, sn_shape shape,
                                                        float* running_mean, const float* beta,
                                                        float momentum, float* y, float* save_mean);
/* y = x - running_mean + beta. beta: optional. */
SIMDNORM_API sn_status sn_batch_norm_mean_only_inference(const float* x, sn_shape shape,
                                                         const float* running_mean,
                                                         const float* beta, float* y);

/* ---- layer norm and RMS norm over rows x d ------------------------------ */

/* Per row: y = (x - mean) * rstd * gamma + beta. gamma, beta (length d) and
 * mean, rstd (length rows): optional. */
SIMDNORM_API sn_status sn_layer_norm(const float* x, int64_t rows, int64_t d, const float* gamma,
                                     const float* beta, float eps, float* y, float* mean,
                                     float* rstd);

/* Per row: y = x / sqrt(mean(x^2) + eps) * gamma + beta. gamma, beta, rstd:
 * optional. */
SIMDNORM_API sn_status sn_rms_norm(const float* x, int64_t rows, int64_t d, const float* gamma,
                                   const float* beta, float eps, float* y, float* rstd);

/* ---- bfloat16 and float16 activations, fused residual add ---------------
 *
 * A typed call takes its activation tensors (x and y; a fused call's
 * residual and sum too) in one element type, dtype, passed as void
 * pointers: float32, bfloat16 or float16 (IEEE binary16), dense, 16-bit
 * elements 2-byte aligned. Everything else stays float32: gamma, beta, bias,
 * and the statistics outputs. The call computes exactly what the float32
 * call computes on the input widened to float32 (exact), and rounds each
 * output element once, to nearest even, as sn_bfloat16_from_float and
 * sn_float16_from_float do (simdnorm/half_float.h); SN_DTYPE_FLOAT32 gives
 * the float32 call's bits. An unknown dtype is an invalid argument
 * ("dtype"), and nothing is written. Bytes for the overlap rules are counted
 * at each tensor's own width. */
typedef enum sn_dtype {
  SN_DTYPE_FLOAT32 = 0,
  SN_DTYPE_BFLOAT16 = 1,
  SN_DTYPE_FLOAT16 = 2
} sn_dtype;

/* An elementwise function applied to a norm's output before it is stored
 * (the next layer of a diffusion UNet's resnet block, or of a convolutional
 * net, or of wav2vec 2.0's feature encoder): relu(v) = v < 0 ? 0 : v (NaN
 * kept), silu(v) = v / (1 + exp(-v)), gelu(v) = v Phi(v), the exact (erf)
 * form of PyTorch's nn.GELU() and ONNX's Gelu, computed as v / 2 erfc(-v /
 * sqrt 2) so that the negative tail keeps its relative accuracy (not the
 * tanh approximation). Anything else is an invalid argument ("activation").
 * More may be added; the values of these never change. */
typedef enum sn_activation {
  SN_ACTIVATION_NONE = 0,
  SN_ACTIVATION_RELU = 1,
  SN_ACTIVATION_SILU = 2,
  SN_ACTIVATION_GELU = 3
} sn_activation;

/* sn_layer_norm and sn_rms_norm on dtype tensors x and y. */
SIMDNORM_API sn_status sn_layer_norm_typed(sn_dtype dtype, const void* x, int64_t rows, int64_t d,
                                           const float* gamma, const float* beta, float eps,
                                           void* y, float* mean, float* rstd);
SIMDNORM_API sn_status sn_rms_norm_typed(sn_dtype dtype, const void* x, int64_t rows, int64_t d,
                                         const float* gamma, const float* beta, float eps, void* y,
                                         float* rstd);

/* Residual add fused with the norm, in one pass over memory (ONNX Runtime's
 * SkipLayerNormalization and SkipSimplifiedLayerNormalization): per row,
 * h = (x + residual) + bias in float32, then y = layer_norm(h) or
 * rms_norm(h) as above, and sum = h rounded to dtype when sum is given (the
 * residual stream a transformer carries to its next block). bias (length
 * d), gamma, beta, sum, mean, rstd: optional. y may be x exactly, and sum
 * may be residual exactly (the stream updated in place); any other overlap
 * with an output is refused. */
SIMDNORM_API sn_status sn_add_layer_norm(sn_dtype dtype, const void* x, const void* residual,
                                         const float* bias, int64_t rows, int64_t d,
                                         const float* gamma, const float* beta, float eps, void* y,
                                         void* sum, float* mean, float* rstd);
SIMDNORM_API sn_status sn_add_rms_norm(sn_dtype dtype, const void* x, const void* residual,
                                       const float* bias, int64_t rows, int64_t d,
                                       const float* gamma, const float* beta, float eps, void* y,
                                       void* sum, float* rstd);

/* Group norm, instance norm and batch norm on activations of dtype, followed
 * by an activation, one pass over memory: y = activation(the plain call's y).
 * Statistics, running statistics, gamma and beta stay float32; a 16-bit call
 * computes what the float32 call computes on the widened x and rounds y once.
 * Otherwise the plain calls' arguments and rules. */
SIMDNORM_API sn_status sn_group_norm_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                           int64_t groups, const float* gamma, const float* beta,
                                           float eps, sn_activation activation, void* y,
                                           float* mean, float* rstd);
SIMDNORM_API sn_status sn_instance_norm_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                              const float* gamma, const float* beta, float eps,
                                              sn_activation activation, void* y, float* mean,
                                              float* rstd);
SIMDNORM_API sn_status sn_batch_norm_inference_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                     const float* running_mean,
                                                     const float* running_var, const float* gamma,
                                                     const float* beta, float eps,
                                                     sn_activation activation, void* y);
SIMDNORM_API sn_status sn_batch_norm_training_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                    float* running_mean, float* running_var,
                                                    const float* gamma, const float* beta,
                                                    float momentum, float eps,
                                                    sn_running_var running_var_kind,
                                                    sn_activation activation, void* y,
                                                    float* save_mean, float* save_rstd);

/* Mean-only batch norm, batch-instance norm and switchable norm on
 * activations of dtype (x and y; nothing else changes type): the plain
 * calls' arguments and rules, and what the float32 call computes on the
 * widened x, y rounded once. No activation: nothing fuses one after these
 * in the networks that use them. */
SIMDNORM_API sn_status sn_batch_norm_mean_only_training_typed(sn_dtype dtype, const void* x,
                                                              sn_shape shape, float* running_mean,
                                                              const float* beta, float momentum,
                                                              void* y, float* save_mean);
SIMDNORM_API sn_status sn_batch_norm_mean_only_inference_typed(sn_dtype dtype, const void* x,
                                                               sn_shape shape,
                                                               const float* running_mean,
                                                               const float* beta, void* y);

/* Standardize on tensors of dtype: sn_moments_update on rows of dtype (the
 * moments, mean and var stay float64 and float32), apply and invert with
 * x and y of dtype. The plain calls' rules otherwise. */
SIMDNORM_API sn_status sn_moments_update_typed(sn_moments* moments, sn_dtype dtype, const void* x,
                                               int64_t rows);
SIMDNORM_API sn_status sn_standardize_apply_typed(sn_dtype dtype, const void* x, int64_t rows,
                                                  int64_t features, const float* mean,
                                                  const float* var, void* y);
SIMDNORM_API sn_status sn_standardize_invert_typed(sn_dtype dtype, const void* y, int64_t rows,
                                                   int64_t features, const float* mean,
                                                   const float* var, void* x);

/* ---- instance norm and group norm --------------------------------------- */

/* Statistics per (n, c) over the spatial positions. gamma, beta (length c)
 * and mean, rstd (length n * c, index n * c + c): optional. */
SIMDNORM_API sn_status sn_instance_norm(const float* x, sn_shape shape, const float* gamma,
                                        const float* beta, float eps, float* y, float* mean,
                                        float* rstd);

/* Statistics per (n, g) over c / groups channels and the spatial positions;
 * groups must divide c. gamma, beta (length c) and mean, rstd (length
 * n * groups): optional. */
SIMDNORM_API sn_status sn_group_norm(const float* x, sn_shape shape, int64_t groups,
                                     const float* gamma, const float* beta, float eps, float* y,
                                     float* mean, float* rstd);

/* ---- batch-instance norm (Nam & Kim 2018) ------------------------------- */

/* y = (rho * xhat_batch + (1 - rho) * xhat_instance) * gamma + beta, rho per
 * channel in [0, 1]. Training uses the batch statistics and updates the
 * running ones as batch norm does (unbiased running variance); inference uses
 * running_mean/running_var for the batch part (running_var >= 0; a NaN
 * poisons its channel). gamma, beta: optional; running stats in training:
 * optional, both or neither. */
SIMDNORM_API sn_status sn_batch_instance_norm_training(const float* x, sn_shape shape,
                                                       float* running_mean, float* running_var,
                                                       const float* gamma, const float* beta,
                                                       const float* rho, float momentum, float eps,
                                                       float* y);
SIMDNORM_API sn_status sn_batch_instance_norm_inference(const float* x, sn_shape shape,
                                                        const float* running_mean,
                                                        const float* running_var,
                                                        const float* gamma, const float* beta,
                                                        const float* rho, float eps, float* y);
/* The same on activations of dtype (see sn_batch_norm_mean_only_training_typed). */
SIMDNORM_API sn_status sn_batch_instance_norm_training_typed(sn_dtype dtype, const void* x,
                                                             sn_shape shape, float* running_mean,
                                                             float* running_var, const float* gamma,
                                                             const float* beta, const float* rho,
                                                             float momentum, float eps, void* y);
SIMDNORM_API sn_status sn_batch_instance_norm_inference_typed(sn_dtype dtype, const void* x,
                                                              sn_shape shape,
                                                              const float* running_mean,
                                                              const float* running_var,
                                                              const float* gamma, const float* beta,
                                                              const float* rho, float eps, void* y);

/* ---- switchable norm (Luo et al. 2018) ---------------------------------- */

/* mean = sum_k mean_weights[k] * mean_k, var = sum_k var_weights[k] * var_k,
 * k indexed by SN_SWITCH_*; each weight array is the caller's softmax output
 * (entries in [0, 1], summing to 1 within 1e-3). Training uses batch
 * statistics for k = BATCH and updates running stats (unbiased variance);
 * inference uses running_mean/running_var there (running_var >= 0; a NaN
 * poisons its channel). The weight arrays are inputs: they may not overlap
 * y, nor the running stats training updates. gamma, beta: optional; running
 * stats in training: optional, both or neither. */
SIMDNORM_API sn_status sn_switchable_norm_training(const float* x, sn_shape shape,
                                                   float* running_mean, float* running_var,
                                                   const float* gamma, const float* beta,
                                                   const float mean_weights[3],
                                                   const float var_weights[3], float momentum,
                                                   float eps, float* y);
SIMDNORM_API sn_status sn_switchable_norm_inference(const float* x, sn_shape shape,
                                                    const float* running_mean,
                                                    const float* running_var, const float* gamma,
                                                    const float* beta, const float mean_weights[3],
                                                    const float var_weights[3], float eps,
                                                    float* y);
/* The same on activations of dtype (see sn_batch_norm_mean_only_training_typed). */
SIMDNORM_API sn_status sn_switchable_norm_training_typed(
    sn_dtype dtype, const void* x, sn_shape shape, float* running_mean, float* running_var,
    const float* gamma, const float* beta, const float mean_weights[3], const float var_weights[3],
    float momentum, float eps, void* y);
SIMDNORM_API sn_status sn_switchable_norm_inference_typed(
    sn_dtype dtype, const void* x, sn_shape shape, const float* running_mean,
    const float* running_var, const float* gamma, const float* beta, const float mean_weights[3],
    const float var_weights[3], float eps, void* y);

/* ---- weight norm (Salimans & Kingma 2016; PyTorch dim = 0) -------------- */

/* w[r, :] = g[r] * v[r, :] / ||v[r, :]||_2 for a rows x cols weight (cols =
 * product of the trailing dims). norm (length rows): optional. A zero row
 * gives non-finite w, as in PyTorch. */
SIMDNORM_API sn_status sn_weight_norm(const float* v, const float* g, int64_t rows, int64_t cols,
                                      float* w, float* norm);
/* The same on weights v and w of dtype (g and norm stay float32): what the
 * float32 call computes on the widened v, w rounded once. */
SIMDNORM_API sn_status sn_weight_norm_typed(sn_dtype dtype, const void* v, const float* g,
                                            int64_t rows, int64_t cols, void* w, float* norm);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIMDNORM_SIMDNORM_H_ */
