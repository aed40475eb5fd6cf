#!/bin/bash
# Example guest payload: checks that the guest is a systemd + cgroup v2 Slurm
# node on which a batch job gets its own cgroup. Copy it as run-in-guest.sh
# into a payload directory and boot it with tests/guest/run.sh.
# Exits non-zero when any check fails.
# shellcheck disable=SC2015,SC2016  # ok() and fail() always succeed; JOB expands in the job
set -u

FAILURES=0
ok()   { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
section() { echo; echo "== $*"; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

section "system"
echo "uptime: $(uptime_s) s, kernel $(uname -r), $(nproc) CPUs"
pid1=$(cat /proc/1/comm)
if [ "$pid1" = systemd ]; then ok "PID 1 is systemd ($(readlink /proc/1/exe))"
else fail "PID 1 is '$pid1', not systemd"; fi
fstype=$(stat -fc %T /sys/fs/cgroup)
if [ "$fstype" = cgroup2fs ]; then ok "/sys/fs/cgroup is cgroup2fs ($(cat /sys/fs/cgroup/cgroup.controllers))"
else fail "/sys/fs/cgroup is $fstype, not cgroup2fs"; fi

section "services"
for unit in munge slurmctld slurmd; do
  state=
  for _ in $(seq 1 60); do
    state=$(systemctl is-active "$unit")
    [ "$state" = active ] && break
    sleep 1
  done
  if [ "$state" = active ]; then ok "$unit is active"
  else fail "$unit is $state"; systemctl status "$unit" --no-pager -l | tail -n 15; fi
done
echo "slurmd $(systemctl show -p Delegate -p ControlGroup slurmd | paste -sd' ')"
echo "scope units: $(systemctl list-units --type=scope --no-legend --plain | awk '{print $1}' | paste -sd' ')"

# poll_for WANT SECONDS CMD...: runs CMD once a second until it prints WANT (or
# the time is up); prints what it printed last.
poll_for() {
  local want=$1 n=$2 got=
  shift 2
  for _ in $(seq 1 "$n"); do
    got=$("$@" 2>/dev/null)
    [ "$got" = "$want" ] && break
    sleep 1
  done
  echo "$got"
}

section "node"
node=$(hostname -s)
state=$(poll_for idle 60 sinfo -h -n "$node" -o %t)
sinfo
if [ "$state" = idle ]; then ok "node $node is idle"
else fail "node $node is '$state' after 60 s"; scontrol show node "$node"; fi

section "batch job"
# One CPU busy for 15 s while holding 100 MiB of touched anonymous memory.
JOB='echo "job $SLURM_JOB_ID on $(hostname)"; cat /proc/self/cgroup
exec python3 -c "
import time
buf = b\"x\" * (100 << 20)
end = time.monotonic() + 15
while time.monotonic() < end:
    pass
print(\"job done, held\", len(buf) >> 20, \"MiB\")
"'
if ! command -v python3 >/dev/null; then
  # Without python: tail keeps a newline-free pipe in memory until EOF.
  JOB='echo "job $SLURM_JOB_ID on $(hostname)"; cat /proc/self/cgroup
timeout 15 sh -c "while :; do :; done" &
{ head -c 100M /dev/zero; sleep 15; } | tail >/dev/null
wait
echo "job done"'
fi
jobid=$(sbatch --parsable -c 1 --mem=300M -o /tmp/smoke-%j.out --wrap "$JOB")
if [ -z "$jobid" ]; then
  fail "sbatch did not return a job id"
else
  ok "submitted job $jobid"
  st=$(poll_for RUNNING 60 squeue -h -j "$jobid" -o %T)
  [ "$st" = RUNNING ] && ok "job $jobid is RUNNING" || fail "job $jobid is '$st', not RUNNING"

  jobdir=
  for _ in $(seq 1 20); do
    jobdir=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "job_$jobid" 2>/dev/null | head -n 1)
    [ -n "$jobdir" ] && break
    sleep 0.5
  done
  echo "job cgroup directory: ${jobdir:-<none>}"
  if [[ "$jobdir" =~ ^/sys/fs/cgroup/system\.slice/([^/]+_)?slurmstepd\.scope/job_${jobid}$ ]]; then
    ok "job cgroup is under system.slice/${BASH_REMATCH[1]}slurmstepd.scope"
  else
    fail "unexpected job cgroup directory '${jobdir}'"
  fi
  echo "scontrol listpids:"; scontrol listpids "$jobid" 2>&1 | sed 's/^/  /'
  if [ -n "$jobdir" ] && [ -d "$jobdir" ]; then
    echo "cgroup tree:"; (cd "$jobdir" && find . -type d | sort | sed 's/^/  /')
    while read -r pid; do
      echo "  pid $pid ($(cat /proc/"$pid"/comm 2>/dev/null)): $(cat /proc/"$pid"/cgroup 2>/dev/null)"
    done < <(cat "$jobdir"/step_batch/user/task_0/cgroup.procs 2>/dev/null)
    peak=0 usage=0
    for _ in $(seq 1 40); do
      [ -d "$jobdir" ] || break
      cur=$(cat "$jobdir/memory.current" 2>/dev/null || echo 0)
      [ "$cur" -gt "$peak" ] && peak=$cur
      usage=$(awk '/^usage_usec/ {print $2}' "$jobdir/cpu.stat" 2>/dev/null || echo "$usage")
      [ "$peak" -ge $((100 * 1024 * 1024)) ] && [ "${usage:-0}" -ge 3000000 ] && break
      sleep 0.5
    done
    echo "cgroup.events:"; sed 's/^/  /' "$jobdir/cgroup.events"
    echo "memory.current: $(cat "$jobdir/memory.current")"
    echo "memory.max:     $(cat "$jobdir/memory.max")"
    echo "cpu.stat:"; sed 's/^/  /' "$jobdir/cpu.stat"
    echo "cpuset.cpus.effective: $(cat "$jobdir/cpuset.cpus.effective" 2>/dev/null)"
    [ "$peak" -ge $((100 * 1024 * 1024)) ] && ok "job memory.current reached $peak bytes (>= 100 MiB)" \
      || fail "job memory.current peaked at $peak bytes (< 100 MiB)"
    [ "$(cat "$jobdir/memory.max")" = $((300 * 1024 * 1024)) ] && ok "memory.max is the job's --mem=300M" \
      || fail "memory.max is $(cat "$jobdir/memory.max"), expected $((300 * 1024 * 1024))"
    [ "${usage:-0}" -ge 3000000 ] && ok "job cpu.stat usage_usec reached ${usage}" \
      || fail "job cpu.stat usage_usec only ${usage:-0}"
  fi

  for _ in $(seq 1 120); do
    [ -z "$(squeue -h -j "$jobid" 2>/dev/null)" ] && break
    sleep 1
  done
  info=$(scontrol show job "$jobid" 2>/dev/null)
  jstate=$(grep -o 'JobState=[A-Z_]*' <<<"$info")
  jexit=$(grep -o ' ExitCode=[0-9:]*' <<<"$info" | tr -d ' ')
  echo "$jstate $jexit $(grep -o 'RunTime=[0-9:-]*' <<<"$info")"
  [ "$jstate" = JobState=COMPLETED ] && [ "$jexit" = ExitCode=0:0 ] && ok "job $jobid completed" \
    || fail "job $jobid ended with $jstate $jexit"
  echo "job output:"; sed 's/^/  /' "/tmp/smoke-$jobid.out" 2>/dev/null
  sleep 1
  [ -n "$jobdir" ] && [ ! -d "$jobdir" ] && ok "job cgroup removed after the job" \
    || { [ -n "$jobdir" ] && fail "job cgroup $jobdir still exists"; }
fi

section "kernel attach paths"
btf=$(wc -c </sys/kernel/btf/vmlinux 2>/dev/null || echo 0)
echo "cat /sys/kernel/btf/vmlinux | wc -c: $btf"
[ "$btf" -gt 0 ] && ok "kernel BTF present" || fail "no /sys/kernel/btf/vmlinux"
t0=$(uptime_s)
probe=$(bpftool feature probe 2>&1)
t1=$(uptime_s)
grep -E "kprobe|tracing" <<<"$probe"
echo "(bpftool feature probe took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
grep -q 'program_type kprobe is available' <<<"$probe" && ok "kprobe programs available" \
  || fail "kprobe program type not available"
grep -q 'program_type tracing is available' <<<"$probe" && ok "tracing (fentry) programs available" \
  || fail "tracing program type not available"

if [ "$FAILURES" -gt 0 ]; then
  section "diagnostics"
  echo "--- slurmd.log"; tail -n 30 /var/log/slurm/slurmd.log
  echo "--- slurmctld.log"; tail -n 30 /var/log/slurm/slurmctld.log
fi
echo
echo "slurm-smoke: $FAILURES failure(s), uptime $(uptime_s) s"
[ "$FAILURES" -eq 0 ]
