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
# scripts/check_accuracy.py). --update rewrites the baseline with this run's
# errors instead (after printing what changed); --merge merges them in,
# tightening only: cells that got better, new cases, families and columns
# (scripts/merge_accuracy_baseline.py).
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
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
args=(--out "$new")
if [[ -n "$filter" ]]; then
  args+=(--filter "$filter")
  check_args+=(--filter "$filter")
fi
echo "check-accuracy.sh: running $binary ${args[*]}" >&2
"$binary" "${args[@]}"

if ((update)); then
  if [[ -f "$baseline" ]]; then
    python3 scripts/check_accuracy.py "$baseline" "$new" "${check_args[@]}" || true
  fi
  cp "$new" "$baseline"
  echo "check-accuracy.sh: wrote $baseline" >&2
  exit 0
fi
if ((merge)); then
  python3 scripts/check_accuracy.py "$baseline" "$new" "${check_args[@]}" || true
  python3 scripts/merge_accuracy_baseline.py "$baseline" "$new"
  exit 0
fi
python3 scripts/check_accuracy.py "$baseline" "$new" "${check_args[@]}"
