// The C API: each sn_* call converts its arguments, runs the C++ entry point
// and turns exceptions into status codes, keeping the message per thread.
#include <cstring>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>

#include "dispatch/thread_settings.hpp"
#include "simdnorm/simdnorm.h"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

struct sn_moments {
  simdnorm::moments accumulator;
};

namespace {

// Per thread by design: a C caller reads the message of its own last call.
std::string& last_error() {
  thread_local std::string message;
  return message;
}

// Keeps message as the thread's last error. Storing it may itself need
// memory; when that fails the status still goes back, with the message cut
// to what the string holds already (clear() never allocates).
void remember(const char* message) noexcept {
  std::string& kept = last_error();
  try {
    kept = message;
  } catch (...) {
    kept.clear();
  }
}

// Whether e says that the system refused a thread: oneTBB reports a failed
// pthread_create as a std::runtime_error whose message starts with the
// call's name ("pthread_create has failed: Resource temporarily
// unavailable", under an address-space or process limit); the standard
// library reports such failures as std::system_error. The caller's own pool
// failing to run what it was given (dispatch::pool_failure) is reported the
// same way: a resource outside simdnorm did not do its part.
bool is_refused_resource(const std::runtime_error& e) {
  constexpr char thread_creation[] = "pthread_create";
  return dynamic_cast<const std::system_error*>(&e) != nullptr ||
         dynamic_cast<const simdnorm::dispatch::pool_failure*>(&e) != nullptr ||
         std::strncmp(e.what(), thread_creation, sizeof thread_creation - 1) == 0;
}

template <class Call>
sn_status guarded(Call&& call) noexcept {
  last_error().clear();
  try {
    call();
    return SN_OK;
  } catch (const std::invalid_argument& e) {
    remember(e.what());
    return SN_ERROR_INVALID_ARGUMENT;
  } catch (const std::bad_alloc&) {
    remember("out of memory");
    return SN_ERROR_OUT_OF_MEMORY;
  } catch (const std::runtime_error& e) {
    remember(e.what());
    return is_refused_resource(e) ? SN_ERROR_RESOURCE : SN_ERROR_INTERNAL;
  } catch (const std::exception& e) {
    remember(e.what());
    return SN_ERROR_INTERNAL;
  } catch (...) {
    remember("unknown internal error");
    return SN_ERROR_INTERNAL;
  }
}

// The integer a C caller stored in an enum argument. C lets any int through;
// in C++, loading a value outside the enumerators' range as the enum type is
// undefined (UBSan's -fsanitize=enum reports it), so the bits are read as the
// underlying integer and validation judges the value.
template <class Enum>
int raw_value(const Enum& value) {
  std::underlying_type_t<Enum> bits;
  static_assert(sizeof bits == sizeof value, "an enum is its underlying integer");
  std::memcpy(&bits, &value, sizeof bits);
  return static_cast<int>(bits);
}

simdnorm::shape to_cpp(const sn_shape& s) {
  return simdnorm::shape{s.n, s.c, s.spatial, static_cast<simdnorm::layout>(raw_value(s.layout))};
}

simdnorm::activation to_cpp(const sn_activation& act) {
  return static_cast<simdnorm::activation>(raw_value(act));
}

simdnorm::dtype to_cpp(const sn_dtype& type) {
  return static_cast<simdnorm::dtype>(raw_value(type));
}

simdnorm::running_var_kind to_cpp(const sn_running_var& kind) {
  return static_cast<simdnorm::running_var_kind>(raw_value(kind));
}

// Switchable norm's weights: two arrays of 3 floats here, copied into the
// C++ API's by-value weights before anything is written. They are inputs
// all the same, and no input may overlap an output: y, and in training the
// running statistics it updates. Checked here, where they are still
// pointers; the shape is checked first, as the C++ call would, for the
// size of y.
simdnorm::switch_weights checked_weights(const char* function, const float* mean_weights,
                                         const float* var_weights, const sn_shape& shape,
                                         simdnorm::dtype type, const void* y,
                                         const float* running_mean, const float* running_var,
                                         bool training) {
  using simdnorm::validation::role;
  const simdnorm::validation::checker check(function);
  check.element_type(type);
  check.not_null(mean_weights, "mean_weights");
  check.not_null(var_weights, "var_weights");
  const simdnorm::shape s = to_cpp(shape);
  const std::int64_t count = check.activation(s);
  const role running = training ? role::in_out : role::input;
  check.no_overlap({{mean_weights, 3, "mean_weights", role::input},
                    {var_weights, 3, "var_weights", role::input},
                    {y, count, "y", role::output, simdnorm::element_size(type)},
                    {running_mean, s.c, "running_mean", running},
                    {running_var, s.c, "running_var", running}});
  return simdnorm::switch_weights{{mean_weights[0], mean_weights[1], mean_weights[2]},
                                  {var_weights[0], var_weights[1], var_weights[2]}};
}

void require_moments(const char* function, const void* moments, const char* name) {
  simdnorm::validation::checker(function).not_null(moments, name);
}

}  // namespace

