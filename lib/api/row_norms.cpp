#include "simd/row_norms.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstdint>

#include "dispatch/call_on_isa.hpp"
#include "dispatch/isa.hpp"
#include "scalar/kernels.hpp"
#include "simdnorm/simdnorm.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

namespace {

std::int64_t check_rows(const validation::checker& check, const float* x, std::int64_t rows,
                        std::int64_t d, float eps, const float* y) {
  check.positive(rows, "rows");
  check.positive(d, "d");
  const std::int64_t count = check.element_count({rows, d}, "x (rows * d)");
  check.not_null(x, "x");
  check.not_null(y, "y");
  check.eps(eps);
  return count;
}

// Below this many elements a call stays on the calling thread: a oneTBB
// task costs microseconds, a 64K-float tensor is tens of microseconds of
// work. Provisional; the engine issue measures the crossover.
constexpr std::int64_t parallel_threshold = std::int64_t{1} << 16;
// Rows per task: about 16K floats (64 KiB), a few L2-sized chunks per core.
constexpr std::int64_t floats_per_task = std::int64_t{1} << 14;

// The vectorised path on the active instruction set, parallel over rows in
// the caller's task arena. Returns false when the active level is scalar.
bool run_vectorised(const simd::row_norm_args& args, simd::row_norm_kind kind, std::int64_t rows) {
  const dispatch::isa level = dispatch::active_isa();
  if (level == dispatch::isa::scalar) return false;
  const auto run = [&](std::int64_t first, std::int64_t last) {
    dispatch::call_on_isa(level, simd::row_norm_kernel{}, args, kind, first, last);
  };
  // Rows are independent, so any split over threads gives the same bits.
  if (rows == 1 || rows * args.d < parallel_threshold) {
    run(0, rows);
  } else {
    const std::int64_t grain = std::max<std::int64_t>(1, floats_per_task / args.d);
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, rows, grain),
                      [&](const tbb::blocked_range<std::int64_t>& r) { run(r.begin(), r.end()); });
  }
  return true;
}

}  // namespace

void layer_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
                const float* beta, float eps, float* y, float* mean, float* rstd) {
  const validation::checker check("layer_norm");
  const std::int64_t count = check_rows(check, x, rows, d, eps, y);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {gamma, d, "gamma", role::input},
                    {beta, d, "beta", role::input},
                    {mean, rows, "mean", role::output},
                    {rstd, rows, "rstd", role::output}});
  const simd::row_norm_args args{x, d, gamma, beta, eps, y, mean, rstd};
  if (run_vectorised(args, simd::row_norm_kind::layer, rows)) return;
  scalar::layer_norm(x, rows, d, gamma, beta, eps, y, mean, rstd);
}

void rms_norm(const float* x, std::int64_t rows, std::int64_t d, const float* gamma,
              const float* beta, float eps, float* y, float* rstd) {
  const validation::checker check("rms_norm");
  const std::int64_t count = check_rows(check, x, rows, d, eps, y);
  check.no_overlap({{x, count, "x", role::primary_input},
                    {y, count, "y", role::primary_output},
                    {gamma, d, "gamma", role::input},
                    {beta, d, "beta", role::input},
                    {rstd, rows, "rstd", role::output}});
  const simd::row_norm_args args{x, d, gamma, beta, eps, y, nullptr, rstd};
  if (run_vectorised(args, simd::row_norm_kind::rms, rows)) return;
  scalar::rms_norm(x, rows, d, gamma, beta, eps, y, rstd);
}

}  // namespace simdnorm
