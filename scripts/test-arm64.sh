#!/usr/bin/env bash
# Cross-builds simdnorm's unit tests for AArch64 (Debian's cross compiler,
# cmake/toolchains/aarch64-linux-gnu.cmake) and runs them under qemu-user on
# the neon64 and the scalar path, one process each: the ctest entries
# simdnorm_tests.isa.neon64 and simdnorm_tests.isa.scalar of
# tests/CMakeLists.txt, with their SIMDNORM_ISA and arguments; then
# simdnorm_tests.uncapped, where dispatch must choose neon64 by itself; then
# the accuracy gate (simdnorm_accuracy --check results/accuracy-baseline.csv)
# on both paths, every method, layout and data family, on the suite's cases
# of tensors up to 65536 elements: 2500 of its rows a path in about 25 s of
# emulation, where the whole gate takes over an hour.
#
#   scripts/test-arm64.sh          the emulation subset on both paths
#   scripts/test-arm64.sh --full   the whole suite on both paths
#
# Emulation runs the suite some 15 to 20 times slower than an x86-64 CPU
# runs it natively (the whole suite: about 3.5 minutes on neon64 and 2 on
# scalar, two cores), so by default each path runs a subset that still
# reaches every method and layout (below), neon64's in three shards spread
# over the two cores beside the scalar subset and the gate; CI (.ci/run)
# runs that subset. On the scalar path, the method table's variants are
# left out as its ctest entry leaves them out.
#
# Installs what is missing first (idempotent): the arm64 architecture for
# dpkg, qemu-user and the arm64 packages of oneTBB, GoogleTest and xsimd.
# They install beside the amd64 ones (all Multi-Arch: same).
#
# Environment:
#   SIMDNORM_ARM64_BUILD_DIR  build directory (default: build/arm64)
#   SIMDNORM_ARM64_JOBS       build parallelism (default: 2)
#   SIMDNORM_ARM64_FILTER     the subset, a gtest filter (default: below)
#   SIMDNORM_ARM64_GATE_MAX_ELEMENTS  the gate's largest case (default 65536;
#                             0: the whole gate)
# Exits non-zero when any step or any test fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

full=false
for arg in "$@"; do
  case "$arg" in
    --full) full=true ;;
    *)
      echo "test-arm64: unknown argument '$arg' (usage: test-arm64.sh [--full])" >&2
      exit 2
      ;;
  esac
done

build_dir=${SIMDNORM_ARM64_BUILD_DIR:-build/arm64}
jobs=${SIMDNORM_ARM64_JOBS:-2}
# The emulation subset: all but the tests of bit-identity between ways of
# making the same call (C and C++ API, in place, thread counts, callers,
# cache-sized pieces), which take two thirds of the suite's time under qemu.
# Each method still runs against the float64 reference in each layout, and
# the 16-bit types, activations, extreme ranges and the layouts'
# equivalences run in full.
bit_identity='Methods/EveryMethod.CApiGivesTheBitsOfTheCppApi/*'
bit_identity+=':Methods/EveryMethod.WritesEveryOutputItIsGivenAndNoInput/*'
bit_identity+=':Methods/InPlace.*:Determinism.*:PastTheCache.*'
bit_identity+=':TypedStatistics.BitsDoNotDependOnTheThreadCount'
subset=${SIMDNORM_ARM64_FILTER:-*-$bit_identity}
# The scalar path, which no AArch64 CPU takes unless told to (NEON is part
# of the architecture), runs less: every method against the float64
# reference, the extreme ranges, hostile data, bad arguments and the
# instruction-set tests. The rest of its suite (16-bit types, activations,
# narrow channels: 46 of its 58 s under qemu) is the same C++ as on x86-64,
# where the release suite runs it in full, compiled with -ffp-contract=off
# on both; and the accuracy gate below still scores every method and
# variant on it here.
scalar_subset=${SIMDNORM_ARM64_SCALAR_FILTER:-Methods/EveryMethod.*:Methods/ExtremeRange.*:HostileData.*:Methods/BadArguments.*:Isa.*}
if [[ "$full" == true ]]; then
  subset='*'
  scalar_subset='*'
fi

paths=(neon64 scalar)

# --- Dependencies --------------------------------------------------------------
# The cross compiler and qemu-user are among the default ones; --arm64 adds
# the arm64 architecture and packages.
"$root/scripts/setup-deps.sh" --arm64

# --- Build --------------------------------------------------------------------
generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi

