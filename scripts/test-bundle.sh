#!/usr/bin/env bash
# Tests the bundle of scripts/bundle.sh as a user runs it, where nothing of
# simdnorm's is installed:
#
#   scripts/test-bundle.sh [--arch x86_64|arm64] [--bundle FILE] [-- RUN.SH ARGUMENTS]
#
# x86_64: a clean Debian bookworm root made by debootstrap --variant=minbase
# (glibc, coreutils, awk, no python3, none of simdnorm's dependencies; built
# once, then kept in build/bundle-test/root-bookworm-amd64). The archive is
# copied in and unpacked there, and run.sh runs inside chroot with /proc and
# /sys mounted read-only (for /proc/cpuinfo and the caches).
#
# arm64: the programs run under qemu-aarch64 -L SYSROOT, SYSROOT being
# Debian's libc6:arm64 alone, extracted with dpkg -x (build/bundle-test/
# sysroot-arm64), and run.sh on the host's shell with
# SIMDNORM_BUNDLE_LAUNCHER. Emulation runs some 20 times slower, so the
# default run is reduced: $arm64_default below.
#
# Before run.sh, a short sweep runs with the loader's log (LD_DEBUG=libs),
# which must show every library but glibc loaded from the bundle's lib/,
# libtbbmalloc (which oneTBB opens by name) included, and glibc from the root
# or the sysroot: the root has its own libstdc++, and qemu -L falls back to
# the host's files for a path the sysroot lacks, so this is checked, not
# assumed.
#
# Then: run.sh's exit status is 0, its outputs are there and not empty, the
# report names the CPU and the instruction set dispatch chose, and the gate
# passed. The results are copied to build/bundle-test/results-<arch>.
# Arguments after -- replace the default ones of run.sh (x86_64: none, the
# whole quick suite and gate). --bundle tests an archive already built;
# otherwise scripts/bundle.sh builds it.
#
# Environment: SIMDNORM_DEBIAN_MIRROR (default http://deb.debian.org/debian).

# shellcheck disable=SC2016  # in_root's scripts are expanded by the root's shell
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Under emulation: one method family in the sweep and the gate (rms_norm:
# plain, fused add, bfloat16 and float16 variants), fewer repetitions, a
# smaller copy probe.
arm64_default=(--filter rms_norm --reps 3 --copy-mib 32)

arch=x86_64
archive=
run_args=()
custom_args=false
while (($# > 0)); do
  case "$1" in
    --arch) [[ $# -ge 2 ]] || { echo "test-bundle: --arch needs a value" >&2; exit 2; }; arch=$2; shift 2 ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    --bundle) [[ $# -ge 2 ]] || { echo "test-bundle: --bundle needs a value" >&2; exit 2; }; archive=$2; shift 2 ;;
    --bundle=*) archive=${1#--bundle=}; shift ;;
    --) shift; run_args=("$@"); custom_args=true; break ;;
    -h | --help) sed -n '2,/^# Environment/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-bundle: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$arch" in
  x86_64) ;;
  arm64 | aarch64) arch=arm64 ;;
  *) echo "test-bundle: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
esac
if [[ "$(uname -m)" != x86_64 ]]; then
  echo "test-bundle: runs on an x86-64 host (a chroot for x86_64, qemu-user for arm64)" >&2
  exit 2
fi
[[ $(id -u) -eq 0 ]] || { echo "test-bundle: needs root (chroot, mount, debootstrap)" >&2; exit 2; }
[[ "$arch" == arm64 && "$custom_args" == false ]] && run_args=("${arm64_default[@]}")

test_dir=$root/build/bundle-test
mkdir -p "$test_dir"
if [[ "$arch" == x86_64 ]]; then
  "$root/scripts/setup-deps.sh" --bundle-test
fi

if [[ -z "$archive" ]]; then
  archive=$("$root/scripts/bundle.sh" --arch "$arch" | tail -n 1 | sed 's/ (.*//')
fi
[[ -f "$archive" ]] || { echo "test-bundle: no archive at '$archive'" >&2; exit 2; }
archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
name=$(basename "$archive" .tar.gz)
results=$test_dir/results-$arch
echo "test-bundle: testing $archive" >&2

