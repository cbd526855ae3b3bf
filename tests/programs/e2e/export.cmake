# digit-export: its options here; tests/export/onnx_export_test.cpp runs it end to end, and compares
# ONNX Runtime's probabilities (onnxruntime-node in DIGITS_NODE_MODULES) with digit-predict's.
set(DIGITS_NODE_MODULES ${CMAKE_BINARY_DIR}/node_modules CACHE PATH
  "node_modules folder holding onnxruntime-node, for the ONNX parity test (setup.sh test fills it)")
target_compile_definitions(digits-tests PRIVATE DIGITS_NODE_MODULES="${DIGITS_NODE_MODULES}")
add_dependencies(digits-tests-all digit-export)

add_test(NAME digit-export.help COMMAND digit-export --help)
set_tests_properties(digit-export.help PROPERTIES
  PASS_REGULAR_EXPRESSION "image.*float32 \\[N, 1, 28, 28\\].*--checkpoint.*--onnx.*--opset")

add_test(NAME digit-export.unknown_option COMMAND digit-export --no-such-option)
set_tests_properties(digit-export.unknown_option PROPERTIES WILL_FAIL TRUE)
