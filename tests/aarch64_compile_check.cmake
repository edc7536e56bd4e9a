# Compiles every library source for AArch64 with Debian's cross compiler, so
# that the NEON64 path (lib/arch/neon64.cpp) and the AArch64 branches of
# dispatch keep building on an x86-64 CI machine that cannot run them.
#   cmake -DCXX=... -DSOURCE_DIR=... -DBINARY_DIR=... -DSOURCES="a;b" -P aarch64_compile_check.cmake
foreach(source ${SOURCES})
  execute_process(
    COMMAND ${CXX} -std=gnu++17 -O2 -Wall -Wextra -Werror -DSIMDNORM_STATIC_DEFINE
            -I${SOURCE_DIR}/include -I${SOURCE_DIR}/lib -I${BINARY_DIR}/include
            -c ${SOURCE_DIR}/lib/${source} -o ${BINARY_DIR}/aarch64_check.o
    RESULT_VARIABLE status
    ERROR_VARIABLE errors)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "aarch64 build of lib/${source} failed:\n${errors}")
  endif()
  message(STATUS "aarch64: lib/${source} ok")
endforeach()
