#!/usr/bin/env bash
# Writes OUT_DIR/ceems_exporter and OUT_DIR/redfish_proxy: shims that run an aarch64 cross
# build's binaries under qemu-aarch64 (Debian's qemu-user), for tools that exec a program by
# path, such as the conformance runner, on an x86_64 host that has no binfmt_misc entry for
# aarch64 (where one is registered, the binaries can be given directly).
#
#   scripts/arm64-shims.sh build-arm64 /tmp/arm64-bin
#   /work/shared/conformance/run --exporter /tmp/arm64-bin/ceems_exporter \
#       --redfish-proxy /tmp/arm64-bin/redfish_proxy
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR OUT_DIR" >&2
  exit 2
fi
build=$(realpath "$1")
out=$2
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
if [ -z "$qemu" ]; then
  echo "$0: no qemu-aarch64 (Debian package qemu-user)" >&2
  exit 1
fi
# A dynamic binary finds the multiarch libc6:arm64 loader without options. Only without it
# does qemu need the cross toolchain's copy (-L); mixing the two glibc builds hangs at the
# first thread (see cmake/toolchains/aarch64-linux-gnu.cmake).
sysroot_opt=""
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then sysroot_opt="-L /usr/aarch64-linux-gnu "; fi

mkdir -p "$out"
for prog in ceems_exporter redfish_proxy; do
  bin=$build/src/apps/$prog/$prog
  if [ ! -x "$bin" ]; then
    echo "$0: $bin is not built" >&2
    exit 1
  fi
  printf '#!/bin/sh\nexec %s %s%s "$@"\n' "$qemu" "$sysroot_opt" "$bin" >"$out/$prog"
  chmod 755 "$out/$prog"
done
echo "shims in $out (running $qemu)"