# --- check_results DIR STATUS ISA_PATTERN CPU: the outputs and the verdict.
check_results() {
  local dir=$1 status=$2 isa_pattern=$3 cpu=$4 file problems=0
  fail() { echo "test-bundle: FAIL: $*" >&2; problems=$((problems + 1)); }
  [[ "$status" -eq 0 ]] || fail "run.sh exited with status $status"
  for file in quick.csv quick.log accuracy.csv gate.txt table.txt report.md; do
    [[ -s "$dir/$file" ]] || fail "$file is missing or empty"
  done
  [[ "$(head -c 19 "$dir/quick.csv" 2>/dev/null)" == method,layout,impl, ]] ||
    fail "quick.csv does not start with the sweep's header"
  (($(wc -l <"$dir/quick.csv" 2>/dev/null || echo 0) > 1)) || fail "quick.csv has no rows"
  grep -qxF -- "- CPU: $cpu" "$dir/report.md" || fail "the report does not name the CPU ($cpu)"
  grep -qE -- "^- Instruction set chosen by dispatch: ($isa_pattern) " "$dir/report.md" ||
    fail "the report does not name the instruction set ($isa_pattern)"
  grep -q -- '^- Accuracy gate: PASSED' "$dir/report.md" || fail "the report does not say the gate passed"
  grep -q ' 0 failure(s)$' "$dir/gate.txt" || fail "gate.txt does not end with 0 failures"
  grep -q -- '^- Measured copy bandwidth [0-9]' "$dir/report.md" || fail "the report has no copy bandwidth"
  echo "test-bundle: report $(grep -c . "$dir/report.md") lines; $(grep -- '^- Accuracy gate' "$dir/report.md")" >&2
  return $((problems > 0))
}

host_cpu=$("$root/scripts/cpu-model.sh")

# A short sweep with the loader's log (LD_DEBUG=libs): it starts oneTBB, which
# opens libtbbmalloc by name, a library neither ldd nor a start-up sees.
probe=(--suite quick --filter weight_norm_f16 --isa best --threads 2 --reps 1 --copy-mib 1 --out /dev/null)

# check_loaded BUNDLE_LIB GLIBC_ROOT: reads the loader's log on stdin and
# fails unless every library it initialised is BUNDLE_LIB's or glibc's, the
# latter present under GLIBC_ROOT (the root or the sysroot the programs ran
# in). libtbbmalloc must be among them.
check_loaded() {
  local lib=$1 glibc_root=$2 path log
  log=$(sed -n 's/.*calling init: //p' | sort -u)
  echo "test-bundle: libraries the programs loaded:" >&2
  printf '%s\n' "$log" | sed 's/^/    /' >&2
  while read -r path; do
    case "$path" in
      "$lib"/*) ;;
      */ld-linux-*.so.* | */libc.so.6 | */libm.so.6 | */libpthread.so.0 | */libdl.so.2 | */librt.so.1)
        [[ -e "$glibc_root$path" ]] || { echo "test-bundle: FAIL: $path is not under $glibc_root" >&2; return 1; }
        ;;
      *) echo "test-bundle: FAIL: $path is neither the bundle's nor glibc" >&2; return 1 ;;
    esac
  done <<<"$log"
  grep -qx "$lib/libtbbmalloc.so.2" <<<"$log" || {
    echo "test-bundle: FAIL: libtbbmalloc.so.2 was not loaded from the bundle" >&2
    return 1
  }
}

