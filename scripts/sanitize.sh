#!/usr/bin/env bash
# The test suite under a sanitizer, in a build of its own:
#
#   scripts/sanitize.sh address   # AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/sanitize.sh thread    # ThreadSanitizer
#
# address: every test, once per instruction set but the two SSE levels
# (below) and on the scalar path (ctest -L isa: the
# whole suite in one process per level; the method table's variants and the
# Determinism suite (and two other bit-identity tests) on the best level
# only, tests/CMakeLists.txt says why,
# and the variants' float16 ones not
# at all, below), the out-of-memory tests (ctest -L
# fault_injection: every method and path with each allocation failing, and
# oneTBB's start-up in fresh processes), then the kernel testers (every vector
# kernel on every instruction set, one process), with the internal
# assertions on (SIMDNORM_DEBUG_ASSERTS); any report fails the run
# (-fno-sanitize-recover). The 8 GiB test (label large) and the accuracy
# gate (label accuracy) run in the plain build only.
#
# thread: the concurrency tests that ThreadSanitizer can judge (target
# simdnorm_concurrency_tests), on the best instruction set and on the scalar
# path: sixteen threads calling every kind of kernel below the parallel
# threshold (no oneTBB task in between, so any state two callers share is a
# reported race), the C API's per-thread error, and calls split over a
# pthread pool through sn_set_parallel_for while another thread changes the
# thread settings (tests/pthread_pool.hpp). oneTBB comes from Debian,
# not built with ThreadSanitizer: the tool cannot see the synchronisation
# inside it, so the calls that run oneTBB tasks give false reports (a task's
# memory handed between threads looks racy; suppressions in
# scripts/tsan-suppressions.txt catch most but not all) and are checked by
# the other Determinism tests in the plain and address builds instead.
#
# Environment: SIMDNORM_SANITIZE_BUILD_DIR (default build/<sanitizer>),
# SIMDNORM_SANITIZE_JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

sanitizer=${1:-}
case "$sanitizer" in
  # SIMDNORM_DEBUG_ASSERTS: the assertions below the validation boundary
  # (lib/validation/debug_assert.hpp), off in release builds, on here.
  address) flags="-fsanitize=address,undefined -fno-sanitize-recover=all -DSIMDNORM_DEBUG_ASSERTS" ;;
  thread) flags="-fsanitize=thread" ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread" >&2
    exit 2
    ;;
esac

"$root/scripts/setup-deps.sh"

build_dir=${SIMDNORM_SANITIZE_BUILD_DIR:-build/$sanitizer}
# Under AddressSanitizer, the AVX-512 and AVX2 levels and the scalar path;
# not SSE4.2 or SSE2. SSE4.2's kernels are SSE2's loops at SSE2's width (a
# few SSE4.1 instructions differ), and SSE2's are the same templates as
# AVX2's at half the width: the blocks, tails (element by element at every
# width) and merges this stage looks for overruns in are written once, the
# lane count a template parameter (lib/kernels), and the 16-lane AVX-512 and
# 8-lane AVX2 runs take them here.
# The two kernel units took 70 s of this build's compile time and their runs
# about 40 s of the 2-core CI machine. The release suite (scripts/test.sh)
# still builds and runs both, and emulates a CPU whose best level is SSE4.2.
omitted=""
[[ "$sanitizer" == address ]] && omitted="sse4.2;sse2"
# Under ThreadSanitizer, the tests run on the best level and the scalar path
# only (below), so only the best level's kernel unit is built, the one this
# CPU has (scripts/cpu-best-level.sh; all of them where it names none).
[[ "$sanitizer" == thread ]] && omitted=$("$root/scripts/cpu-best-level.sh" --others)
# And the Determinism suite on the best level only (tests/CMakeLists.txt,
# SIMDNORM_TESTS_ON_BEST_LEVEL_ONLY, says why): 46% of each other level's
# run here. The plain build still runs it on every level.
# PastTheCache (the bits of cache-sized pieces) and the 16-bit thread-count
# test are bit-identity checks of the same kind.
best_level_only=""
[[ "$sanitizer" == address ]] &&
  best_level_only="Determinism.*:PastTheCache.*:TypedStatistics.BitsDoNotDependOnTheThreadCount"
# The best level's run, which alone takes those and the method table's
# variants, in two ctest entries (tests/CMakeLists.txt,
# SIMDNORM_BEST_LEVEL_SHARDS): one process, it was the last 70 s of the
# stage with the other core idle.
best_level_shards=1
[[ "$sanitizer" == address ]] && best_level_shards=2
jobs=${SIMDNORM_SANITIZE_JOBS:-$(nproc)}
generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi

