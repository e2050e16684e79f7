# Every dependency comes from a Debian 12 package; tools/install-deps.sh installs them.

find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(RapidJSON REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(cpprestsdk REQUIRED)
find_package(yaml-cpp REQUIRED)

add_library(berth_rapidjson INTERFACE)
target_include_directories(berth_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
# 48-bit pointer packing and std::string support; SSE4.2 is not assumed (portable builds).
target_compile_definitions(berth_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1
                           RAPIDJSON_48BITPOINTER_OPTIMIZATION=1)

add_library(berth_boost INTERFACE)
target_include_directories(berth_boost SYSTEM INTERFACE ${Boost_INCLUDE_DIRS})
target_compile_definitions(berth_boost INTERFACE BOOST_ASIO_NO_DEPRECATED
                           BOOST_BEAST_USE_STD_STRING_VIEW BOOST_ASIO_DISABLE_CONCEPTS)

if(BERTH_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BERTH_BENCH)
  find_package(benchmark REQUIRED)
endif()
