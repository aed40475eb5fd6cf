# Compiler flags shared by every target of the project.
add_library(ceems_warnings INTERFACE)
target_compile_options(ceems_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  # Designated initializers leave members defaulted on purpose.
  -Wno-missing-field-initializers)
# GCC 12 reports -Wrestrict false positives inside std::string at -O3 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(ceems_warnings INTERFACE -Wno-restrict)
endif()
if(CEEMS_WERROR)
  target_compile_options(ceems_warnings INTERFACE -Werror)
  # GCC 12's -Wnull-dereference depends on inlining, which differs by target: for aarch64 it
  # reports paths inside libstdc++ (std::string's destructor in a vector assignment) that the
  # native build does not see. A cross build keeps it as a warning; the native build, which
  # CI runs with -Werror, stays the gate.
  if(CMAKE_CROSSCOMPILING AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(ceems_warnings INTERFACE -Wno-error=null-dereference)
  endif()
endif()

if(CEEMS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz targets link the libFuzzer driver; the library code gets coverage instrumentation.
if(CEEMS_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CEEMS_FUZZ needs clang (configure with CXX=clang++ CC=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# ceems_add_fuzzer(<name> <source> LIBS <libs...>): a libFuzzer target whose seed corpus is
# <source dir>/fuzz_corpus/<name>. The test suite runs it for a few seconds so a crash fails CI.
# Seconds each fuzz target runs in the suite (on its seed corpus plus what it finds):
# a smoke test that every parser survives arbitrary input, within CI's time budget.
# Longer runs: ctest -L fuzz after cmake -DCEEMS_FUZZ_SECONDS=600.
set(CEEMS_FUZZ_SECONDS 3 CACHE STRING "Seconds each fuzz target runs under ctest")

function(ceems_add_fuzzer name source)
  cmake_parse_arguments(F "" "" "LIBS" ${ARGN})
  if(NOT CEEMS_FUZZ)
    return()
  endif()
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${F_LIBS} ceems_warnings)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_property(GLOBAL APPEND PROPERTY CEEMS_FUZZ_TARGETS ${name})
  # New inputs go to a directory in the build tree; the seed corpus stays read-only.
  set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_corpus/${name})
  set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz_work/${name})
  file(MAKE_DIRECTORY ${work})
  add_test(NAME fuzz.${name}
    COMMAND ${name} -max_total_time=${CEEMS_FUZZ_SECONDS} -timeout=5 -rss_limit_mb=1024 ${work} ${corpus})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()

# ceems_add_unit_test(<name> SOURCES ... LIBS ...): one GoogleTest binary registered with ctest.
function(ceems_add_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT CEEMS_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gmock_main ceems_warnings)
  # The shared test doubles (src/core/testing), defined before any test.
  if(TARGET ceems_core_testing)
    target_link_libraries(${name} PRIVATE ceems_core_testing)
  endif()
  set_property(GLOBAL APPEND PROPERTY CEEMS_UNIT_TEST_TARGETS ${name})
  target_compile_definitions(${name} PRIVATE CEEMS_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/testdata")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()
