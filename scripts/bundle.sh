#!/usr/bin/env bash
# Builds the self-contained benchmark bundle: one archive holding the quick
# benchmark suite (simdnorm_sweep), the accuracy gate (simdnorm_accuracy and
# results/accuracy-baseline.csv), the C++ runtime and oneTBB they load, and
# run.sh (scripts/bundle-run.sh), which runs both on a machine of the same
# architecture with nothing installed and writes a report:
#
#   scripts/bundle.sh [--arch x86_64|arm64] [--out FILE]
#
# writes FILE (default build/simdnorm-bundle-<version-or-commit>-<arch>.tar.gz)
# and prints its path and size. --arch arm64 cross-builds on an x86-64 host
# (cmake/toolchains/aarch64-linux-gnu.cmake; setup-deps.sh --arm64 installs
# the arm64 packages). The default is this machine's architecture.
#
# Inside: bin/ the two programs; lib/ libtbb.so.12 and libtbbmalloc.so.2
# (oneTBB, Apache-2.0: Debian ships no static oneTBB), libstdc++.so.6 and
# libgcc_s.so.1 (GCC runtime library exception), found through the programs'
# DT_RPATH $ORIGIN/../lib; share/ the accuracy baseline; scripts/ the plot and
# summary scripts (used when python3 is there); licenses/; BUILD-INFO (the
# commit, compiler, libraries and the glibc the bundle needs). glibc stays
# dynamic. The peers (oneDNN, libtorch) are left out (SIMDNORM_BENCH_PEERS=OFF,
# for their size and licences): their rows report as skipped.
#
# Why the C++ runtime is shared and not linked statically: libtbb.so.12 needs
# libstdc++.so.6 and libgcc_s.so.1 itself, so a static runtime in the programs
# would put two copies in one process (the programs export theirs to libtbb)
# and still need the shared one on the target; nor does it lower the glibc the
# bundle needs (a static libstdc++ pulls in arc4random, GLIBC_2.36, the shared
# one needs the same). DT_RPATH rather than DT_RUNPATH: RUNPATH applies to the
# programs' own libraries only, RPATH also to libtbb's (libstdc++) and to the
# libtbbmalloc that libtbb opens by name at start-up.
#
# Environment: SIMDNORM_BUNDLE_JOBS (build parallelism, default nproc).
# Builds in build/bundle-<arch> and stages in build/bundle-<arch>/stage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
caller_dir=$PWD
cd "$root"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

case "$(uname -m)" in
  aarch64 | arm64) arch=arm64 ;;
  *) arch=x86_64 ;;