start=$SECONDS
echo "test-arm64: configuring $build_dir (Release, aarch64)" >&2
cmake -S . -B "$build_dir" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DSIMDNORM_BUILD_TESTS=ON -DSIMDNORM_BUILD_BENCHMARKS=ON \
  -DSIMDNORM_BENCH_PEERS=OFF -DSIMDNORM_BUILD_PYTHON=OFF

# The unit tests and the accuracy gate's program alone; building the tests
# lists them under qemu (gtest_discover_tests through
# CMAKE_CROSSCOMPILING_EMULATOR).
echo "test-arm64: building simdnorm_tests and simdnorm_accuracy with $jobs jobs" >&2
cmake --build "$build_dir" --target simdnorm_tests simdnorm_accuracy --parallel "$jobs"
echo "test-arm64: built in $((SECONDS - start)) s" >&2

# --- Run ----------------------------------------------------------------------
# Four tests run the binary again (popen, fork and exec): under qemu-user
# that exec is the kernel's, which runs an AArch64 binary only where
# binfmt_misc hands it to qemu (qemu-user-binfmt, on a host that allows
# it). Without that they are left out: three check how SIMDNORM_ISA is
# parsed, the same code as on x86-64, where they run; the fourth limits the
# address space, which qemu-user accepts and ignores (it would skip).
rerun_tests=Isa.EnvironmentTakesNamesInAnyCase:Isa.UnknownEnvironmentNameIsReportedOnce
rerun_tests+=:Isa.LongUnknownEnvironmentNameIsQuotedInPart
rerun_tests+=:ResourceFailure.ARefusedThreadIsAResourceErrorAndWritesNothing
can_exec_aarch64=false
for entry in /proc/sys/fs/binfmt_misc/qemu-aarch64 /proc/sys/fs/binfmt_misc/aarch64; do
  [[ -r "$entry" ]] && head -n 1 "$entry" | grep -qx enabled && can_exec_aarch64=true
done
[[ "$can_exec_aarch64" == true ]] ||
  echo "test-arm64: no binfmt_misc entry for AArch64: leaving out $rerun_tests" >&2

