# End-to-end tests of digit-draw (the real app) under SDL's dummy video driver: no screen needed.
# A fixture traces real labelled digits from tests/fixtures/mnist-3000.csv.gz into replay scripts
# (centre lines drawn with the app's brush, at random sizes, places and slants: digit-draw-trace,
# tests/tools/trace_digits.cpp) and trains a small model with digit-train (rows the traced digits
# are not from). Cases in scripts/draw_e2e.cmake beside this file.
if(NOT TARGET digit-draw)
  return()
endif()

add_executable(digit-draw-trace ${DIGITS_TESTS_DIR}/tools/trace_digits.cpp)
target_link_libraries(digit-draw-trace PRIVATE digits digits_warnings)
digits_use_library_pch(digit-draw-trace)
target_compile_options(digit-draw-trace PRIVATE $<$<CONFIG:Release>:-O1>)  # as digits-tests
add_dependencies(digits-tests-all digit-draw-trace)

set(DIGITS_DRAW_WORK ${CMAKE_CURRENT_BINARY_DIR}/draw-e2e)
set(DIGITS_DRAW_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scripts/draw_e2e.cmake)

add_test(NAME digit-draw.help COMMAND digit-draw --help)
set_tests_properties(digit-draw.help PROPERTIES
  PASS_REGULAR_EXPRESSION "--checkpoint.*--replay.*--print-prediction.*--screenshot.*--exit-after-replay")

add_test(NAME digit-draw.unknown_option COMMAND digit-draw --no-such-option)
set_tests_properties(digit-draw.unknown_option PROPERTIES WILL_FAIL TRUE)

foreach(case setup traced_pretrained traced_trained single number styles screenshot edit teach
             watch_and_drop bad_input)
  add_test(NAME digit-draw.${case}
    COMMAND ${CMAKE_COMMAND} -DCASE=${case} -DDRAW=$<TARGET_FILE:digit-draw>
            -DTRACE=$<TARGET_FILE:digit-draw-trace> -DTRAIN=$<TARGET_FILE:digit-train>
            -DPREDICT=$<TARGET_FILE:digit-predict>
            -DDATA=${DIGITS_MNIST_SAMPLE}
            -DPRETRAINED=${PROJECT_SOURCE_DIR}/checkpoints/pretrained.pt
            -DWORK=${DIGITS_DRAW_WORK} -P ${DIGITS_DRAW_SCRIPT})
  set_tests_properties(digit-draw.${case} PROPERTIES ENVIRONMENT "SDL_VIDEODRIVER=dummy"
                       SKIP_REGULAR_EXPRESSION "SKIPPED:")
  if(case STREQUAL "setup")
    set_tests_properties(digit-draw.setup PROPERTIES FIXTURES_SETUP digit_draw TIMEOUT 300)
  else()
    set_tests_properties(digit-draw.${case} PROPERTIES FIXTURES_REQUIRED digit_draw TIMEOUT 300)
  endif()
endforeach()
