// libFuzzer target over the C API: layer norm, RMS norm, group norm, batch
// norm training and inference, weight norm, with fuzzed sizes, layouts, groups, eps,
// momentum, running-variance kind, optional pointers present or null, the
// output in place, apart, or overlapping the input, and fuzzed data (NaN,
// Inf and denormals included). Each call is checked against its documented
// contract:
//   - arguments that break a rule of simdnorm.h: a status other than SN_OK,
//     a message from sn_last_error(), and every output buffer untouched;
//   - valid arguments: SN_OK, and each output and statistic non-finite
//     exactly where the float64 reference is, and within a tolerance of it
//     elsewhere.
// A broken contract aborts with the case printed, which libFuzzer reports as
// a crash and saves. Data stays within +-1e36, so that differences of two
// values stay finite in float32 (the library computes x - mean in float).
// Built with clang -fsanitize=fuzzer,address,undefined (scripts/fuzz.sh).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "reference/reference.hpp"
#include "simdnorm/simdnorm.h"

namespace {

constexpr float sentinel = -12345.5f;
constexpr float max_magnitude = 1e36f;

[[noreturn]] void broken(const std::string& what, const std::string& call) {
  std::fprintf(stderr, "contract broken: %s\n  call: %s\n  sn_last_error: '%s'\n", what.c_str(),
               call.c_str(), sn_last_error());
  std::abort();
}

float pick_eps(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return 0.0f;
    case 1:
      return -1e-5f;
    case 2:
      return std::numeric_limits<float>::quiet_NaN();
    case 3:
      return std::numeric_limits<float>::infinity();
    case 4:
      return 1e-30f;
    case 5:
      return 0.5f;
    case 6:
      return std::fabs(in.ConsumeFloatingPoint<float>());
    default:
      return 1e-5f;
  }
}

float pick_momentum(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 6)) {
    case 0:
      return 0.0f;
    case 1:
      return 1.0f;
    case 2:
      return -0.1f;
    case 3:
      return 1.5f;
    case 4:
      return std::numeric_limits<float>::quiet_NaN();
    case 5:
      return in.ConsumeFloatingPointInRange(0.0f, 1.0f);
    default:
      return 0.1f;
  }
}

// A value of the fuzzed data: mostly ordinary numbers, some hostile ones.
float pick_value(FuzzedDataProvider& in) {
  const float v = in.ConsumeFloatingPoint<float>();
  if (std::isfinite(v) && std::fabs(v) > max_magnitude) return std::fmod(v, max_magnitude);
  return v;
}

// The buffers of one call: x in `storage`; y apart, exactly in place, or
// overlapping x by a few floats (an error the library must refuse).
struct io {
  std::vector<float> storage, apart;
  float* x = nullptr;
  float* y = nullptr;
  bool partial_overlap = false;
};

io make_io(FuzzedDataProvider& in, std::int64_t count, bool x_null, bool y_null) {
  io b;
  const std::int64_t floats = std::max<std::int64_t>(count, 0);
  b.storage.resize(static_cast<std::size_t>(floats + 8));
  for (float& v : b.storage) v = in.remaining_bytes() > 0 ? pick_value(in) : 1.0f;
  b.x = x_null ? nullptr : b.storage.data();
  const int where = in.ConsumeIntegralInRange(0, 2);
  if (y_null) {
    b.y = nullptr;
  } else if (where == 1 && !x_null) {
    b.y = b.x;  // in place
  } else if (where == 2 && !x_null && floats > 1) {
    b.y = b.x + in.ConsumeIntegralInRange<std::int64_t>(1, std::min<std::int64_t>(floats - 1, 8));
    b.partial_overlap = true;
  } else {
    b.apart.assign(static_cast<std::size_t>(floats), sentinel);
    b.y = b.apart.data();
  }
  return b;
}

std::vector<float> parameter(FuzzedDataProvider& in, std::int64_t count, float lo, float hi) {
  std::vector<float> values(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)));
  for (float& v : values) v = in.ConsumeFloatingPointInRange(lo, hi);
  return values;
}

