#!/usr/bin/env bash
# Installs every build, test and benchmark dependency from Debian 12 packages.
# Idempotent: re-running only installs what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang lld clang-format clang-tidy git ccache
  # libraries
  libboost-dev libssl-dev zlib1g-dev libyaml-cpp-dev nlohmann-json3-dev
  libpugixml-dev libcap-dev libcrypt-dev
  # eBPF sub-collector: CO-RE programs compiled with clang, skeletons from bpftool
  libbpf-dev bpftool
  # IPMI tools and the BMC simulator (ipmi_dcmi collector and its integration test)
  openipmi libopenipmi-dev ipmitool freeipmi-tools
  # a real single-node Slurm cluster for the slurm collector's integration test
  slurm-wlm slurmctld slurmd slurm-client munge
  # tests and benchmarks (cpp-httplib: an HTTP client inside some tests)
  libcpp-httplib-dev libbrotli-dev libgtest-dev libgmock-dev libbenchmark-dev prometheus curl apache2-utils python3 procps
  openssl ca-certificates
  # Debian packages (scripts/build-packages.sh) and the guest node they are tested on
  debhelper dpkg-dev lintian qemu-system-x86 mmdebstrap e2fsprogs libcap2-bin
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
