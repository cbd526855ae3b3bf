# End-to-end tests of digit-train (the real binary); the resume case in scripts/train_resume.cmake
# beside this file.

add_test(NAME digit-train.help COMMAND digit-train --help)
set_tests_properties(digit-train.help PROPERTIES
  PASS_REGULAR_EXPRESSION "--resume.*--fine-tune.*--threads")

add_test(NAME digit-train.resume_equals_uninterrupted
  COMMAND ${CMAKE_COMMAND} -DTRAIN=$<TARGET_FILE:digit-train> -DDATA=${DIGITS_MNIST_SAMPLE}
          -DWORK=${CMAKE_CURRENT_BINARY_DIR}/train-resume
          -P ${CMAKE_CURRENT_LIST_DIR}/scripts/train_resume.cmake)
set_tests_properties(digit-train.resume_equals_uninterrupted PROPERTIES TIMEOUT 300)

add_test(NAME digit-train.unknown_option COMMAND digit-train --no-such-option)
set_tests_properties(digit-train.unknown_option PROPERTIES WILL_FAIL TRUE)

# bench/time-to-accuracy times digit-train's epoch lines and names the first that reached the
# target (0.05: any network reaches it, so the line must name epoch 1). Its folder is emptied
# first, so a second run of the suite does not meet the first one's checkpoints.
set(DIGITS_TTA_DIR ${CMAKE_CURRENT_BINARY_DIR}/time-to-accuracy)
add_test(NAME bench.time_to_accuracy.clean COMMAND ${CMAKE_COMMAND} -E rm -rf ${DIGITS_TTA_DIR})
set_tests_properties(bench.time_to_accuracy.clean PROPERTIES FIXTURES_SETUP time_to_accuracy)
add_test(NAME bench.time_to_accuracy
  COMMAND ${PROJECT_SOURCE_DIR}/bench/time-to-accuracy --train $<TARGET_FILE:digit-train>
          --target 0.05 -- --data ${DIGITS_MNIST_SAMPLE} --limit 300 --epochs 1 --width 4
          --threads 1 --quiet --checkpoint-dir ${DIGITS_TTA_DIR})
set_tests_properties(bench.time_to_accuracy PROPERTIES FIXTURES_REQUIRED time_to_accuracy
  PASS_REGULAR_EXPRESSION "[0-9.]+ s  epoch=1 .*val_acc >= 0.05: [0-9.]+ s \\(epoch=1, val_acc=")
