# Configures one consumer project in a fresh build directory against an
# installed simdnorm (found only through CMAKE_PREFIX_PATH), builds it and runs
# its executable.
#   cmake -DPROJECT_DIR=... -DBUILD_DIR=... -DPREFIX=... -DEXECUTABLE=... -DCONFIG=...
#         -DGENERATOR=... -DMAKE_PROGRAM=... -DC_COMPILER=... -DCXX_COMPILER=...
#         -P build_and_run.cmake
set(CONSUMER_REQUIRED PROJECT_DIR BUILD_DIR PREFIX EXECUTABLE CONFIG GENERATOR MAKE_PROGRAM
                      C_COMPILER CXX_COMPILER)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

file(REMOVE_RECURSE ${BUILD_DIR})
consumer_run(${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${BUILD_DIR} -G ${GENERATOR}
             -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM} -DCMAKE_BUILD_TYPE=${CONFIG}
             -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
             -DCMAKE_PREFIX_PATH=${PREFIX}
             # Only the prefix under test may satisfy find_package(simdnorm).
             -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
consumer_run(${CMAKE_COMMAND} --build ${BUILD_DIR} --config ${CONFIG})
consumer_find_executable(program ${BUILD_DIR} ${EXECUTABLE} ${CONFIG})
consumer_run(${program})
