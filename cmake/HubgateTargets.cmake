# Shared helpers for every folder: warnings, sanitizers and test registration.

# Compiler flags every target of ours gets.
function(hubgate_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
  if(HUBGATE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # In a unity batch GCC sees every source as an included file and warns of a class that holds
  # a type of its file's anonymous namespace, a warning meant for headers.
  if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-subobject-linkage>)
  endif()
endfunction()

if(HUBGATE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

# hubgate_add_subdirectory_if_present(dir [EXCLUDE_FROM_ALL])
macro(hubgate_add_subdirectory_if_present dir)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt)
    add_subdirectory(${dir} ${ARGN})
  endif()
endmacro()

# Every unit test executable: what the sanitizer tree builds (`make asan`), nothing more; in the
# normal tree `make build` builds it beside the default target.
add_custom_target(hubgate_unit_tests)

# Adds every immediate sub-folder of the current folder that has a CMakeLists.txt.
macro(hubgate_add_all_subdirectories)
  file(GLOB _hubgate_children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _hubgate_children)
  foreach(_child IN LISTS _hubgate_children)
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${_child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_child}/CMakeLists.txt)
      add_subdirectory(${_child})
    endif()
  endforeach()
endmacro()

# Test executables link position-dependent (-no-pie; their objects are unchanged): they are never
# installed, and ctest starts one process per test case, each of which would first apply the
# executable's relative relocations. The sanitizer tree's daemon_unit has 3.1 million: 0.35 of
# its 0.7 CPU s per test case went to them.
function(hubgate_test_link target)
  target_link_options(${target} PRIVATE -no-pie)
endfunction()

# Test code compiles at -O0. It starts processes, waits and compares what they printed: nothing
# in it is hot, and at -O2 it was half the normal tree's compile time (one daemon_e2e unity
# batch: 24.6 CPU s at -O2, 15.2 at -O1, 11.0 at -O0). What it tests (hubgate, hubsim, the
# plugins) and the chaos soak's load generator stay at the tree's level.
function(hubgate_test_code target)
  target_compile_options(${target} PRIVATE -O0)
endfunction()

# Test sources say their tier in their names: foo_unit_test.cpp in a unit test,
# foo_integration_test.cpp in an integration test (support files carry no _test suffix).
function(hubgate_check_tier name tier)
  foreach(_src IN LISTS ARGN)
    get_filename_component(_base ${_src} NAME)
    if(_base MATCHES "_test\\.(cpp|c)$" AND NOT _base MATCHES "_${tier}_test\\.(cpp|c)$")
      message(FATAL_ERROR "${name}: ${_src} is a ${tier} test source; name it *_${tier}_test.cpp")
    endif()
  endforeach()
endfunction()

# A unit test: pure logic, fakes allowed, no processes or sockets. Runs in the sanitizer build too.
#   hubgate_unit_test(NAME name SOURCES a.cpp ... LIBS lib ...)
function(hubgate_unit_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
  if(HUBGATE_FUZZ)
    return()
  endif()
  hubgate_check_tier(${T_NAME} unit ${T_SOURCES})
  # Built through hubgate_unit_tests (`make asan`, `make build`), not by a tree's default target:
  # `make test` runs them in the sanitizer tree only.
  add_executable(${T_NAME} EXCLUDE_FROM_ALL ${T_SOURCES})
  add_dependencies(hubgate_unit_tests ${T_NAME})
  hubgate_defaults(${T_NAME})
  hubgate_test_code(${T_NAME})
  hubgate_test_link(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE hubgate_doctest_main hubgate_test_harness ${T_LIBS})
  target_compile_definitions(${T_NAME} PRIVATE
    DOCTEST_CONFIG_SUPER_FAST_ASSERTS
    HUBGATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    HUBGATE_BIN_DIR="${CMAKE_BINARY_DIR}/bin"
    HUBGATE_LIB_DIR="${CMAKE_BINARY_DIR}/lib")
  if(HUBGATE_SANITIZE)
    # One process per program, not per test case: an ASan process costs ~0.25 s to start and
    # exit, which was most of the 126 CPU s the sanitizer tree's 487 cases took one process each
    # (17 CPU s this way). A failing case is still named in doctest's output. The normal tree
    # keeps one ctest test per case (`ctest -R 'name'`).
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES LABELS unit)
  else()
    doctest_discover_tests(${T_NAME} TEST_PREFIX "${T_NAME}: " PROPERTIES LABELS unit)
  endif()
endfunction()

# The package tests' shared .debs: test/ops registers the `debs` fixture (one cpack run per ctest
# run) that writes them here; each package test requires it and reads them from there.
set(HUBGATE_DEBS_DIR ${CMAKE_BINARY_DIR}/test-debs)
set(HUBGATE_DEBS_TEST_PROPERTIES FIXTURES_REQUIRED debs ENVIRONMENT HUBGATE_DEBS_DIR=${HUBGATE_DEBS_DIR})

# An integration test: real mosquitto / hubsim / hubgate processes on free loopback ports.
# Not built in the sanitizer or fuzz trees.
#   hubgate_integration_test(NAME name SOURCES a.cpp ... LIBS lib ... [TIMEOUT s] [SERIAL]
#                            [TEST_PROPERTIES prop value ...])
# SERIAL: ctest runs these tests alone (for tests whose subject is pacing under load).
# TEST_PROPERTIES: more ctest properties for every case (e.g. FIXTURES_REQUIRED).
function(hubgate_integration_test)
  cmake_parse_arguments(T "SERIAL" "NAME;TIMEOUT" "SOURCES;LIBS;TEST_PROPERTIES" ${ARGN})
  if(HUBGATE_SANITIZE OR HUBGATE_FUZZ)
    return()
  endif()
  hubgate_check_tier(${T_NAME} integration ${T_SOURCES})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  hubgate_defaults(${T_NAME})
  hubgate_test_code(${T_NAME})
  hubgate_test_link(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE hubgate_doctest_main hubgate_test_harness ${T_LIBS})
  target_compile_definitions(${T_NAME} PRIVATE
    HUBGATE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    HUBGATE_BIN_DIR="${CMAKE_BINARY_DIR}/bin"
    HUBGATE_LIB_DIR="${CMAKE_BINARY_DIR}/lib"
    MOSQUITTO_EXECUTABLE="${MOSQUITTO_EXECUTABLE}"
    NODE_EXECUTABLE="${NODE_EXECUTABLE}")
  set(_serial)
  if(T_SERIAL)
    set(_serial RUN_SERIAL TRUE)
  endif()
  doctest_discover_tests(${T_NAME} TEST_PREFIX "${T_NAME}: "
    PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT} ${_serial} ${T_TEST_PROPERTIES})
endfunction()
