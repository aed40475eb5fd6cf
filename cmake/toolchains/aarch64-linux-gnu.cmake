# Cross build for 64-bit Arm Linux on a Debian 12 x86_64 host:
#   cmake -G Ninja -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DCEEMS_BUILD_TESTS=OFF -DCEEMS_BUILD_BENCH=OFF
# scripts/install-deps.sh installs what it needs: Debian's cross compiler
# (g++-aarch64-linux-gnu), the arm64 (multiarch) -dev packages under
# /usr/lib/aarch64-linux-gnu, qemu-user, and the arm64 libyaml-cpp-dev unpacked into an
# overlay directory because Debian 12 cannot install it beside the amd64 one.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# Debian's multiarch directory names; find_library and find_package search lib/<this>.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# The libraries come from two roots: the host's / (the multiarch arm64 packages, whose files
# sit under /usr/lib/aarch64-linux-gnu and /usr/include beside the amd64 ones) and the overlay.
# Libraries, headers and packages are looked up only under these roots, and below / only in
# the arm64 directories (CMAKE_LIBRARY_ARCHITECTURE); programs (clang, bpftool) are host ones.
set(CEEMS_CROSS_OVERLAY /opt/ceems-cross/aarch64-linux-gnu CACHE PATH
    "Unpacked arm64 packages that cannot be co-installed (scripts/install-deps.sh)")
set(CMAKE_FIND_ROOT_PATH ${CEEMS_CROSS_OVERLAY} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads only the arm64 .pc files (and the architecture-independent ones).
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# Runs target programs (try_run, tests, custom commands) on the host; a static binary needs
# nothing else. A dynamic one needs an arm64 loader and libc of one build: the multiarch
# libc6:arm64 (which the arm64 -dev packages pull in) at /lib/ld-linux-aarch64.so.1, found
# without options. qemu's -L /usr/aarch64-linux-gnu (the cross toolchain's copy) must not be
# mixed with it: that ld.so then loads the multiarch libc.so.6, a different glibc build, and
# the first pthread_create spins forever. So -L only where there is no multiarch libc.
find_program(CEEMS_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(CEEMS_QEMU_AARCH64)
  if(EXISTS /lib/ld-linux-aarch64.so.1)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${CEEMS_QEMU_AARCH64})
  else()
    set(CMAKE_CROSSCOMPILING_EMULATOR ${CEEMS_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
  endif()
endif()
