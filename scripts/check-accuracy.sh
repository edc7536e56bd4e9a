#!/usr/bin/env bash
# The accuracy gate: recomputes the error of every method x layout x
# instruction set this CPU has x data family against the float64 reference,
# and compares it with the accepted errors in results/accuracy-baseline.csv:
#
#   scripts/check-accuracy.sh [--update | --merge] [--factor F] [--filter SUBSTRING]
#
# Exits non-zero, naming each case, when an error grew past its baseline by
# more than F times (default 4), when a NaN or Inf appeared or went missing,
# when an output error breaks the 2e-6 target on N(0,1), 1e4 + N(0,1) or
# 1e5 + N(0,1), or a variance's relative error the 2e-6 target (details:
# bench/accuracy/baseline_check.hpp; simdnorm_accuracy --check runs the
# comparison, so the gate needs nothing but bash and the binary). --update
# rewrites the baseline with this run's errors instead (after printing what
# changed: simdnorm_accuracy --compare); --merge merges them in, tightening
# only: cells that got better, new cases, families and columns
# (scripts/merge_accuracy_baseline.py, which needs python3).
#
# Environment: SIMDNORM_ACCURACY_BUILD_DIR (default build/accuracy),
# SIMDNORM_ACCURACY_BINARY (an already built simdnorm_accuracy: no build).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

update=0
merge=0
filter=
check_args=()
while (($# > 0)); do
  case "$1" in
    --update) update=1; shift ;;
    --merge) merge=1; shift ;;
    --factor)
      [[ $# -ge 2 ]] || { echo "check-accuracy.sh: --factor needs a value" >&2; exit 2; }
      check_args+=(--factor "$2")
      shift 2
      ;;
    --filter)
      [[ $# -ge 2 ]] || { echo "check-accuracy.sh: --filter needs a value" >&2; exit 2; }
      filter=$2
      shift 2
      ;;
    -h | --help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-accuracy.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((update && merge)); then
  echo "check-accuracy.sh: --update or --merge, not both" >&2
  exit 2
fi
if ((update)) && [[ -n "$filter" ]]; then
  echo "check-accuracy.sh: --update rewrites the whole baseline; drop --filter" >&2
  exit 2
fi

binary=${SIMDNORM_ACCURACY_BINARY:-}
build_dir=${SIMDNORM_ACCURACY_BUILD_DIR:-build/accuracy}
if [[ -z "$binary" ]]; then
  "$root/scripts/setup-deps.sh"
  generator=()
  if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    generator=(-G Ninja)
  fi
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DSIMDNORM_BUILD_TESTS=OFF -DSIMDNORM_BUILD_BENCHMARKS=ON -DSIMDNORM_BENCH_PEERS=OFF >/dev/null
  cmake --build "$build_dir" --target simdnorm_accuracy --parallel "$(nproc)"
  binary=$(find "$build_dir/bench" -type f -name simdnorm_accuracy -perm -u+x | head -n 1)
fi
[[ -x "$binary" ]] || { echo "check-accuracy.sh: no simdnorm_accuracy at '$binary'" >&2; exit 1; }

baseline=results/accuracy-baseline.csv
new=$(mktemp "${TMPDIR:-/tmp}/simdnorm-accuracy.XXXXXX.csv")
trap 'rm -f "$new"' EXIT
filter_args=()
if [[ -n "$filter" ]]; then
  filter_args=(--filter "$filter")
fi
args=(--out "$new" "${filter_args[@]}")
if ((!update && !merge)); then
  # The run, then its comparison with the baseline (its exit status is the gate's).
  args+=(--check "$baseline" "${check_args[@]}")
  echo "check-accuracy.sh: running $binary ${args[*]}" >&2
  status=0
  "$binary" "${args[@]}" || status=$?
  exit "$status"  # not exec: the trap removes the CSV
fi
echo "check-accuracy.sh: running $binary ${args[*]}" >&2
"$binary" "${args[@]}"

# What changed, for the record: --update and --merge go on whatever it says.
if [[ -f "$baseline" ]]; then
  "$binary" --compare "$baseline" "$new" "${filter_args[@]}" "${check_args[@]}" || true
fi
if ((update)); then
  cp "$new" "$baseline"
  echo "check-accuracy.sh: wrote $baseline" >&2
  exit 0
fi
python3 scripts/merge_accuracy_baseline.py "$baseline" "$new"
