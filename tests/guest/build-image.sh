#!/bin/bash
# Build a Debian 12 (bookworm) guest image for end-to-end tests of the
# ceems_exporter Debian packages on a real systemd + cgroup v2 Slurm node.
#
#   tests/guest/build-image.sh OUTDIR [--include pkg,pkg,...]...
#
# Output: OUTDIR/root.img (ext4, made with `mkfs.ext4 -d`, no loop mount),
#         OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/key.
# OUTDIR/key is the sha256 of this script plus the package list; when it
# matches, nothing is rebuilt ("guest image: cached").
#
# Environment:
#   GUEST_APT_CACHE  optional directory that keeps the downloaded .debs
#                    between builds (synced in and out by mmdebstrap hooks)
#   GUEST_MIRROR     Debian mirror (default http://deb.debian.org/debian)
#   GUEST_SECURITY_MIRROR  (default http://deb.debian.org/debian-security)
#   GUEST_BUILD_TMPDIR  where the root tree is assembled (default /dev/shm
#                    when it is a tmpfs with 3 GB free, else OUTDIR)
#
# Needs root, mmdebstrap and e2fsprogs. See tests/guest/README.md.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")

GUEST_HOSTNAME=ceems-guest
# run.sh boots with -smp 2 (1 socket, 2 cores) and -m 2048; the node
# definition below must not claim more than that.
GUEST_CPUS=2
GUEST_REAL_MEMORY_MB=1536

BASE_PACKAGES=(
  systemd systemd-sysv udev dbus iproute2 procps kmod util-linux
  linux-image-amd64 bpftool
  slurmctld slurmd slurm-client munge
  python3-minimal
)

# Modules the initramfs needs to find and mount the root disk
# (MODULES=list keeps the initrd small, which matters under TCG).
INITRD_MODULES="virtio_pci virtio_blk ext4 crc32c_generic"

# ---------------------------------------------------------------------------
# Hook entry points (mmdebstrap runs them as: SELF __hook ROOTDIR)
# ---------------------------------------------------------------------------

hook_essential() {
  local root=$1
  # Configure initramfs-tools before linux-image-amd64 is unpacked so the
  # initrd is generated once, small.
  mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks"
  printf 'MODULES=list\nCOMPRESS=zstd\n' >"$root/etc/initramfs-tools/conf.d/ceems-guest"
  cat >"$root/etc/initramfs-tools/hooks/ceems-guest" <<EOF
#!/bin/sh
[ "\$1" = prereqs ] && exit 0
. /usr/share/initramfs-tools/hook-functions
manual_add_modules $INITRD_MODULES
EOF
  chmod 0755 "$root/etc/initramfs-tools/hooks/ceems-guest"
}

