#!/usr/bin/env bash
# Prints the CMake arguments that give a build tree the compiler and linker
# flags of the Debian packages (dpkg-buildflags under debian/buildflags.mk, the
# settings debian/rules uses), so that scripts/test.sh tests the binaries it packages.
set -euo pipefail
cd "$(dirname "$0")/.."
# dpkg-buildflags run by make, so that the exports of debian/buildflags.mk apply.
flag() {
  make -s --no-print-directory -f debian/buildflags.mk -f - <<<"print: ; @dpkg-buildflags --get $1"
}
cppflags=$(flag CPPFLAGS)
ldflags=$(flag LDFLAGS)
printf '%s\n' \
  "-DCMAKE_C_FLAGS=$(flag CFLAGS) $cppflags" \
  "-DCMAKE_CXX_FLAGS=$(flag CXXFLAGS) $cppflags" \
  "-DCMAKE_EXE_LINKER_FLAGS=$ldflags" \
  "-DCMAKE_SHARED_LINKER_FLAGS=$ldflags"
