#!/bin/bash
# Runs inside the Debian 12 guest (tests/guest/run.sh): systemd as PID 1, pure
# cgroup v2, Slurm 22.05 with its cgroup/v2 plugin. Installs the project's
# packages from /payload/debs and checks them as an operator would:
#   1. both services start from the package with their defaults;
#   2. enabling the slurm collector (and eBPF IO) through /etc/default/ceems_exporter
#      gives a real Slurm job's series: uuid, CPU > 0, memory >= what it holds,
#      the bytes it writes counted by the kernel's fentry/kprobe attach path;
#   3. the service holds exactly the capabilities docs/deployment.md lists;
#   4. systemctl stop stops it; purge leaves nothing but what policy keeps.
# Prints "ok - ..." / "not ok - ..." per check; exit status = number of failures.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
failures=0
ok() { echo "ok - $*"; }
fail() { echo "not ok - $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
section() { echo; echo "## $*"; }
# The expected capability sets come from docs/deployment.md (node-test.sh).
# shellcheck source=/dev/null
. /payload/expected-caps.sh

metrics() { curl -sf --max-time 20 "http://127.0.0.1:9010/metrics"; }
has_series() { metrics | grep -q "$1"; }  # has_series REGEX: a line of the page matches
lacks_series() { ! has_series "$1"; }
# sum_of PAGE NAME LABEL_MATCH: the sum of NAME's samples whose labels contain LABEL_MATCH.
sum_of() { awk -v n="$2" -v m="$3" 'index($0, n "{") == 1 && index($0, m) { s += $NF } END { printf "%.6f\n", s }' <<<"$1"; }
wait_for() {  # wait_for SECONDS COMMAND...: true once COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 1; done
}
caps_of() {  # caps_of PID FIELD: the capability names of CapPrm/CapEff/CapBnd/CapAmb
  local hex
  hex=$(awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status")
  capsh --decode="$hex" | sed 's/^.*=//'
}
snapshot() {  # the files a package could leave behind
  find /etc /usr /var/lib /lib /opt -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt \
    -o -path /var/lib/systemd/catalog -o -path /var/lib/systemd/timers -o -path /var/lib/slurm \
    -o -path /var/lib/munge -o -path /var/cache \) -prune -o -print | sort
}

section "host"
check "PID 1 is systemd" test "$(cat /proc/1/comm)" = systemd
check "cgroup v2 only (cgroup2fs)" test "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs
echo "kernel $(uname -r)"

section "install"
snapshot >/tmp/before.txt
check "dpkg -i of both packages" dpkg -i /payload/debs/ceems-exporter_*.deb /payload/debs/redfish-proxy_*.deb
check "system user ceems exists" id ceems
check "redfish-config.yml is 0640 root:ceems" test "$(stat -c '%a %U:%G' /etc/ceems_exporter/redfish-config.yml)" = "640 root:ceems"
check "web-config.yml is 0640 root:ceems" test "$(stat -c '%a %U:%G' /etc/ceems_exporter/web-config.yml)" = "640 root:ceems"
check "/etc/default/ceems_exporter is 0600 root" test "$(stat -c '%a %U' /etc/default/ceems_exporter)" = "600 root"
check "ceems_exporter.service active after install" wait_for 60 systemctl is-active -q ceems_exporter
check "redfish_proxy.service active after install" wait_for 60 systemctl is-active -q redfish_proxy
check "defaults serve the cpu collector" wait_for 60 has_series '^ceems_cpu_seconds_total'
pid=$(systemctl show -p MainPID --value redfish_proxy)
echo "redfish_proxy: CapPrm=$(caps_of "$pid" CapPrm) CapBnd=$(caps_of "$pid" CapBnd) NoNewPrivs=$(awk '/^NoNewPrivs/ {print $2}' /proc/"$pid"/status)"
check "redfish_proxy holds no capability" test -z "$(caps_of "$pid" CapPrm)$(caps_of "$pid" CapEff)$(caps_of "$pid" CapBnd)$(caps_of "$pid" CapAmb)"
check "redfish_proxy answers (no target: 4xx/5xx, not a refused connection)" \
  sh -c 'code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 20 http://127.0.0.1:5000/redfish/v1/); echo "  HTTP $code"; [ "$code" -ge 400 ]'
pid=$(systemctl show -p MainPID --value ceems_exporter)
echo "ceems_exporter (defaults): CapPrm=$(caps_of "$pid" CapPrm) CapBnd=$(caps_of "$pid" CapBnd)"
check "defaults: capabilities as documented ($EXPECTED_DEFAULT_PRM)" test "$(caps_of "$pid" CapPrm)" = "$EXPECTED_DEFAULT_PRM"

section "systemd-analyze"
for unit in ceems_exporter redfish_proxy; do
  check "systemd-analyze verify $unit.service is clean (man pages are not installed in the guest: --man=no)" \
    sh -c "out=\$(systemd-analyze verify --man=no /lib/systemd/system/$unit.service 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
  systemd-analyze security --no-pager "$unit.service" | sed 's/^/  /' | tail -n 60
done

section "slurm collector through /etc/default"
sed -i 's|^CEEMS_EXPORTER_OPTIONS=.*|CEEMS_EXPORTER_OPTIONS="--collector.slurm --collector.ebpf.io-metrics --log.level=debug"|' /etc/default/ceems_exporter
check "systemctl restart ceems_exporter" systemctl restart ceems_exporter
check "service active with the slurm collector" wait_for 60 systemctl is-active -q ceems_exporter
check "slurm collector serves" wait_for 120 has_series '^ceems_compute_units{'
journalctl -u ceems_exporter --no-pager -o cat | grep -E "eBPF|attach|apabilit|level=(WARN|ERROR)" | sed 's/^/  /' | tail -n 30
method=$(journalctl -u ceems_exporter --no-pager -o cat | sed -n 's/.*msg="eBPF attach method".*method=\([a-z_]*\).*/\1/p' | sort -u | tr '\n' ' ')
echo "eBPF attach methods chosen: ${method:-none}"
check "eBPF attached through fentry or kprobe" sh -c "echo '$method' | grep -qE 'fentry|kprobe'"
pid=$(systemctl show -p MainPID --value ceems_exporter)
for f in CapPrm CapEff CapBnd CapAmb; do echo "ceems_exporter (slurm, eBPF): $f=$(caps_of "$pid" $f)"; done
echo "ceems_exporter: NoNewPrivs=$(awk '/^NoNewPrivs/ {print $2}' /proc/"$pid"/status)"
check "slurm+eBPF: permitted capabilities as documented ($EXPECTED_SLURM_EBPF_PRM)" test "$(caps_of "$pid" CapPrm)" = "$EXPECTED_SLURM_EBPF_PRM"
check "slurm+eBPF: bounding set is the unit's ($EXPECTED_UNIT_BND)" test "$(caps_of "$pid" CapBnd)" = "$EXPECTED_UNIT_BND"
check "no ambient capability left to children" test -z "$(caps_of "$pid" CapAmb)"

section "a Slurm job"
wait_for 120 sh -c 'sinfo -h -o %T | grep -qE "idle|mix"' || fail "slurm node never became idle: $(sinfo 2>&1)"
cat >/var/tmp/ceems-job.py <<'PY'
import os, time
held = bytearray(160 * 1024 * 1024)       # 160 MiB, touched so that it is resident
for i in range(0, len(held), 4096):
    held[i] = 1
# 64 MiB written through vfs_write, on tmpfs: like the original, eBPF does not
# count IO on the root file system (its mount label is empty, spec 15).
with open("/dev/shm/ceems-job-io.bin", "wb") as f:
    chunk = b"x" * (1024 * 1024)
    for _ in range(64):
        f.write(chunk)
    f.flush()
    os.fsync(f.fileno())
end = time.time() + 90
n = 0
while time.time() < end:                   # burn CPU
    n += 1
PY
job=$(sbatch --parsable --mem=512M --output=/var/tmp/ceems-job.out --wrap "python3 /var/tmp/ceems-job.py")
echo "job $job submitted"
check "job $job running" wait_for 120 sh -c "squeue -h -j $job -o %T | grep -q RUNNING"
# RUNNING comes before slurmstepd has created the job's cgroup: wait for it.
cg=
find_job_cgroup() { cg=$(find /sys/fs/cgroup -type d -name "job_$job" | head -1); [ -n "$cg" ]; }
check "job $job has a cgroup" wait_for 60 find_job_cgroup
echo "job cgroup: $cg"
check "job cgroup under slurmstepd.scope (cgroup/v2 plugin)" sh -c "echo '$cg' | grep -q 'slurmstepd.scope/job_$job'"
echo "cgroup.events: $(tr '\n' ' ' <"$cg/cgroup.events")"
check "job's series appear (uuid=$job)" wait_for 120 has_series "ceems_compute_unit_memory_used_bytes{.*uuid=\"$job\""
# Let the job hold its memory and finish its writes.
wait_for 120 sh -c "[ \$(cat $cg/memory.current) -ge $((160 * 1024 * 1024)) ] && [ -s /dev/shm/ceems-job-io.bin ] && [ \$(stat -c %s /dev/shm/ceems-job-io.bin) -ge $((64 * 1024 * 1024)) ]"
sleep 5
page=$(metrics)  # one scrape for every figure below
grep -E "uuid=\"$job\"" <<<"$page" | grep -E "ceems_compute_unit_(cpu|memory_used)|ceems_ebpf_(write|read)_bytes" | sed 's/^/  /'
cpu=$(sum_of "$page" ceems_compute_unit_cpu_user_seconds_total "uuid=\"$job\"")
mem=$(sum_of "$page" ceems_compute_unit_memory_used_bytes "uuid=\"$job\"")
written=$(sum_of "$page" ceems_ebpf_write_bytes_total "uuid=\"$job\"")
echo "cpu_user=$cpu memory_used=$mem ebpf_written=$written memory.current=$(cat "$cg/memory.current")"
check "job CPU user seconds > 0" awk -v v="${cpu:-0}" 'BEGIN { exit !(v > 0) }'
check "job memory used >= 160 MiB held" awk -v v="${mem:-0}" 'BEGIN { exit !(v >= 160 * 1024 * 1024) }'
check "eBPF counts the job's 64 MiB of writes" awk -v v="${written:-0}" 'BEGIN { exit !(v >= 64 * 1024 * 1024) }'
scancel "$job"
rm -f /dev/shm/ceems-job-io.bin
check "job's series gone after it ends" wait_for 120 lacks_series "uuid=\"$job\""

section "stop and purge"
check "systemctl stop ceems_exporter" systemctl stop ceems_exporter
check "ceems_exporter inactive" sh -c '! systemctl is-active -q ceems_exporter'
check "nothing listens on 9010" sh -c '! curl -s --max-time 5 -o /dev/null http://127.0.0.1:9010/metrics'
check "dpkg --purge of both packages" dpkg --purge ceems-exporter redfish-proxy
check "both services gone" sh -c '! systemctl cat ceems_exporter redfish_proxy >/dev/null 2>&1'
snapshot >/tmp/after.txt
left=$(comm -13 /tmp/before.txt /tmp/after.txt)
echo "left after purge (policy keeps the system user, in /etc/passwd, /etc/group, /etc/shadow, /etc/gshadow):"
echo "${left:-  (no new file)}" | sed 's/^/  /'
check "purge leaves no file" test -z "$left"
check "the system user ceems is kept (Debian policy)" id ceems

echo
echo "failures: $failures"
exit "$failures"
