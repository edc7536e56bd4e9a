// Argument checks at the public boundary. Every entry point validates all of
// its arguments here before it reads or writes any buffer, so that a bad call
// throws std::invalid_argument naming the argument and leaves every output
// untouched. Kernels below this boundary assume valid input.
#ifndef SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_
#define SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "simdnorm/simdnorm.hpp"

namespace simdnorm::validation {

// Which role a buffer plays in one call, for the overlap check: outputs may
// not overlap anything, except that the primary output may be exactly the
// primary input (in-place operation), and a fused add's sum output exactly
// its residual (the residual stream updated in place).
enum class role { input, primary_input, output, primary_output, in_out, residual, sum };

struct buffer {
  const void* data;
  std::int64_t elements;  // length in elements
  const char* name;
  role kind;
  std::int64_t element_bytes = sizeof(float);
};

// Collects the function name so that every message reads
// "simdnorm::group_norm: groups (3) must divide c (64)".
class checker {
 public:
  explicit checker(const char* function) : function_(function) {}

  [[noreturn]] void fail(const std::string& message) const;

  void not_null(const void* pointer, const char* name) const;
  void positive(std::int64_t value, const char* name) const;
  // Product of positive sizes, refused when the tensor would not fit in the
  // address space (more than PTRDIFF_MAX bytes of floats). The sizes are
  // arguments of their own, not a list: GCC built a list of two adjacent
  // fields of the caller's struct (a row call's rows and d) with one 16-byte
  // load from the two 8-byte stores that had just written them, a load that
  // cannot take its data from them and waits for both to reach the cache.
  // Layer norm 1 x 768 through the C API, 2-core Zen 5, three sittings of 21
  // alternating rounds: 0.1723-0.1753 -> 0.1672-0.1692 us.
  std::int64_t element_count(std::int64_t first, std::int64_t second, const char* what) const;
  std::int64_t element_count(std::int64_t first, std::int64_t second, std::int64_t third,
                             const char* what) const;
  // count (positive) elements of element_bytes each take at most max_bytes:
  // for state allocated per element, such as the moments object's per feature.
  void bytes_at_most(std::int64_t count, std::size_t element_bytes, std::int64_t max_bytes,
                     const char* name) const;
  // n, c, spatial positive, layout valid, n * c * spatial representable.
  std::int64_t activation(const shape& s) const;
  void eps(float value) const;                              // finite and > 0
  void element_type(dtype type) const;                      // a dtype enumerator
  void activation_kind(simdnorm::activation act) const;     // an activation enumerator
  void unit_interval(float value, const char* name) const;  // in [0, 1]
  void unit_interval(const float* values, std::int64_t count, const char* name) const;
  // No value below 0: a variance the call reads rather than measures. A NaN
  // passes, as NaN data does, and poisons what it normalises. The message
  // names the first bad index.
  void non_negative(const float* values, std::int64_t count, const char* name) const;
  // Each weight in [0, 1], summing to 1 within 1e-3.
  void mixing_weights(const float* weights, std::int64_t count, const char* name) const;
  void both_or_neither(const void* a, const char* name_a, const void* b, const char* name_b) const;
  // More than one value per channel, as PyTorch requires in training.
  void several_values_per_channel(const shape& s) const;
  // Null buffers and empty ones are skipped.
  void no_overlap(std::initializer_list<buffer> buffers) const;

 private:
  const char* function_;
};

}  // namespace simdnorm::validation

#endif  // SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_
