#!/usr/bin/env bash
# Installs the Debian packages simdnorm needs to build and test, and nothing
# else: each package is checked with dpkg-query first, and apt-get runs only
# when one is missing. Safe to run again and again.
#
#   scripts/setup-deps.sh [--peers] [--fuzz] [--arm64] [--bundle-test]
#
# --peers also installs what the benchmarks compare against and plot with:
# oneDNN (libtorch, the other peer, is in the default list), matplotlib.
# --fuzz also installs clang with libFuzzer (scripts/fuzz.sh).
# --arm64 also installs the AArch64 cross compiler, adds the arm64
# architecture to dpkg and installs the arm64 packages the cross-built tests
# link (scripts/test-arm64.sh).
# --bundle-test also installs debootstrap, which builds the clean Debian root
# scripts/test-bundle.sh runs the bundle in.
set -euo pipefail

peers=false
fuzz=false
arm64=false
bundle_test=false
for arg in "$@"; do
  case "$arg" in
    --peers) peers=true ;;
    --fuzz) fuzz=true ;;
    --arm64) arm64=true ;;
    --bundle-test) bundle_test=true ;;
    *)
      echo "setup-deps: unknown argument '$arg' (usage: setup-deps.sh [--peers] [--fuzz] [--arm64] [--bundle-test])" >&2
      exit 2
      ;;
  esac
done

packages=(
  cmake
  ninja-build
  g++
  pkgconf
  libxsimd-dev
  libtbb-dev
  libgtest-dev
  googletest
  libbenchmark-dev
  qemu-user  # runs the x86 suite on emulated CPUs below this one (dispatch)
  # The Python package (python/) and its tests, for Debian's /usr/bin/python3:
  # pybind11 builds it, its PyTorch operators are built against libtorch-dev
  # (the headers and CMake config of the libtorch python3-torch loads), and
  # the PyTorch drop-in is checked against Debian's torch and torchvision.
  python3-dev
  pybind11-dev
  python3-numpy
  python3-pytest
  python3-torch
  python3-torchvision
  libtorch-dev
)
if [[ "$fuzz" == true ]]; then
  # clang with libFuzzer and the sanitizer runtimes (scripts/fuzz.sh).
  packages+=(clang libclang-rt-14-dev)
fi
if [[ "$arm64" == true ]]; then
  # Beside the amd64 ones (all Multi-Arch: same). xsimd is header-only, but
  # its CMake config is per architecture.
  # The cross compiler builds for it (scripts/test-arm64.sh, scripts/bundle.sh).
  packages+=(g++-aarch64-linux-gnu libtbb-dev:arm64 libgtest-dev:arm64 libxsimd-dev:arm64)
fi
if [[ "$bundle_test" == true ]]; then
  packages+=(debootstrap)
fi
if [[ "$peers" == true ]]; then
  # ocl-icd-opencl-dev is only recommended by libdnnl-dev, and apt-get below
  # skips recommends, but Debian's dnnl CMake config requires OpenCL.
  packages+=(
    libdnnl-dev
    ocl-icd-opencl-dev
    python3-matplotlib
  )
fi

# Installed for the architecture a name asks for (libtbb-dev:arm64), else
# for this machine's (or for all): where dpkg also has a foreign
# architecture (--arm64), a package of both prints one status each, and
# their concatenation matched nothing.
native_arch=$(dpkg --print-architecture 2>/dev/null || true)
is_installed() {
  local arch=$native_arch
  [[ "$1" == *:* ]] && arch=${1##*:}
  dpkg-query -W -f='${Architecture} ${Status}\n' "$1" 2>/dev/null |
    grep -Eqx "($arch|all) install ok installed"
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup-deps: dpkg-query not found; this script supports Debian and Ubuntu only." >&2
  echo "setup-deps: install by hand: ${packages[*]}" >&2
  exit 1
fi

add_arm64=false
if [[ "$arm64" == true ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  add_arm64=true
fi
missing=()
for package in "${packages[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if ((${#missing[@]} == 0)) && [[ "$add_arm64" == false ]]; then
  echo "setup-deps: all requested dependencies are installed." >&2
  exit 0
fi

echo "setup-deps: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup-deps: not root and sudo not found; install by hand: ${missing[*]}" >&2
  exit 1
fi

if [[ "$add_arm64" == true ]]; then
  echo "setup-deps: adding the arm64 architecture to dpkg" >&2
  "${as_root[@]}" dpkg --add-architecture arm64
fi
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

for package in "${missing[@]}"; do
  if ! is_installed "$package"; then
    echo "setup-deps: $package is still not installed." >&2
    exit 1
  fi
done
echo "setup-deps: done." >&2
