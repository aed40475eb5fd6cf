#!/usr/bin/env bash
# Builds the Debian packages ceems-exporter and redfish-proxy from this tree
# and checks them with lintian (docs/deployment.md, "Building the packages").
#
#   scripts/build-packages.sh [--reuse-build DIR] [OUTDIR]
#
# OUTDIR (default build/packages) receives the .deb, .buildinfo and .changes
# files. --reuse-build packages the binaries of an up-to-date build tree of this
# source configured with scripts/package-flags.sh (scripts/test.sh does).
# Needs the build dependencies of debian/control (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

reuse=""
if [ "${1:-}" = "--reuse-build" ]; then
  reuse=$(realpath "$2")
  shift 2
fi
out=$(realpath -m "${1:-build/packages}")
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes

export CEEMS_DEB_OUTDIR=$out
if [ -n "$reuse" ]; then export CEEMS_BUILD_DIR=$reuse; fi
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
dpkg-buildpackage -b -uc -us --no-sign \
  --buildinfo-option="-u$out" --changes-option="-u$out" \
  --buildinfo-file="$out/ceems_${version}_${arch}.buildinfo" \
  --changes-file="$out/ceems_${version}_${arch}.changes" >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2
  echo "build-packages: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
  exit 1
}
dpkg-buildpackage --rules-target clean >/dev/null 2>&1 || true

echo "build-packages: $(cd "$out" && echo ./*.deb)"
# Errors fail the build; warnings are printed for the record.
lintian --fail-on error --display-level '>=warning' "$out"/*.changes
echo "build-packages: lintian reports no errors"
