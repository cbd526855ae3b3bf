# End-to-end tests of digit-predict (the real binary). A fixture trains two small models with
# digit-train (seconds) and writes small CSVs cut from tests/fixtures/mnist-3000.csv.gz. Cases in
# scripts/predict_e2e.cmake beside this file.
set(DIGITS_PREDICT_WORK ${CMAKE_CURRENT_BINARY_DIR}/predict-e2e)
set(DIGITS_PREDICT_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/scripts/predict_e2e.cmake)

add_test(NAME digit-predict.help COMMAND digit-predict --help)
set_tests_properties(digit-predict.help PROPERTIES
  PASS_REGULAR_EXPRESSION "--checkpoint.*--csv.*--out.*--probabilities.*--tta.*--holdout.*--holdout-seed.*--threads")

add_test(NAME digit-predict.unknown_option COMMAND digit-predict --no-such-option)
set_tests_properties(digit-predict.unknown_option PROPERTIES WILL_FAIL TRUE)

foreach(case setup submission labelled holdout ensemble bad_input)
  add_test(NAME digit-predict.${case}
    COMMAND ${CMAKE_COMMAND} -DCASE=${case} -DPREDICT=$<TARGET_FILE:digit-predict>
            -DTRAIN=$<TARGET_FILE:digit-train> -DDATA=${DIGITS_MNIST_SAMPLE}
            -DWORK=${DIGITS_PREDICT_WORK} -P ${DIGITS_PREDICT_SCRIPT})
  if(case STREQUAL "setup")
    set_tests_properties(digit-predict.setup PROPERTIES FIXTURES_SETUP digit_predict TIMEOUT 300)
  else()
    set_tests_properties(digit-predict.${case} PROPERTIES FIXTURES_REQUIRED digit_predict TIMEOUT 120)
  endif()
endforeach()
