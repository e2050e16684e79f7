# Helpers that keep each folder's CMakeLists.txt to a list of sources.

# berth_library(<name> SOURCES ... DEPS ... [PUBLIC_DEPS ...])
function(berth_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE berth_warnings ${ARG_DEPS})
endfunction()

# berth_binary(<name> SOURCES ... DEPS ...)
function(berth_binary name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE berth_warnings ${ARG_DEPS})
endfunction()

# berth_test(<name> LABEL unit|integration|e2e SOURCES ... DEPS ... [TIMEOUT s])
# One GoogleTest binary; its tests are discovered when ctest runs so they run in parallel.
function(berth_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE berth_warnings berth_test_support ${ARG_DEPS}
                        GTest::gmock GTest::gtest_main)
  include(GoogleTest)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                       WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()

# Adds every immediate subdirectory that has a CMakeLists.txt, so a new module needs no edit
# of its parent's list.
function(berth_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child} AND
       EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
