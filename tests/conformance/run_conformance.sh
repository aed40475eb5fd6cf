#!/usr/bin/env bash
# Runs the conformance scenarios listed in passing.txt with the shared
# conformance runner (<repo>/../shared/conformance/run).
#
# usage: run_conformance.sh <ceems_exporter> [<redfish_proxy>]
#
# Exit status: 0 all listed scenarios passed; 1 a scenario failed or bad
# usage; 77 (ctest SKIP_RETURN_CODE) when passing.txt lists nothing.  When the
# runner is absent the script prints "SKIP: ../shared/conformance not found"
# and exits with $CONFORMANCE_SKIP_RC (default 0; ctest sets 77).
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runner="$repo/../shared/conformance/run"
passing="$here/passing.txt"
skip_rc="${CONFORMANCE_SKIP_RC:-0}"

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 <ceems_exporter> [<redfish_proxy>]" >&2
  exit 1
fi
exporter="$1"
proxy="${2:-}"

if [ ! -e "$runner" ]; then
  echo "SKIP: ../shared/conformance not found ($runner)"
  exit "$skip_rc"
fi

names=()
if [ -f "$passing" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%%#*}"
    # trim whitespace
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -n "$line" ] && names+=("$line")
  done < "$passing"
fi

if [ ${#names[@]} -eq 0 ]; then
  echo "SKIP: no scenarios listed in $passing"
  exit 77
fi

if [ ! -x "$exporter" ]; then
  echo "ceems_exporter not found or not executable: $exporter" >&2
  exit 1
fi

args=(--exporter "$exporter")
if [ -n "$proxy" ] && [ -x "$proxy" ]; then
  args+=(--redfish-proxy "$proxy")
fi

# The runner needs Python 3.11 (standard library only); prefer Debian's.
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"

echo "running: $runner ${args[*]} ${names[*]}"
timeout 900 "$py" "$runner" "${args[@]}" "${names[@]}"
rc=$?
if [ $rc -ne 0 ]; then
  echo "conformance: runner exited with status $rc" >&2
  exit 1
fi
exit 0
