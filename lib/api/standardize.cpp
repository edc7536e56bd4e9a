#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "api/channel_implementations.hpp"
#include "dispatch/verbose.hpp"
#include "simdnorm/simdnorm.hpp"
#include "statistics/normalizer.hpp"
#include "statistics/set_moments.hpp"
#include "validation/arguments.hpp"

namespace simdnorm {

using validation::role;

struct moments::state {
  std::int64_t rows = 0;
  std::vector<statistics::set_moments> features;
};

namespace {

// The most per-feature state a moments object holds: 2^40 bytes, about
// 4.6e10 features of 24 bytes, a row of data alone 180 GB. The state is
// allocated when the object is made, before any data is seen, so a feature
// count is judged here: past the limit it is an argument error rather than an
// attempt to allocate. The limit is far above any real feature count, keeps
// the size arithmetic far from PTRDIFF_MAX (beyond which pointer arithmetic
// is undefined), and is AddressSanitizer's largest allocation on 64-bit
// systems, so that a sanitized build reports the refusal rather than
// aborting on the request. Below it, a count the memory cannot hold is
// std::bad_alloc.
constexpr std::int64_t max_state_bytes = std::int64_t{1} << 40;

// A matrix of rows x features is an NHWC tensor with one spatial position:
// each feature is a channel, each row a sample.
shape as_channels(std::int64_t rows, std::int64_t features) {
  return shape{rows, features, 1, layout::nhwc};
}

// Keras divides by max(sqrt(var), epsilon) with its backend epsilon 1e-7, so
// that a constant feature maps to 0 rather than to NaN.
double keras_std(float var) { return std::max(std::sqrt(static_cast<double>(var)), 1e-7); }

// One update's rows: the batch moments of each feature.
struct adapt_call {
  const void* x;  // elements of type
  shape s;        // as_channels
  std::vector<statistics::set_moments>* features;
  dtype type;
};

std::string describe(const adapt_call& call) { return dispatch::describe_rows(call.s.n, call.s.c); }

struct measure_features {
  template <class Steps>
  void operator()(const Steps& steps, const adapt_call& a) const {
    *a.features = steps.batch_moments(a.x, a.s, a.type);
  }
};

const moments::state& live(const std::unique_ptr<moments::state>& state,
                           const validation::checker& check) {
  if (!state) check.fail("moments object was moved from");
  return *state;
}

void check_standardize(const validation::checker& check, dtype type, const void* in,
                       const char* in_name, std::int64_t rows, std::int64_t features,
                       const float* mean, const float* var, const void* out, const char* out_name) {
  check.element_type(type);
  check.positive(rows, "rows");
  check.positive(features, "features");
  const std::int64_t count = check.element_count(rows, features, in_name);
  check.not_null(in, in_name);
  check.not_null(mean, "mean");
  check.not_null(var, "var");
  check.not_null(out, out_name);
  check.no_overlap({{in, count, in_name, role::primary_input, element_size(type)},
                    {out, count, out_name, role::primary_output, element_size(type)},
                    {mean, features, "mean", role::input},
                    {var, features, "var", role::input}});
  check.non_negative(var, features, "var");
}

// rows more rows on top of accumulated ones, refused when the count would
// pass INT64_MAX (merging an accumulator into itself doubles it).
void check_row_count(const validation::checker& check, std::int64_t accumulated, std::int64_t rows,
                     const char* name) {
  if (rows > std::numeric_limits<std::int64_t>::max() - accumulated) {
    check.fail(std::string(name) + " would take the row count past " +
               std::to_string(std::numeric_limits<std::int64_t>::max()) + " (it is " +
               std::to_string(accumulated) + ")");
  }
}

}  // namespace

moments::moments(std::int64_t features) {
  const validation::checker check("moments");
  check.positive(features, "features");
  check.bytes_at_most(features, sizeof(statistics::set_moments), max_state_bytes, "features");
  state_ = std::make_unique<state>();
  state_->features.resize(static_cast<std::size_t>(features));
}

moments::~moments() = default;
moments::moments(moments&&) noexcept = default;
moments& moments::operator=(moments&&) noexcept = default;

std::int64_t moments::features() const {
  return static_cast<std::int64_t>(
      live(state_, validation::checker("moments::features")).features.size());
}

std::int64_t moments::count() const {
  return live(state_, validation::checker("moments::count")).rows;
}

void moments::update(const float* x, std::int64_t rows) { update(dtype::float32, x, rows); }

void moments::update(dtype type, const void* x, std::int64_t rows) {
  const validation::checker check("moments::update");
  const state& s = live(state_, check);
  check.element_type(type);
  const std::int64_t features = static_cast<std::int64_t>(s.features.size());
  check.positive(rows, "rows");
  check.element_count(rows, features, "x (rows * features)");
  check_row_count(check, s.rows, rows, "rows");
  check.not_null(x, "x");
  std::vector<statistics::set_moments> chunk;
  dispatch::run_first_accepting("standardize_adapt",
                                api::channel_implementations<adapt_call, measure_features>::list,
                                adapt_call{x, as_channels(rows, features), &chunk, type});
  for (std::int64_t f = 0; f < features; ++f) {
    state_->features[f] = statistics::merge(state_->features[f], chunk[f]);
  }
  state_->rows += rows;
}

void moments::merge(const moments& other) {
  const validation::checker check("moments::merge");
  const state& mine = live(state_, check);
  const state& theirs = live(other.state_, check);
  if (mine.features.size() != theirs.features.size()) {
    check.fail("other has " + std::to_string(theirs.features.size()) +
               " features, this accumulator " + std::to_string(mine.features.size()));
  }
  check_row_count(check, mine.rows, theirs.rows, "other");
  // Copied first: merging an accumulator into itself is well defined.
  const std::vector<statistics::set_moments> added = theirs.features;
  for (std::size_t f = 0; f < added.size(); ++f) {
    state_->features[f] = statistics::merge(state_->features[f], added[f]);
  }
  state_->rows += theirs.rows;
}

void moments::finalize(float* mean, float* var) const {
  const validation::checker check("moments::finalize");
  const state& s = live(state_, check);
  const std::int64_t features = static_cast<std::int64_t>(s.features.size());
  if (s.rows == 0) check.fail("no rows were accumulated; call update first");
  check.not_null(mean, "mean");
  check.not_null(var, "var");
  check.no_overlap({{mean, features, "mean", role::output}, {var, features, "var", role::output}});
  for (std::int64_t f = 0; f < features; ++f) {
    mean[f] = static_cast<float>(s.features[f].mean);
    var[f] = static_cast<float>(s.features[f].variance());
  }
}

void standardize_apply(const float* x, std::int64_t rows, std::int64_t features, const float* mean,
                       const float* var, float* y) {
  standardize_apply(dtype::float32, x, rows, features, mean, var, y);
}

void standardize_apply(dtype type, const void* x, std::int64_t rows, std::int64_t features,
                       const float* mean, const float* var, void* y) {
  check_standardize(validation::checker("standardize_apply"), type, x, "x", rows, features, mean,
                    var, y, "y");
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(features));
  for (std::int64_t f = 0; f < features; ++f) {
    sets[f] =
        statistics::set_normalizer{mean[f], 0.0f, static_cast<float>(1.0 / keras_std(var[f]))};
  }
  api::run_channel_normalization(
      "standardize_apply",
      {x, as_channels(rows, features), sets, nullptr, nullptr, y, activation::none, type});
}

void standardize_invert(const float* y, std::int64_t rows, std::int64_t features, const float* mean,
                        const float* var, float* x) {
  standardize_invert(dtype::float32, y, rows, features, mean, var, x);
}

void standardize_invert(dtype type, const void* y, std::int64_t rows, std::int64_t features,
                        const float* mean, const float* var, void* x) {
  check_standardize(validation::checker("standardize_invert"), type, y, "y", rows, features, mean,
                    var, x, "x");
  std::vector<statistics::set_normalizer> sets(static_cast<std::size_t>(features));
  for (std::int64_t f = 0; f < features; ++f) {
    sets[f] = statistics::set_normalizer{0.0f, 0.0f, static_cast<float>(keras_std(var[f]))};
  }
  // x = y * std + mean: the mean is the per-feature shift.
  api::run_channel_normalization("standardize_invert", {y, as_channels(rows, features), sets,
                                                        nullptr, mean, x, activation::none, type});
}

}  // namespace simdnorm