hook_customize() {
  local root=$1

  # --- identity --------------------------------------------------------
  echo "$GUEST_HOSTNAME" >"$root/etc/hostname"
  cat >"$root/etc/hosts" <<EOF
127.0.0.1	localhost
127.0.1.1	$GUEST_HOSTNAME
::1		localhost ip6-localhost ip6-loopback
EOF
  # A fixed machine-id: otherwise every (snapshot) boot is a "first boot"
  # and systemd runs preset-all and firstboot.
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  echo >>"$root/etc/machine-id"
  chroot "$root" passwd -d root >/dev/null
  cat >"$root/etc/fstab" <<'EOF'
# root is mounted rw by the kernel command line (root=/dev/vda rw)
tmpfs /tmp tmpfs defaults,nosuid,nodev 0 0
EOF

  # --- munge -----------------------------------------------------------
  if [ ! -s "$root/etc/munge/munge.key" ]; then
    dd if=/dev/urandom of="$root/etc/munge/munge.key" bs=1 count=1024 status=none
  fi
  chroot "$root" chown munge:munge /etc/munge/munge.key
  chmod 0400 "$root/etc/munge/munge.key"

  # --- slurm -----------------------------------------------------------
  mkdir -p "$root/var/spool/slurmctld" "$root/var/spool/slurmd" "$root/var/log/slurm"
  cat >"$root/etc/slurm/slurm.conf" <<EOF
# Single-node cluster for the ceems_exporter guest tests (Slurm 22.05).
ClusterName=ceems-guest
SlurmctldHost=$GUEST_HOSTNAME(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
JobAcctGatherType=jobacct_gather/cgroup
JobAcctGatherFrequency=task=10
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=$GUEST_HOSTNAME NodeAddr=127.0.0.1 CPUs=$GUEST_CPUS Sockets=1 CoresPerSocket=$GUEST_CPUS ThreadsPerCore=1 RealMemory=$GUEST_REAL_MEMORY_MB State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
  cat >"$root/etc/slurm/cgroup.conf" <<'EOF'
CgroupPlugin=cgroup/v2
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainSwapSpace=no
ConstrainDevices=no
EOF

  # --- test runner -----------------------------------------------------
  mkdir -p "$root/payload" "$root/usr/local/sbin"
  cat >"$root/usr/local/sbin/ceems-guest-run" <<'EOF'
#!/bin/bash
# Runs /payload/run-in-guest.sh once the system is up, sends its output to
# the second serial port and powers the guest off.
OUT=/dev/ttyS1
console() { echo "ceems-guest-runner: $*" >/dev/console; }
read -r up _ </proc/uptime
console "start uptime=${up}s"
stty -F "$OUT" raw -echo 115200 2>/dev/null || true
mkdir -p /payload
if [ -b /dev/vdb ] && ! mountpoint -q /payload; then
  mount -o ro /dev/vdb /payload || console "mounting /dev/vdb on /payload failed"
fi
systemctl is-system-running --wait >/dev/null 2>&1
state=$(systemctl is-system-running 2>/dev/null)
console "system state: $state"
systemd-analyze 2>/dev/null | head -1 >/dev/console
[ "$state" = running ] || systemctl --failed --no-legend --plain >/dev/console 2>&1
rc=0
if [ -e /payload/run-in-guest.sh ]; then
  cd /root
  if [ -x /payload/run-in-guest.sh ]; then
    /payload/run-in-guest.sh >"$OUT" 2>&1 </dev/null
  else
    /bin/bash /payload/run-in-guest.sh >"$OUT" 2>&1 </dev/null
  fi
  rc=$?
else
  echo "ceems-guest-runner: no /payload/run-in-guest.sh, boot check only" >"$OUT"
fi
printf 'GUEST-EXIT-STATUS=%d\n' "$rc" >"$OUT"
read -r up _ </proc/uptime
console "done rc=$rc uptime=${up}s"
journalctl -b -p err --no-pager -q 2>/dev/null | tail -n 40 |
  sed 's/^/ceems-guest-runner: journal: /' >/dev/console
sync
# Give the UART time to drain, then power off without stopping the units one
# by one (slurmctld 22.05 ignores SIGTERM for 15 s); the root disk is a
# throw-away snapshot anyway.
sleep 1
systemctl poweroff --force
EOF
  chmod 0755 "$root/usr/local/sbin/ceems-guest-run"
  cat >"$root/etc/systemd/system/ceems-guest-run.service" <<'EOF'
[Unit]
Description=ceems guest test runner (/payload/run-in-guest.sh)
After=multi-user.target
ConditionKernelCommandLine=!ceems.norun

[Service]
# simple, not oneshot: the runner waits for `systemctl is-system-running
# --wait`, which would otherwise wait on this unit itself.
Type=simple
ExecStart=/usr/local/sbin/ceems-guest-run
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF

  # The guest has no NIC (-nic none). glibc's getaddrinfo(AI_ADDRCONFIG)
  # then fails for every name, and slurmd 22.05 dies with "Unable to bind
  # listen port (6818)". One dummy interface with a private address fixes it.
  cat >"$root/etc/systemd/system/ceems-guest-net.service" <<'EOF'
[Unit]
Description=ceems guest dummy interface (a non-loopback address for AI_ADDRCONFIG)
DefaultDependencies=no
After=systemd-modules-load.service
Before=network.target network-online.target
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link add ceems0 type dummy
ExecStart=/sbin/ip addr add 10.254.254.1/24 dev ceems0
ExecStart=/sbin/ip link set ceems0 up

[Install]
WantedBy=network-online.target multi-user.target
EOF

  chroot "$root" systemctl enable -q munge.service slurmctld.service slurmd.service \
    ceems-guest-net.service ceems-guest-run.service

  # --- fast boot -------------------------------------------------------
  local unit
  for unit in \
      getty@tty1.service \
      systemd-networkd-wait-online.service systemd-networkd.service \
      systemd-networkd.socket systemd-resolved.service \
      apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
      e2scrub_all.timer e2scrub_reap.service fstrim.timer logrotate.timer \
      man-db.timer systemd-tmpfiles-clean.timer \
      systemd-timesyncd.service systemd-pstore.service \
      systemd-firstboot.service serial-getty@ttyS0.service \
      modprobe@dm_mod.service modprobe@loop.service modprobe@fuse.service \
      modprobe@drm.service modprobe@efi_pstore.service; do
    ln -sfn /dev/null "$root/etc/systemd/system/$unit"
  done
  mkdir -p "$root/etc/systemd/system.conf.d"
  cat >"$root/etc/systemd/system.conf.d/ceems-guest.conf" <<'EOF'
[Manager]
DefaultTimeoutStopSec=15s
EOF

  # --- size: drop kernel modules a headless test VM never loads -----------
  local kdir
  for kdir in "$root"/lib/modules/*/; do
    rm -rf "$kdir"kernel/sound "$kdir"kernel/drivers/gpu "$kdir"kernel/drivers/media \
      "$kdir"kernel/drivers/net/wireless "$kdir"kernel/drivers/net/ethernet \
      "$kdir"kernel/drivers/infiniband "$kdir"kernel/drivers/staging \
      "$kdir"kernel/drivers/bluetooth "$kdir"kernel/drivers/iio \
      "$kdir"kernel/drivers/isdn "$kdir"kernel/drivers/video/fbdev \
      "$kdir"kernel/net/wireless "$kdir"kernel/net/mac80211 "$kdir"kernel/net/bluetooth
    chroot "$root" depmod -a "$(basename "$kdir")"
  done
}

# shellcheck disable=SC2015
case "${1:-}" in
  __hook-*) [ -n "${2:-}" ] && [ "$(readlink -f "$2")" != / ] && [ -d "$2/etc" ] ||
      { echo "build-image.sh: $1: bad chroot '${2:-}'" >&2; exit 1; } ;;
esac
case "${1:-}" in
  __hook-essential) hook_essential "$2"; exit 0 ;;
  __hook-customize) hook_customize "$2"; exit 0 ;;
esac

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

usage() { echo "usage: $0 OUTDIR [--include pkg,pkg,...]..." >&2; exit 2; }

[ $# -ge 1 ] || usage
OUTDIR=$1; shift
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --include) [ $# -ge 2 ] || usage; IFS=', ' read -r -a p <<<"$2"; EXTRA+=("${p[@]}"); shift 2 ;;
    --include=*) IFS=', ' read -r -a p <<<"${1#--include=}"; EXTRA+=("${p[@]}"); shift ;;
    *) usage ;;
  esac
done

PACKAGES=$(printf '%s\n' "${BASE_PACKAGES[@]}" "${EXTRA[@]}" | sed '/^$/d' | sort -u | paste -sd, -)
KEY=$( { cat "$SELF"; echo "packages=$PACKAGES"; } | sha256sum | cut -d' ' -f1)

mkdir -p "$OUTDIR"
OUTDIR=$(readlink -f "$OUTDIR")
if [ -f "$OUTDIR/key" ] && [ "$(cat "$OUTDIR/key")" = "$KEY" ] &&
   [ -s "$OUTDIR/root.img" ] && [ -s "$OUTDIR/vmlinuz" ] && [ -s "$OUTDIR/initrd.img" ]; then
  echo "guest image: cached ($OUTDIR)"
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "build-image.sh: needs root (mmdebstrap --mode=root)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "build-image.sh: mmdebstrap not installed" >&2; exit 1; }

T0=$(date +%s.%N)
rm -f "$OUTDIR/key"
WORK=$(mktemp -d "$OUTDIR/.build.XXXXXX")
# The root tree (about 0.5 GB with the .deb cache) goes to a tmpfs when one
# has room: creating and deleting ~20000 files is slow on a busy disk.
ROOTBASE=${GUEST_BUILD_TMPDIR:-}
if [ -z "$ROOTBASE" ] && [ "$(stat -fc %T /dev/shm 2>/dev/null)" = tmpfs ] &&
   [ "$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')" -gt $((3 * 1024 * 1024)) ] &&
   ! findmnt -no OPTIONS /dev/shm | grep -qE '(^|,)(noexec|nodev|nosuid)(,|$)'; then
  ROOTBASE=/dev/shm
fi
ROOTWORK=$(mktemp -d "${ROOTBASE:-$WORK}/ceems-guest-root.XXXXXX")
cleanup() { rm -rf "$ROOTWORK" "$WORK"; }
trap cleanup EXIT
ROOT=$ROOTWORK/rootfs

MIRROR=${GUEST_MIRROR:-http://deb.debian.org/debian}
SECMIRROR=${GUEST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

CACHE_ARGS=()
if [ -n "${GUEST_APT_CACHE:-}" ]; then
  mkdir -p "$GUEST_APT_CACHE"
  CACHE=$(readlink -f "$GUEST_APT_CACHE")
  # shellcheck disable=SC2016  # $1 is expanded by mmdebstrap
  CACHE_ARGS=(
    --skip=essential/unlink
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
    --setup-hook="sync-in '$CACHE' /var/cache/apt/archives/"
    --customize-hook="sync-out /var/cache/apt/archives '$CACHE'"
  )
fi

echo "guest image: building in $OUTDIR (packages: $PACKAGES)" >&2
mmdebstrap --mode=root --variant=minbase --quiet \
  --include="$PACKAGES" \
  --dpkgopt='force-unsafe-io' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --essential-hook="'$SELF' __hook-essential \"\$1\"" \
  "${CACHE_ARGS[@]}" \
  --customize-hook="'$SELF' __hook-customize \"\$1\"" \
  bookworm "$ROOT" \
  "deb $MIRROR bookworm main" \
  "deb $MIRROR bookworm-updates main" \
  "deb $SECMIRROR bookworm-security main"
T1=$(date +%s.%N)

KVER=$(find "$ROOT/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
cp "$ROOT/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$ROOT/boot/initrd.img-$KVER" "$WORK/initrd.img"
# The kernel and initrd live outside the image; drop them from it.
rm -f "$ROOT"/boot/vmlinuz-* "$ROOT"/boot/initrd.img-* "$ROOT"/boot/System.map-* \
  "$ROOT"/vmlinuz* "$ROOT"/initrd.img*

USED_MB=$(du -sm "$ROOT" | cut -f1)
SIZE_MB=$(( USED_MB * 12 / 10 + 768 ))   # headroom for logs, spool and test files
truncate -s "${SIZE_MB}M" "$WORK/root.img"
mkfs.ext4 -q -F -L ceems-root -d "$ROOT" "$WORK/root.img"
T2=$(date +%s.%N)

mv -f "$WORK/root.img" "$OUTDIR/root.img"
mv -f "$WORK/vmlinuz" "$OUTDIR/vmlinuz"
mv -f "$WORK/initrd.img" "$OUTDIR/initrd.img"
echo "$KEY" >"$OUTDIR/key"
awk -v t0="$T0" -v t1="$T1" -v t2="$T2" -v used="$USED_MB" -v size="$SIZE_MB" -v kver="$KVER" \
    -v initrd="$(du -h "$OUTDIR/initrd.img" | cut -f1)" 'BEGIN {
  printf "guest image: built in %.0f s (mmdebstrap %.0f s, mkfs.ext4 %.0f s); rootfs %s MB, image %s MB, kernel %s, initrd %s\n",
    t2 - t0, t1 - t0, t2 - t1, used, size, kver, initrd }' >&2
