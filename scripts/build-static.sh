#!/usr/bin/env bash
# Fully static ceems_exporter and redfish_proxy (CMake option CEEMS_STATIC): one
# self-contained file each, with every feature of the dynamic build (TLS, eBPF,
# capabilities, bcrypt), for any Linux node of the architecture, whatever its
# distribution and glibc. aarch64 is cross-built with Debian's cross toolchain and
# :arm64 libraries (scripts/install-deps.sh installs both).
#
#   scripts/build-static.sh [--arch x86_64|aarch64] [BUILD_DIR]
#
# BUILD_DIR defaults to build-static-<arch>; the binaries end up in BUILD_DIR/bin.
# Compiler and linker flags are the Debian packages' hardening flags for that
# architecture. Ends by checking the binaries: no NEEDED entry, no program
# interpreter, the right machine. CEEMS_BUILD_JOBS: parallel compile jobs (default:
# one per CPU).
set -euo pipefail
cd "$(dirname "$0")/.."

arch=$(uname -m)
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    -*) echo "build-static: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
dir=${1:-build-static-$arch}

cmake_args=(-DCMAKE_BUILD_TYPE=Release -DCEEMS_STATIC=ON -DCEEMS_BUILD_TESTS=OFF -DCEEMS_BUILD_BENCH=OFF)
case "$arch" in
  "$(uname -m)") deb_arch=$(dpkg --print-architecture) ;;
  aarch64)
    deb_arch=arm64
    cmake_args+=(-DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake)
    ;;
  *) echo "build-static: cannot build for $arch on $(uname -m)" >&2; exit 2 ;;
esac
mapfile -t flags < <(DEB_HOST_ARCH=$deb_arch bash scripts/package-flags.sh)
cmake -S . -B "$dir" -G Ninja "${cmake_args[@]}" "${flags[@]}" >/dev/null
cmake --build "$dir" -j"${CEEMS_BUILD_JOBS:-$(nproc)}" --target ceems_exporter redfish_proxy

case "$arch" in
  x86_64) machine="Advanced Micro Devices X86-64" ;;
  aarch64) machine="AArch64" ;;
esac
for bin in "$dir/src/apps/ceems_exporter/ceems_exporter" "$dir/src/apps/redfish_proxy/redfish_proxy"; do
  if readelf -dW "$bin" | grep -q '(NEEDED)'; then
    echo "build-static: $bin needs shared libraries:" >&2
    readelf -dW "$bin" | grep '(NEEDED)' >&2
    exit 1
  fi
  if readelf -lW "$bin" | grep -q 'INTERP'; then
    echo "build-static: $bin has a program interpreter" >&2
    exit 1
  fi
  if ! readelf -hW "$bin" | grep -q "Machine: *$machine"; then
    echo "build-static: $bin is not an $arch executable" >&2
    exit 1
  fi
  echo "$bin: static, $arch, $(stat -c %s "$bin") bytes"
done
# Both in one directory, as a release archive and tests/static/empty_root.py take
# them, without their symbol tables (the build tree keeps the unstripped ones).
strip_tool=strip
[ "$arch" = "$(uname -m)" ] || strip_tool=$arch-linux-gnu-strip
mkdir -p "$dir/bin"
for prog in ceems_exporter redfish_proxy; do
  "$strip_tool" -o "$dir/bin/$prog" "$dir/src/apps/$prog/$prog"
  echo "$dir/bin/$prog: stripped, $(stat -c %s "$dir/bin/$prog") bytes"
done