if [[ "$arch" == x86_64 ]]; then
  # --- The clean root, made once ------------------------------------------------
  root_dir=$test_dir/root-bookworm-amd64
  if [[ ! -f "$root_dir/etc/debian_version" ]]; then
    mirror=${SIMDNORM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    echo "test-bundle: making a clean Debian root in $root_dir (debootstrap minbase, a few minutes)" >&2
    rm -rf "$root_dir.partial"
    debootstrap --variant=minbase bookworm "$root_dir.partial" "$mirror" >"$test_dir/debootstrap.log" 2>&1 || {
      echo "test-bundle: debootstrap failed; see $test_dir/debootstrap.log" >&2
      exit 1
    }
    mv "$root_dir.partial" "$root_dir"
  fi

  work=/tmp/simdnorm-bundle-test  # inside the root
  mounted=()
  cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
      umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
    done
    rm -rf "${root_dir:?}$work"
  }
  trap cleanup EXIT
  rm -rf "${root_dir:?}$work"
  mkdir -p "$root_dir$work"
  cp "$archive" "$root_dir$work/"
  mount -t proc -o ro proc "$root_dir/proc" && mounted+=("$root_dir/proc")
  mount --bind -o ro /sys "$root_dir/sys" && mounted+=("$root_dir/sys")

  # Only what the root has: its PATH, no variable of this shell's.
  in_root() {
    env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root LANG=C.UTF-8 \
      chroot "$root_dir" /bin/sh -c "cd $work && $1" sh "${@:2}"
  }
  echo "test-bundle: the root has python3: $(in_root 'command -v python3 || echo no')" >&2
  in_root 'tar xzf "$1"' "$(basename "$archive")"
  echo "test-bundle: ldd in the root:" >&2
  in_root 'ldd "$1"/bin/simdnorm_sweep' "$name" | sed 's/^/    /' >&2
  # Every library the programs load but glibc's is the bundle's.
  in_root 'b=$1; shift; LD_DEBUG=libs "$b"/bin/simdnorm_sweep "$@" 2>&1 >/dev/null' "$name" "${probe[@]}" |
    check_loaded "$work/$name/bin/../lib" "$root_dir" || exit 1

  echo "test-bundle: run.sh ${run_args[*]}" >&2
  started=$SECONDS
  status=0
  in_root 'bundle=$1; shift; "$bundle"/run.sh --out results "$@"' "$name" "${run_args[@]}" || status=$?
  seconds=$((SECONDS - started))
  rm -rf "$results"
  cp -r "$root_dir$work/results" "$results" 2>/dev/null || mkdir -p "$results"
  echo "test-bundle: run.sh took $seconds s in the clean root (exit status $status); results in $results" >&2
  check_results "$results" "$status" 'avx512|avx2|sse4\.2|sse2' "$host_cpu" || exit 1
else
  # --- The arm64 sysroot: libc6:arm64 alone ---------------------------------------
  sysroot=$test_dir/sysroot-arm64
  if [[ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]]; then
    echo "test-bundle: making $sysroot from Debian's libc6:arm64" >&2
    download=$test_dir/debs-arm64
    rm -rf "$download" "$sysroot.partial"
    mkdir -p "$download"
    (cd "$download" && apt-get download libc6:arm64 >/dev/null)
    dpkg -x "$download"/libc6_*_arm64.deb "$sysroot.partial"
    mv "$sysroot.partial" "$sysroot"
  fi
  command -v qemu-aarch64 >/dev/null || "$root/scripts/setup-deps.sh"
  launcher="qemu-aarch64 -L $sysroot"

  work=$test_dir/arm64-work
  rm -rf "$work"
  mkdir -p "$work"
  tar xzf "$archive" -C "$work"
  bundle=$work/$name

  # Every library the programs load but glibc's is the bundle's, and glibc the sysroot's.
  $launcher -E LD_DEBUG=libs "$bundle/bin/simdnorm_sweep" "${probe[@]}" 2>&1 >/dev/null |
    check_loaded "$bundle/bin/../lib" "$sysroot" || exit 1

  echo "test-bundle: SIMDNORM_BUNDLE_LAUNCHER='$launcher' run.sh ${run_args[*]}" >&2
  rm -rf "$results"
  started=$SECONDS
  status=0
  (cd "$work" && SIMDNORM_BUNDLE_LAUNCHER=$launcher "$bundle/run.sh" --out "$results" "${run_args[@]}") ||
    status=$?
  seconds=$((SECONDS - started))
  echo "test-bundle: run.sh took $seconds s under qemu (exit status $status); results in $results" >&2
  check_results "$results" "$status" neon64 "$host_cpu" || exit 1
  rm -rf "$work"
fi
echo "test-bundle: $arch bundle passed" >&2
