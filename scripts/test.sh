#!/usr/bin/env bash
# Builds simdnorm with its tests and its Python package, and runs every test
# (the Python package's under Debian's /usr/bin/python3) through ctest.
#
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -R consumer
#
# With no arguments (CI), the per-test entries of simdnorm_tests (label
# per_test) are left out: simdnorm_tests.isa.* run the same tests, once per
# instruction set, one process each. Arguments replace that choice:
# scripts/test.sh -R group_norm selects them by name.
#
# Environment:
#   SIMDNORM_TEST_BUILD_DIR   build directory (default: build/test)
#   SIMDNORM_TEST_BUILD_TYPE  CMAKE_BUILD_TYPE (default: Release)
#   SIMDNORM_TEST_JOBS        build and test parallelism (default: nproc)
#   SIMDNORM_CMAKE_ARGS       extra arguments for the configure step
# Exits non-zero when any step or any test fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup-deps.sh"

build_dir=${SIMDNORM_TEST_BUILD_DIR:-build/test}
build_type=${SIMDNORM_TEST_BUILD_TYPE:-Release}
jobs=${SIMDNORM_TEST_JOBS:-$(nproc)}

generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi

# The Python package is built for the interpreter that sees Debian's numpy
# and torch: /usr/bin/python3 (a python3 earlier on PATH may be another).
python=/usr/bin/python3
[[ -x "$python" ]] || python=$(command -v python3)

extra_cmake_args=()
if [[ -n "${SIMDNORM_CMAKE_ARGS:-}" ]]; then
  read -r -a extra_cmake_args <<<"$SIMDNORM_CMAKE_ARGS"
fi

start=$SECONDS
echo "test.sh: configuring $build_dir ($build_type)" >&2
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type" \
  -DSIMDNORM_BUILD_TESTS=ON -DSIMDNORM_BENCH_PEERS=OFF -DSIMDNORM_BUILD_PYTHON=ON \
  -DPython_EXECUTABLE="$python" "${extra_cmake_args[@]}"

echo "test.sh: building with $jobs jobs" >&2
cmake --build "$build_dir" --parallel "$jobs"

echo "test.sh: running ctest with $jobs jobs" >&2
status=0
ctest_args=("$@")
((${#ctest_args[@]} > 0)) || ctest_args=(-LE per_test)
ctest --test-dir "$build_dir" --output-on-failure --parallel "$jobs" "${ctest_args[@]}" || status=$?
echo "test.sh: finished in $((SECONDS - start)) s with status $status" >&2
exit "$status"