extern "C" {

const char* sn_last_error(void) { return last_error().c_str(); }

// These two cannot fail, but they are calls like any other: the thread's
// last error is the message of its last call, "" after one that succeeded.
const char* sn_version(void) {
  last_error().clear();
  return simdnorm::version();
}

const char* sn_active_isa(void) {
  last_error().clear();
  return simdnorm::active_isa();
}

sn_status sn_set_max_isa(const char* name) {
  return guarded([&] { simdnorm::set_max_isa(name); });
}

sn_status sn_set_max_threads(int max_threads) {
  return guarded([&] { simdnorm::set_max_threads(max_threads); });
}

int sn_max_threads(void) {
  int threads = 0;
  guarded([&] { threads = simdnorm::max_threads(); });
  return threads;
}

sn_status sn_set_parallel_for(sn_parallel_for parallel_for, void* pool_context, int pool_threads) {
  return guarded([&] { simdnorm::set_parallel_for(parallel_for, pool_context, pool_threads); });
}

sn_status sn_moments_create(int64_t features, sn_moments** moments) {
  return guarded([&] {
    require_moments("moments_create", moments, "moments");
    *moments = new sn_moments{simdnorm::moments(features)};
  });
}

void sn_moments_destroy(sn_moments* moments) { delete moments; }

sn_status sn_moments_update(sn_moments* moments, const float* x, int64_t rows) {
  return guarded([&] {
    require_moments("moments::update", moments, "moments");
    moments->accumulator.update(x, rows);
  });
}

sn_status sn_moments_merge(sn_moments* moments, const sn_moments* other) {
  return guarded([&] {
    require_moments("moments::merge", moments, "moments");
    require_moments("moments::merge", other, "other");
    moments->accumulator.merge(other->accumulator);
  });
}

sn_status sn_moments_count(const sn_moments* moments, int64_t* rows) {
  return guarded([&] {
    require_moments("moments::count", moments, "moments");
    require_moments("moments::count", rows, "rows");
    *rows = moments->accumulator.count();
  });
}

sn_status sn_moments_finalize(const sn_moments* moments, float* mean, float* var) {
  return guarded([&] {
    require_moments("moments::finalize", moments, "moments");
    moments->accumulator.finalize(mean, var);
  });
}

sn_status sn_standardize_apply(const float* x, int64_t rows, int64_t features, const float* mean,
                               const float* var, float* y) {
  return guarded([&] { simdnorm::standardize_apply(x, rows, features, mean, var, y); });
}

sn_status sn_standardize_invert(const float* y, int64_t rows, int64_t features, const float* mean,
                                const float* var, float* x) {
  return guarded([&] { simdnorm::standardize_invert(y, rows, features, mean, var, x); });
}

sn_status sn_moments_update_typed(sn_moments* moments, sn_dtype dtype, const void* x,
                                  int64_t rows) {
  return guarded([&] {
    require_moments("moments::update", moments, "moments");
    moments->accumulator.update(to_cpp(dtype), x, rows);
  });
}

sn_status sn_standardize_apply_typed(sn_dtype dtype, const void* x, int64_t rows, int64_t features,
                                     const float* mean, const float* var, void* y) {
  return guarded(
      [&] { simdnorm::standardize_apply(to_cpp(dtype), x, rows, features, mean, var, y); });
}

sn_status sn_standardize_invert_typed(sn_dtype dtype, const void* y, int64_t rows, int64_t features,
                                      const float* mean, const float* var, void* x) {
  return guarded(
      [&] { simdnorm::standardize_invert(to_cpp(dtype), y, rows, features, mean, var, x); });
}

sn_status sn_batch_norm_inference(const float* x, sn_shape shape, const float* running_mean,
                                  const float* running_var, const float* gamma, const float* beta,
                                  float eps, float* y) {
  return guarded([&] {
    simdnorm::batch_norm_inference(x, to_cpp(shape), running_mean, running_var, gamma, beta, eps,
                                   y);
  });
}

sn_status sn_batch_norm_training(const float* x, sn_shape shape, float* running_mean,
                                 float* running_var, const float* gamma, const float* beta,
                                 float momentum, float eps, sn_running_var running_var_kind,
                                 float* y, float* save_mean, float* save_rstd) {
  return guarded([&] {
    simdnorm::batch_norm_training(x, to_cpp(shape), running_mean, running_var, gamma, beta,
                                  momentum, eps, to_cpp(running_var_kind), y, save_mean, save_rstd);
  });
}

sn_status sn_batch_norm_mean_only_training(const float* x, sn_shape shape, float* running_mean,
                                           const float* beta, float momentum, float* y,
                                           float* save_mean) {
  return guarded([&] {
    simdnorm::batch_norm_mean_only_training(x, to_cpp(shape), running_mean, beta, momentum, y,
                                            save_mean);
  });
}

sn_status sn_batch_norm_mean_only_inference(const float* x, sn_shape shape,
                                            const float* running_mean, const float* beta,
                                            float* y) {
  return guarded(
      [&] { simdnorm::batch_norm_mean_only_inference(x, to_cpp(shape), running_mean, beta, y); });
}

sn_status sn_layer_norm(const float* x, int64_t rows, int64_t d, const float* gamma,
                        const float* beta, float eps, float* y, float* mean, float* rstd) {
  return guarded([&] { simdnorm::layer_norm(x, rows, d, gamma, beta, eps, y, mean, rstd); });
}

sn_status sn_rms_norm(const float* x, int64_t rows, int64_t d, const float* gamma,
                      const float* beta, float eps, float* y, float* rstd) {
  return guarded([&] { simdnorm::rms_norm(x, rows, d, gamma, beta, eps, y, rstd); });
}

sn_status sn_layer_norm_typed(sn_dtype dtype, const void* x, int64_t rows, int64_t d,
                              const float* gamma, const float* beta, float eps, void* y,
                              float* mean, float* rstd) {
  return guarded(
      [&] { simdnorm::layer_norm(to_cpp(dtype), x, rows, d, gamma, beta, eps, y, mean, rstd); });
}

sn_status sn_rms_norm_typed(sn_dtype dtype, const void* x, int64_t rows, int64_t d,
                            const float* gamma, const float* beta, float eps, void* y,
                            float* rstd) {
  return guarded([&] { simdnorm::rms_norm(to_cpp(dtype), x, rows, d, gamma, beta, eps, y, rstd); });
}

sn_status sn_add_layer_norm(sn_dtype dtype, const void* x, const void* residual, const float* bias,
                            int64_t rows, int64_t d, const float* gamma, const float* beta,
                            float eps, void* y, void* sum, float* mean, float* rstd) {
  return guarded([&] {
    simdnorm::add_layer_norm(to_cpp(dtype), x, residual, bias, rows, d, gamma, beta, eps, y, sum,
                             mean, rstd);
  });
}

sn_status sn_add_rms_norm(sn_dtype dtype, const void* x, const void* residual, const float* bias,
                          int64_t rows, int64_t d, const float* gamma, const float* beta, float eps,
                          void* y, void* sum, float* rstd) {
  return guarded([&] {
    simdnorm::add_rms_norm(to_cpp(dtype), x, residual, bias, rows, d, gamma, beta, eps, y, sum,
                           rstd);
  });
}

sn_status sn_group_norm_typed(sn_dtype dtype, const void* x, sn_shape shape, int64_t groups,
                              const float* gamma, const float* beta, float eps,
                              sn_activation activation, void* y, float* mean, float* rstd) {
  return guarded([&] {
    simdnorm::group_norm(to_cpp(dtype), x, to_cpp(shape), groups, gamma, beta, eps,
                         to_cpp(activation), y, mean, rstd);
  });
}

sn_status sn_instance_norm_typed(sn_dtype dtype, const void* x, sn_shape shape, const float* gamma,
                                 const float* beta, float eps, sn_activation activation, void* y,
                                 float* mean, float* rstd) {
  return guarded([&] {
    simdnorm::instance_norm(to_cpp(dtype), x, to_cpp(shape), gamma, beta, eps, to_cpp(activation),
                            y, mean, rstd);
  });
}

sn_status sn_batch_norm_inference_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                        const float* running_mean, const float* running_var,
                                        const float* gamma, const float* beta, float eps,
                                        sn_activation activation, void* y) {
  return guarded([&] {
    simdnorm::batch_norm_inference(to_cpp(dtype), x, to_cpp(shape), running_mean, running_var,
                                   gamma, beta, eps, to_cpp(activation), y);
  });
}

