# Run by digits-tests' POST_BUILD step (tests/CMakeLists.txt): lists the runner's GoogleTest tests
# and writes one CTest test per test file to CTEST_FILE, named after what the file tests
# (tests/ink/inkml_test.cpp -> ink/inkml). Each runs its file's tests in one process (the runner
# takes ~1 s to start: per suite, that was ~90 s of a ~500 s run) and writes JUnit XML to
# RESULTS_DIR/AREA_NAME.xml (what CI reads to see which tests skipped).
# A file's COST is its number of tests, ten times that where it includes programs.h (its tests
# start the programs, ~1 s each), so that a first run (no timings yet) starts the long files first
# instead of ending on one.
#   cmake -D TEST_EXECUTABLE=... -D TESTS_DIR=... -D CTEST_FILE=... -D RESULTS_DIR=...
#         -D TIMEOUT=... -P this
set(listing_file ${RESULTS_DIR}/listing.json)
file(MAKE_DIRECTORY ${RESULTS_DIR})
execute_process(COMMAND ${TEST_EXECUTABLE} --gtest_list_tests --gtest_output=json:${listing_file}
                OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE listed TIMEOUT 60)
if(NOT listed EQUAL 0 OR NOT EXISTS ${listing_file})
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${listed}):\n${out}")
endif()
file(READ ${listing_file} json)
file(REMOVE ${listing_file})
# The results of an earlier build's tests describe other tests.
file(GLOB stale ${RESULTS_DIR}/*.xml)
if(stale)
  file(REMOVE ${stale})
endif()

# Which file each test is in, and which files each suite spans.
set(files "")
string(JSON suite_count LENGTH "${json}" testsuites)
if(suite_count EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} lists no test")
endif()
math(EXPR last_suite "${suite_count} - 1")
foreach(s RANGE ${last_suite})
  string(JSON suite GET "${json}" testsuites ${s} name)
  string(JSON test_count LENGTH "${json}" testsuites ${s} testsuite)
  math(EXPR last_test "${test_count} - 1")
  set(suite_files "")
  foreach(t RANGE ${last_test})
    string(JSON name GET "${json}" testsuites ${s} testsuite ${t} name)
    string(JSON path GET "${json}" testsuites ${s} testsuite ${t} file)
    file(RELATIVE_PATH rel ${TESTS_DIR} ${path})
    string(REGEX REPLACE "_test\\.cpp$" "" key "${rel}")
    string(REGEX REPLACE "[^A-Za-z0-9_]" "_" id "${key}")
    if(NOT DEFINED path_of_${id})
      list(APPEND files ${id})
      set(path_of_${id} ${path})
      set(key_of_${id} ${key})
      set(tests_of_${id} 0)
    endif()
    math(EXPR tests_of_${id} "${tests_of_${id}} + 1")
    list(APPEND names_of_${id}_in_${s} "${suite}.${name}")
    list(APPEND suite_files ${id})
  endforeach()
  list(REMOVE_DUPLICATES suite_files)
  list(LENGTH suite_files spans)
  foreach(id IN LISTS suite_files)
    if(spans EQUAL 1)  # the whole suite: Suite.*
      list(APPEND filter_of_${id} "${suite}.*")
    else()  # a suite split over files: its tests by name
      list(APPEND filter_of_${id} ${names_of_${id}_in_${s}})
    endif()
  endforeach()
endforeach()

set(script "# Written by tests/support/gtest_files.cmake; one CTest test per test file.\n")
foreach(id IN LISTS files)
  set(cost ${tests_of_${id}})
  file(READ ${path_of_${id}} source)
  if(source MATCHES "#include \"programs\\.h\"")
    math(EXPR cost "${cost} * 10")
  endif()
  list(JOIN filter_of_${id} ":" filter)
  string(APPEND script
    "add_test([==[${key_of_${id}}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${filter}]==] "
    "[==[--gtest_output=xml:${RESULTS_DIR}/${id}.xml]==])\n"
    "set_tests_properties([==[${key_of_${id}}]==] PROPERTIES TIMEOUT ${TIMEOUT} COST ${cost})\n")
endforeach()
file(WRITE ${CTEST_FILE} "${script}")
