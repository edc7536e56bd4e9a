#!/usr/bin/env bash
# Shows that the working tree computes the same bits as an earlier commit:
# builds simdnorm_accuracy from REV (in a git worktree) and from the working
# tree, runs both over the accuracy suite (the quick and reference shapes and
# the odd sizes) on every path this CPU has and every accuracy data family,
# and compares a digest of every output buffer (y, statistics, running
# statistics) case by case.
#
#   scripts/compare-outputs.sh REV [--filter SUBSTRING]
#
# REV must have simdnorm_accuracy --digests (any commit from the one that
# added it). Prints the number of digests compared and each one that
# differs; exits 1 when any differs or is missing on one side, 0 when every
# output is bitwise identical.
#
# Environment: SIMDNORM_COMPARE_DIR (default build/compare-outputs).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if (($# < 1)) || [[ "$1" == -h || "$1" == --help ]]; then
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
rev=$1
shift
filter_args=()
while (($# > 0)); do
  case "$1" in
    --filter)
      [[ $# -ge 2 ]] || { echo "compare-outputs.sh: --filter needs a value" >&2; exit 2; }
      filter_args=(--filter "$2")
      shift 2
      ;;
    *) echo "compare-outputs.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

commit=$(git rev-parse --verify "$rev^{commit}")
work=${SIMDNORM_COMPARE_DIR:-build/compare-outputs}
mkdir -p "$work"
work=$(cd "$work" && pwd)
"$root/scripts/setup-deps.sh"

# build_accuracy SOURCE BUILD: configures and builds simdnorm_accuracy.
build_accuracy() {
  local generator=()
  if command -v ninja >/dev/null 2>&1 && [[ ! -f "$2/CMakeCache.txt" ]]; then
    generator=(-G Ninja)
  fi
  cmake -S "$1" -B "$2" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DSIMDNORM_BUILD_TESTS=OFF \
    -DSIMDNORM_BUILD_BENCHMARKS=ON -DSIMDNORM_BENCH_PEERS=OFF >/dev/null
  cmake --build "$2" --target simdnorm_accuracy --parallel "$(nproc)" >/dev/null
}

source_dir=$work/src-${commit:0:12}
if [[ ! -d "$source_dir" ]]; then
  git worktree add --detach "$source_dir" "$commit" >/dev/null
fi
echo "compare-outputs.sh: building ${commit:0:12} and the working tree" >&2
build_accuracy "$source_dir" "$work/build-${commit:0:12}"
build_accuracy "$root" "$work/build-working-tree"

digests() {
  "$1/bench/simdnorm_accuracy" "${filter_args[@]}" --out /dev/null --digests "$2" 2>/dev/null
}
echo "compare-outputs.sh: running both over the accuracy suite (minutes)" >&2
digests "$work/build-${commit:0:12}" "$work/before.csv"
digests "$work/build-working-tree" "$work/after.csv"

python3 - "$work/before.csv" "$work/after.csv" "${commit:0:12}" <<'EOF'
import csv
import sys

def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return {tuple(v for k, v in row.items() if k != "fnv1a"): row["fnv1a"] for row in rows}

before, after = read(sys.argv[1]), read(sys.argv[2])
differ = [k for k in before if k in after and before[k] != after[k]]
gone = [k for k in before if k not in after]
new = [k for k in after if k not in before]
for label, keys in (("differs", differ), ("missing now", gone), ("new", new)):
    for key in keys[:50]:
        print(f"{label}: {','.join(key)}")
    if len(keys) > 50:
        print(f"{label}: ... {len(keys) - 50} more")
same = len(before) - len(differ) - len(gone)
print(f"compare-outputs: {same} of {len(before)} output digests identical to {sys.argv[3]}; "
      f"{len(differ)} differ, {len(gone)} missing, {len(new)} new")
sys.exit(1 if differ or gone else 0)
EOF
