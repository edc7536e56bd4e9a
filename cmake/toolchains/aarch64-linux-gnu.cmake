# Cross-builds simdnorm for 64-bit Arm Linux on a Debian or Ubuntu x86-64
# machine, with Debian's cross compiler (g++-aarch64-linux-gnu) and the
# arm64 multiarch packages of the dependencies (libtbb-dev:arm64,
# libgtest-dev:arm64, libxsimd-dev:arm64), and runs what it builds under
# qemu-user. scripts/test-arm64.sh installs them and uses this file:
#
#   cmake -S . -B build/arm64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# No sysroot: Debian's cross compiler searches /usr/include and the arm64
# multiarch directories (/usr/lib/aarch64-linux-gnu) itself, and CMake,
# which takes the library architecture from the compiler, finds the arm64
# packages' CMake configs there (the amd64 ones under
# /usr/lib/x86_64-linux-gnu are not on its search path).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Programs the build runs (gtest_discover_tests' listing) and the ctest
# entries of its executables go through qemu-user. -L /: the arm64 dynamic
# loader, C library and libstdc++ are the multiarch ones under
# /lib/aarch64-linux-gnu (libc6:arm64, a dependency of libtbb12:arm64), the
# same build as the libc that /etc/ld.so.cache hands the loader. Not
# -L /usr/aarch64-linux-gnu: that prefix's loader is the cross toolchain's
# (libc6-arm64-cross, an older point release on bookworm) while the cache
# still gives it the multiarch libc.so.6, and the mismatched pair hangs the
# first pthread_create (oneTBB's first worker) in user space.
find_program(SIMDNORM_QEMU_AARCH64 qemu-aarch64)
if(SIMDNORM_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SIMDNORM_QEMU_AARCH64};-L;/")
endif()
