#include "validation/arguments.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>

namespace simdnorm::validation {

namespace {

// The shortest decimal that reads back as the same value (std::to_chars):
// std::to_string's six decimals print 1 + 1 ulp as 1.000000 and a denormal
// as 0.000000, hiding why a value next to a limit was refused.
template <class Float>
std::string describe(Float value) {
  char text[32];
  const std::to_chars_result end = std::to_chars(std::begin(text), std::end(text), value);
  return std::string(text, end.ptr);
}

// "running_var[3]": one element of an array argument.
std::string element(const char* name, std::int64_t index) {
  return std::string(name) + "[" + std::to_string(index) + "]";
}

}  // namespace

void checker::fail(const std::string& message) const {
  throw std::invalid_argument(std::string(function_) + ": " + message);
}

void checker::refuse_null(const char* name) const { fail(std::string(name) + " must not be null"); }

void checker::refuse_not_positive(std::int64_t value, const char* name) const {
  fail(std::string(name) + " must be positive, got " + std::to_string(value));
}

void checker::refuse_too_many(const char* what) const {
  fail(std::string(what) + " has more elements than the address space holds");
}

void checker::bytes_at_most(std::int64_t count, std::size_t element_bytes, std::int64_t max_bytes,
                            const char* name) const {
  // Divided rather than multiplied: count * element_bytes may overflow.
  if (count > max_bytes / static_cast<std::int64_t>(element_bytes)) {
    fail(std::string(name) + " (" + std::to_string(count) + ") would take more than " +
         std::to_string(max_bytes) + " bytes at " + std::to_string(element_bytes) + " bytes each");
  }
}

std::int64_t checker::activation(const shape& s) const {
  positive(s.n, "n");
  positive(s.c, "c");
  positive(s.spatial, "spatial");
  if (s.layout != layout::nchw && s.layout != layout::nhwc) {
    fail("layout must be nchw or nhwc, got " + std::to_string(static_cast<int>(s.layout)));
  }
  return element_count(s.n, s.c, s.spatial, "x (n * c * spatial)");
}

void checker::refuse_eps(float value) const {
  fail("eps must be finite and positive, got " + describe(value));
}

void checker::refuse_element_type(int value) const {
  fail("dtype must be float32 (0), bfloat16 (1) or float16 (2), got " + std::to_string(value));
}

void checker::activation_kind(simdnorm::activation act) const {
  const int value = static_cast<int>(act);
  if (value < 0 || value > static_cast<int>(simdnorm::activation::gelu)) {
    fail("activation must be none (0), relu (1), silu (2) or gelu (3), got " +
         std::to_string(value));
  }
}

void checker::unit_interval(float value, const char* name) const {
  // Written so that NaN fails too.
  if (!(value >= 0.0f && value <= 1.0f)) {
    fail(std::string(name) + " must be in [0, 1], got " + describe(value));
  }
}

void checker::unit_interval(const float* values, std::int64_t count, const char* name) const {
  for (std::int64_t i = 0; i < count; ++i) {
    if (!(values[i] >= 0.0f && values[i] <= 1.0f)) {
      fail(element(name, i) + " must be in [0, 1], got " + describe(values[i]));
    }
  }
}

void checker::non_negative(const float* values, std::int64_t count, const char* name) const {
  // A count with no exit, which the compiler vectorises (a bool's |= it
  // does not; batch-norm inference pays this pass on every channel before
  // its first output), then the search for the first negative value only
  // when there is one.
  std::int64_t negatives = 0;
  for (std::int64_t i = 0; i < count; ++i) negatives += values[i] < 0.0f ? 1 : 0;
  if (negatives == 0) return;
  for (std::int64_t i = 0; i < count; ++i) {
    if (values[i] < 0.0f) fail(element(name, i) + " must be >= 0, got " + describe(values[i]));
  }
}

void checker::mixing_weights(const float* weights, std::int64_t count, const char* name) const {
  unit_interval(weights, count, name);
  double sum = 0.0;
  for (std::int64_t i = 0; i < count; ++i) sum += weights[i];
  // A float32 softmax sums to 1 within a few ulps; 1e-3 accepts any honest
  // softmax output and still catches unnormalised logits.
  if (std::fabs(sum - 1.0) > 1e-3) {
    fail(std::string(name) + " must sum to 1 (softmax weights), sums to " + describe(sum));
  }
}

void checker::both_or_neither(const void* a, const char* name_a, const void* b,
                              const char* name_b) const {
  if ((a == nullptr) != (b == nullptr)) {
    fail(std::string(name_a) + " and " + name_b + " must be given together (both or neither)");
  }
}

void checker::several_values_per_channel(const shape& s) const {
  if (s.n * s.spatial <= 1) {
    fail("expected more than 1 value per channel when training (n * spatial = " +
         std::to_string(s.n * s.spatial) + ")");
  }
}

void checker::refuse_overlap(const char* a, const char* b) const {
  fail(std::string(a) + " and " + b +
       " overlap; outputs may only alias the input exactly (in place)");
}

}  // namespace simdnorm::validation
