#!/usr/bin/env bash
# Release archive of one build: ceems-<version>.linux-<arch>.tar.gz holding
# ceems_exporter, redfish_proxy, the systemd units, the example configuration and
# defaults files, LICENSE, README.md and SHA256SUMS (the sums of every other file
# in it), plus <archive>.sha256 beside it. <arch> is Go's name (amd64, arm64), as
# in the original's release archives.
#
#   scripts/release.sh [--build DIR] [--arch ARCH] [OUTDIR]
#
# Without --build, the static binaries of ARCH are built first
# (scripts/build-static.sh into build-static-<machine>): the one command for a
# release. DIR: a built tree to take the binaries from instead (its bin/ when it
# has one, as a static tree does). OUTDIR: where the archive goes (default
# DIR/release). ARCH: amd64 or arm64 (default: this machine's).
set -euo pipefail
cd "$(dirname "$0")/.."

build=""
arch=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    -*) echo "release: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
outdir=${1:-}

version=$(sed -nE 's/^project\(ceems_cpp VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "release: no project version in CMakeLists.txt" >&2; exit 1; }
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
    *) echo "release: unknown machine $(uname -m); pass --arch" >&2; exit 1 ;;
  esac
fi

case "$arch" in
  amd64) machine=x86_64 ;;
  arm64) machine=aarch64 ;;
  *) echo "release: unknown architecture $arch (amd64 or arm64)" >&2; exit 2 ;;
esac
if [ -z "$build" ]; then
  build=build-static-$machine
  bash scripts/build-static.sh --arch "$machine" "$build"
fi
out=$(realpath -m "${outdir:-$build/release}")
if [ -d "$build/bin" ]; then
  exporter=$build/bin/ceems_exporter
  proxy=$build/bin/redfish_proxy
else
  exporter=$build/src/apps/ceems_exporter/ceems_exporter
  proxy=$build/src/apps/redfish_proxy/redfish_proxy
fi
for bin in "$exporter" "$proxy"; do
  [ -x "$bin" ] || { echo "release: $bin is not built" >&2; exit 1; }
done

name=ceems-$version.linux-$arch
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/$name
mkdir -p "$dir/systemd" "$dir/config/ceems_exporter" "$dir/config/redfish_proxy" "$dir/default"
install -m 0755 "$exporter" "$proxy" "$dir/"
install -m 0644 deploy/systemd/*.service "$dir/systemd/"
install -m 0644 deploy/config/ceems_exporter/* "$dir/config/ceems_exporter/"
install -m 0644 deploy/config/redfish_proxy/* "$dir/config/redfish_proxy/"
install -m 0644 deploy/default/* "$dir/default/"
install -m 0644 LICENSE README.md "$dir/"
(cd "$dir" && find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum >SHA256SUMS)

mkdir -p "$out"
archive=$out/$name.tar.gz
# Reproducible: fixed owner, order and time (the last commit's, else the epoch).
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$stage" -cf - "$name" |
  gzip -n -9 >"$archive"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "release: $archive"
