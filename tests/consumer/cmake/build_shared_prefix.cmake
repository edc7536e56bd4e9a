# Configures simdnorm as a shared library (no tests, no benchmarks), builds it
# and installs it into a fresh prefix: the default build is static, so this
# is what checks the export macros and the installed shared package.
#   cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DPREFIX=... -DCONFIG=... -DGENERATOR=...
#         -DMAKE_PROGRAM=... -DC_COMPILER=... -DCXX_COMPILER=... -P build_shared_prefix.cmake
set(CONSUMER_REQUIRED SOURCE_DIR BUILD_DIR PREFIX CONFIG GENERATOR MAKE_PROGRAM C_COMPILER
                      CXX_COMPILER)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
file(REMOVE_RECURSE ${PREFIX})
# Unoptimised: this build checks exports, linkage and the installed package,
# not speed, and the optimised per-ISA kernel files took 145 s of a 2-core
# CI run here against 26 s. And one x86-64 kernel unit, not four: the
# others are the same templates under other flags, no exports among them,
# and took 30 of the 82 s this build spent compiling (omitted names of
# another architecture are ignored; an AArch64 host builds its own).
string(TOUPPER "${CONFIG}" config_upper)
consumer_run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -G ${GENERATOR}
             -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=${CONFIG}
             "-DCMAKE_CXX_FLAGS_${config_upper}=-O0 -DNDEBUG"
             -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
             -DBUILD_SHARED_LIBS=ON -DSIMDNORM_BUILD_TESTS=OFF -DSIMDNORM_BUILD_BENCHMARKS=OFF
             -DSIMDNORM_INSTALL=ON "-DSIMDNORM_OMIT_INSTRUCTION_SETS=avx2\;sse4.2\;sse2")
consumer_run(${CMAKE_COMMAND} --build ${BUILD_DIR} --config ${CONFIG} --parallel ${cores})
consumer_run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX} --config ${CONFIG})
