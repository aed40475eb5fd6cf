#!/usr/bin/env bash
# Runs the commands of the operator guide "CEEMS Exporter" (configuration page: Slurm,
# libvirt, IPMI, Redfish, redfish_proxy, Cray PM counters, RAPL, emissions, Grafana Alloy
# targets) against the built binaries and writes what an operator sees to
# docs/seed-commands.md: each command, its log (timestamps removed) and the
# `curl | grep` of what it serves.
#
# Hardware and daemons this machine lacks are stood in for:
#   - cgroup trees of Slurm jobs and libvirt guests, /sys/cray/pm_counters and
#     /sys/class/powercap are fixture trees written here into a temporary directory and
#     passed with the hidden flags --path.cgroupfs / --path.sysfs (the libvirt instance
#     XML with --collector.libvirt.xml-dir); the processes of the jobs and guests are
#     real, small shell loops started here;
#   - nvidia-smi is a script printing scripts/demo/nvidia-smi-a100-mig.xml;
#   - BMCs: ipmi_sim (OpenIPMI) with src/ipmi/testdata/dcmi_sim_module.c, and the
#     Redfish mock server of the build (TLS and plain HTTP);
#   - the Redfish YAML files are the guide's own (scripts/demo/seed-*.yml), copied with
#     only host names, ports and external_url changed (shown as a diff).
#
# Usage: scripts/demo-seed-commands.sh [build-dir]
# Needs a built tree, curl, openssl; ipmi_sim/ipmitool/gcc/libopenipmi-dev for the LAN
# IPMI example (skipped without them). Binds 127.0.0.1 only, on free ports; every process
# has a timeout and is stopped on exit. Takes about a minute.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
build=${1:-build}
case $build in /*) ;; *) build=$repo/$build ;; esac
exporter=$build/src/apps/ceems_exporter/ceems_exporter
proxy=$build/src/apps/redfish_proxy/redfish_proxy
mock=$build/src/redfish/redfish_mock_server
demo=$repo/scripts/demo
out=$repo/docs/seed-commands.md
for b in "$exporter" "$proxy" "$mock"; do
  [ -x "$b" ] || { echo "missing $b: build the tree first" >&2; exit 1; }
done

# The operator's environment must not change what the commands do.
unset EMAPS_API_TOKEN CEEMS_EXPORTER_WEB_CONFIG_FILE REDFISH_PROXY_CONFIG_FILE GOMAXPROCS
export LC_ALL=C TZ=UTC
umask 022

work=$(mktemp -d /tmp/ceems-demo.XXXXXX)
chmod 755 "$work" # the exporter drops to nobody: the fixtures must stay readable
doc=$work/seed-commands.md
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ helpers

emit() { printf '%s\n' "$@" >>"$doc"; }

# Paths of the temporary directory appear as $DEMO; log timestamps are dropped.
clean() { sed -E -e 's/^time=[^ ]+ //' -e "s#$work#\$DEMO#g"; }

# Banner lines every start repeats, and the lines the script's own SIGTERM causes.
filter_log() {
  clean | grep -vE 'msg=("Build context"|Host|"Enabled collectors"|collector|"Operational information"|"Shutting down"|Stopped)( |$)|msg="TLS is disabled\."'
}

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_port() { # wait_port PORT [PID]: up to 15 s, gives up early when PID exits
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null && return 1
    sleep 0.1
  done
  return 1
}

# Arguments as an operator would type them: quoted only when they hold spaces.
show_args() {
  local a s=''
  for a in "$@"; do
    case $a in *' '*) s+=" \"$a\"" ;; *) s+=" $a" ;; esac
  done
  printf '%s' "${s# }" | clean
}

bg() { # bg LOG CMD...: start CMD in the background, remember it for cleanup
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  last_pid=$!
}

# A stand-in for a job's task or a guest's vCPU thread: a small shell loop with the given
# environment (VAR=VALUE...), ending by itself after 10 minutes. Sets last_pid. Its command
# line must not hold "sleep <digit>": like the original, the perf and Alloy filters take
# such processes for Slurm's own helpers and skip them.
start_task() {
  # shellcheck disable=SC2016 # the loop is sh's
  (exec env -i PATH=/usr/bin:/bin "$@" sh -c 'd=0.5 i=0; while [ $i -lt 1200 ]; do sleep $d; i=$((i+1)); done') \
    >/dev/null 2>&1 &
  pids+=($!)
  last_pid=$!
}

runs=0
# run_exporter [options] -- GUIDE_FLAGS...
#   --title T      heading of the block (none: the block follows the previous text)
#   --demo FLAG    flag the demo adds (shown on a second line; the listen address is always added)
#   --smi          the fake nvidia-smi first on PATH
#   --env VAR=VAL  environment of the exporter (shown)
#   --grep ERE     curl /metrics | grep -E ERE
#   --get PATH     curl PATH (whole body)
#   --warmup S     one scrape first, then S seconds, before the shown scrapes
#   --also LOG     after the scrapes, the new lines of another process's log (redfish_proxy)
run_exporter() {
  local title='' pattern='' warmup='' also='' smi=0
  local envs=() shown_env=() extra=() gets=()
  while [ $# -gt 0 ]; do
    case $1 in
      --title) title=$2; shift 2 ;;
      --demo) extra+=("$2"); shift 2 ;;
      --smi) smi=1; shift ;;
      --env) envs+=("$2"); shown_env+=("$2"); shift 2 ;;
      --grep) pattern=$2; shift 2 ;;
      --get) gets+=("$2"); shift 2 ;;
      --warmup) warmup=$2; shift 2 ;;
      --also) also=$2; shift 2 ;;
      --) shift; break ;;
      *) echo "run_exporter: unknown option $1" >&2; exit 2 ;;
    esac
  done
  local port log also_from=0
  port=$(free_port)
  extra=("--web.listen-address=127.0.0.1:$port" "${extra[@]}")
  log=$work/exporter.$((++runs)).log
  if [ "$smi" = 1 ]; then
    envs+=("PATH=$work/bin:$PATH")
    shown_env=("PATH=\$DEMO/bin:\$PATH" "${shown_env[@]}")
  fi
  [ -n "$also" ] && also_from=$(wc -l <"$also")
  [ -n "$title" ] && emit "### $title" ""
  emit '```console'
  emit "\$ $(show_args "${shown_env[@]}" ceems_exporter "$@") \\"
  emit "    $(show_args "${extra[@]}")"
  bg "$log" env "${envs[@]}" timeout 60 "$exporter" "$@" "${extra[@]}"
  local pid=$last_pid
  if wait_port "$port" "$pid"; then
    sleep 0.3
    local seen g
    seen=$(wc -l <"$log")
    head -n "$seen" "$log" | filter_log >>"$doc"
    if [ -n "$warmup" ]; then
      emit "\$ curl -s -o /dev/null 127.0.0.1:$port/metrics; sleep $warmup"
      curl -s -o /dev/null --max-time 10 "127.0.0.1:$port/metrics"
      sleep "$warmup"
    fi
    if [ -n "$pattern" ]; then
      emit "\$ curl -s 127.0.0.1:$port/metrics | grep -E '$pattern'"
      curl -s --max-time 10 "127.0.0.1:$port/metrics" | grep -E "$pattern" | clean >>"$doc"
    fi
    for g in "${gets[@]}"; do
      if command -v jq >/dev/null; then
        emit "\$ curl -s 127.0.0.1:$port$g | jq -c '.[]'"
        curl -s --max-time 10 "127.0.0.1:$port$g" | jq -c '.[]' | clean >>"$doc"
      else
        emit "\$ curl -s 127.0.0.1:$port$g"
        { curl -s --max-time 10 "127.0.0.1:$port$g"; echo; } | clean >>"$doc"
      fi
    done
    sleep 0.3
    if [ "$(tail -n +$((seen + 1)) "$log" | filter_log | wc -l)" -gt 0 ]; then
      emit "(the exporter's log meanwhile:)"
      tail -n +$((seen + 1)) "$log" | filter_log >>"$doc"
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  else
    wait "$pid"
    local rc=$?
    clean <"$log" >>"$doc"
    emit "(exit status $rc)"
  fi
  if [ -n "$also" ] && [ "$(tail -n +$((also_from + 1)) "$also" | wc -l)" -gt 0 ]; then
    emit "(redfish_proxy's log meanwhile:)"
    tail -n +$((also_from + 1)) "$also" | filter_log >>"$doc"
  fi
  emit '```' ''
}

# show_diff ORIGINAL COPY: the changes the demo made to one of the guide's files.
show_diff() {
  emit '```console' "\$ diff -u $(show_args "$1" "$2")"
  diff -u "$1" "$2" | sed -E '1,2s/\t.*//' | clean >>"$doc"
  emit '```' ''
}