sn_status sn_batch_norm_training_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                       float* running_mean, float* running_var, const float* gamma,
                                       const float* beta, float momentum, float eps,
                                       sn_running_var running_var_kind, sn_activation activation,
                                       void* y, float* save_mean, float* save_rstd) {
  return guarded([&] {
    simdnorm::batch_norm_training(to_cpp(dtype), x, to_cpp(shape), running_mean, running_var, gamma,
                                  beta, momentum, eps, to_cpp(running_var_kind), to_cpp(activation),
                                  y, save_mean, save_rstd);
  });
}

sn_status sn_instance_norm(const float* x, sn_shape shape, const float* gamma, const float* beta,
                           float eps, float* y, float* mean, float* rstd) {
  return guarded(
      [&] { simdnorm::instance_norm(x, to_cpp(shape), gamma, beta, eps, y, mean, rstd); });
}

sn_status sn_group_norm(const float* x, sn_shape shape, int64_t groups, const float* gamma,
                        const float* beta, float eps, float* y, float* mean, float* rstd) {
  return guarded(
      [&] { simdnorm::group_norm(x, to_cpp(shape), groups, gamma, beta, eps, y, mean, rstd); });
}

sn_status sn_batch_instance_norm_training(const float* x, sn_shape shape, float* running_mean,
                                          float* running_var, const float* gamma, const float* beta,
                                          const float* rho, float momentum, float eps, float* y) {
  return guarded([&] {
    simdnorm::batch_instance_norm_training(x, to_cpp(shape), running_mean, running_var, gamma, beta,
                                           rho, momentum, eps, y);
  });
}