esac
out=
while (($# > 0)); do
  case "$1" in
    --arch)
      [[ $# -ge 2 ]] || { echo "bundle.sh: --arch needs a value" >&2; exit 2; }
      arch=$2
      shift 2
      ;;
    --arch=*) arch=${1#--arch=}; shift ;;
    --out)
      [[ $# -ge 2 ]] || { echo "bundle.sh: --out needs a value" >&2; exit 2; }
      out=$2
      shift 2
      ;;
    --out=*) out=${1#--out=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bundle.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

case "$arch" in
  x86_64)
    deps_args=()
    toolchain=()
    cxx=g++
    readelf_machine='Advanced Micro Devices X86-64'
    ;;
  arm64 | aarch64)
    arch=arm64
    deps_args=(--arm64)
    toolchain=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/aarch64-linux-gnu.cmake")
    cxx=aarch64-linux-gnu-g++
    readelf_machine='AArch64'
    ;;
  *) echo "bundle.sh: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
esac
if [[ "$arch" == arm64 && "$(uname -m)" != x86_64 ]]; then
  echo "bundle.sh: --arch arm64 cross-builds from an x86-64 host only" >&2
  exit 2
fi

"$root/scripts/setup-deps.sh" "${deps_args[@]}"

# --- What is bundled: read before the build, so later edits do not change it.
version=$(sed -n 's/^project(simdnorm VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# A tag where there is one, else the short commit; -dirty when what the bundle
# is made of (the code, the baseline, the scripts it carries) has uncommitted
# changes, which BUILD-INFO lists.
bundle_sources=(CMakeLists.txt cmake include lib bench results/accuracy-baseline.csv
  scripts/bundle.sh scripts/bundle-run.sh scripts/cpu-model.sh scripts/summarize_report.py
  scripts/plot_report.py)
describe=$(git describe --tags --always 2>/dev/null || echo unknown)
changed=$(git status --porcelain -- "${bundle_sources[@]}" 2>/dev/null | awk '{print $NF}' | paste -sd ' ' -)
[[ -n "$changed" ]] && describe+=-dirty
name=simdnorm-bundle-$describe-$arch
[[ -z "$out" || "$out" == /* ]] || out=$caller_dir/$out  # --out is relative to where bundle.sh was run
out=${out:-build/$name.tar.gz}

build_dir=build/bundle-$arch
jobs=${SIMDNORM_BUNDLE_JOBS:-$(nproc)}
generator=()
if command -v ninja >/dev/null 2>&1 && [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  generator=(-G Ninja)
fi

start=$SECONDS
echo "bundle.sh: configuring $build_dir (Release, $arch)" >&2
# '$ORIGIN' reaches the linker unexpanded (CMake escapes it for the generator).
# shellcheck disable=SC2016
cmake -S . -B "$build_dir" "${generator[@]}" "${toolchain[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DSIMDNORM_BUILD_TESTS=OFF -DSIMDNORM_BUILD_BENCHMARKS=ON -DSIMDNORM_BENCH_PEERS=OFF \
  -DSIMDNORM_BUILD_PYTHON=OFF -DSIMDNORM_INSTALL=OFF \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags '-DCMAKE_BUILD_RPATH=$ORIGIN/../lib' >/dev/null
echo "bundle.sh: building simdnorm_sweep and simdnorm_accuracy with $jobs jobs" >&2
cmake --build "$build_dir" --target simdnorm_sweep simdnorm_accuracy --parallel "$jobs"
programs=("$build_dir/bench/simdnorm_sweep" "$build_dir/bench/simdnorm_accuracy")
for program in "${programs[@]}"; do
  [[ -x "$program" ]] || { echo "bundle.sh: $program was not built" >&2; exit 1; }
done

# --- Stage ----------------------------------------------------------------------
stage=$build_dir/stage
bundle=$stage/$name
rm -rf "$stage"
mkdir -p "$bundle"/{bin,lib,share,scripts,licenses}
cp "${programs[@]}" "$bundle/bin/"
install -m 755 scripts/bundle-run.sh "$bundle/run.sh"
cp results/accuracy-baseline.csv "$bundle/share/"
cp scripts/summarize_report.py scripts/plot_report.py "$bundle/scripts/"
install -m 755 scripts/cpu-model.sh "$bundle/scripts/"

# The shared libraries, as the compiler's library path resolves them (for
# arm64: the multiarch oneTBB and the cross toolchain's runtime, which the
# programs were linked against), copied under their sonames. libtbbmalloc is
# not a dependency in ELF terms: libtbb opens it at start-up when it is there,
# and the project's own runs have it, so the bundle does too.
bundled=(libtbb.so.12 libtbbmalloc.so.2 libstdc++.so.6 libgcc_s.so.1)
declare -A source_of=()
for soname in "${bundled[@]}"; do
  path=$("$cxx" -print-file-name="$soname")
  [[ "$path" == /* && -e "$path" ]] || {
    echo "bundle.sh: $cxx cannot find $soname" >&2
    exit 1
  }
  source_of[$soname]=$(readlink -f "$path")
  cp "${source_of[$soname]}" "$bundle/lib/$soname"
  chmod 644 "$bundle/lib/$soname"
done

# --- Check: nothing but glibc and the bundled libraries -------------------------
glibc_sonames=' libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 ld-linux-x86-64.so.2 ld-linux-aarch64.so.1 '
glibc_min=0
for elf in "$bundle"/bin/* "$bundle"/lib/*; do
  machine=$(readelf -h "$elf" | sed -n 's/^ *Machine: *//p')
  [[ "$machine" == "$readelf_machine" ]] || {
    echo "bundle.sh: $elf is for '$machine', not $arch" >&2
    exit 1
  }
  while read -r needed; do
    [[ "$glibc_sonames" == *" $needed "* || -e "$bundle/lib/$needed" ]] || {
      echo "bundle.sh: $(basename "$elf") needs $needed, which is neither glibc nor bundled" >&2
      exit 1
    }
  done < <(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
  # The newest glibc symbol version any file asks for is the glibc the bundle needs.
  newest=$(objdump -T "$elf" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  glibc_min=$(printf '%s\n%s\n' "$glibc_min" "${newest:-0}" | sort -V | tail -n 1)
done
for program in "$bundle"/bin/*; do
  rpath=$(readelf -d "$program" | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')
  # shellcheck disable=SC2016  # $ORIGIN is the loader's, literally
  [[ "$rpath" == '$ORIGIN/../lib' ]] || {
    echo "bundle.sh: $(basename "$program") has RPATH '$rpath', not \$ORIGIN/../lib" >&2
    exit 1
  }
done

# --- Licences -------------------------------------------------------------------
# The Debian package that installed a file (dpkg knows a file by the path its
# package put it at: /lib/... or /usr/lib/... on a merged-/usr system).
owner_package() {
  local candidate package
  for candidate in "$1" "/lib/${1#/usr/lib/}"; do
    package=$(dpkg-query -S "$candidate" 2>/dev/null | head -n 1 | sed 's/: .*//; s/,.*//')
    [[ -n "$package" ]] && { echo "$package"; return 0; }
  done
  return 1
}
package_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null | head -n 1; }
library_lines=()
{
  echo "Licences of what this bundle holds."
  echo
  echo "bin/simdnorm_sweep, bin/simdnorm_accuracy, run.sh, scripts/, share/: simdnorm."
} >"$bundle/licenses/README"
licence=
for candidate in LICENSE LICENSE.md LICENSE.txt LICENCE COPYING; do
  [[ -f "$candidate" ]] && { licence=$candidate; break; }
done
if [[ -n "$licence" ]]; then
  cp "$licence" "$bundle/licenses/simdnorm-$(basename "$licence")"
  echo "  Licence: licenses/simdnorm-$(basename "$licence")" >>"$bundle/licenses/README"
else
  echo "bundle.sh: warning: the repository has no LICENSE file; the bundle says so" >&2
  echo "  The repository had no licence file at commit $commit." >>"$bundle/licenses/README"
fi
for soname in "${bundled[@]}"; do
  package=$(owner_package "${source_of[$soname]}") || {
    echo "bundle.sh: no Debian package owns ${source_of[$soname]}" >&2
    exit 1
  }
  doc_package=${package%%:*}
  copyright=/usr/share/doc/$doc_package/copyright
  [[ -f "$copyright" ]] || { echo "bundle.sh: $copyright is missing" >&2; exit 1; }
  cp "$copyright" "$bundle/licenses/$doc_package.copyright"
  library_lines+=("lib/$soname: $(basename "${source_of[$soname]}") from Debian $package $(package_version "$package")")
  echo "lib/$soname: Debian package $package, licenses/$doc_package.copyright" >>"$bundle/licenses/README"
done
{
  echo "  oneTBB (libtbb, libtbbmalloc): Apache-2.0."
  echo "  libstdc++, libgcc_s: GPL-3.0 with the GCC Runtime Library Exception 3.1, which allows"
  echo "  them to be redistributed with a program compiled by GCC."
  echo "glibc is not bundled (the target's own is used)."
} >>"$bundle/licenses/README"

# --- BUILD-INFO: key=value, read by run.sh -------------------------------------
compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build_dir/CMakeCache.txt")
{
  echo "name=$name"
  echo "version=$version"
  echo "commit=$commit"
  echo "describe=$describe"
  echo "uncommitted_changes=${changed:-none}"
  echo "arch=$arch"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo "compiler=$("${compiler:-$cxx}" --version | head -n 1)"
  echo "build=CMake Release, SIMDNORM_BENCH_PEERS=OFF, shared C++ runtime and oneTBB in lib/ (DT_RPATH \$ORIGIN/../lib)"
  echo "glibc_min=$glibc_min"
  for line in "${library_lines[@]}"; do echo "library=$line"; done
  echo "peers=not bundled: oneDNN and libtorch are left out for their size and licences; their rows report as skipped"
} >"$bundle/BUILD-INFO"

# --- Archive: sorted names, fixed owner and mtime, so a rebuild of the same
# commit and compiler gives the same bytes. ---------------------------------------
mtime=$(git log -1 --format=%ct 2>/dev/null || date +%s)
mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
  -C "$stage" -cf - "$name" | gzip -n -9 >"$out"

size=$(du -k "$out" | cut -f1)
unpacked=$(du -sk "$bundle" | cut -f1)
echo "bundle.sh: glibc >= $glibc_min; libraries: ${bundled[*]}" >&2
echo "bundle.sh: built in $((SECONDS - start)) s" >&2
echo "$out ($size KiB; $unpacked KiB unpacked)"
