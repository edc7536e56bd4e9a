#!/usr/bin/env bash
# Fuzzes the C API (tests/fuzz/c_api_fuzzer.cpp: every method of the method
# table) with libFuzzer, built with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer:
#
#   scripts/fuzz.sh [--seconds N] [libFuzzer flags...]
#
# runs for N seconds (default 60) from the corpus in build/fuzz/corpus (kept
# between runs) and tests/fuzz/regressions (inputs that once broke the
# contract, each run first, on every fuzz run), then prints how many of the corpus's inputs reach each method,
# accepted and refused, and exits non-zero when a call broke its contract or
# a sanitizer fired; the input that did it is saved as build/fuzz/crash-*.
# Reproduce with: build/fuzz/tests/fuzz/simdnorm_c_api_fuzzer build/fuzz/crash-...
# (-fork=1 -ignore_crashes=1 goes on past crashes, saving each.)
#
# Environment: SIMDNORM_FUZZ_BUILD_DIR (default build/fuzz).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

seconds=60
fuzzer_args=()
while (($# > 0)); do
  case "$1" in
    --seconds)
      [[ $# -ge 2 ]] || { echo "fuzz.sh: --seconds needs a value" >&2; exit 2; }
      seconds=$2
      shift 2
      ;;
    -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fuzzer_args+=("$1"); shift ;;
  esac
done

"$root/scripts/setup-deps.sh" --fuzz

build_dir=${SIMDNORM_FUZZ_BUILD_DIR:-build/fuzz}
generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link"
# The fuzzer calls the library as a program does, on the CPU's best
# instruction set (and the scalar code under every path), so that level's
# kernels are the only ones built (scripts/cpu-best-level.sh names it): each
# is one unit that clang compiles for minutes under the sanitizers, and CI's
# time goes there (the AVX-512, AVX2 and SSE2 units took 420 s of a 2-core
# machine's CPU at -O2 -g). -O1 -g1, as scripts/sanitize.sh builds and
# libFuzzer's documentation suggests: the AVX-512 unit compiles in 69 s
# rather than 90.
omitted=$("$root/scripts/cpu-best-level.sh" --others)
echo "fuzz.sh: building the $("$root/scripts/cpu-best-level.sh") kernels" >&2
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DSIMDNORM_BUILD_TESTS=OFF -DSIMDNORM_BUILD_BENCHMARKS=OFF -DSIMDNORM_BUILD_FUZZERS=ON \
  "-DSIMDNORM_OMIT_INSTRUCTION_SETS=$omitted" >/dev/null
cmake --build "$build_dir" --target simdnorm_c_api_fuzzer --parallel "$(nproc)"

mkdir -p "$build_dir/corpus"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fuzzer="$build_dir/tests/fuzz/simdnorm_c_api_fuzzer"
echo "fuzz.sh: fuzzing the C API for $seconds s" >&2
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="$build_dir/" -print_final_stats=1 "${fuzzer_args[@]}" "$build_dir/corpus" \
  tests/fuzz/regressions ||
  status=$?
# libFuzzer's statistics do not say which methods the inputs reached: the
# fuzzer counts them at exit when asked, here over the corpus, which a crash
# leaves intact (-runs=0: run the inputs, make none).
SIMDNORM_FUZZ_COUNTS=1 "$fuzzer" -runs=0 "$build_dir/corpus" 2>&1 |
  sed -n '/calls per method/,$p' >&2
exit "$status"
