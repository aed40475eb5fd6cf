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
  # the static binaries' tests: a static shell for an empty root, static qemu for aarch64
  busybox-static qemu-user-static
  # Debian packages (scripts/build-packages.sh) and the guest node they are tested on
  debhelper dpkg-dev lintian qemu-system-x86 mmdebstrap e2fsprogs libcap2-bin
)

# The aarch64 cross build (cmake/toolchains/aarch64-linux-gnu.cmake): Debian's cross
# compiler, qemu-user to run what it builds, and the arm64 builds of the libraries the two
# binaries link. They are Multi-Arch: same and install beside the amd64 ones (apt keeps both
# at the same version, so an out-of-date amd64 one is upgraded with them). cpp-httplib is
# left out: only the tests use it, and they are not cross-built. Set CEEMS_NO_CROSS=1 to
# skip all of it.
cross_packages=(
  g++-aarch64-linux-gnu qemu-user
  libssl-dev:arm64 zlib1g-dev:arm64 libpugixml-dev:arm64 libcap-dev:arm64
  libcrypt-dev:arm64 libboost-dev:arm64
  # libbpf.a needs libelf, and libelf.a only zlib
  libbpf-dev:arm64 libelf-dev:arm64
  # libyaml-cpp-dev is not Multi-Arch: same in Debian 12 (its arm64 build would replace the
  # amd64 one), so only the runtime library comes from apt; see the overlay below.
  libyaml-cpp0.7:arm64
)
# Where the arm64 libyaml-cpp-dev (and its runtime library, which the CMake config names) is
# unpacked instead; the toolchain file searches it.
cross_overlay=${CEEMS_CROSS_OVERLAY:-/opt/ceems-cross/aarch64-linux-gnu}
if [ "${CEEMS_NO_CROSS:-0}" = 1 ]; then cross_packages=(); fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}" "${cross_packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all $((${#packages[@]} + ${#cross_packages[@]})) packages already installed"
else
  echo "install-deps: installing ${missing[*]}"
  if [[ "${missing[*]}" == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${#cross_packages[@]}" -gt 0 ] && [ ! -f "$cross_overlay/.installed" ]; then
  echo "install-deps: unpacking the arm64 libyaml-cpp-dev into $cross_overlay"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if [ "$(id -u)" -eq 0 ]; then chown _apt "$tmp"; fi # apt downloads as its _apt user
  (cd "$tmp" && apt-get download -qq libyaml-cpp-dev:arm64 libyaml-cpp0.7:arm64)
  $SUDO mkdir -p "$cross_overlay"
  for deb in "$tmp"/*.deb; do $SUDO dpkg-deb -x "$deb" "$cross_overlay"; done
  dpkg-deb -f "$tmp"/libyaml-cpp-dev_*.deb Version | $SUDO tee "$cross_overlay/.installed" >/dev/null
fi