start=$SECONDS
echo "sanitize.sh: configuring $build_dir ($sanitizer)" >&2
# -O1 -g1 rather than RelWithDebInfo's -O2 -g: what AddressSanitizer's
# documentation recommends, and the per-instruction-set kernel files (every
# element type, fused add and activation instantiated) took 200 s each to
# compile at -O2 -g under AddressSanitizer + UBSan, 80 s at -O1 -g1, on this
# project's 2-core CI machines. -g1 keeps the line tables a report's stack
# needs.
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS="$flags -fno-omit-frame-pointer" \
  -DCMAKE_CXX_FLAGS="$flags -fno-omit-frame-pointer" \
  -DSIMDNORM_BUILD_TESTS=ON -DSIMDNORM_BUILD_BENCHMARKS=OFF -DSIMDNORM_BENCH_PEERS=OFF \
  "-DSIMDNORM_OMIT_INSTRUCTION_SETS=$omitted" \
  "-DSIMDNORM_TESTS_ON_BEST_LEVEL_ONLY=$best_level_only" \
  "-DSIMDNORM_BEST_LEVEL_SHARDS=$best_level_shards" >/dev/null
echo "sanitize.sh: building with $jobs jobs" >&2
targets=(simdnorm_tests simdnorm_kernel_tests simdnorm_fault_injection_tests simdnorm_tbb_startup_tests)
[[ "$sanitizer" == thread ]] && targets=(simdnorm_concurrency_tests)
target=${targets[0]}
cmake --build "$build_dir" --parallel "$jobs" --target "${targets[@]}"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/scripts/tsan-suppressions.txt"
tests=$(find "$build_dir/tests" -maxdepth 1 -type f -name "$target" -perm -u+x)
if [[ "$sanitizer" == address ]]; then
  # The method table's float16 variants are left out here (GTEST_FILTER
  # reaches the runs that pass no filter of their own: the best level's and
  # the fault-injection binary's): they address memory as the bfloat16 ones
  # do, 2-byte elements through the same loops, and differ only in the
  # conversion instructions between load and store, which the typed and
  # element-io tests still run in every type on every level here. The
  # out-of-memory cases run once, in the fault-injection binary's verbose
  # run (every case of it, and the verbose report), not also as one ctest
  # entry each. Without both, this ctest run took 190 s instead of 304 on
  # the 2-core CI machine (CI of dcd1c11 against 6e67e27).
  # simdnorm_tests.integer_bf16 is left out too (53 s of the 2-core
  # machine's time): it repeats the bfloat16 tests with the integer rounding
  # in place of VCVTNEPS2BF16, a different instruction between the same
  # loads and stores, and the AVX2 run here takes the integer rounding
  # throughout.
  # Every vector kernel on every instruction set, in one process, beside
  # the ctest run rather than after it: the ctest run ends on one long
  # entry with the other core idle, where this one (23 s) fits.
  kernel_log=$(mktemp "${TMPDIR:-/tmp}/simdnorm-kernel-tests.XXXXXX")
  "$build_dir/tests/simdnorm_kernel_tests" --gtest_brief=1 >"$kernel_log" 2>&1 &
  kernel_pid=$!
  status=0
  GTEST_FILTER='-*/*_f16*' ctest --test-dir "$build_dir" -L 'isa|fault_injection' \
    -E '^(Methods/FaultInjection|FaultInjectionMessages|FaultInjectionMoments)[.]|^simdnorm_tests[.]integer_bf16$' \
    --output-on-failure --parallel "$jobs" || status=1
  wait "$kernel_pid" || status=1
  echo "sanitize.sh: the kernel tests:" >&2
  cat "$kernel_log"
  rm -f "$kernel_log"
  ((status == 0)) || exit 1
else
  status=0
  for isa in best scalar; do
    echo "sanitize.sh: thread, SIMDNORM_ISA=$isa" >&2
    SIMDNORM_ISA=$isa "$tests" --gtest_brief=1 \
      --gtest_filter='Determinism.SmallCalls*:CApiLastError.*:Determinism.ThreadSettingsChanged*' ||
      status=1
  done
  ((status == 0)) || exit 1
fi
echo "sanitize.sh: $sanitizer clean in $((SECONDS - start)) s" >&2
