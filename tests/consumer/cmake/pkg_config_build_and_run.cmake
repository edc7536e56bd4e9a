# Compiles the C consumer by hand with the flags pkg-config gives for an
# installed simdnorm, as a Makefile-based project would, then runs it.
# The installed simdnorm.pc names the prefix chosen at configure time, so the
# test relocates it with --define-variable=prefix.
#   cmake -DSOURCE=... -DBUILD_DIR=... -DPREFIX=... -DLIBDIR=... -DC_COMPILER=...
#         -DPKG_CONFIG=... -DSTATIC=ON|OFF -DVERSION=... -P pkg_config_build_and_run.cmake
set(CONSUMER_REQUIRED SOURCE BUILD_DIR PREFIX LIBDIR C_COMPILER PKG_CONFIG STATIC VERSION)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(ENV{PKG_CONFIG_PATH} ${PREFIX}/${LIBDIR}/pkgconfig)
set(pkg_config ${PKG_CONFIG} --define-variable=prefix=${PREFIX})
if(STATIC)
  # A static libsimdnorm brings its private dependencies (the C++ runtime).
  list(APPEND pkg_config --static)
endif()

execute_process(COMMAND ${pkg_config} --modversion simdnorm RESULT_VARIABLE result
                OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT result EQUAL 0 OR NOT version STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config --modversion simdnorm gave '${version}' (${result}), "
                      "expected ${VERSION}; PKG_CONFIG_PATH=$ENV{PKG_CONFIG_PATH}")
endif()
execute_process(COMMAND ${pkg_config} --cflags --libs simdnorm RESULT_VARIABLE result
                OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "pkg-config --cflags --libs simdnorm failed (${result})")
endif()
message(STATUS "pkg-config flags: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")

file(REMOVE_RECURSE ${BUILD_DIR})
file(MAKE_DIRECTORY ${BUILD_DIR})
set(program ${BUILD_DIR}/simdnorm_consumer_c_pkg_config)
consumer_run(${C_COMPILER} -std=c11 -Wall -Wextra -Wpedantic -Werror ${SOURCE} ${flags} -lm
             -o ${program})
# A shared libsimdnorm is found at run time through the prefix.
consumer_run(${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${PREFIX}/${LIBDIR} ${program})