float* data_or_null(std::vector<float>& v, bool present) {
  return present && !v.empty() ? v.data() : nullptr;
}

bool eps_ok(float eps) { return std::isfinite(eps) && eps > 0.0f; }

// Every float of every output equal to what it held before the call.
void expect_untouched(const std::vector<std::vector<float>>& before,
                      const std::vector<const std::vector<float>*>& after,
                      const std::string& call) {
  for (std::size_t k = 0; k < before.size(); ++k) {
    if (!before[k].empty() &&
        std::memcmp(before[k].data(), after[k]->data(), before[k].size() * sizeof(float)) != 0) {
      broken("an output was written by a call that failed", call);
    }
  }
}

// Output within tolerance of the reference where the reference is finite,
// non-finite where it is not. The tolerance, relative to 1 + |reference| +
// spread (the set's standard deviation, for means), is loose next to the
// accuracy gate's 2e-6 on ordinary data: fuzzed sets include two-value and
// near-constant sets whose normalised values are large; a wrong index or a
// missed element gives errors of order one. Values past float32's range
// (a tiny eps over a constant set) may come out infinite, so they are not
// checked.
void expect_close(const float* got, const std::vector<double>& want, double relative,
                  const char* what, const std::string& call,
                  const std::vector<double>* spread = nullptr) {
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (std::fabs(want[i]) > 1e37) continue;
    const bool want_finite = std::isfinite(want[i]);
    if (want_finite != std::isfinite(got[i])) {
      broken(std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(got[i]) +
                 ", reference " + std::to_string(want[i]),
             call);
    }
    const double scale = 1.0 + std::fabs(want[i]) + (spread != nullptr ? (*spread)[i] : 0.0);
    if (want_finite && std::fabs(got[i] - want[i]) > relative * scale) {
      broken(std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(got[i]) +
                 ", reference " + std::to_string(want[i]),
             call);
    }
  }
}

constexpr double output_tolerance = 5e-5;

// Each set's standard deviation, from the reference's rstd.
std::vector<double> spread_of(const std::vector<double>& rstd, float eps) {
  std::vector<double> spread(rstd.size());
  for (std::size_t i = 0; i < rstd.size(); ++i) {
    const double var = 1.0 / (rstd[i] * rstd[i]) - static_cast<double>(eps);
    spread[i] = std::isfinite(var) && var > 0.0 ? std::sqrt(var) : 0.0;
  }
  return spread;
}

void check_status(sn_status status, bool valid, const std::string& call) {
  if (valid && status != SN_OK) broken("valid arguments refused", call);
  if (!valid && status == SN_OK) broken("invalid arguments accepted", call);
  if (!valid && std::strlen(sn_last_error()) == 0) broken("an error without a message", call);
  if (valid && std::strlen(sn_last_error()) != 0) broken("a message after success", call);
}