# run_entry NAME POSITIVE NEGATIVE [NAME=VALUE...]: the ctest entry NAME as
# ctest would run it (through the emulator, with its environment and its
# arguments), its --gtest_filter's positive part replaced by POSITIVE when
# not empty and NEGATIVE added to its negative part, and the assignments
# given added to its environment.
run_entry() {
  local name=$1 positive=$2 negative=$3 item filter entry_status started
  shift 3
  local -a described environment=() command=()
  # ctest's description of the entry: env(1) arguments (ENVIRONMENT and
  # ENVIRONMENT_MODIFICATION's set and unset; unsets first), "--", the command.
  mapfile -d '' -t described < <(ctest --test-dir "$build_dir" --show-only=json-v1 |
    python3 -c '
import json, sys
test = next(t for t in json.load(sys.stdin)["tests"] if t["name"] == sys.argv[1])
unset, assign = [], []
for p in test.get("properties", []):
    if p["name"] == "ENVIRONMENT":
        assign += p["value"]
    elif p["name"] == "ENVIRONMENT_MODIFICATION":
        for m in p["value"]:
            var, op, value = m.partition("=")[0], *m.partition("=")[2].partition(":")[::2]
            if op == "unset":
                unset += ["-u", var]
            elif op == "set":
                assign.append(var + "=" + value)
            else:
                sys.exit("test-arm64: " + m + ": an environment change this script does not know")
sys.stdout.write("".join(x + "\0" for x in unset + assign + ["--"] + test["command"]))
' "$name")
  ((${#described[@]} > 0)) || { echo "test-arm64: no ctest entry $name" >&2; return 1; }
  local seen_separator=false
  for item in "${described[@]}"; do
    if [[ "$seen_separator" == false ]]; then
      if [[ "$item" == -- ]]; then seen_separator=true; else environment+=("$item"); fi
    elif [[ "$item" == --gtest_filter=* ]]; then
      filter=${item#--gtest_filter=}
      [[ -n "$positive" ]] || positive=${filter%%-*}
      [[ "$filter" == *-* ]] && negative=${negative:+$negative:}${filter#*-}
    else
      command+=("$item")
    fi
  done
  filter=${positive:-*}${negative:+-$negative}
  environment+=("$@")
  echo "test-arm64: $name: ${environment[*]} --gtest_filter=$filter" >&2
  started=$SECONDS
  entry_status=0
  env "${environment[@]}" "${command[@]}" "--gtest_filter=$filter" || entry_status=$?
  echo "test-arm64: $name finished in $((SECONDS - started)) s with status $entry_status" >&2
  return "$entry_status"
}

left_out=""
[[ "$subset" == *-* ]] && left_out=${subset#*-}
[[ "$can_exec_aarch64" == true ]] || left_out=${left_out:+$left_out:}$rerun_tests
status=0
# Each emulated run keeps one core busy (qemu-user runs the suite's
# threads, but its calls are small), so the runs go in two streams, one per
# core: the neon64 suite in three shards (gtest's GTEST_TOTAL_SHARDS, test
# by test in turn), two of them in the background, their output held back
# and printed whole after the other stream's so that the logs do not
# interleave; the third shard, the scalar subset, the NaN-bit test, the uncapped tests and
# the accuracy gate in the foreground. In CI on a 2-core Zen 4 the shards
# took 53, 60 and 53 s, the scalar subset 12 and the gate 53.
first_log=$(mktemp "${TMPDIR:-/tmp}/simdnorm-arm64-first.XXXXXX.log")
trap 'rm -f "$first_log"' EXIT
shards=3
{
  stream_status=0
  for shard in 0 1; do
    run_entry "simdnorm_tests.isa.${paths[0]}" "${subset%%-*}" "$left_out" \
      GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$shard || stream_status=1
  done
  exit "$stream_status"
} >"$first_log" 2>&1 &
first_pid=$!
run_entry "simdnorm_tests.isa.${paths[0]}" "${subset%%-*}" "$left_out" \
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$((shards - 1)) || status=$?
for path in "${paths[@]:1}"; do
  run_entry "simdnorm_tests.isa.$path" "$scalar_subset" "$left_out" || status=$?
done
# Of the bit-identity tests left out above, the one whose outcome follows the
# vector width: NaN bits that must not depend on the thread count, where a
# row or plane is cut between threads (normalization_cut: NEON's vectors are
# 4 floats, AVX-512's 16). 11 s on neon64 under qemu on a 2-core Zen 5,
# where all of Determinism.* took 173.
run_entry "simdnorm_tests.isa.${paths[0]}" \
  Determinism.NonFiniteDataGivesTheBitsOfOneThreadWithOutputsOffAVectorBoundary "" || status=$?
# The instruction-set tests uncapped, as a program that never sets
# SIMDNORM_ISA runs them: dispatch must pick the best AArch64 level.
run_entry simdnorm_tests.uncapped "" \
  "$([[ "$can_exec_aarch64" == true ]] || echo "$rerun_tests")" \
  SIMDNORM_EXPECTED_ISA="${paths[0]}" || status=$?
# The accuracy gate through the same emulator, run as check-accuracy.sh runs
# it; the cases of the other architecture's instruction sets are counted as
# not run.
gate_max_elements=${SIMDNORM_ARM64_GATE_MAX_ELEMENTS:-65536}
gate_args=(--check results/accuracy-baseline.csv)
((gate_max_elements > 0)) && gate_args+=(--max-elements "$gate_max_elements")
# The emulator and its arguments, as ctest runs the tests through them (the
# toolchain file's CMAKE_CROSSCOMPILING_EMULATOR): what precedes the program.
mapfile -d '' -t emulator < <(ctest --test-dir "$build_dir" --show-only=json-v1 |
  python3 -c '
import json, sys
command = next(t for t in json.load(sys.stdin)["tests"] if t["name"] == "simdnorm_tests.uncapped")["command"]
program = next(i for i, word in enumerate(command) if word.endswith("/simdnorm_tests"))
sys.stdout.write("".join(word + "\0" for word in command[:program]))
')
gate_csv=$(mktemp "${TMPDIR:-/tmp}/simdnorm-arm64-accuracy.XXXXXX.csv")
gate_log=$(mktemp "${TMPDIR:-/tmp}/simdnorm-arm64-accuracy.XXXXXX.log")
trap 'rm -f "$first_log" "$gate_csv" "$gate_log"' EXIT
echo "test-arm64: accuracy gate: ${emulator[*]} simdnorm_accuracy ${gate_args[*]}" >&2
started=$SECONDS
gate_status=0
# Its progress (a line a case) is shown only when it fails.
"${emulator[@]}" "$build_dir/bench/simdnorm_accuracy" --out "$gate_csv" "${gate_args[@]}" \
  2>"$gate_log" || gate_status=$?
((gate_status == 0)) || cat "$gate_log" >&2
echo "test-arm64: accuracy gate finished in $((SECONDS - started)) s with status $gate_status" >&2
((gate_status == 0)) || status=$gate_status
first_status=0
wait "$first_pid" || first_status=$?
cat "$first_log" >&2
((first_status == 0)) || status=$first_status
echo "test-arm64: finished in $((SECONDS - start)) s with status $status" >&2
exit "$status"
