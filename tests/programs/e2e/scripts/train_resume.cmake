# End-to-end: `digit-train --epochs 2` in one go, and the same command with `--stop-after 1`
# followed by `--resume DIR/last.pt`, print the same 2nd-epoch val_loss and val_acc.
# Run with: cmake -DTRAIN=path/to/digit-train -DDATA=file.csv.gz -DWORK=dir -P train_resume.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(common --data ${DATA} --limit 400 --epochs 2 --batch-size 32 --width 8 --seed 5 --threads 1 --quiet)

function(train out_var dir)
  execute_process(COMMAND ${TRAIN} ${common} --checkpoint-dir ${WORK}/${dir} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "digit-train ${ARGN} exited ${rc}\n${out}\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
  set(${out_var}_err "${err}" PARENT_SCOPE)
endfunction()

function(epoch2 out_var text)
  if(NOT text MATCHES "epoch=2 [^\n]*(val_loss=[0-9.]+ val_acc=[0-9.]+)")
    message(FATAL_ERROR "no epoch=2 line in:\n${text}")
  endif()
  set(${out_var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

train(whole whole)
train(part1 split --stop-after 1)
if(part1 MATCHES "epoch=2")
  message(FATAL_ERROR "--stop-after 1 ran a 2nd epoch:\n${part1}")
endif()
if(NOT part1_err MATCHES "resume with: ")
  message(FATAL_ERROR "--stop-after did not say how to resume:\n${part1_err}")
endif()
# Resume without --checkpoint-dir: the run must go on in the checkpoint's own folder.
execute_process(COMMAND ${TRAIN} ${common} --resume split/last.pt WORKING_DIRECTORY ${WORK}
                RESULT_VARIABLE rc OUTPUT_VARIABLE part2 ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "digit-train --resume exited ${rc}\n${part2}\n${err}")
endif()
if(EXISTS ${WORK}/checkpoints)
  message(FATAL_ERROR "--resume split/last.pt wrote into ./checkpoints instead of split/")
endif()
if(part2 MATCHES "epoch=1 ")
  message(FATAL_ERROR "the resumed run repeated epoch 1:\n${part2}")
endif()
epoch2(expected "${whole}")
epoch2(got "${part2}")
if(NOT expected STREQUAL got)
  message(FATAL_ERROR "resumed run differs: ${got} vs uninterrupted ${expected}")
endif()
message(STATUS "2nd epoch identical: ${got}")

# The metrics log of the split run has both epochs, like the uninterrupted one.
file(STRINGS ${WORK}/split/metrics.csv split_rows)
list(LENGTH split_rows n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "metrics.csv of the resumed run has ${n} lines, expected header + 2")
endif()

# Resuming with another option is refused with a clear message and exit code 2.
execute_process(COMMAND ${TRAIN} ${common} --checkpoint-dir ${WORK}/split --lr 0.1
                        --resume ${WORK}/split/last.pt
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--lr")
  message(FATAL_ERROR "resume with another --lr: exit ${rc}, expected 2 and a message naming --lr:\n${err}")
endif()
# Resuming the finished run says that every epoch is done, not "epoch 3 of 2", and trains nothing.
execute_process(COMMAND ${TRAIN} ${common} --resume ${WORK}/split/last.pt
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT err MATCHES "all 2 epochs already done" OR err MATCHES "epoch 3 of 2"
   OR out MATCHES "epoch=")
  message(FATAL_ERROR "resuming a finished run: exit ${rc}, expected 0 and 'all 2 epochs already done':\n${out}\n${err}")
endif()
file(REMOVE_RECURSE ${WORK})
