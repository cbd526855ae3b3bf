# What lib/ needs, found once for the project (CMakeLists.txt) and for the fuzzers' build of the
# same library (fuzz/CMakeLists.txt): LibTorch and the system libraries, one set of warnings, the
# shared precompiled LibTorch header, and oneDNN where it sits beside LibTorch.
option(DIGITS_WITH_ONEDNN "Run single images through oneDNN directly where its headers are found" ON)
option(DIGITS_WERROR "Treat compiler warnings as errors (CI sets it)" OFF)
option(DIGITS_USE_PCH "Precompile the LibTorch headers (a TU that includes them takes ~20 s)" ON)

# One set of warnings for every target of the project: link digits::warnings PRIVATE.
add_library(digits_warnings INTERFACE)
add_library(digits::warnings ALIAS digits_warnings)
target_compile_options(digits_warnings INTERFACE -Wall -Wextra $<$<BOOL:${DIGITS_WERROR}>:-Werror>)

find_package(Torch REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)
find_package(Threads REQUIRED)
# ATen's parallel_for is inline OpenMP: without -fopenmp a library's own kernels run serially.
find_package(OpenMP REQUIRED)

# digits' precompiled LibTorch header (lib/CMakeLists.txt) serves every target of the build that
# links digits, instead of each compiling its own (~55 s of a core each). GCC takes it only with
# the flags it was made with: -pthread and -fopenmp as digits has them.
function(digits_use_library_pch target)
  if(DIGITS_USE_PCH)
    target_link_libraries(${target} PRIVATE Threads::Threads OpenMP::OpenMP_CXX)
    target_precompile_headers(${target} REUSE_FROM digits)
  endif()
  digits_compile_in_batches(${target})
endfunction()

# The first build (README.md#build-time). Loading the precompiled LibTorch header costs
# a TU ~10 s before its first line, and a TU of six files no more than a TU of one, so:
# - files that never reach LibTorch's headers are compiled without it (1 s instead of 11 s);
# - the others are compiled eight to a TU (CMake's unity build), which about halves the build.
# -DDIGITS_UNITY_BUILD=OFF compiles file by file (quicker to rebuild after editing one file).
option(DIGITS_UNITY_BUILD "Compile the LibTorch files of a target eight to a TU" ON)
include(${CMAKE_CURRENT_LIST_DIR}/torch_free.cmake)
function(digits_compile_in_batches target)
  if(DIGITS_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
  if(DIGITS_USE_PCH)
    digits_torch_free_sources(${target} free)
    if(free)
      set_source_files_properties(${free} TARGET_DIRECTORY ${target} PROPERTIES
        SKIP_PRECOMPILE_HEADERS ON SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endif()
endfunction()

# Debian's LibTorch runs its CPU convolutions with the system's oneDNN (libdnnl2); with its
# headers (libdnnl-dev) the drawing app's single images call it directly, without LibTorch's
# per-operator work. Found by path, not dnnl-config.cmake, which demands OpenCL's dev files.
# Only beside a LibTorch in the same folder: PyTorch's wheels carry their own oneDNN, and two
# versions of its C API in one process would clash.
set(DIGITS_ONEDNN OFF)
if(DIGITS_WITH_ONEDNN)
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(DNNL_LIBRARY dnnl)
  get_filename_component(torch_lib_dir "${TORCH_LIBRARY}" REALPATH)
  get_filename_component(torch_lib_dir "${torch_lib_dir}" DIRECTORY)
  get_filename_component(dnnl_lib_dir "${DNNL_LIBRARY}" REALPATH)
  get_filename_component(dnnl_lib_dir "${dnnl_lib_dir}" DIRECTORY)
  if(DNNL_INCLUDE_DIR AND DNNL_LIBRARY AND torch_lib_dir STREQUAL dnnl_lib_dir)
    set(DIGITS_ONEDNN ON)
    message(STATUS "oneDNN for single-image inference: ${DNNL_LIBRARY}")
  else()
    message(STATUS "single images take LibTorch's path (no libdnnl-dev beside this LibTorch)")
  endif()
endif()
