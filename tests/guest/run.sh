#!/bin/bash
# Boot the guest image built by build-image.sh under QEMU TCG, run
# PAYLOAD_DIR/run-in-guest.sh inside it and collect its output.
#
#   tests/guest/run.sh IMAGE_DIR PAYLOAD_DIR OUTPUT_FILE [TIMEOUT_S]
#
# PAYLOAD_DIR becomes a read-only ext4 disk mounted at /payload in the guest.
# The guest's runner unit executes /payload/run-in-guest.sh after
# multi-user.target, writes its stdout+stderr to the second serial port
# (-> OUTPUT_FILE), appends a last line `GUEST-EXIT-STATUS=N` and powers off.
# The guest console goes to OUTPUT_FILE.console.
#
# Exit status: N from the guest; 1 (with a message) when the guest did not
# finish (no status line), also after TIMEOUT_S (default 900) seconds.
#
# Environment: GUEST_SMP (2), GUEST_MEM (2048, MiB), GUEST_APPEND (extra
# kernel command line), QEMU (qemu-system-x86_64).
set -euo pipefail

usage() { echo "usage: $0 IMAGE_DIR PAYLOAD_DIR OUTPUT_FILE [TIMEOUT_S]" >&2; exit 2; }
if [ $# -lt 3 ] || [ $# -gt 4 ]; then usage; fi
IMAGE_DIR=$1 PAYLOAD_DIR=$2 OUTPUT_FILE=$3 TIMEOUT_S=${4:-900}
case "$TIMEOUT_S" in ''|*[!0-9]*) usage ;; esac

for f in root.img vmlinuz initrd.img; do
  [ -s "$IMAGE_DIR/$f" ] || { echo "run.sh: $IMAGE_DIR/$f missing (run build-image.sh)" >&2; exit 1; }
done
[ -d "$PAYLOAD_DIR" ] || { echo "run.sh: payload directory $PAYLOAD_DIR missing" >&2; exit 1; }
QEMU=${QEMU:-qemu-system-x86_64}
command -v "$QEMU" >/dev/null || { echo "run.sh: $QEMU not installed" >&2; exit 1; }
command -v mkfs.ext4 >/dev/null || PATH=$PATH:/sbin:/usr/sbin

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "guest: $*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ceems-guest.XXXXXX")
QPID=
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
  if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
    kill "$QPID" 2>/dev/null || true
    sleep 1
    kill -9 "$QPID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- payload disk --------------------------------------------------------
T0=$(now)
PAYLOAD_KB=$(du -sk "$PAYLOAD_DIR" | cut -f1)
PAYLOAD_MB=$(( PAYLOAD_KB * 13 / 10 / 1024 + 16 ))
truncate -s "${PAYLOAD_MB}M" "$TMP/payload.img"
mkfs.ext4 -q -F -O ^has_journal -L payload -d "$PAYLOAD_DIR" "$TMP/payload.img"
T1=$(now)
log "payload image ${PAYLOAD_MB} MB built in $(secs "$T0" "$T1") s"

# --- boot ------------------------------------------------------------------
CONSOLE=$OUTPUT_FILE.console
: >"$OUTPUT_FILE"
: >"$CONSOLE"
APPEND="console=ttyS0 root=/dev/vda rw quiet systemd.unified_cgroup_hierarchy=1 systemd.firstboot=off mitigations=off ${GUEST_APPEND:-}"
SMP=${GUEST_SMP:-2}
# Keep TMPDIR for QEMU's snapshot overlay on our temporary directory.
TMPDIR=$TMP "$QEMU" \
  -nodefaults -no-user-config -display none \
  -machine pc -accel tcg -cpu max \
  -smp "$SMP,sockets=1,cores=$SMP,threads=1" -m "${GUEST_MEM:-2048}" \
  -no-reboot \
  -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" -append "$APPEND" \
  -drive "file=$IMAGE_DIR/root.img,if=virtio,format=raw,snapshot=on" \
  -drive "file=$TMP/payload.img,if=virtio,format=raw,readonly=on" \
  -device virtio-rng-pci \
  -nic none \
  -serial "file:$CONSOLE" -serial "file:$OUTPUT_FILE" \
  </dev/null >"$TMP/qemu.log" 2>&1 &
QPID=$!
log "qemu pid $QPID started (timeout ${TIMEOUT_S} s)"

T_START=
T_DONE=
TIMED_OUT=0
DEADLINE=$(awk -v t="$T1" -v d="$TIMEOUT_S" 'BEGIN { printf "%d", t + d }')
while kill -0 "$QPID" 2>/dev/null; do
  if [ -z "$T_START" ] && grep -q 'ceems-guest-runner: start' "$CONSOLE"; then
    T_START=$(now)
    log "booted to the runner in $(secs "$T1" "$T_START") s"
  fi
  if [ -z "$T_DONE" ] && grep -q 'GUEST-EXIT-STATUS=' "$OUTPUT_FILE"; then
    T_DONE=$(now)
    log "payload script finished in $(secs "${T_START:-$T1}" "$T_DONE") s"
  fi
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then
    TIMED_OUT=1
    log "timeout after ${TIMEOUT_S} s, killing qemu"
    kill "$QPID" 2>/dev/null || true
    break
  fi
  sleep 0.5
done
wait "$QPID" 2>/dev/null && QRC=0 || QRC=$?
QPID=
T2=$(now)
if [ -n "$T_DONE" ]; then
  log "shutdown in $(secs "$T_DONE" "$T2") s"
fi
log "total $(secs "$T0" "$T2") s (qemu exit status $QRC)"
if [ -s "$TMP/qemu.log" ]; then
  sed 's/^/guest: qemu: /' "$TMP/qemu.log" >&2
fi

LAST=$(tail -n 1 "$OUTPUT_FILE" | tr -d '\r')
if [[ "$LAST" =~ GUEST-EXIT-STATUS=([0-9]+)$ ]]; then
  RC=${BASH_REMATCH[1]}
  log "guest script exit status $RC"
  exit "$RC"
fi
if [ "$TIMED_OUT" = 1 ]; then
  log "the guest did not finish within ${TIMEOUT_S} s; see $CONSOLE"
else
  log "the guest did not finish (no GUEST-EXIT-STATUS line in $OUTPUT_FILE); see $CONSOLE"
fi
exit 1
