# Every dependency is a Debian 12 package (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json REQUIRED)

if(CEEMS_STATIC)
  # Every library as its archive (Debian's -dev packages ship them beside the .so):
  # find_library and pkg_check_modules then see only .a files.
  set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
  set(ZLIB_USE_STATIC_LIBS ON)
  # yaml-cpp's and pugixml's CMake packages name only their shared objects.
  function(ceems_import_archive target name header)
    find_library(_lib NAMES ${name} NO_CACHE REQUIRED)
    find_path(_inc ${header} NO_CACHE REQUIRED)
    add_library(${target} STATIC IMPORTED GLOBAL)
    set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${_lib} INTERFACE_INCLUDE_DIRECTORIES ${_inc})
  endfunction()
  ceems_import_archive(yaml-cpp yaml-cpp yaml-cpp/yaml.h)
  ceems_import_archive(pugixml::pugixml pugixml pugixml.hpp)
else()
  find_package(yaml-cpp REQUIRED)
  find_package(pugixml REQUIRED)
endif()
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
# Boost.Asio and Boost.Beast (header-only) carry the HTTP server; docs/http-server.md.
find_package(Boost 1.74 REQUIRED)

pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(LIBXCRYPT REQUIRED IMPORTED_TARGET libxcrypt)

if(CEEMS_BUILD_TESTS)
  # cpp-httplib: an HTTP client and mock servers inside tests only.
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(CEEMS_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
