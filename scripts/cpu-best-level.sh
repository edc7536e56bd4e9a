#!/bin/sh
# Prints the best x86-64 instruction set of simdnorm's list
# (cmake/instruction_sets.cmake) that this machine's CPU has, as the
# library's dispatch would choose it: avx512, avx2, sse4.2 or sse2, from the
# flags /proc/cpuinfo shows (those the kernel enabled, so AVX-512 only where
# the OS saves its registers). Nothing on another architecture or without
# /proc/cpuinfo.
#
#   scripts/cpu-best-level.sh            the best level
#   scripts/cpu-best-level.sh --others   the other x86-64 levels, ';'-separated,
#                                        for SIMDNORM_OMIT_INSTRUCTION_SETS
#                                        (nothing where no level is named)
#
# Builds that run only the best level (the fuzzer, ThreadSanitizer's tests)
# compile only its kernels.
flags=" $(grep -m 1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() {
  for flag in "$@"; do
    case "$flags" in
      *" $flag "*) ;;
      *) return 1 ;;
    esac
  done
}
best=""
if has avx512f avx512cd avx512dq avx512bw avx2 fma f16c; then
  best=avx512
elif has avx2 fma f16c avx; then
  best=avx2
elif has sse4_2; then
  best=sse4.2
elif has sse2; then
  best=sse2
fi
if [ "${1:-}" = --others ]; then
  [ -n "$best" ] || exit 0
  others=""
  for level in avx512 avx2 sse4.2 sse2; do
    [ "$level" = "$best" ] || others="${others:+$others;}$level"
  done
  echo "$others"
elif [ -n "$best" ]; then
  echo "$best"
fi
