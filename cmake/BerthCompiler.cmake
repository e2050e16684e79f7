# Compiler flags shared by every Berth target.

find_program(BERTH_CCACHE ccache)
if(BERTH_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${BERTH_CCACHE})
endif()

add_library(berth_warnings INTERFACE)
target_compile_options(berth_warnings INTERFACE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                       -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(berth_warnings INTERFACE -Wshadow=local)
  # g++ 12 at -O3 (Release) reports impossible overlaps inside std::string's own copies
  # (GCC PR 105329); Release builds would otherwise fail under -Werror.
  target_compile_options(berth_warnings INTERFACE $<$<CONFIG:Release>:-Wno-restrict>)
else()
  # RapidJSON 1.1's iterators predate C++20's rewritten comparison operators.
  target_compile_options(berth_warnings INTERFACE -Wno-ambiguous-reversed-operator)
endif()
if(BERTH_WERROR)
  target_compile_options(berth_warnings INTERFACE -Werror)
endif()

if(BERTH_SANITIZE)
  # Applied globally so that every object, test and tool shares one instrumented runtime.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Keep object files small and links fast on 2-core machines.
add_compile_options(-ffunction-sections -fdata-sections)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_link_options(-Wl,--gc-sections)
endif()

if(BERTH_FUZZ)
  # Coverage instrumentation for every library the fuzz targets link, not only the targets.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
