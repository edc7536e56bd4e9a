// Argument checks at the public boundary. Every entry point validates all of
// its arguments here before it reads or writes any buffer, so that a bad call
// throws std::invalid_argument naming the argument and leaves every output
// untouched. Kernels below this boundary assume valid input.
#ifndef SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_
#define SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

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

// Largest tensor, in floats, whose byte size fits in ptrdiff_t: pointer
// arithmetic on anything larger is undefined.
constexpr std::int64_t max_floats =
    static_cast<std::int64_t>(std::numeric_limits<std::ptrdiff_t>::max() / sizeof(float));

constexpr bool is_output(role kind) {
  return kind == role::output || kind == role::primary_output || kind == role::in_out ||
         kind == role::sum;
}

// A buffer's bytes as [begin, end): [0, 0) where it is null or empty,
// which overlaps nothing.
struct byte_range {
  std::uintptr_t begin, end;
};

inline byte_range range_of(const buffer& b) {
  const bool present = b.data != nullptr && b.elements > 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(b.data);
  return present
             ? byte_range{begin, begin + static_cast<std::uintptr_t>(b.elements * b.element_bytes)}
             : byte_range{0, 0};
}

// Whether two buffers with these roles and ranges overlap where the rules
// above forbid it: one of them an output, and not an in-place pair with
// exactly the same bytes.
inline bool forbidden_overlap(role a, const byte_range& ra, role b, const byte_range& rb) {
  if (!is_output(a) && !is_output(b)) return false;
  const auto pair = [&](role first, role second) {
    return (a == first && b == second) || (a == second && b == first);
  };
  const bool in_place =
      ra.begin == rb.begin && ra.end == rb.end &&
      (pair(role::primary_input, role::primary_output) || pair(role::residual, role::sum));
  return ra.begin < rb.end && rb.begin < ra.end && !in_place;
}

// The pairs (i, j), i < j, of N buffers, pair k as (first[k], second[k])
// (one entry more, so that one buffer gives no empty array).
template <std::size_t N>
struct buffer_pairs {
  std::size_t first[N * (N - 1) / 2 + 1], second[N * (N - 1) / 2 + 1];
  constexpr buffer_pairs() : first(), second() {
    std::size_t k = 0;
    for (std::size_t i = 0; i < N; ++i) {
      for (std::size_t j = i + 1; j < N; ++j) {
        first[k] = i;
        second[k] = j;
        ++k;
      }
    }
  }
};

// Collects the function name so that every message reads
// "simdnorm::group_norm: groups (3) must divide c (64)".
class checker {
 public:
  explicit checker(const char* function) : function_(function) {}

  [[noreturn]] void fail(const std::string& message) const;

  // The checks every call makes are inline, and only their refusals, which
  // build the message, out of line: a one-row layer norm makes seven, a call
  // each. 1 x 768 through the C API, 2-core Zen 5, 8 processes alternating
  // with the build before, in the pairs where both ran in the VM's same
  // state: 0.1747-0.1782 -> 0.1677-0.1742 us (0.243-0.247 -> 0.231-0.232 in
  // its slow one).
  void not_null(const void* pointer, const char* name) const {
    if (pointer == nullptr) refuse_null(name);
  }
  void positive(std::int64_t value, const char* name) const {
    if (value <= 0) refuse_not_positive(value, name);
  }
  // Product of positive sizes, refused when the tensor would not fit in the
  // address space (more than PTRDIFF_MAX bytes of floats). The sizes are
  // arguments of their own, not a list: GCC built a list of two adjacent
  // fields of the caller's struct (a row call's rows and d) with one 16-byte
  // load from the two 8-byte stores that had just written them, a load that
  // cannot take its data from them and waits for both to reach the cache.
  // Layer norm 1 x 768 through the C API, 2-core Zen 5, three sittings of 21
  // alternating rounds: 0.1723-0.1753 -> 0.1672-0.1692 us. Multiplied with
  // an overflow test rather than compared with max_floats / count (64-bit
  // divisions, a few percent of a one-row call); the sizes being positive,
  // the product of all is past max_floats whenever a partial one is.
  std::int64_t element_count(std::int64_t first, std::int64_t second, const char* what) const {
    return element_count(first, second, 1, what);
  }
  std::int64_t element_count(std::int64_t first, std::int64_t second, std::int64_t third,
                             const char* what) const {
    std::int64_t partial = 0, count = 0;
    if (__builtin_mul_overflow(first, second, &partial) ||
        __builtin_mul_overflow(partial, third, &count) || count > max_floats) {
      refuse_too_many(what);
    }
    return count;
  }
  // count (positive) elements of element_bytes each take at most max_bytes:
  // for state allocated per element, such as the moments object's per feature.
  void bytes_at_most(std::int64_t count, std::size_t element_bytes, std::int64_t max_bytes,
                     const char* name) const;
  // n, c, spatial positive, layout valid, n * c * spatial representable.
  std::int64_t activation(const shape& s) const;
  void eps(float value) const {  // finite and > 0
    if (!(value > 0.0f && value <= std::numeric_limits<float>::max())) refuse_eps(value);
  }
  void element_type(dtype type) const {  // a dtype enumerator
    const int value = static_cast<int>(type);
    if (value < 0 || value > static_cast<int>(dtype::float16)) refuse_element_type(value);
  }
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
  // Null buffers and empty ones are skipped. Inlined, as every call runs
  // it: out of line, over an initializer_list (the buffers built in memory,
  // names and all, then sorted by address), it took a tenth of a one-row
  // call. Layer norm 1 x 768 through the C API, 2-core Zen 5, 3 processes
  // alternating with the build before, medians of 31 rounds, us: 0.187-0.204
  // -> 0.175-0.188; RMS norm 0.152-0.153 -> 0.146; layer norm 1 x 4096
  // 0.669-0.670 -> 0.651.
  template <std::size_t N>
  __attribute__((always_inline)) void no_overlap(const buffer (&buffers)[N]) const {
    each_pair(buffers, std::make_index_sequence<N>(), std::make_index_sequence<N*(N - 1) / 2>());
  }

 private:
  // Each buffer's range formed once, then each pair in order at constant
  // indices: where it is inlined, the roles fold, only the pairs with an
  // output are compared, and the buffers need not be built in memory.
  template <std::size_t N, std::size_t... I, std::size_t... K>
  __attribute__((always_inline)) void each_pair(const buffer (&buffers)[N],
                                                std::index_sequence<I...>,
                                                std::index_sequence<K...>) const {
    constexpr buffer_pairs<N> pairs;
    const byte_range ranges[N] = {range_of(buffers[I])...};
    (pair_apart(buffers[pairs.first[K]], ranges[pairs.first[K]], buffers[pairs.second[K]],
                ranges[pairs.second[K]]),
     ...);
  }
  __attribute__((always_inline)) void pair_apart(const buffer& a, const byte_range& ra,
                                                 const buffer& b, const byte_range& rb) const {
    if (forbidden_overlap(a.kind, ra, b.kind, rb)) refuse_overlap(a.name, b.name);
  }
  [[noreturn]] void refuse_overlap(const char* a, const char* b) const;
  [[noreturn]] void refuse_null(const char* name) const;
  [[noreturn]] void refuse_not_positive(std::int64_t value, const char* name) const;
  [[noreturn]] void refuse_too_many(const char* what) const;
  [[noreturn]] void refuse_eps(float value) const;
  [[noreturn]] void refuse_element_type(int value) const;

  const char* function_;
};

}  // namespace simdnorm::validation

#endif  // SIMDNORM_LIB_VALIDATION_ARGUMENTS_HPP_
