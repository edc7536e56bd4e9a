#!/usr/bin/env bash
# simdnorm's PyTorch drop-in on whole models, at full size: torchvision's resnet50,
# vit_b_16 and convnext_tiny at 224x224 and diffusion-UNet resnet blocks at 64x64 with
# 320 and 640 channels, contiguous and channels-last, each patched against unpatched
# (per norm layer, end to end, BatchNorm running statistics) and timed at 1 and 2
# threads with the norm layers' share of the forward (bench/torch_models.py); in float32,
# or with --dtype bfloat16 the models and inputs in bfloat16.
#
#   scripts/torch-models.sh [bench/torch_models.py args...]   e.g. --reps 3, --models resnet50
#
# Builds the Python package for Debian's /usr/bin/python3 in build/python-models
# (Release; the build is incremental), then writes results/torch-models-<cpu-model-slug>.md
# (-bfloat16.md with --dtype bfloat16: the environment, the command and the table) and the
# .csv beside it. Exits 1 when a difference is over its tolerance (the files are written
# all the same).
#
# Environment: SIMDNORM_MODELS_BUILD_DIR (default build/python-models),
# SIMDNORM_MODELS_JOBS (default nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
invocation=scripts/torch-models.sh
(($# > 0)) && invocation+=$(printf ' %q' "$@")

for arg in "$@"; do
  case "$arg" in
    -h | --help)
      sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    --out-md* | --out-csv* | --command*)
      echo "torch-models.sh: the output files are chosen here; run bench/torch_models.py directly for $arg" >&2
      exit 2
      ;;
  esac
done

"$root/scripts/setup-deps.sh"

build_dir=${SIMDNORM_MODELS_BUILD_DIR:-build/python-models}
jobs=${SIMDNORM_MODELS_JOBS:-$(nproc)}
# The interpreter that sees Debian's numpy, torch and torchvision (a python3 earlier on
# PATH may be another).
python=/usr/bin/python3

start=$SECONDS
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  echo "torch-models.sh: configuring $build_dir (Release)" >&2
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSIMDNORM_BUILD_TESTS=OFF \
    -DSIMDNORM_BUILD_BENCHMARKS=OFF -DSIMDNORM_BUILD_PYTHON=ON -DPython_EXECUTABLE="$python" >/dev/null
fi
# simdnorm_python brings the PyTorch operators' module (simdnorm_torch_ops) with it.
echo "torch-models.sh: building simdnorm_python" >&2
cmake --build "$build_dir" --target simdnorm_python --parallel "$jobs"

# "AMD EPYC (family 25, ...)" -> amd-epyc, as scripts/bench.sh names its
# results folders.
cpu_model=$("$root/scripts/cpu-model.sh")
cpu_model=${cpu_model:-unknown cpu}
slug=$(printf '%s' "${cpu_model%% (family *}" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')

# A --dtype other than float32 gets files of its own.
dtype=float32
previous=
for arg in "$@"; do
  [[ "$previous" == --dtype ]] && dtype=$arg
  [[ "$arg" == --dtype=* ]] && dtype=${arg#--dtype=}
  previous=$arg
done
suffix=
[[ "$dtype" == float32 ]] || suffix=-$dtype

mkdir -p results
report=results/torch-models-$slug$suffix.md
csv=results/torch-models-$slug$suffix.csv

echo "torch-models.sh: running bench/torch_models.py $*" >&2
status=0
PYTHONPATH="$build_dir/python" "$python" bench/torch_models.py --out-md "$report" --out-csv "$csv" \
  --command "$invocation" "$@" || status=$?
echo "torch-models.sh: wrote $report and $csv in $((SECONDS - start)) s (status $status)" >&2
exit "$status"