void fuzz_rows(FuzzedDataProvider& in, bool rms) {
  const std::int64_t rows = in.ConsumeIntegralInRange<std::int64_t>(-1, 6);
  const std::int64_t d = in.ConsumeIntegralInRange<std::int64_t>(-1, 300);
  const float eps = pick_eps(in);
  const bool x_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool y_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool affine = in.ConsumeBool(), stats = in.ConsumeBool();
  std::vector<float> gamma = parameter(in, d, -4.0f, 4.0f), beta = parameter(in, d, -4.0f, 4.0f);
  std::vector<float> mean(static_cast<std::size_t>(std::max<std::int64_t>(rows, 0)), sentinel);
  std::vector<float> rstd(mean.size(), sentinel);
  const std::int64_t count = rows > 0 && d > 0 ? rows * d : 0;
  io b = make_io(in, count, x_null, y_null);
  const std::string call = std::string(rms ? "rms_norm" : "layer_norm") +
                           " rows=" + std::to_string(rows) + " d=" + std::to_string(d) +
                           " eps=" + std::to_string(eps) + (x_null ? " x=null" : "") +
                           (y_null ? " y=null" : "") + (b.y == b.x && b.x ? " in-place" : "") +
                           (b.partial_overlap ? " overlap" : "");
  const bool valid = rows > 0 && d > 0 && !x_null && !y_null && eps_ok(eps) && !b.partial_overlap;
  const std::vector<float> x_before = b.storage;
  const std::vector<double>* want_y = nullptr;
  simdnorm::reference::normalized want;
  if (valid) {
    want = rms ? simdnorm::reference::rms_norm(b.x, rows, d, data_or_null(gamma, affine),
                                               data_or_null(beta, affine), eps)
               : simdnorm::reference::layer_norm(b.x, rows, d, data_or_null(gamma, affine),
                                                 data_or_null(beta, affine), eps);
    want_y = &want.y;
  }
  const std::vector<std::vector<float>> before = {b.storage, b.apart, mean, rstd};
  const sn_status status =
      rms ? sn_rms_norm(b.x, rows, d, data_or_null(gamma, affine), data_or_null(beta, affine), eps,
                        b.y, data_or_null(rstd, stats))
          : sn_layer_norm(b.x, rows, d, data_or_null(gamma, affine), data_or_null(beta, affine),
                          eps, b.y, data_or_null(mean, stats), data_or_null(rstd, stats));
  check_status(status, valid, call);
  if (!valid) {
    expect_untouched(before, {&b.storage, &b.apart, &mean, &rstd}, call);
    return;
  }
  expect_close(b.y, *want_y, output_tolerance, "y", call);
  if (stats) {
    const std::vector<double> spread = spread_of(want.rstd, eps);
    if (!rms) expect_close(mean.data(), want.mean, 1e-5, "mean", call, &spread);
    expect_close(rstd.data(), want.rstd, 1e-5, "rstd", call);
  }
}

struct activation {
  sn_shape shape;
  int layout;          // the integer in shape.layout, any value a C caller could store
  std::int64_t count;  // 0 when the shape is invalid
  bool valid;
};

// Stores an int in a C enum as a C caller can. (In C++, static_cast to the
// enum of a value outside its enumerators' range is undefined; this file is
// built without UBSan's enum check, see CMakeLists.txt.)
template <class Enum>
Enum enum_holding(int value) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums here are int-sized");
  Enum e;
  std::memcpy(&e, &value, sizeof e);
  return e;
}

activation pick_activation(FuzzedDataProvider& in) {
  activation a{};
  a.shape.n = in.ConsumeIntegralInRange<std::int64_t>(-1, 4);
  a.shape.c = in.ConsumeIntegralInRange<std::int64_t>(-1, 12);
  a.shape.spatial = in.ConsumeIntegralInRange<std::int64_t>(-1, 70);
  a.layout = in.ConsumeIntegralInRange(-1, 2);
  a.shape.layout = enum_holding<sn_layout>(a.layout);
  a.valid =
      a.shape.n > 0 && a.shape.c > 0 && a.shape.spatial > 0 && (a.layout == 0 || a.layout == 1);
  a.count = a.valid ? a.shape.n * a.shape.c * a.shape.spatial : 0;
  return a;
}

// Only for valid activations (layout 0 or 1).
simdnorm::shape cpp_shape(const activation& a) {
  return {a.shape.n, a.shape.c, a.shape.spatial,
          a.layout == 1 ? simdnorm::layout::nhwc : simdnorm::layout::nchw};
}

std::string shape_text(const activation& a) {
  return std::to_string(a.shape.n) + "x" + std::to_string(a.shape.c) + "x" +
         std::to_string(a.shape.spatial) + " layout=" + std::to_string(a.layout);
}