# ------------------------------------------------------------------ stand-ins and fixtures

mkdir -p "$work/bin"
cp "$demo/nvidia-smi-a100-mig.xml" "$work/nvidia-smi.xml"
printf '#!/bin/sh\n# stand-in for nvidia-smi: the node of the guide'"'"'s gpu-order-map example\ncat %s\n' \
  "$work/nvidia-smi.xml" >"$work/bin/nvidia-smi"
chmod 755 "$work/bin/nvidia-smi"

# put FILE CONTENT: a fixture file (parents created)
put() {
  mkdir -p "$(dirname "$1")"
  printf '%b' "$2" >"$1"
}
psi() { printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=%s\\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=%s\\n' "$1" "$2"; }

# A cgroup v2 unit directory: CPU seconds (user, system), memory in MiB (used, anon, file)
unit_files() { # unit_files DIR USER_S SYS_S USED_MIB ANON_MIB FILE_MIB
  local d=$1
  put "$d/cgroup.controllers" 'cpuset cpu io memory pids\n'
  put "$d/cgroup.events" 'populated 1\nfrozen 0\n'
  put "$d/cgroup.procs" ''
  put "$d/cpu.stat" "usage_usec $((($2 + $3) * 1000000))\nuser_usec $(($2 * 1000000))\nsystem_usec $(($3 * 1000000))\n"
  put "$d/memory.current" "$(($4 * 1048576))\n"
  put "$d/memory.max" "$((4096 * 1048576))\n"
  put "$d/memory.stat" "anon $(($5 * 1048576))\nfile $(($6 * 1048576))\n"
  put "$d/memory.events" 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n'
  put "$d/memory.swap.current" "$((64 * 1048576))\n"
  put "$d/memory.swap.max" 'max\n'
  put "$d/cpu.pressure" "$(psi $(($2 * 10000)) $(($2 * 4000)))"
  put "$d/memory.pressure" "$(psi $(($4 * 1000)) $(($4 * 300)))"
  put "$d/io.pressure" "$(psi 0 0)"
  put "$d/cpuset.cpus.effective" '0-1\n'
}

# Slurm (cgroup v2, as slurmstepd lays it out): three running jobs. Their tasks are real
# processes whose environments hold what Slurm sets (SLURM_JOB_ID, SLURM_JOB_GPUS) plus
# the variables the guide's examples look for.
slurm_cg=$work/slurm/sys/fs/cgroup
scope=$slurm_cg/system.slice/slurmstepd.scope
put "$slurm_cg/cgroup.controllers" 'cpuset cpu io memory hugetlb pids rdma misc\n'
put "$slurm_cg/system.slice/cgroup.controllers" 'cpuset cpu io memory pids\n'
put "$scope/cgroup.controllers" 'cpuset cpu io memory pids\n'
mkdir -p "$scope/system"
put "$scope/system/cgroup.procs" ''
declare -A job_env=(
  [1001]="SLURM_JOB_GPUS=0 SLURM_STEP_GPUS=0"
  [1002]="SLURM_JOB_GPUS=1,2 SLURM_STEP_GPUS=1,2 ENABLE_CONTINUOUS_PROFILING=1"
  [1003]="CEEMS_ENABLE_PERF=1"
)
n=0
job_pid=()
for job in 1001 1002 1003; do
  n=$((n + 1))
  d=$scope/job_$job
  unit_files "$d" $((n * 300)) $((n * 20)) $((n * 512)) $((n * 400)) $((n * 100))
  # shellcheck disable=SC2086
  start_task SLURM_JOB_ID=$job SLURM_JOBID=$job SLURM_JOB_USER=demo SLURM_JOB_UID=1000 ${job_env[$job]}
  put "$d/step_0/user/task_0/cgroup.procs" "$last_pid\n"
  put "$d/step_extern/user/cgroup.procs" ''
  job_pid[job]=$last_pid
done

# libvirt (cgroup v2, systemd's machine.slice): two guests, instance XML as Nova writes it
# in /etc/libvirt/qemu. Guest 1 has GPU 1 of the fake nvidia-smi (host PCI 0000:81:00.0)
# passed through.
virt_cg=$work/libvirt/sys/fs/cgroup
virt_xml=$work/libvirt/etc/libvirt/qemu
put "$virt_cg/cgroup.controllers" 'cpuset cpu io memory hugetlb pids rdma misc\n'
put "$virt_cg/machine.slice/cgroup.controllers" 'cpuset cpu io memory pids\n'
for g in 1 2; do
  name=instance-0000000$g
  uuid=5d1c2f3e-4b5a-4c6d-8e7f-00000000000$g
  d=$virt_cg/machine.slice/machine-qemu\\x2d$g\\x2d${name//-/\\x2d}.scope
  unit_files "$d" $((g * 900)) $((g * 60)) $((g * 2048)) $((g * 1900)) $((g * 50))
  start_task GUEST=$name
  put "$d/libvirt/cgroup.procs" ''
  put "$d/libvirt/emulator/cgroup.procs" ''
  put "$d/libvirt/vcpu0/cgroup.procs" "$last_pid\n"
  hostdev=''
  [ "$g" = 1 ] && hostdev="
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <driver name='vfio'/>
      <source>
        <address domain='0x0000' bus='0x81' slot='0x00' function='0x0'/>
      </source>
      <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
    </hostdev>"
  put "$virt_xml/$name.xml" "<!-- demo fixture: the definition Nova keeps for a guest -->
<domain type='kvm'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <memory unit='KiB'>$((g * 4194304))</memory>
  <vcpu placement='static'>$((g * 2))</vcpu>
  <resource>
    <partition>/machine</partition>
  </resource>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>$hostdev
  </devices>
</domain>
"
done

# Cray EX node: /sys/cray/pm_counters (values as the HPE PM counters files print them)
cray_sys=$work/cray/sys
pm=$cray_sys/cray/pm_counters
stamp='1700000000123456 us'
put "$pm/power" "612 W $stamp\n"
put "$pm/energy" "1234567890 J $stamp\n"
put "$pm/power_cap" "0 W $stamp\n"
put "$pm/cpu_power" "142 W $stamp\n"
put "$pm/cpu_energy" "87654321 J $stamp\n"
put "$pm/memory_power" "38 W $stamp\n"
put "$pm/memory_energy" "23456789 J $stamp\n"
put "$pm/accel0_power" "215 W $stamp\n"
put "$pm/accel0_energy" "512345678 J $stamp\n"
put "$pm/accel0_power_cap" "400 W $stamp\n"
put "$pm/cpu0_temp" "51 C $stamp\n"
put "$pm/freshness" '4567\n'
put "$pm/generation" '3\n'
put "$pm/raw_scan_hz" '10\n'
put "$pm/startup" '1699990000000000\n'
put "$pm/version" '2\n'

# Intel RAPL: /sys/class/powercap with two packages and one DRAM zone; energy_uj readable
# by root only, as on kernels >= 5.3.
rapl_sys=$work/rapl/sys
pc=$rapl_sys/class/powercap
put "$pc/intel-rapl/enabled" '1\n'
rapl_zone() { # rapl_zone DIR NAME ENERGY_UJ LIMIT0_UW WINDOW0_US [LIMIT1_UW WINDOW1_US]
  put "$pc/$1/name" "$2\n"
  put "$pc/$1/enabled" '1\n'
  put "$pc/$1/energy_uj" "$3\n"
  chmod 0400 "$pc/$1/energy_uj"
  put "$pc/$1/max_energy_range_uj" '262143328850\n'
  put "$pc/$1/constraint_0_name" 'long_term\n'
  put "$pc/$1/constraint_0_power_limit_uw" "$4\n"
  put "$pc/$1/constraint_0_time_window_us" "$5\n"
  put "$pc/$1/constraint_0_max_power_uw" '165000000\n'
  if [ $# -gt 5 ]; then
    put "$pc/$1/constraint_1_name" 'short_term\n'
    put "$pc/$1/constraint_1_power_limit_uw" "$6\n"
    put "$pc/$1/constraint_1_time_window_us" "$7\n"
    put "$pc/$1/constraint_1_max_power_uw" '0\n'
  fi
}
rapl_zone intel-rapl:0 package-0 51234567890 125000000 999424 150000000 2440
rapl_zone intel-rapl:0:0 dram 9182736455 0 976
rapl_zone intel-rapl:1 package-1 41027364519 125000000 999424 150000000 2440

find "$work" -type d -exec chmod 755 {} +

# BMC stand-ins. Redfish: the mock with TLS (self-signed) and without, both accepting the
# guide's credentials.
timeout 60 openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/bmc.key" -out "$work/bmc.crt" >/dev/null 2>&1
bg "$work/mock-tls.url" timeout 300 "$mock" --seconds 290 --tls "$work/bmc.crt" "$work/bmc.key" \
  --user admin --password supersecret
bg "$work/mock-http.url" timeout 300 "$mock" --seconds 290 --user admin --password supersecret
for _ in $(seq 1 50); do [ -s "$work/mock-tls.url" ] && [ -s "$work/mock-http.url" ] && break; sleep 0.1; done
tls_port=$(grep -oE '[0-9]+$' "$work/mock-tls.url" | head -1)
http_port=$(grep -oE '[0-9]+$' "$work/mock-http.url" | head -1)

# IPMI: ipmi_sim with the DCMI module (the BMC draws 350 W), when the tools are there.
ipmi_port=''
if command -v ipmi_sim >/dev/null && command -v ipmitool >/dev/null && command -v gcc >/dev/null &&
  [ -f /usr/include/OpenIPMI/serv.h ] &&
  timeout 120 gcc -O2 -fPIC -shared -o "$work/dcmi.so" src/ipmi/testdata/dcmi_sim_module.c 2>"$work/gcc.log"; then
  ipmi_port=$(free_port)
  mkdir -p "$work/sim/state"
  cat >"$work/sim/lan.conf" <<EOC
loadlib "$work/dcmi.so" "watts=350"
name "demo"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 $ipmi_port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 2 true "admin" "password" admin 10 none md2 md5 straight
EOC
  printf 'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n' \
    >"$work/sim/sim.emu"
  bg "$work/sim.log" timeout 300 ipmi_sim -c "$work/sim/lan.conf" -f "$work/sim/sim.emu" -s "$work/sim/state" -n
  sleep 1
fi
ipmi_cmd="ipmitool -I lanplus -C 3 -H 127.0.0.1 -p $ipmi_port -U admin -P password dcmi power reading"

# ------------------------------------------------------------------ the document

cat >"$doc" <<'HDR'
# The operator guide's commands, run

Generated by `scripts/demo-seed-commands.sh`: every command of the operator guide's
"CEEMS Exporter" configuration page, run against this build on the project machine
(Debian 12 VM, 2 vCPUs, hybrid cgroup v1/v2 host, no GPU, no hardware PMU, no BMC, no
RAPL, no network, run as root). What this machine lacks is stood in for:

- **Fixture trees.** Slurm jobs and libvirt guests are cgroup v2 trees the script writes into
  a temporary directory (shown as `$DEMO`), as slurmstepd and systemd's `machine.slice`
  lay them out, passed with the hidden flag `--path.cgroupfs`; the libvirt instance XML is
  passed with `--collector.libvirt.xml-dir`. Cray's `/sys/cray/pm_counters` and RAPL's
  `/sys/class/powercap` are fixture trees too, passed with `--path.sysfs`. The cgroup
  accounting files hold made-up numbers; the processes listed in the jobs' and guests'
  `cgroup.procs` are real (small shell loops started by the script, with the environment
  Slurm would give them), so `/proc` is the real one.
- **GPUs.** `nvidia-smi` is a script first on `PATH` that prints the XML of the guide's example
  node (`scripts/demo/nvidia-smi-a100-mig.xml`: two A100, MIG on GPU 0 with GPU instances
  3, 4, 5 and 6, GPU 1 whole).
- **BMCs.** IPMI: `ipmi_sim` (Debian's OpenIPMI BMC simulator) with the DCMI module from
  `src/ipmi/testdata/`. Redfish: the mock server of the build (`src/redfish/testing/`), once
  with TLS (self-signed certificate) and once plain HTTP, both accepting the guide's
  credentials `admin`/`supersecret`.
- **Files and hosts.** Where the guide names a file under `/etc`, the demo writes it to `$DEMO`
  and passes that path. The Redfish files are the guide's own sample files
  (`scripts/demo/seed-*.yml`, verbatim) with only host names, ports and `external_url`
  changed to reach the stand-ins; each change is shown as a `diff -u`.

Each exporter command shows the guide's flags on its first line (the guide's command line
itself, or, where the text says so, flags the guide names) and what the demo adds on its
second line: always `--web.listen-address=127.0.0.1:<free port>` instead of the default
`:9010`, and the fixture paths where a section uses fixtures. Log timestamps are removed, and
from runs that start, the banner lines (`Build context`, `Host`, `Enabled collectors` and the
`collector` list, `TLS is disabled.`) and the `Shutting down`/`Stopped` lines caused by the
script stopping the exporter are left out. Failed starts show the whole log and the exit
status.

HDR

slurm_fix=("--path.cgroupfs=$slurm_cg")

# ------------------------------------------------------------------ renamed flags
emit "## Flags renamed in v0.3.0" "" \
  "The guide's list of old flag names, all given at once (Slurm fixture, simulated BMC):" ""
if [ -n "$ipmi_port" ]; then
  run_exporter --smi --demo "${slurm_fix[0]}" \
    --grep 'memsw_used_bytes\{.*1001|psi_seconds\{.*1001|meminfo_(Active|Dirty)_bytes|ipmi_dcmi_current|scrape_collector_success' \
    -- --collector.slurm --collector.slurm.swap.memory.metrics --collector.slurm.psi.metrics \
    --collector.meminfo.all.stats --collector.ipmi_dcmi "--collector.ipmi.dcmi.cmd=$ipmi_cmd"
else
  run_exporter --smi --demo "${slurm_fix[0]}" \
    --grep 'memsw_used_bytes\{.*1001|psi_seconds\{.*1001|meminfo_(Active|Dirty)_bytes|scrape_collector_success' \
    -- --collector.slurm --collector.slurm.swap.memory.metrics --collector.slurm.psi.metrics \
    --collector.meminfo.all.stats
fi

# ------------------------------------------------------------------ Slurm
cat >>"$doc" <<EOF
## Slurm collector

Fixture: \`\$DEMO/slurm/sys/fs/cgroup\` holds \`system.slice/slurmstepd.scope/job_{1001,1002,1003}\`
(cgroup v2), each with one task process in \`step_0/user/task_0/cgroup.procs\`. The tasks'
environments: job 1001 \`SLURM_JOB_GPUS=0\`, job 1002 \`SLURM_JOB_GPUS=1,2\` and
\`ENABLE_CONTINUOUS_PROFILING=1\`, job 1003 no GPU and \`CEEMS_ENABLE_PERF=1\`. The fake
\`nvidia-smi\` lists the guide's node, in \`nvidia-smi\` order 0.3, 0.4, 0.5, 0.6, 1.

### Job metrics and GPU ordering

All series of job 1001, and the GPU series of every job. Without
\`--collector.slurm.gpu-order-map\`, Slurm's GPU 0 is taken as \`nvidia-smi\`'s first device
(MIG instance 0.3):

EOF
gpu_grep='gpu_index_flag|compute_units|collector="slurm"'
run_exporter --smi --demo "${slurm_fix[0]}" --grep "uuid=\"1001\"|$gpu_grep" -- --collector.slurm
emit "With the guide's map, where Slurm puts the full GPU first (Slurm 0 is GPU 1, Slurm 1 and 2" \
  "are MIG instances 0.3 and 0.4):" ""
run_exporter --smi --demo "${slurm_fix[0]}" --grep "$gpu_grep" -- \
  --collector.slurm --collector.slurm.gpu-order-map=0:1,1:0.3,2:0.4,3:0.5,4:0.6

emit "### Swap and PSI metrics" ""
run_exporter --smi --demo "${slurm_fix[0]}" --grep 'memsw|psi|memory_(used|total)_bytes' -- \
  --collector.slurm --collector.slurm.swap-memory-metrics --collector.slurm.psi-metrics

cat >>"$doc" <<'EOF'
### perf and eBPF sub-collectors

The guide's command. On this VM the kernel has no hardware PMU (software perf events only),
so the hardware and hardware-cache classes are dropped with a warning. The eBPF network
programs (fentry and kprobe are unavailable on this kernel) fall back to `cgroup_skb`, which
has to be attached to the cgroup v2 root, here the fixture directory, which is not a cgroup:
the network part is dropped with a warning and the IO programs run (they account to real
cgroup ids, which the fixture directories are not, so no job gets an eBPF series). One scrape first
opens the perf events on the jobs' processes, the second reads them:

EOF
perf_grep='perf_|ebpf_|collector="slurm"'
run_exporter --smi --demo "${slurm_fix[0]}" --warmup 2 --grep "$perf_grep" -- \
  --collector.slurm --collector.perf.hardware-events --collector.perf.software-events \
  --collector.perf.hardware-cache-events --collector.ebpf.io-metrics --collector.ebpf.network-metrics
cat >>"$doc" <<'EOF'
Not in the guide: the eBPF IO programs alone load here (tracepoints). They account IO to the
kernel's cgroup ids, the inode numbers of real cgroup directories; the fixture's job
directories are plain directories whose inodes no process belongs to, so no job gets an
eBPF series:

EOF
run_exporter --smi --demo "${slurm_fix[0]}" --warmup 2 --grep "$perf_grep" -- \
  --collector.slurm --collector.ebpf.io-metrics

emit "### perf only for processes with a marker variable" "" \
  "Only job 1003's task has \`CEEMS_ENABLE_PERF\` set; jobs 1001 and 1002 get no perf series:" ""
run_exporter --smi --demo "${slurm_fix[0]}" --warmup 2 --grep "$perf_grep" -- \
  --collector.slurm --collector.perf.hardware-events --collector.perf.software-events \
  --collector.perf.hardware-cache-events --collector.perf.env-var=CEEMS_ENABLE_PERF --collector.perf.env-var=ENABLE_PERF

# ------------------------------------------------------------------ libvirt
cat >>"$doc" <<'EOF'
## Libvirt collector

Fixture: `$DEMO/libvirt/sys/fs/cgroup/machine.slice` holds the scopes of two guests
(`machine-qemu\x2d1\x2dinstance\x2d00000001.scope`, `...2...00000002.scope`), each with one
real process in `libvirt/vcpu0/cgroup.procs`; their definitions are in
`$DEMO/libvirt/etc/libvirt/qemu` (passed with `--collector.libvirt.xml-dir`, default
`/etc/libvirt/qemu`). Guest 1 has host PCI device 0000:81:00.0, the fake `nvidia-smi`'s GPU 1,
passed through; the exporter numbers GPUs in `nvidia-smi` order (0.3, 0.4, 0.5, 0.6, 1), so
that GPU is `index="4"`. This host has no `/run/libvirt/qemu` (the runtime status XML
directory, read first), so the definitions are used.

EOF
virt_fix=("--path.cgroupfs=$virt_cg" "--collector.libvirt.xml-dir=$virt_xml")
run_exporter --smi --demo "${virt_fix[0]}" --demo "${virt_fix[1]}" \
  --grep 'compute_units|cpu_user|gpu_index_flag|collector="libvirt"' -- --collector.libvirt
emit "With the perf and eBPF sub-collectors (same limits as for Slurm above):" ""
run_exporter --smi --demo "${virt_fix[0]}" --demo "${virt_fix[1]}" --warmup 2 \
  --grep 'perf_|ebpf_|collector="libvirt"' -- \
  --collector.libvirt --collector.perf.hardware-events --collector.perf.software-events \
  --collector.perf.hardware-cache-events --collector.ebpf.io-metrics --collector.ebpf.network-metrics

# ------------------------------------------------------------------ IPMI
emit "## IPMI collector" "" \
  "This host has no \`/dev/ipmi0\`; FreeIPMI (\`ipmi-dcmi\`) and \`ipmitool\` are installed." ""
run_exporter --title "Enabled, implementation detected" --grep 'ipmi' -- --collector.ipmi_dcmi
run_exporter --title "Native mode forced" --grep 'ipmi' -- \
  --collector.ipmi_dcmi --collector.ipmi_dcmi.force-native-mode
if [ -n "$ipmi_port" ]; then
  run_exporter --title "Explicit IPMI command (ipmitool over LAN to the simulated BMC; the BMC draws 350 W)" \
    --grep 'ipmi_dcmi' -- --collector.ipmi_dcmi "--collector.ipmi_dcmi.cmd=$ipmi_cmd"
fi

# ------------------------------------------------------------------ Redfish
emit "## Redfish collector" ""
run_exporter --title "Enabled without a web config" --grep 'redfish' -- --collector.redfish

rf=$work/etc/ceems_exporter
mkdir -p "$rf"
sed -e "s/^  hostname: compute-0-bmc$/  hostname: 127.0.0.1/" -e "s/^  port: 443$/  port: $tls_port/" \
  -e '/^  external_url: /d' "$demo/seed-redfish-config.yml" >"$rf/redfish-config.yml"
cat >>"$doc" <<'EOF'
### The guide's sample file, straight to the BMC

The guide's sample config, pointed at the TLS mock. Its `external_url` line (the proxy) is
removed: this is the guide's first case, where the Redfish API is reachable from the node.

EOF
show_diff "scripts/demo/seed-redfish-config.yml" "$rf/redfish-config.yml"
run_exporter --grep 'redfish' -- --collector.redfish "--collector.redfish.web-config=$rf/redfish-config.yml"

# ------------------------------------------------------------------ redfish_proxy
emit "## redfish_proxy" "" "The guide's proxy config, unchanged (\`insecure_skip_verify: false\`):" ""
pdir=$work/etc/redfish_proxy
mkdir -p "$pdir"
cp "$demo/seed-redfish-proxy-config.yml" "$pdir/config.yml"
proxy_port=$(free_port)
proxy_log=$work/proxy.log
proxy_args=("--config.file=$pdir/config.yml" "--web.listen-address=127.0.0.1:$proxy_port")
start_proxy() {
  bg "$proxy_log" timeout 200 "$proxy" "${proxy_args[@]}"
  proxy_pid=$last_pid
  wait_port "$proxy_port" "$proxy_pid"
  sleep 0.2
  emit '```console' "\$ $(show_args redfish_proxy "${proxy_args[@]}")"
  filter_log <"$proxy_log" >>"$doc"
  emit '```' ''
}
stop_proxy() {
  kill "$proxy_pid" 2>/dev/null
  wait "$proxy_pid" 2>/dev/null
}
start_proxy

sed -e "s/^  hostname: '{hostname}-bmc'$/  hostname: 127.0.0.1/" -e "s/^  port: 5000$/  port: $http_port/" \
  -e "s#^  external_url: http://mgmt-0:5000\$#  external_url: http://127.0.0.1:$proxy_port#" \
  "$demo/seed-redfish-proxy-mode.yml" >"$rf/redfish-proxy-mode.yml"
emit "### The guide's exporter config for the proxy" "" \
  "Protocol \`http\`: the plain-HTTP mock is the BMC; \`external_url\` is the proxy above." ""
show_diff "scripts/demo/seed-redfish-proxy-mode.yml" "$rf/redfish-proxy-mode.yml"
run_exporter --also "$proxy_log" --grep 'redfish' -- \
  --collector.redfish "--collector.redfish.web-config=$rf/redfish-proxy-mode.yml"

sed -e "s/^  hostname: compute-0-bmc$/  hostname: 127.0.0.1/" -e "s/^  port: 443$/  port: $tls_port/" \
  -e "s#^  external_url: http://redfish-proxy:5000\$#  external_url: http://127.0.0.1:$proxy_port#" \
  "$demo/seed-redfish-config.yml" >"$rf/redfish-config-via-proxy.yml"
cat >>"$doc" <<'EOF'
### The guide's sample file through the proxy, BMC with a self-signed certificate

The sample file with its own `external_url` kept (pointed at the proxy): the BMC speaks
HTTPS with a self-signed certificate, and the proxy's config says `insecure_skip_verify: false`.

EOF
show_diff "scripts/demo/seed-redfish-config.yml" "$rf/redfish-config-via-proxy.yml"
run_exporter --also "$proxy_log" --grep 'redfish' -- \
  --collector.redfish "--collector.redfish.web-config=$rf/redfish-config-via-proxy.yml"

emit "As the guide says for self-signed certificates, the proxy's config with" \
  "\`insecure_skip_verify: true\` (proxy restarted):" ""
stop_proxy
sed -i 's/^    insecure_skip_verify: false$/    insecure_skip_verify: true/' "$pdir/config.yml"
show_diff "scripts/demo/seed-redfish-proxy-config.yml" "$pdir/config.yml"
: >"$proxy_log"
start_proxy
run_exporter --also "$proxy_log" --grep 'redfish' -- \
  --collector.redfish "--collector.redfish.web-config=$rf/redfish-config-via-proxy.yml"
stop_proxy

# ------------------------------------------------------------------ Cray
emit "## Cray's PM counters collector" ""
run_exporter --title "On this host (no /sys/cray/pm_counters)" --grep 'cray' -- --collector.cray_pm_counters
run_exporter --title "Fixture /sys/cray/pm_counters of a Cray EX node" --demo "--path.sysfs=$cray_sys" \
  --grep 'cray' -- --collector.cray_pm_counters

# ------------------------------------------------------------------ RAPL
emit "## RAPL collector" "" "The RAPL collector is on by default; the guide gives no command line." ""
run_exporter --title "On this host (no /sys/class/powercap)" --grep 'rapl' --
run_exporter --title "Fixture /sys/class/powercap, energy_uj readable by root only (kernel >= 5.3)" \
  --demo "--path.sysfs=$rapl_sys" --grep 'rapl' --
emit "Started as root, the exporter keeps \`cap_dac_read_search\` (the guide's recommended" \
  "capability) after dropping to \`nobody\`, and reads the root-only \`energy_uj\` files with it." ""

# ------------------------------------------------------------------ Emissions
emit "## Emissions collector" "" "No network here: the Electricity Maps and RTE APIs cannot be reached." ""
run_exporter --title "All providers, no EMAPS_API_TOKEN in the environment" --grep 'emissions' -- \
  --collector.emissions
run_exporter --title "All providers with a token, no network" --env EMAPS_API_TOKEN=demo-token \
  --grep 'country_code="(FR|DE|IN)"|collector="emissions"' -- --collector.emissions
run_exporter --title "Static OWID factors only (no network needed)" \
  --grep 'country_code="(FR|DE|IN)"|collector="emissions"' -- \
  --collector.emissions --collector.emissions.provider=owid

# ------------------------------------------------------------------ Alloy
cat >>"$doc" <<'EOF'
## Grafana Alloy targets discoverer

The Slurm fixture above (three jobs, one task process each). Grafana Alloy itself is not run
here; the `discovery.http` component would read the same `/alloy-targets` document.

EOF
run_exporter --title "Discoverer alone" --demo "${slurm_fix[0]}" --get /alloy-targets --grep 'collector=' -- \
  --discoverer.alloy-targets.resource-manager=slurm
run_exporter --title "Discoverer with the Slurm collector" --smi --demo "${slurm_fix[0]}" --get /alloy-targets \
  --grep 'compute_units|collector="slurm"' -- --collector.slurm --discoverer.alloy-targets.resource-manager=slurm
emit "### Only jobs with a marker variable" "" \
  "Only job 1002's task has \`ENABLE_CONTINUOUS_PROFILING\` set:" ""
run_exporter --demo "${slurm_fix[0]}" --get /alloy-targets -- \
  --discoverer.alloy-targets.resource-manager=slurm --discoverer.alloy-targets.env-var=ENABLE_CONTINUOUS_PROFILING

# The tasks' pids differ on each run: named where they appear (Alloy targets, log fields).
for job in "${!job_pid[@]}"; do
  sed -i -E -e "s/(\"__process_pid__\":\")${job_pid[$job]}\"/\1<pid of job $job>\"/g" \
    -e "s/\bpid=${job_pid[$job]}\b/pid=<pid of job $job>/g" "$doc"
done
mv "$doc" "$out"
echo "wrote $out"
