# Shared by the consumer test scripts (run with cmake -P): run a command and
# stop the test with its output when it fails.

function(consumer_run)
  string(REPLACE ";" " " printed "${ARGN}")
  message(STATUS "run: ${printed}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${printed}")
  endif()
endfunction()

# The executable NAME built in BINARY_DIR, for single- and multi-config
# generators alike.
function(consumer_find_executable out binary_dir name config)
  foreach(candidate ${binary_dir}/${name} ${binary_dir}/${config}/${name})
    if(EXISTS ${candidate})
      set(${out} ${candidate} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "${name} was not built in ${binary_dir}")
endfunction()

foreach(required ${CONSUMER_REQUIRED})
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "pass -D${required}=... before -P")
  endif()
endforeach()
