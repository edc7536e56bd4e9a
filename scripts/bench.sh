#!/usr/bin/env bash
# Release build plus a benchmark suite:
#
#   scripts/bench.sh [--suite quick|reference|sweep] [--filter REGEX]
#                    [--threads N] [--isa NAME] [--passes N] [simdnorm_sweep args...]
#
# writes results/<cpu-model-slug>/<YYYY-MM-DD>-<suite>.csv (columns in README.md)
# and, next to it, <YYYY-MM-DD>-<suite>.md describing the machine and the exact
# command, and PNG plots in <YYYY-MM-DD>-<suite>-plots/. A run with --filter writes <YYYY-MM-DD>-<suite>-filter-<filter>.csv
# instead, so that a partial run never replaces the day's full one; a later
# run of the same suite and filter that day adds -run2, -run3, ... --passes N
# runs the whole suite N times, interleaved, and reports each row's median
# pass. Other arguments (--threads, --isa, --reps 5, ...) go to simdnorm_sweep
# unchanged.
#
# Environment: SIMDNORM_BENCH_BUILD_DIR (default build/bench),
# SIMDNORM_BENCH_JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
invocation=scripts/bench.sh
(($# > 0)) && invocation+=$(printf ' %q' "$@")

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

suite=quick
filter=
passes=
sweep_args=()
while (($# > 0)); do
  case "$1" in
    --suite)
      [[ $# -ge 2 ]] || { echo "bench.sh: --suite needs a value" >&2; exit 2; }
      suite=$2
      shift 2
      ;;
    --suite=*) suite=${1#--suite=}; shift ;;
    --filter)
      [[ $# -ge 2 ]] || { echo "bench.sh: --filter needs a value" >&2; exit 2; }
      filter=$2
      shift 2
      ;;
    --filter=*) filter=${1#--filter=}; shift ;;
    --passes)
      [[ $# -ge 2 ]] || { echo "bench.sh: --passes needs a value" >&2; exit 2; }
      passes=$2
      shift 2
      ;;
    --passes=*) passes=${1#--passes=}; shift ;;
    --out | --out=*)
      echo "bench.sh: the output file is chosen by bench.sh; run simdnorm_sweep directly for --out" >&2
      exit 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) sweep_args+=("$1"); shift ;;
  esac
done
# Checked here as well as by simdnorm_sweep, so that a typo fails before the build.
if [[ -n "$passes" ]]; then
  [[ "$passes" =~ ^[1-9][0-9]*$ ]] || {
    echo "bench.sh: --passes needs a positive integer, got '$passes'" >&2
    exit 2
  }
  sweep_args+=(--passes "$passes")
fi
case "$suite" in
  quick | reference | sweep) ;;
  *)
    echo "bench.sh: unknown suite '$suite' (quick, reference or sweep)" >&2
    exit 2
    ;;
esac

"$root/scripts/setup-deps.sh" --peers

build_dir=${SIMDNORM_BENCH_BUILD_DIR:-build/bench}
jobs=${SIMDNORM_BENCH_JOBS:-$(nproc)}
generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi

# The code measured: read before the build, so later edits do not change it.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "unknown")
if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no -- lib include bench CMakeLists.txt 2>/dev/null)" ]]; then
  commit+=" with uncommitted changes to the code"
fi

start=$SECONDS
echo "bench.sh: configuring $build_dir (Release)" >&2
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DSIMDNORM_BUILD_TESTS=OFF -DSIMDNORM_BUILD_BENCHMARKS=ON >/dev/null
echo "bench.sh: building simdnorm_sweep" >&2
cmake --build "$build_dir" --target simdnorm_sweep --parallel "$jobs"
sweep=$(find "$build_dir/bench" -type f -name simdnorm_sweep -perm -u+x | head -n 1)
[[ -n "$sweep" ]] || { echo "bench.sh: simdnorm_sweep was not built" >&2; exit 1; }

# "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz (family 6, model 106, stepping 6)"
# -> intel-r-xeon-r-gold-6338-cpu-2-00ghz: the folder is named by the model
# name alone; the numbers are in each report's CPU line.
cpu_model=$("$root/scripts/cpu-model.sh")
cpu_model=${cpu_model:-unknown cpu}
slug=$(printf '%s' "${cpu_model%% (family *}" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')

date=$(date +%F)
name="$date-$suite"
if [[ -n "$filter" ]]; then
  name="$name-filter-$(printf '%s' "$filter" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')"
fi
out_dir="results/$slug"
mkdir -p "$out_dir"
# A later run of the same suite and filter on the same day gets names of its
# own (-run2, -run3, ...) rather than overwriting the report already there.
base_name=$name
run=2
while [[ -e "$out_dir/$name.csv" || -e "$out_dir/$name.md" ]]; do
  name="$base_name-run$run"
  run=$((run + 1))
done
csv="$out_dir/$name.csv"
report="$out_dir/$name.md"
log="$build_dir/$name.log"

command=("$sweep" --suite "$suite" --out "$csv")
[[ -n "$filter" ]] && command+=(--filter "$filter")
command+=("${sweep_args[@]}")

echo "bench.sh: running $(printf '%q ' "${command[@]}")" >&2
sweep_start=$SECONDS
"${command[@]}" 2>&1 | tee "$log"
sweep_seconds=$((SECONDS - sweep_start))

# Plots next to the CSV, with Debian's matplotlib (setup-deps.sh --peers
# installs it); a machine without it gets the CSV and a line saying so.
plots_dir="$out_dir/$name-plots"
plots=()
if /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1; then
  rm -rf "$plots_dir"
  mapfile -t plots < <(/usr/bin/python3 scripts/plot_report.py "$csv" "$plots_dir")
  echo "bench.sh: wrote ${#plots[@]} plots to $plots_dir" >&2
else
  echo "bench.sh: no plots (/usr/bin/python3 cannot import matplotlib)" >&2
fi

compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
copy_line=$(grep -m 1 'copy bandwidth [0-9]' "$log" | sed 's/^simdnorm_sweep: //') || true
{
  echo "# simdnorm $suite sweep, $date"
  echo
  echo "- CPU: $cpu_model"
  echo "- Logical cores: $(nproc --all) ($(nproc) available to the run)"
  echo "- Kernel: $(uname -srm)"
  echo "- Compiler: $("${compiler:-c++}" --version | head -n 1)"
  echo "- Build: CMake Release, $build_dir, commit $commit"
  echo "- Measured ${copy_line:-copy bandwidth: not reported}"
  echo "- Sweep time: ${sweep_seconds} s"
  echo "- Data: $csv (columns documented in README.md)"
  if ((${#plots[@]} > 0)); then
    echo "- Plots: $(for plot in "${plots[@]}"; do printf '[%s](%s) ' "$(basename "$plot")" "$name-plots/$(basename "$plot")"; done)"
  fi
  echo
  echo "Command:"
  echo
  echo '```'
  echo "$invocation"
  echo "# which ran:"
  printf '%q ' "${command[@]}" | sed 's/ $//'
  echo
  echo '```'
  echo
  # Peers, simdnorm against them, accuracy (standard library only).
  python3 scripts/summarize_report.py "$csv" --log "$log" --command "$invocation"
} >"$report"

echo "bench.sh: wrote $csv and $report in $((SECONDS - start)) s" >&2
