# End-to-end checks of digit-draw under SDL_VIDEODRIVER=dummy, one CASE per CTest test:
#   setup             traces rows 2000..2099 of DATA (10 of each digit, never trained on here)
#                     into replay scripts with digit-draw-trace, and trains a small model on the
#                     first 2000 rows with digit-train (width 16, 4 epochs: well under a minute)
#   traced_pretrained the 100 traced digits with checkpoints/pretrained.pt: >= 90% read right
#   traced_trained    the same with the small model trained in setup: >= 70% read right
#   single            one traced digit per class, in one run (play_each): each read and printed
#   number            tests/fixtures/ink/number-281.replay, three pen digits side by side, and
#                     number-86878177.replay, eight across the wide canvas: read as those numbers
#                     by pretrained.pt, with --print-prediction's number line
#   styles            tests/fixtures/draw/D-*.replay, drawn by hand the way people write
#                     (European 1 and 7, slashed 0, open 4, shaky, small in a corner): read as D
#                     by pretrained.pt
#   screenshot        --screenshot as .bmp and .png: the window's size, and not blank
#   edit              undo, clear, erase, view keys and Esc do what they should to the prediction
#   teach             ctrl+7 / ctrl+1 append Kaggle train rows that digit-predict reads; an empty
#                     canvas is refused; [ and ] make the same stroke thinner and thicker
#   watch_and_drop    a checkpoint renamed over the watched file is reloaded; a dropped file loads
#   bad_input         bad scripts, keys, checkpoints and fonts: a message and exit code 2
# Run with: cmake -DCASE=c -DDRAW=digit-draw -DTRACE=digit-draw-trace -DTRAIN=digit-train
#   -DPREDICT=digit-predict -DDATA=mnist-3000.csv.gz -DPRETRAINED=pretrained.pt -DWORK=dir
#   -P draw_e2e.cmake
cmake_minimum_required(VERSION 3.18)
set(FIRST_TRACED 2000)
set(TRACED 100)
set(MODEL ${WORK}/model/best.pt)

# Runs digit-draw (one prediction thread: CTest runs tests side by side) with ARGN; sets rc, out
# and err in the caller.
macro(draw)
  execute_process(COMMAND ${DRAW} --threads 1 ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
endmacro()

# Ends the case, marked skipped, in a checkout without the shipped model (a macro: its return()
# leaves the script).
macro(skip_without_pretrained)
  if(NOT EXISTS ${PRETRAINED})
    message("SKIPPED: ${PRETRAINED} does not exist")
    return()
  endif()
endmacro()

macro(expect_ok what)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what}: digit-draw exited ${rc}\n${out}\n${err}")
  endif()
endmacro()

