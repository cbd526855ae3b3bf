# Run by digits-tests' POST_BUILD step (tests/CMakeLists.txt): lists the runner's GoogleTest
# suites and writes one CTest test per suite to CTEST_FILE. Each test runs its suite in one
# process and writes JUnit XML to RESULTS_DIR/SUITE.xml (what CI reads to see which tests skipped).
# A suite's COST is its number of tests, so that a first run (no timings yet) starts the long
# suites first instead of ending on one.
#   cmake -D TEST_EXECUTABLE=... -D CTEST_FILE=... -D RESULTS_DIR=... -D TIMEOUT=... -P this
execute_process(COMMAND ${TEST_EXECUTABLE} --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE listed TIMEOUT 60)
if(NOT listed EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${listed}):\n${listing}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # A suite's line starts in the first column and ends its name with '.'; its tests are indented.
  if(line MATCHES "^([^ #][^ ]*)\\.")
    set(suite ${CMAKE_MATCH_1})
    list(APPEND suites ${suite})
    set(tests_of_${suite} 0)
  elseif(line MATCHES "^  [^ ]" AND DEFINED suite)
    math(EXPR tests_of_${suite} "${tests_of_${suite}} + 1")
  endif()
endforeach()
if(NOT suites)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test suite:\n${listing}")
endif()
set(script "# Written by tests/support/gtest_suites.cmake; one CTest test per GoogleTest suite.\n")
foreach(suite IN LISTS suites)
  string(REGEX REPLACE "[^A-Za-z0-9_]" "_" file "${suite}")
  string(APPEND script
    "add_test([==[${suite}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${suite}.*]==] "
    "[==[--gtest_output=xml:${RESULTS_DIR}/${file}.xml]==])\n"
    "set_tests_properties([==[${suite}]==] PROPERTIES TIMEOUT ${TIMEOUT} COST ${tests_of_${suite}})\n")
endforeach()
file(WRITE ${CTEST_FILE} "${script}")
