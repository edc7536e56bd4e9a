# Compiles every library source for AArch64 with Debian's cross compiler, so
# that the NEON64 kernels and the AArch64 branches of dispatch keep building
# on an x86-64 CI machine that cannot run them. GENERATED_DIR holds the
# AArch64 instruction set list and kernel units (tests/CMakeLists.txt).
#   cmake -DCXX=... -DSOURCE_DIR=... -DBINARY_DIR=... -DGENERATED_DIR=... -DSOURCES="a;b" -P aarch64_compile_check.cmake
foreach(source ${SOURCES})
  execute_process(
    COMMAND ${CXX} -std=gnu++17 -O2 -Wall -Wextra -Werror -DSIMDNORM_STATIC_DEFINE
            -I${SOURCE_DIR}/include -I${SOURCE_DIR}/lib -I${GENERATED_DIR} -I${BINARY_DIR}/include
            -c ${source} -o ${BINARY_DIR}/aarch64_check.o
    RESULT_VARIABLE status
    ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "aarch64 build of ${source} failed:\n${errors}")
  endif()
  message(STATUS "aarch64: ${source} ok")
endforeach()