void fuzz_group_norm(FuzzedDataProvider& in) {
  const activation a = pick_activation(in);
  const std::int64_t groups = in.ConsumeIntegralInRange<std::int64_t>(-1, 13);
  const float eps = pick_eps(in);
  const bool x_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool affine = in.ConsumeBool(), stats = in.ConsumeBool();
  const std::int64_t c = std::max<std::int64_t>(a.shape.c, 0);
  std::vector<float> gamma = parameter(in, c, -4.0f, 4.0f), beta = parameter(in, c, -4.0f, 4.0f);
  const std::int64_t sets = a.valid && groups > 0 ? a.shape.n * groups : 0;
  std::vector<float> mean(static_cast<std::size_t>(sets), sentinel), rstd(mean.size(), sentinel);
  io b = make_io(in, a.count, x_null, false);
  const std::string call = "group_norm " + shape_text(a) + " groups=" + std::to_string(groups) +
                           " eps=" + std::to_string(eps) + (x_null ? " x=null" : "") +
                           (b.y == b.x && b.x ? " in-place" : "") +
                           (b.partial_overlap ? " overlap" : "");
  const bool valid = a.valid && groups > 0 && a.shape.c % groups == 0 && !x_null && eps_ok(eps) &&
                     !b.partial_overlap;
  simdnorm::reference::normalized want;
  if (valid) {
    want = simdnorm::reference::group_norm(b.x, cpp_shape(a), groups, data_or_null(gamma, affine),
                                           data_or_null(beta, affine), eps);
  }
  const std::vector<std::vector<float>> before = {b.storage, b.apart, mean, rstd};
  const sn_status status =
      sn_group_norm(b.x, a.shape, groups, data_or_null(gamma, affine), data_or_null(beta, affine),
                    eps, b.y, data_or_null(mean, stats), data_or_null(rstd, stats));
  check_status(status, valid, call);
  if (!valid) {
    expect_untouched(before, {&b.storage, &b.apart, &mean, &rstd}, call);
    return;
  }
  expect_close(b.y, want.y, output_tolerance, "y", call);
  if (stats) {
    const std::vector<double> spread = spread_of(want.rstd, eps);
    expect_close(mean.data(), want.mean, 1e-5, "mean", call, &spread);
    expect_close(rstd.data(), want.rstd, 1e-5, "rstd", call);
  }
}

void fuzz_batch_norm(FuzzedDataProvider& in, bool training) {
  const activation a = pick_activation(in);
  const float eps = pick_eps(in);
  const float momentum = pick_momentum(in);
  const int kind = in.ConsumeIntegralInRange(-1, 2);
  const int running = in.ConsumeIntegralInRange(0, 2);  // neither, both, mean only
  const bool x_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool affine = in.ConsumeBool(), stats = in.ConsumeBool();
  const std::int64_t c = std::max<std::int64_t>(a.shape.c, 0);
  std::vector<float> gamma = parameter(in, c, -4.0f, 4.0f), beta = parameter(in, c, -4.0f, 4.0f);
  std::vector<float> running_mean = parameter(in, c, -1e3f, 1e3f);
  std::vector<float> running_var = parameter(in, c, 0.0f, 1e3f);
  std::vector<float> save_mean(static_cast<std::size_t>(c), sentinel), save_rstd(save_mean);
  io b = make_io(in, a.count, x_null, false);
  const bool mean_given = running != 0 || !training, var_given = running == 1 || !training;
  float* rm = data_or_null(running_mean, mean_given);
  float* rv = data_or_null(running_var, var_given);
  const std::string call =
      std::string(training ? "batch_norm_training " : "batch_norm_inference ") + shape_text(a) +
      " eps=" + std::to_string(eps) + " momentum=" + std::to_string(momentum) +
      " kind=" + std::to_string(kind) + " running=" + std::to_string(running) +
      (x_null ? " x=null" : "") + (b.y == b.x && b.x ? " in-place" : "") +
      (b.partial_overlap ? " overlap" : "");
  bool valid = a.valid && !x_null && eps_ok(eps) && !b.partial_overlap;
  if (training) {
    valid = valid && running != 2 && momentum >= 0.0f && momentum <= 1.0f &&
            (kind == 0 || kind == 1) && a.shape.n * a.shape.spatial > 1;
  }
  const std::vector<std::vector<float>> before = {b.storage,   b.apart,   running_mean,
                                                  running_var, save_mean, save_rstd};
  const std::vector<const std::vector<float>*> after = {&b.storage,   &b.apart,   &running_mean,
                                                        &running_var, &save_mean, &save_rstd};
  if (!training) {
    std::vector<double> want;
    if (valid) {
      want = simdnorm::reference::batch_norm_inference(
          b.x, cpp_shape(a), rm, rv, data_or_null(gamma, affine), data_or_null(beta, affine), eps);
    }
    const sn_status status = sn_batch_norm_inference(
        b.x, a.shape, rm, rv, data_or_null(gamma, affine), data_or_null(beta, affine), eps, b.y);
    check_status(status, valid, call);
    if (!valid) return expect_untouched(before, after, call);
    expect_close(b.y, want, output_tolerance, "y", call);
    return;
  }
  simdnorm::reference::trained want;
  if (valid) {
    want = simdnorm::reference::batch_norm_training(
        b.x, cpp_shape(a), rm, rv, data_or_null(gamma, affine), data_or_null(beta, affine),
        momentum, eps,
        kind == 1 ? simdnorm::running_var_kind::biased : simdnorm::running_var_kind::unbiased);
  }
  const sn_status status = sn_batch_norm_training(
      b.x, a.shape, rm, rv, data_or_null(gamma, affine), data_or_null(beta, affine), momentum, eps,
      enum_holding<sn_running_var>(kind), b.y, data_or_null(save_mean, stats),
      data_or_null(save_rstd, stats));
  check_status(status, valid, call);
  if (!valid) return expect_untouched(before, after, call);
  expect_close(b.y, want.y, output_tolerance, "y", call);
  const std::vector<double> spread = spread_of(want.save_rstd, eps);
  if (stats) {
    expect_close(save_mean.data(), want.save_mean, 1e-5, "save_mean", call, &spread);
    expect_close(save_rstd.data(), want.save_rstd, 1e-5, "save_rstd", call);
  }
  if (running == 1) {
    expect_close(rm, want.running_mean, 1e-5, "running_mean", call, &spread);
    expect_close(rv, want.running_var, 1e-5, "running_var", call);
  }
}