sn_status sn_batch_instance_norm_inference(const float* x, sn_shape shape,
                                           const float* running_mean, const float* running_var,
                                           const float* gamma, const float* beta, const float* rho,
                                           float eps, float* y) {
  return guarded([&] {
    simdnorm::batch_instance_norm_inference(x, to_cpp(shape), running_mean, running_var, gamma,
                                            beta, rho, eps, y);
  });
}

// The float32 switchable-norm calls are the typed ones on SN_DTYPE_FLOAT32:
// one place copies and checks the weight arrays.
sn_status sn_switchable_norm_training(const float* x, sn_shape shape, float* running_mean,
                                      float* running_var, const float* gamma, const float* beta,
                                      const float mean_weights[3], const float var_weights[3],
                                      float momentum, float eps, float* y) {
  return sn_switchable_norm_training_typed(SN_DTYPE_FLOAT32, x, shape, running_mean, running_var,
                                           gamma, beta, mean_weights, var_weights, momentum, eps,
                                           y);
}

sn_status sn_switchable_norm_inference(const float* x, sn_shape shape, const float* running_mean,
                                       const float* running_var, const float* gamma,
                                       const float* beta, const float mean_weights[3],
                                       const float var_weights[3], float eps, float* y) {
  return sn_switchable_norm_inference_typed(SN_DTYPE_FLOAT32, x, shape, running_mean, running_var,
                                            gamma, beta, mean_weights, var_weights, eps, y);
}