# Runs a replay `script` (its text) with --print-prediction and sets `digit` in the caller.
function(predict_script name text checkpoint)
  file(WRITE ${WORK}/${name}.replay "${text}")
  draw(--checkpoint ${checkpoint} --replay ${WORK}/${name}.replay --exit-after-replay
       --print-prediction)
  expect_ok(${name})
  if(NOT out MATCHES "prediction=([0-9]|none) confidence=([0-9.]+)\nnumber=([0-9]+|none) confidence=[0-9.]+ canvas=[0-9]+x[0-9]+\n$")
    message(FATAL_ERROR "${name}: expected 'prediction=D confidence=P' and 'number=... canvas=WxH' lines, got:\n${out}")
  endif()
  set(digit ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(confidence ${CMAKE_MATCH_2} PARENT_SCOPE)
endfunction()

function(expect_digit name text checkpoint expected)
  predict_script(${name} "${text}" ${checkpoint})
  if(NOT digit STREQUAL expected)
    message(FATAL_ERROR "${name}: read as ${digit}, expected ${expected}")
  endif()
  message(STATUS "${name}: ${digit} (confidence ${confidence})")
endfunction()

# Plays `scripts` one after another in one digit-draw, each followed by `print` and the C key (the
# last printed by --print-prediction): one start of the app (~1.3 s) instead of one each. Sets
# `outputs` in the caller to each script's two lines (prediction and number), in order, and `out`
# to all of them. For scripts that press no keys of their own (a key's effect, such as a thinner
# brush, would carry over).
function(play_each name checkpoint)
  set(text "")
  set(scripts ${ARGN})
  list(LENGTH scripts n)
  set(i 0)
  foreach(script IN LISTS scripts)
    file(READ ${script} t)
    if(t MATCHES "(^|\n)key ")
      message(FATAL_ERROR "${script} presses keys: play it on its own")
    endif()
    if(NOT t MATCHES "\n$")
      string(APPEND t "\n")
    endif()
    string(APPEND text "${t}")
    math(EXPR i "${i} + 1")
    if(i LESS n)
      string(APPEND text "print\nkey c\n")
    endif()
  endforeach()
  file(WRITE ${WORK}/${name}.replay "${text}")
  draw(--checkpoint ${checkpoint} --replay ${WORK}/${name}.replay --exit-after-replay
       --print-prediction)
  expect_ok(${name})
  string(REGEX MATCHALL "prediction=[^\n]*\nnumber=[^\n]*\n" found "${out}")
  list(LENGTH found got)
  if(NOT got EQUAL n)
    message(FATAL_ERROR "${name}: ${got} predictions for ${n} scripts:\n${out}\n${err}")
  endif()
  set(outputs "${found}" PARENT_SCOPE)
  set(out "${out}" PARENT_SCOPE)
endfunction()

# Plays the traced digits with `checkpoint`; fails below `min_percent` read right.
function(read_traced checkpoint min_percent)
  draw(--checkpoint ${checkpoint} --replay ${WORK}/traced/traced.replay --exit-after-replay
       --timings)
  expect_ok("traced digits")
  string(REGEX MATCHALL "prediction=[0-9n][a-z]*" predictions "${out}")
  file(STRINGS ${WORK}/traced/labels.txt labels)
  list(LENGTH predictions n)
  list(LENGTH labels n_labels)
  if(NOT n EQUAL n_labels)
    message(FATAL_ERROR "${n} predictions for ${n_labels} traced digits:\n${out}\n${err}")
  endif()
  set(right 0)
  set(wrong "")
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    list(GET predictions ${i} p)
    list(GET labels ${i} label)
    if(p STREQUAL "prediction=${label}")
      math(EXPR right "${right} + 1")
    else()
      math(EXPR row "${FIRST_TRACED} + ${i}")
      string(APPEND wrong " row${row}:${label}->${p}")
    endif()
  endforeach()
  math(EXPR percent "100 * ${right} / ${n}")
  message(STATUS "${checkpoint}: ${right} of ${n} traced digits read right (${percent}%)")
  message(STATUS "misread:${wrong}")
  message(STATUS "${err}")
  if(percent LESS min_percent)
    message(FATAL_ERROR "only ${percent}% of the traced digits read right, expected >= "
                        "${min_percent}%")
  endif()
endfunction()

# Width and height of a BMP or PNG file, into `w` and `h`.
function(image_size path)
  file(READ ${path} head LIMIT 32 HEX)
  if(head MATCHES "^424d")  # "BM": width and height are little-endian at bytes 18 and 22
    string(SUBSTRING ${head} 36 8 wle)
    string(SUBSTRING ${head} 44 8 hle)
    foreach(v wle hle)
      string(REGEX REPLACE "(..)(..)(..)(..)" "\\4\\3\\2\\1" ${v} "${${v}}")
    endforeach()
    math(EXPR w "0x${wle}")
    math(EXPR h "0x${hle}")
  elseif(head MATCHES "^89504e470d0a1a0a")  # PNG: big-endian in IHDR at bytes 16 and 20
    string(SUBSTRING ${head} 32 8 wbe)
    string(SUBSTRING ${head} 40 8 hbe)
    math(EXPR w "0x${wbe}")
    math(EXPR h "0x${hbe}")
  else()
    message(FATAL_ERROR "${path} is neither BMP nor PNG")
  endif()
  set(w ${w} PARENT_SCOPE)
  set(h ${h} PARENT_SCOPE)
endfunction()

set(ONE "down 0.5 0.15\nmove 0.5 0.5\nmove 0.5 0.85\nup\n")
set(SEVEN_BAR "down 0.25 0.2\nmove 0.75 0.2\nup\n")
set(SEVEN_LEG "down 0.75 0.2\nmove 0.6 0.5\nmove 0.45 0.85\nup\n")

if(CASE STREQUAL "setup")
  file(REMOVE_RECURSE ${WORK})
  file(MAKE_DIRECTORY ${WORK}/traced ${WORK}/model)
  execute_process(COMMAND ${TRACE} ${DATA} ${FIRST_TRACED} ${TRACED} ${WORK}/traced 1
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "digit-draw-trace exited ${rc}: ${err}")
  endif()
  execute_process(COMMAND ${TRAIN} --data ${DATA} --limit ${FIRST_TRACED} --epochs 4
                          --width 16 --threads 1 --seed 5 --checkpoint-dir ${WORK}/model -q
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${MODEL})
    message(FATAL_ERROR "digit-train exited ${rc}:\n${out}\n${err}")
  endif()
  message(STATUS "${out}")

elseif(CASE STREQUAL "traced_pretrained")
  skip_without_pretrained()
  read_traced(${PRETRAINED} 90)

elseif(CASE STREQUAL "traced_trained")
  read_traced(${MODEL} 70)

elseif(CASE STREQUAL "single")
  set(checkpoint ${MODEL})
  if(EXISTS ${PRETRAINED})
    set(checkpoint ${PRETRAINED})
  endif()
  set(scripts "")
  foreach(d RANGE 9)
    list(APPEND scripts ${WORK}/traced/single-${d}.replay)
  endforeach()
  play_each(single ${checkpoint} ${scripts})
  if(NOT out MATCHES "^(prediction=[0-9] confidence=(0\\.[0-9]+|1\\.0+)\nnumber=([0-9]+|none) confidence=(0\\.[0-9]+|1\\.0+) canvas=[0-9]+x[0-9]+\n)+$")
    message(FATAL_ERROR "single: expected only 'prediction=D confidence=P' and 'number=D confidence=P canvas=WxH' lines, got '${out}'")
  endif()
  set(right 0)
  set(as_number 0)
  foreach(d RANGE 9)
    list(GET outputs ${d} o)
    string(REGEX MATCH "^prediction=([0-9]) confidence=([0-9.]+)\nnumber=([0-9]+|none) confidence=([0-9.]+) canvas=([0-9]+)x([0-9]+)\n$" m "${o}")
    # Wide: room for a number of 8 digits or more (the default window's canvas is 972 x 528).
    math(EXPR tenths "10 * ${CMAKE_MATCH_5} / ${CMAKE_MATCH_6}")
    if(tenths LESS 18)
      message(FATAL_ERROR "single-${d}: the canvas is not wide: '${o}'")
    endif()
    # Read as a number, one digit is that digit with the same confidence (a digit traced in
    # pieces can read as two: docs/numbers.md).
    if(CMAKE_MATCH_1 STREQUAL CMAKE_MATCH_3 AND CMAKE_MATCH_2 STREQUAL CMAKE_MATCH_4)
      math(EXPR as_number "${as_number} + 1")
    endif()
    message(STATUS "single-${d}: ${o}")
    if(CMAKE_MATCH_1 EQUAL d)
      math(EXPR right "${right} + 1")
    endif()
  endforeach()
  if(right LESS 9)
    message(FATAL_ERROR "only ${right} of 10 single traced digits read right")
  endif()
  if(as_number LESS 8)
    message(FATAL_ERROR "only ${as_number} of 10 single traced digits read as that one digit")
  endif()

elseif(CASE STREQUAL "number")
  skip_without_pretrained()
  get_filename_component(data_dir ${DATA} DIRECTORY)
  draw(--checkpoint ${PRETRAINED} --replay ${data_dir}/ink/number-281.replay --exit-after-replay
       --print-prediction --screenshot ${WORK}/number.png)
  expect_ok("number-281")
  message(STATUS "number-281: ${out}")
  if(NOT out MATCHES "\nnumber=281 confidence=(0\\.[0-9]+|1\\.0+) canvas=([0-9]+)x([0-9]+)\n$")
    message(FATAL_ERROR "number-281: expected 'number=281 confidence=P canvas=WxH', got '${out}'")
  endif()
  if(NOT EXISTS ${WORK}/number.png)
    message(FATAL_ERROR "number-281: no screenshot")
  endif()
  # Eight digits side by side across the wide canvas (X up to 1.58 canvas heights).
  draw(--checkpoint ${PRETRAINED} --replay ${data_dir}/ink/number-86878177.replay
       --exit-after-replay --print-prediction)
  expect_ok("number-86878177")
  message(STATUS "number-86878177: ${out}")
  if(NOT out MATCHES "\nnumber=86878177 confidence=(0\\.[0-9]+|1\\.0+) canvas=([0-9]+)x([0-9]+)\n$")
    message(FATAL_ERROR "number-86878177: expected 'number=86878177 confidence=P canvas=WxH', got '${out}'")
  endif()

elseif(CASE STREQUAL "styles")
  skip_without_pretrained()
  get_filename_component(data_dir ${DATA} DIRECTORY)
  file(GLOB scripts ${data_dir}/draw/*.replay)
  list(LENGTH scripts n)
  if(n LESS 8)
    message(FATAL_ERROR "expected the hand-drawn scripts in ${data_dir}/draw, found ${n}")
  endif()
  # Scripts that press keys (a thinner brush) are played on their own, the others in one run.
  set(alone "")
  set(together "")
  foreach(script ${scripts})
    file(READ ${script} t)
    if(t MATCHES "(^|\n)key ")
      list(APPEND alone ${script})
    else()
      list(APPEND together ${script})
    endif()
  endforeach()
  play_each(styles ${PRETRAINED} ${together})
  set(readings "${outputs}")
  foreach(script ${alone})
    draw(--checkpoint ${PRETRAINED} --replay ${script} --exit-after-replay --print-prediction)
    get_filename_component(name ${script} NAME_WE)
    expect_ok(${name})
    list(APPEND readings "${out}")
  endforeach()
  set(wrong "")
  set(i 0)
  foreach(script ${together} ${alone})
    get_filename_component(name ${script} NAME_WE)
    string(SUBSTRING ${name} 0 1 expected)
    list(GET readings ${i} o)
    math(EXPR i "${i} + 1")
    message(STATUS "${name}: ${o}")
    if(NOT o MATCHES "^prediction=${expected} ")
      string(APPEND wrong " ${name}: ${o}")
    endif()
  endforeach()
  if(wrong)
    message(FATAL_ERROR "misread:${wrong}")
  endif()

elseif(CASE STREQUAL "screenshot")
  file(WRITE ${WORK}/shot.replay "${ONE}key g\nkey m\n")
  foreach(ext bmp png)
    file(REMOVE ${WORK}/shot.${ext})
    draw(--checkpoint ${MODEL} --replay ${WORK}/shot.replay --exit-after-replay
         --screenshot ${WORK}/shot.${ext})
    expect_ok("screenshot ${ext}")
    image_size(${WORK}/shot.${ext})
    if(NOT w EQUAL 1280 OR NOT h EQUAL 560)
      message(FATAL_ERROR "shot.${ext} is ${w}x${h}, expected the 1280x560 window")
    endif()
  endforeach()
  # Not blank: white ink (ff ff ff), and the panel's bars and text in other colours.
  file(READ ${WORK}/shot.bmp pixels OFFSET 54 HEX)
  string(REGEX MATCHALL "ffffff" white "${pixels}")
  list(LENGTH white n_white)
  string(REGEX MATCHALL "53a834" green "${pixels}")  # the top bar, BGR
  list(LENGTH green n_green)
  if(n_white LESS 2000 OR n_green LESS 100)
    message(FATAL_ERROR "shot.bmp looks blank: ${n_white} white and ${n_green} green pixels")
  endif()
  # Help overlay: the screenshot differs.
  file(WRITE ${WORK}/help.replay "${ONE}key f1\n")
  draw(--checkpoint ${MODEL} --replay ${WORK}/help.replay --exit-after-replay
       --screenshot ${WORK}/help.bmp)
  expect_ok("help screenshot")
  file(SHA256 ${WORK}/help.bmp help_hash)
  file(SHA256 ${WORK}/shot.bmp shot_hash)
  if(help_hash STREQUAL shot_hash)
    message(FATAL_ERROR "the help overlay changed nothing on screen")
  endif()

elseif(CASE STREQUAL "edit")
  set(checkpoint ${MODEL})
  if(EXISTS ${PRETRAINED})
    set(checkpoint ${PRETRAINED})
  endif()
  expect_digit(one "${ONE}" ${checkpoint} 1)
  expect_digit(seven "${SEVEN_BAR}${SEVEN_LEG}" ${checkpoint} 7)
  # Undo takes the last stroke back; undo after clear brings the drawing back.
  expect_digit(undo "${SEVEN_LEG}${SEVEN_BAR}key ctrl+z\n" ${checkpoint} 1)
  expect_digit(clear "${ONE}key c\n" ${checkpoint} none)
  expect_digit(backspace "${ONE}key backspace\n" ${checkpoint} none)
  expect_digit(clear_undo "${ONE}key delete\nkey ctrl+z\n" ${checkpoint} 1)
  # The eraser (right button) rubs the whole line out.
  expect_digit(erase "${ONE}rdown 0.5 0.1\nmove 0.5 0.5\nmove 0.5 0.9\nrup\n" ${checkpoint} none)
  # Grid, model view, help and brush keys leave the drawing as it is.
  expect_digit(view_keys "${ONE}key g\nkey m\nkey h\nkey f1\nkey [\nkey ]\nwait 10\n"
               ${checkpoint} 1)
  # Escape quits before the script ends: no prediction line.
  file(WRITE ${WORK}/esc.replay "${ONE}key escape\nwait 60000\n")
  draw(--checkpoint ${checkpoint} --replay ${WORK}/esc.replay --print-prediction)
  expect_ok("escape")
  if(NOT out STREQUAL "")
    message(FATAL_ERROR "escape: expected to quit before the end of the script, got '${out}'")
  endif()

elseif(CASE STREQUAL "teach")
  # A 7, a 1, an empty canvas (refused), then the same 1 with a brush 3 steps bigger and 3 steps
  # smaller than the default.
  set(csv ${WORK}/teach/sub/my-digits.csv)
  file(REMOVE_RECURSE ${WORK}/teach)
  file(WRITE ${WORK}/teach.replay
       "${SEVEN_BAR}${SEVEN_LEG}key ctrl+7\nkey c\n${ONE}key ctrl+1\nkey c\nkey ctrl+3\n\
key ]\nkey ]\nkey ]\n${ONE}key ctrl+1\nkey c\n\
key [\nkey [\nkey [\nkey [\nkey [\nkey [\n${ONE}key ctrl+1\n")
  draw(--checkpoint ${MODEL} --replay ${WORK}/teach.replay --exit-after-replay
       --teach-file ${csv})
  expect_ok("teach")
  if(NOT err MATCHES "nothing to save")
    message(FATAL_ERROR "teaching an empty canvas: expected 'nothing to save' on stderr:\n${err}")
  endif()
  file(STRINGS ${csv} lines)
  list(LENGTH lines n)
  if(NOT n EQUAL 5)
    message(FATAL_ERROR "${csv}: ${n} lines, expected the header and 4 rows")
  endif()
  list(GET lines 0 header)
  if(NOT header MATCHES "^label,pixel0,pixel1,.*,pixel783$")
    message(FATAL_ERROR "${csv}: header is not Kaggle's train header")
  endif()
  set(expected_labels 7 1 1 1)
  set(inked "")
  foreach(i RANGE 1 4)
    list(GET lines ${i} row)
    math(EXPR k "${i} - 1")
    list(GET expected_labels ${k} label)
    string(REPLACE "," ";" fields "${row}")
    list(LENGTH fields n_fields)
    list(GET fields 0 first)
    if(NOT n_fields EQUAL 785 OR NOT first STREQUAL label OR NOT row MATCHES "^[0-9,]+$")
      message(FATAL_ERROR "${csv}: row ${i} has ${n_fields} fields and label '${first}', "
                          "expected 785 and ${label}")
    endif()
    string(REGEX MATCHALL ",[1-9]" nonzero "${row}")
    list(LENGTH nonzero count)
    list(APPEND inked ${count})
  endforeach()
  # Rows 2-4: the same 1 with the default, a bigger and a smaller brush: more and less ink.
  list(GET inked 1 normal)
  list(GET inked 2 thick)
  list(GET inked 3 thin)
  message(STATUS "inked pixels of the 1: default brush ${normal}, bigger ${thick}, smaller ${thin}")
  if(NOT thick GREATER normal OR NOT thin LESS normal)
    message(FATAL_ERROR "[ and ] did not change the brush: ${thin}, ${normal}, ${thick} inked pixels")
  endif()
  # digit-predict (the same loader as digit-train) reads the rows and their labels.
  execute_process(COMMAND ${PREDICT} --threads 1 --checkpoint ${MODEL} --csv ${csv}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT out MATCHES "accuracy=[0-9.]+ correct=[0-9]+ total=4")
    message(FATAL_ERROR "digit-predict on ${csv}: exit ${rc}\n${out}\n${err}")
  endif()

elseif(CASE STREQUAL "watch_and_drop")
  # The app watches a checkpoint; 3 s after start a new one (another epoch count) is renamed over
  # it, as digit-train saves best.pt. The script waits 7 s in all, then prints.
  set(dir ${WORK}/watch)
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
  file(COPY_FILE ${MODEL} ${dir}/best.pt)
  file(COPY_FILE ${WORK}/model/last.pt ${dir}/next.pt)
  file(WRITE ${dir}/watch.replay "${ONE}wait 7000\nprint\n")
  execute_process(
    COMMAND sh -c "(sleep 3; mv '${dir}/next.pt' '${dir}/best.pt') & \
exec '${DRAW}' --threads 1 --checkpoint '${dir}/best.pt' --replay '${dir}/watch.replay' \
--exit-after-replay"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  expect_ok("watch")
  if(NOT err MATCHES "reloaded new version of ${dir}/best.pt")
    message(FATAL_ERROR "the replaced checkpoint was not reloaded:\n${err}")
  endif()
  if(NOT out MATCHES "^prediction=1 ")
    message(FATAL_ERROR "after the reload: '${out}'")
  endif()
  # A file dropped on the window is loaded; a bad one is refused and the model kept.
  file(WRITE ${dir}/junk.pt "not a checkpoint")
  file(WRITE ${dir}/drop.replay "drop ${dir}/junk.pt\nwait 50\ndrop ${MODEL}\nwait 50\n${ONE}")
  draw(--checkpoint ${PRETRAINED} --replay ${dir}/drop.replay --exit-after-replay
       --print-prediction)
  expect_ok("drop")
  if(NOT err MATCHES "junk.pt" OR NOT err MATCHES "loaded ${MODEL}" OR
     NOT out MATCHES "^prediction=1 ")
    message(FATAL_ERROR "drop: expected junk.pt refused and ${MODEL} loaded:\n${out}\n${err}")
  endif()

elseif(CASE STREQUAL "bad_input")
  # Each: arguments, then a regular expression that stderr must match; exit code 2.
  file(WRITE ${WORK}/bad-event.replay "down 0.5 0.5\njump 0.1 0.1\n")
  file(WRITE ${WORK}/bad-key.replay "# keys\nkey nosuchkey\n")
  file(WRITE ${WORK}/bad-coord.replay "move 0.5 1.5\n")
  file(WRITE ${WORK}/junk.pt "not a checkpoint")
  file(WRITE ${WORK}/empty.pt "")
  # Arguments are separated by '|' here (';' would split the list).
  set(cases
      "--replay|${WORK}/bad-event.replay" "bad-event.replay:2: unknown event 'jump'"
      "--replay|${WORK}/bad-key.replay" "bad-key.replay:2: unknown key 'nosuchkey'"
      "--replay|${WORK}/bad-coord.replay" "bad-coord.replay:1: Y is '1.5'"
      "--replay|${WORK}/none.replay" "none.replay"
      "--checkpoint|${WORK}/none.pt|--replay|${WORK}/shot.replay|--print-prediction|--exit-after-replay"
      "none.pt"
      "--checkpoint|${WORK}/junk.pt|--replay|${WORK}/shot.replay|--print-prediction|--exit-after-replay"
      "junk.pt"
      "--checkpoint|${WORK}/empty.pt|--replay|${WORK}/shot.replay|--print-prediction|--exit-after-replay"
      "empty.pt"
      "--font|${WORK}/none.ttf|--replay|${WORK}/shot.replay|--exit-after-replay"
      "none.ttf: cannot open font.*fonts-dejavu-core"
      "--print-prediction" "need --replay"
      "--scale|9" "--scale")
  file(WRITE ${WORK}/shot.replay "${ONE}")
  list(LENGTH cases n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    list(GET cases ${i} joined)
    math(EXPR j "${i} + 1")
    list(GET cases ${j} expected)
    string(REPLACE "|" ";" args "${joined}")
    string(REPLACE "|" " " shown "${joined}")
    draw(${args})
    if(NOT rc EQUAL 2 OR NOT err MATCHES "${expected}")
      message(FATAL_ERROR "digit-draw ${shown}: exit ${rc}, expected 2 and a message matching "
                          "'${expected}':\n${err}")
    endif()
    if(err MATCHES "terminate|Segmentation|Aborted|what\\(\\)")
      message(FATAL_ERROR "digit-draw ${shown}: crashed:\n${err}")
    endif()
  endforeach()

else()
  message(FATAL_ERROR "unknown CASE ${CASE}")
endif()