void fuzz_weight_norm(FuzzedDataProvider& in) {
  const std::int64_t rows = in.ConsumeIntegralInRange<std::int64_t>(-1, 6);
  const std::int64_t cols = in.ConsumeIntegralInRange<std::int64_t>(-1, 300);
  const bool v_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool g_null = in.ConsumeIntegralInRange(0, 15) == 0;
  const bool want_norm = in.ConsumeBool();
  std::vector<float> g = parameter(in, rows, -4.0f, 4.0f);
  std::vector<float> norm(static_cast<std::size_t>(std::max<std::int64_t>(rows, 0)), sentinel);
  const std::int64_t count = rows > 0 && cols > 0 ? rows * cols : 0;
  io b = make_io(in, count, v_null, false);
  const std::string call = "weight_norm rows=" + std::to_string(rows) +
                           " cols=" + std::to_string(cols) + (v_null ? " v=null" : "") +
                           (g_null ? " g=null" : "") + (b.y == b.x && b.x ? " in-place" : "") +
                           (b.partial_overlap ? " overlap" : "");
  const bool valid = rows > 0 && cols > 0 && !v_null && !g_null && !g.empty() && !b.partial_overlap;
  simdnorm::reference::weight_normalized want;
  if (valid) want = simdnorm::reference::weight_norm(b.x, g.data(), rows, cols);
  const std::vector<std::vector<float>> before = {b.storage, b.apart, norm};
  const sn_status status =
      sn_weight_norm(b.x, data_or_null(g, !g_null), rows, cols, b.y, data_or_null(norm, want_norm));
  check_status(status, valid, call);
  if (!valid) return expect_untouched(before, {&b.storage, &b.apart, &norm}, call);
  expect_close(b.y, want.w, output_tolerance, "w", call);
  if (want_norm) expect_close(norm.data(), want.norm, 1e-5, "norm", call);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:
      fuzz_rows(in, false);
      break;
    case 1:
      fuzz_rows(in, true);
      break;
    case 2:
      fuzz_group_norm(in);
      break;
    case 3:
      fuzz_batch_norm(in, true);
      break;
    case 4:
      fuzz_batch_norm(in, false);
      break;
    default:
      fuzz_weight_norm(in);
      break;
  }
  return 0;
}