sn_status sn_batch_norm_mean_only_training_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                 float* running_mean, const float* beta,
                                                 float momentum, void* y, float* save_mean) {
  return guarded([&] {
    simdnorm::batch_norm_mean_only_training(to_cpp(dtype), x, to_cpp(shape), running_mean, beta,
                                            momentum, y, save_mean);
  });
}

sn_status sn_batch_norm_mean_only_inference_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                  const float* running_mean, const float* beta,
                                                  void* y) {
  return guarded([&] {
    simdnorm::batch_norm_mean_only_inference(to_cpp(dtype), x, to_cpp(shape), running_mean, beta,
                                             y);
  });
}

sn_status sn_batch_instance_norm_training_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                float* running_mean, float* running_var,
                                                const float* gamma, const float* beta,
                                                const float* rho, float momentum, float eps,
                                                void* y) {
  return guarded([&] {
    simdnorm::batch_instance_norm_training(to_cpp(dtype), x, to_cpp(shape), running_mean,
                                           running_var, gamma, beta, rho, momentum, eps, y);
  });
}

sn_status sn_batch_instance_norm_inference_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                                 const float* running_mean,
                                                 const float* running_var, const float* gamma,
                                                 const float* beta, const float* rho, float eps,
                                                 void* y) {
  return guarded([&] {
    simdnorm::batch_instance_norm_inference(to_cpp(dtype), x, to_cpp(shape), running_mean,
                                            running_var, gamma, beta, rho, eps, y);
  });
}

sn_status sn_switchable_norm_training_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                            float* running_mean, float* running_var,
                                            const float* gamma, const float* beta,
                                            const float mean_weights[3], const float var_weights[3],
                                            float momentum, float eps, void* y) {
  return guarded([&] {
    const simdnorm::dtype type = to_cpp(dtype);
    simdnorm::switchable_norm_training(
        type, x, to_cpp(shape), running_mean, running_var, gamma, beta,
        checked_weights("switchable_norm_training", mean_weights, var_weights, shape, type, y,
                        running_mean, running_var, true),
        momentum, eps, y);
  });
}

sn_status sn_switchable_norm_inference_typed(sn_dtype dtype, const void* x, sn_shape shape,
                                             const float* running_mean, const float* running_var,
                                             const float* gamma, const float* beta,
                                             const float mean_weights[3],
                                             const float var_weights[3], float eps, void* y) {
  return guarded([&] {
    const simdnorm::dtype type = to_cpp(dtype);
    simdnorm::switchable_norm_inference(
        type, x, to_cpp(shape), running_mean, running_var, gamma, beta,
        checked_weights("switchable_norm_inference", mean_weights, var_weights, shape, type, y,
                        running_mean, running_var, false),
        eps, y);
  });
}

sn_status sn_weight_norm(const float* v, const float* g, int64_t rows, int64_t cols, float* w,
                         float* norm) {
  return guarded([&] { simdnorm::weight_norm(v, g, rows, cols, w, norm); });
}

sn_status sn_weight_norm_typed(sn_dtype dtype, const void* v, const float* g, int64_t rows,
                               int64_t cols, void* w, float* norm) {
  return guarded([&] { simdnorm::weight_norm(to_cpp(dtype), v, g, rows, cols, w, norm); });
}

}  // extern "C"
