#!/usr/bin/env bash
# The packages on a real node: boots a Debian 12 guest (systemd, pure cgroup v2,
# Slurm 22.05 with cgroup/v2) under QEMU, installs the .deb files of PACKAGES_DIR
# in it and runs run-in-guest.sh there (tests/guest/ has the machinery).
#
#   tests/package/node-test.sh PACKAGES_DIR [WORKDIR]
#
# WORKDIR (default build/guest) keeps the guest image between runs, keyed by
# what it is built from: a fresh machine builds it again (about 2-3 minutes).
# Exit status: 0 when every check in the guest passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
packages=$(realpath "$1")
work=$(realpath -m "${2:-$root/build/guest}")
mkdir -p "$work"

shopt -s nullglob
debs=("$packages"/ceems-exporter_*.deb "$packages"/redfish-proxy_*.deb)
[ "${#debs[@]}" -eq 2 ] || { echo "node-test: no ceems-exporter/redfish-proxy .deb in $packages" >&2; exit 1; }

# The guest has no network: the packages' run-time dependencies go into the image.
deps=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Depends; done | tr ',|' '\n' |
  sed -E 's/\(.*\)//; s/:any//; s/^ +| +$//g' | grep -v '^$' | sort -u | paste -sd, -)
echo "node-test: run-time dependencies: $deps"
"$root/tests/guest/build-image.sh" "$work/image" --include "$deps,curl,libcap2-bin,python3-minimal"

# The capability sets the checks expect, as docs/deployment.md lists them.
doc="$root/docs/deployment.md"
doc_caps() {  # the capabilities of the table row whose first cell is $1 ("none" prints nothing)
  awk -F'|' -v row="$1" '{ c = $2; gsub(/^ +| +$/, "", c) }
    c == row { v = $3; gsub(/[` ]/, "", v); if (v != "none") print v; exit }' "$doc"
}
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
mkdir -p "$payload/debs"
cp "${debs[@]}" "$payload/debs/"
cp "$here/run-in-guest.sh" "$payload/run-in-guest.sh"
default_prm=$(doc_caps "defaults (cpu, meminfo, rapl) without RAPL")
slurm_prm=$(doc_caps "slurm, eBPF IO, no GPU, no RAPL")
unit_bnd=$(doc_caps "the unit's bounding set")
[ -n "$unit_bnd" ] || { echo "node-test: docs/deployment.md lists no bounding set" >&2; exit 1; }
cat >"$payload/expected-caps.sh" <<CAPS
EXPECTED_DEFAULT_PRM='$default_prm'
EXPECTED_SLURM_EBPF_PRM='$slurm_prm'
EXPECTED_UNIT_BND='$unit_bnd'
CAPS

out="$work/node-test.out"
status=0
"$root/tests/guest/run.sh" "$work/image" "$payload" "$out" "${CEEMS_GUEST_TIMEOUT:-1500}" || status=$?
cat "$out"
echo "node-test: guest exit status $status (console log: $out.console)"
exit "$status"
