# End-to-end checks of digit-predict, one CASE per CTest test:
#   setup       trains models a (--seed 2) and b (--seed 3 --split-seed 2) on the first 1000 rows
#               of DATA (about 2 s each) and cuts labelled.csv / test.csv (300 unseen rows) and
#               bad.csv from it
#   submission  test format: ImageId,Label header, one row per input row, ImageId from 1
#   labelled    train format: accuracy line, class table, aligned confusion matrix, --out
#   holdout     --holdout scores exactly the rows digit-train validated on (same accuracy)
#   ensemble    two checkpoints: each member's accuracy and the ensemble's; --probabilities
#   bad_input   bad files and checkpoints: a message naming the file, exit code 2
# Run with: cmake -DCASE=c -DPREDICT=digit-predict -DTRAIN=digit-train -DDATA=mnist-3000.csv.gz
#                 -DWORK=dir -P predict_e2e.cmake
cmake_minimum_required(VERSION 3.18)  # IN_LIST, list(POP_FRONT)
set(LIMIT 1000)
set(UNSEEN_FIRST 2001)  # line number (after the header) of the first row no model saw
set(UNSEEN_ROWS 300)

# Runs digit-predict with ARGN; sets rc, out and err in the caller. One thread everywhere: CTest
# runs tests side by side, and two OpenMP threads on busy cores ran 20x slower than one.
macro(predict)
  execute_process(COMMAND ${PREDICT} --threads 1 ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endmacro()

macro(expect_ok what)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: digit-predict exited ${rc}\n${out}\n${err}")
  endif()
endmacro()

# Lines of a text file as a list (the rows here hold no semicolons).
function(read_lines var path)
  file(STRINGS ${path} lines)
  set(${var} "${lines}" PARENT_SCOPE)
endfunction()

# Checks `path` is a submission: header, then `rows` lines "ImageId,Label" with a digit label.
# With FROM_ONE, ImageIds are 1..rows; otherwise ascending.
function(check_submission path rows)
  read_lines(lines ${path})
  list(LENGTH lines n)
  math(EXPR expected "${rows} + 1")
  if(NOT n EQUAL expected)
    message(FATAL_ERROR "${path}: ${n} lines, expected the header and ${rows} rows")
  endif()
  list(GET lines 0 header)
  if(NOT header STREQUAL "ImageId,Label")
    message(FATAL_ERROR "${path}: header '${header}', expected 'ImageId,Label'")
  endif()
  list(REMOVE_AT lines 0)
  set(previous 0)
  set(i 0)
  foreach(line ${lines})
    math(EXPR i "${i} + 1")
    if(NOT line MATCHES "^([0-9]+),([0-9])$")
      message(FATAL_ERROR "${path}: row ${i} is '${line}', expected ImageId,Label")
    endif()
    if("FROM_ONE" IN_LIST ARGN AND NOT CMAKE_MATCH_1 EQUAL i)
      message(FATAL_ERROR "${path}: row ${i} has ImageId ${CMAKE_MATCH_1}, expected ${i}")
    endif()
    if(NOT CMAKE_MATCH_1 GREATER previous)
      message(FATAL_ERROR "${path}: ImageId ${CMAKE_MATCH_1} after ${previous}")
    endif()
    set(previous ${CMAKE_MATCH_1})
  endforeach()
endfunction()

# Parses "accuracy=F correct=C total=T" from `text` into acc, correct and total.
macro(parse_accuracy text)
  if(NOT "${text}" MATCHES "(^|\n)accuracy=([0-9.]+) correct=([0-9]+) total=([0-9]+)\n")
    message(FATAL_ERROR "no accuracy line in:\n${text}")
  endif()
  set(acc ${CMAKE_MATCH_2})
  set(correct ${CMAKE_MATCH_3})
  set(total ${CMAKE_MATCH_4})
endmacro()

if(CASE STREQUAL "setup")
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK})
  foreach(model "a;--seed;2" "b;--seed;3;--split-seed;2")
    list(POP_FRONT model name)
    execute_process(COMMAND ${TRAIN} --data ${DATA} --limit ${LIMIT} --epochs 3 --batch-size 32
                            --width 8 --lr 0.01 --no-augment --threads 1 --quiet
                            --checkpoint-dir ${WORK}/${name} ${model}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "digit-train for model ${name} exited ${rc}\n${out}\n${err}")
    endif()
  endforeach()

  find_program(GZIP gzip REQUIRED)
  execute_process(COMMAND ${GZIP} -dc ${DATA} OUTPUT_FILE ${WORK}/all.csv RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot unpack ${DATA}")
  endif()
  math(EXPR count "${UNSEEN_FIRST} + ${UNSEEN_ROWS}")
  file(STRINGS ${WORK}/all.csv lines LIMIT_COUNT ${count})
  file(REMOVE ${WORK}/all.csv)
  list(GET lines 0 header)
  list(SUBLIST lines ${UNSEEN_FIRST} ${UNSEEN_ROWS} rows)
  string(REPLACE ";" "\n" body "${rows}")
  file(WRITE ${WORK}/labelled.csv "${header}\n${body}\n")
  # Test format: the same rows without their label ("D," in front; string(REGEX REPLACE) would
  # match "^" again after each replacement, so cut by position).
  string(REPLACE "label," "" test_header "${header}")
  file(WRITE ${WORK}/test.csv "${test_header}\r\n")  # CRLF on the header only: accepted
  foreach(row ${rows})
    string(SUBSTRING "${row}" 2 -1 pixels)
    file(APPEND ${WORK}/test.csv "${pixels}\n")
  endforeach()
  # bad.csv: pixel0 of its 2nd row (line 3) is 300.
  list(GET rows 0 row1)
  list(GET rows 1 row2)
  string(FIND "${row2}" "," after_label)
  math(EXPR after_label "${after_label} + 1")
  string(SUBSTRING "${row2}" ${after_label} -1 rest)
  string(FIND "${rest}" "," after_pixel0)
  string(SUBSTRING "${rest}" ${after_pixel0} -1 rest)
  string(SUBSTRING "${row2}" 0 ${after_label} label)
  file(WRITE ${WORK}/bad.csv "${header}\n${row1}\n${label}300${rest}\n")

elseif(CASE STREQUAL "submission")
  predict(--checkpoint ${WORK}/a/last.pt --csv ${WORK}/test.csv --out ${WORK}/sub.csv)
  expect_ok("test format with --out")
  check_submission(${WORK}/sub.csv ${UNSEEN_ROWS} FROM_ONE)
  if(out MATCHES "accuracy=")
    message(FATAL_ERROR "test-format input has no labels, yet an accuracy was printed:\n${out}")
  endif()
  # Without --checkpoint: ./checkpoints/best.pt (a clear error when there is none); without
  # --out: ./submission.csv.
  file(REMOVE_RECURSE ${WORK}/cwd)
  file(MAKE_DIRECTORY ${WORK}/cwd)
  set(defaults COMMAND ${PREDICT} --csv ${WORK}/test.csv --tta --threads 1
      WORKING_DIRECTORY ${WORK}/cwd RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  execute_process(${defaults})
  if(NOT rc EQUAL 2 OR NOT err MATCHES "no checkpoint")
    message(FATAL_ERROR "no checkpoint anywhere: exit ${rc}, expected 2 and a message:\n${err}")
  endif()
  file(COPY ${WORK}/a/last.pt DESTINATION ${WORK}/cwd/checkpoints)
  file(RENAME ${WORK}/cwd/checkpoints/last.pt ${WORK}/cwd/checkpoints/best.pt)
  execute_process(${defaults})
  expect_ok("test format without --checkpoint and --out")
  if(NOT err MATCHES "checkpoints/best.pt: bncnn")
    message(FATAL_ERROR "checkpoints/best.pt was not used:\n${err}")
  endif()
  check_submission(${WORK}/cwd/submission.csv ${UNSEEN_ROWS} FROM_ONE)

elseif(CASE STREQUAL "labelled")
  predict(--checkpoint ${WORK}/a/last.pt --csv ${WORK}/labelled.csv --out ${WORK}/labelled-out.csv)
  expect_ok("labelled file")
  parse_accuracy("${out}")
  if(NOT total EQUAL UNSEEN_ROWS)
    message(FATAL_ERROR "scored ${total} rows, expected ${UNSEEN_ROWS}:\n${out}")
  endif()
  math(EXPR percent "100 * ${correct} / ${total}")
  if(percent LESS 50)  # chance is 10%
    message(FATAL_ERROR "only ${percent}% right on unseen digits:\n${out}")
  endif()
  string(REPEAT " +[0-9] +[0-9.-]+ +[0-9.-]+ +[0-9]+\n" 10 class_rows)  # no {10} in CMake
  if(NOT out MATCHES "digit +precision +recall +support\n${class_rows}")
    message(FATAL_ERROR "no per-class precision and recall table:\n${out}")
  endif()
  # The confusion matrix: header of digits 0..9, then ten rows of equal length whose counts add
  # up to the rows scored and whose diagonal is the number right.
  if(NOT out MATCHES "confusion matrix[^\n]*\n(true +0 +1 +2 +3 +4 +5 +6 +7 +8 +9)\n(.*)$")
    message(FATAL_ERROR "no confusion matrix:\n${out}")
  endif()
  string(LENGTH "${CMAKE_MATCH_1}" width)
  string(REGEX REPLACE "\n$" "" table "${CMAKE_MATCH_2}")
  string(REPLACE "\n" ";" table "${table}")
  list(LENGTH table n)
  if(NOT n EQUAL 10)
    message(FATAL_ERROR "confusion matrix has ${n} rows, expected 10:\n${out}")
  endif()
  set(sum 0)
  set(diagonal 0)
  set(t 0)
  foreach(row ${table})
    string(LENGTH "${row}" w)
    if(NOT w EQUAL width)
      message(FATAL_ERROR "confusion matrix row '${row}' is not aligned with its header")
    endif()
    string(REGEX MATCHALL "[0-9]+" cells "${row}")
    list(POP_FRONT cells label)
    if(NOT label EQUAL t)
      message(FATAL_ERROR "row ${t} is labelled ${label}")
    endif()
    set(p 0)
    foreach(c ${cells})
      math(EXPR sum "${sum} + ${c}")
      if(p EQUAL t)
        math(EXPR diagonal "${diagonal} + ${c}")
      endif()
      math(EXPR p "${p} + 1")
    endforeach()
    math(EXPR t "${t} + 1")
  endforeach()
  if(NOT sum EQUAL total OR NOT diagonal EQUAL correct)
    message(FATAL_ERROR "confusion matrix adds up to ${sum} with ${diagonal} right; "
                        "the accuracy line says ${total} and ${correct}:\n${out}")
  endif()
  check_submission(${WORK}/labelled-out.csv ${UNSEEN_ROWS} FROM_ONE)

elseif(CASE STREQUAL "holdout")
  # digit-predict --holdout scores the rows digit-train held out: same accuracy as it logged.
  predict(--checkpoint ${WORK}/a/last.pt --csv ${DATA} --holdout --out ${WORK}/holdout-out.csv)
  expect_ok("--holdout")
  parse_accuracy("${out}")
  if(NOT err MATCHES "val_acc ([01])\\.([0-9][0-9][0-9][0-9])")
    message(FATAL_ERROR "the checkpoint's val_acc is not shown:\n${err}")
  endif()
  math(EXPR logged "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")  # val_acc x 10,000
  math(EXPR expected "(${logged} * ${total} + 5000) / 10000")
  if(NOT correct EQUAL expected)
    message(FATAL_ERROR "--holdout got ${correct} of ${total} right; digit-train's val_acc "
                        "0.${CMAKE_MATCH_2} means ${expected}: not the same rows?\n${out}\n${err}")
  endif()
  check_submission(${WORK}/holdout-out.csv ${total})
  set(holdout_line "${out}")
  # The same split chosen by hand: --holdout-seed 2 --limit 1000 (the run's --seed and --limit).
  predict(--checkpoint ${WORK}/a/last.pt --csv ${DATA} --holdout-seed 2 --val-fraction 0.1
          --limit ${LIMIT})
  expect_ok("--holdout-seed")
  if(NOT out STREQUAL holdout_line)
    message(FATAL_ERROR "--holdout-seed 2 differs from --holdout:\n${out}\nvs\n${holdout_line}")
  endif()
  # Other data than the run's: its held-out rows are unknown there.
  predict(--checkpoint ${WORK}/a/last.pt --csv ${WORK}/labelled.csv --holdout)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "trained on other data")
    message(FATAL_ERROR "--holdout on other data: exit ${rc}, expected 2 and a message:\n${err}")
  endif()

elseif(CASE STREQUAL "ensemble")
  predict(--checkpoint ${WORK}/a/last.pt --checkpoint ${WORK}/b/last.pt --csv ${DATA} --holdout)
  expect_ok("ensemble --holdout")
  parse_accuracy("${out}")
  foreach(member a b)
    if(NOT out MATCHES "member=[^\n]*/${member}/last.pt accuracy=[0-9.]+ correct=[0-9]+ total=${total}\n")
      message(FATAL_ERROR "no accuracy line for member ${member}:\n${out}")
    endif()
  endforeach()
  predict(--checkpoint ${WORK}/a/last.pt --checkpoint ${WORK}/b/last.pt --csv ${WORK}/test.csv
          --tta --out ${WORK}/ensemble-sub.csv --probabilities ${WORK}/ensemble-probs.csv)
  expect_ok("ensemble submission")
  check_submission(${WORK}/ensemble-sub.csv ${UNSEEN_ROWS} FROM_ONE)
  # --probabilities: the submission's rows, each followed by ten probabilities.
  read_lines(sub_lines ${WORK}/ensemble-sub.csv)
  read_lines(prob_lines ${WORK}/ensemble-probs.csv)
  list(LENGTH prob_lines n)
  math(EXPR expected "${UNSEEN_ROWS} + 1")
  list(POP_FRONT prob_lines header)
  list(POP_FRONT sub_lines)
  if(NOT n EQUAL expected OR NOT header STREQUAL "ImageId,Label,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9")
    message(FATAL_ERROR "ensemble-probs.csv: ${n} lines, header '${header}'")
  endif()
  string(REPEAT ",[01]\\.[0-9][0-9][0-9][0-9][0-9][0-9]" 10 ten)  # CMake regexes lack {n}
  foreach(sub_line prob_line IN ZIP_LISTS sub_lines prob_lines)
    if(NOT prob_line MATCHES "^${sub_line}${ten}$")
      message(FATAL_ERROR "ensemble-probs.csv row '${prob_line}' does not match the submission's '${sub_line}'")
    endif()
  endforeach()

elseif(CASE STREQUAL "bad_input")
  file(WRITE ${WORK}/garbage.pt "not a checkpoint at all")
  file(REMOVE_RECURSE ${WORK}/a-directory)
  file(MAKE_DIRECTORY ${WORK}/a-directory)
  # Each case: the arguments separated by commas, "|", a regular expression the message must match.
  set(cases
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/bad.csv|bad.csv:3"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/missing.csv|missing.csv"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/a-directory|a-directory"
    "--checkpoint,${WORK}/garbage.pt,--csv,${WORK}/test.csv|garbage.pt"
    "--checkpoint,${WORK}/missing.pt,--csv,${WORK}/test.csv|missing.pt"
    "--checkpoint,${WORK}/a/last.pt,--checkpoint,${WORK}/garbage.pt,--csv,${WORK}/test.csv|garbage.pt"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/test.csv,--holdout|test format"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/test.csv,--holdout-seed,1|test format"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/test.csv,--holdout,--limit,5|excludes"
    "--checkpoint,${WORK}/a/last.pt|--data is required"
    "--checkpoint,${WORK}/a/last.pt,--csv,${WORK}/test.csv,--batch-size|batch-size")
  foreach(c ${cases})
    string(REPLACE "|" ";" c "${c}")
    list(POP_BACK c pattern)
    string(REPLACE "," ";" c "${c}")
    predict(${c})
    if(NOT rc EQUAL 2)
      message(FATAL_ERROR "digit-predict ${c}: exit ${rc}, expected 2\n${err}")
    endif()
    if(NOT err MATCHES "${pattern}")
      message(FATAL_ERROR "digit-predict ${c}: the message does not name '${pattern}':\n${err}")
    endif()
    if(err MATCHES "terminate called|Segmentation|Aborted|what\\(\\)")
      message(FATAL_ERROR "digit-predict ${c} crashed:\n${err}")
    endif()
  endforeach()
  # A failed write of --out: a system error (exit 1), the message names the path.
  predict(--checkpoint ${WORK}/a/last.pt --csv ${WORK}/test.csv --out ${WORK}/no-such-dir/s.csv)
  if(NOT rc EQUAL 1 OR NOT err MATCHES "no-such-dir/s.csv")
    message(FATAL_ERROR "--out into a missing folder: exit ${rc}, expected 1 and its path:\n${err}")
  endif()
else()
  message(FATAL_ERROR "unknown CASE '${CASE}'")
endif()
