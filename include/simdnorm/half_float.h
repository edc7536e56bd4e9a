/*
 * bfloat16 and float16 (IEEE binary16) conversions, for callers who build or
 * read the 16-bit tensors the typed calls take (simdnorm.h, sn_dtype), and
 * for simdnorm itself: its kernels round exactly as these functions do, so a
 * caller can reproduce any output element from its float32 value.
 *
 * Both directions are exact software conversions: float to 16 bits rounds to
 * nearest, ties to even, keeps Inf, turns a NaN into a quiet NaN of the same
 * sign (the top of its payload kept), and rounds into the 16-bit format's
 * denormals rather than flushing them; 16 bits to float is exact. They do not
 * depend on the floating-point environment (rounding mode, FTZ, DAZ).
 *
 * static inline on purpose: each translation unit gets its own copy, so the
 * copies compiled with AVX-512 flags inside simdnorm never stand in for the
 * caller's (see lib/kernels/block_statistics-inl.hpp).
 */
#ifndef SIMDNORM_HALF_FLOAT_H_
#define SIMDNORM_HALF_FLOAT_H_

#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

static inline uint32_t sn_float_bits(float value) {
  uint32_t bits;
  memcpy(&bits, &value, sizeof bits);
  return bits;
}

static inline float sn_float_of_bits(uint32_t bits) {
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/* bfloat16 is the upper half of a float32. */
static inline uint16_t sn_bfloat16_from_float(float value) {
  uint32_t bits = sn_float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

/* Exact; a signalling NaN stays signalling (a shift, as every CPU widens). */
static inline float sn_bfloat16_to_float(uint16_t half) {
  return sn_float_of_bits((uint32_t)half << 16);
}

/* float16: 5 exponent bits (bias 15), 10 fraction bits; largest finite
 * 65504, values from 65520 up round to Inf. */
static inline uint16_t sn_float16_from_float(float value) {
  const uint32_t bits = sn_float_bits(value);
  const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  if (magnitude >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* 65520 and up, Inf */
  if (magnitude < 0x38800000u) {
    /* Below 2^-14: a denormal (or zero), fraction * 2^-24 with the fraction
     * the value's significand shifted right by 126 - exponent, rounded to
     * nearest even. Below 2^-25 it rounds to zero. */
    const uint32_t exponent = magnitude >> 23;
    if (exponent < 102u) return sign;
    const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126u - exponent;
    uint32_t fraction = significand >> shift;
    const uint32_t rest = significand & ((1u << shift) - 1u);
    const uint32_t half_way = 1u << (shift - 1u);
    if (rest > half_way || (rest == half_way && (fraction & 1u) != 0u)) ++fraction;
    return (uint16_t)(sign | fraction);
  }
  /* Normal: rebias the exponent (127 - 15 = 112), round 23 fraction bits to
   * 10; a carry out of the fraction moves to the exponent, as it should. */
  magnitude -= 0x38000000u;
  magnitude += 0x0fffu + ((magnitude >> 13) & 1u);
  return (uint16_t)(sign | (magnitude >> 13));
}

static inline float sn_float16_to_float(uint16_t half) {
  const uint32_t sign = (uint32_t)(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t fraction = half & 0x3ffu;
  if (exponent == 0x1fu) {
    /* Inf, or a NaN made quiet (as F16C and Arm do). */
    return sn_float_of_bits(sign | 0x7f800000u | (fraction != 0u ? 0x400000u : 0u) |
                            (fraction << 13));
  }
  if (exponent != 0u) return sn_float_of_bits(sign | ((exponent + 112u) << 23) | (fraction << 13));
  if (fraction == 0u) return sn_float_of_bits(sign);
  /* A denormal, fraction * 2^-24: normalised by shifting its leading bit to
   * bit 10. */
  uint32_t biased = 113u;
  while ((fraction & 0x400u) == 0u) {
    fraction <<= 1;
    --biased;
  }
  return sn_float_of_bits(sign | (biased << 23) | ((fraction & 0x3ffu) << 13));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SIMDNORM_HALF_FLOAT_H_ */
