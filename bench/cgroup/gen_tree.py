#!/usr/bin/env python3
"""Synthetic Slurm cgroup (v1 or v2) and procfs tree for the cgroup scrape benchmark.

Writes <out>/sys/fs/cgroup/... and <out>/proc/... for N jobs laid out as slurmd
lays them out:

  v1: <cg>/{cpuacct,memory,cpuset}/<slurm|slurm_NODE>/uid_U/job_J/step_S/task_0
  v2: <cg>/system.slice/slurmstepd.scope/job_J/step_S/{slurm,user/task_0}

with S in step_batch, step_extern, step_0. Every v2 cgroup directory's
cgroup.events says "populated 1", except for the last --stale N jobs (v2 only):
"populated 0" in the job and all its descendants, no processes (empty
cgroup.procs, no /proc entries), as a job cgroup left behind after its end.
Every cgroup directory holds the file
names a real kernel shows for its controllers, because the collector's directory
walk pays for every entry. Files the collector reads get realistic contents;
files nobody reads are created empty (a listing costs the same whatever the
sizes, and empty files keep a 5,000-job tree within a few GB of page cache).
PIDs in cgroup.procs have <out>/proc/<pid>/{environ,cmdline,stat,status,comm};
<out>/proc also has meminfo, diskstats, cgroups and sys/kernel/perf_event_paranoid.

The output is deterministic for a given set of parameters. A finished tree holds
<out>/.gen_params.json; running again with the same parameters reuses it.

  gen_tree.py --out /tmp/ceems-cgroup-bench/v2-1000 --version v2 --jobs 1000
"""

import argparse
import json
import os
import shutil
import sys
import time

GENERATOR_REVISION = 2  # bump when the layout or contents change: invalidates caches
# 2: cgroup.events "populated 1\nfrozen 0\n" in every v2 cgroup; --stale; proc/sys/kernel/perf_event_paranoid

MASK64 = (1 << 64) - 1


def mix(*vals):
    """splitmix64 over the arguments: deterministic on every Python version."""
    x = 0x9E3779B97F4A7C15
    for v in vals:
        x = (x ^ (v & MASK64)) & MASK64
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
        x ^= x >> 31
    return x


# ---------------------------------------------------------------------------
# File name sets of one cgroup directory (kernel 5.15/6.1 style).

V1_CPUACCT = [
    "cgroup.clone_children", "cgroup.procs", "cpu.cfs_burst_us", "cpu.cfs_period_us",
    "cpu.cfs_quota_us", "cpu.idle", "cpu.shares", "cpu.stat", "cpuacct.stat", "cpuacct.usage",
    "cpuacct.usage_all", "cpuacct.usage_percpu", "cpuacct.usage_percpu_sys",
    "cpuacct.usage_percpu_user", "cpuacct.usage_sys", "cpuacct.usage_user", "notify_on_release",
    "tasks",
]
V1_MEMORY = [
    "cgroup.clone_children", "cgroup.event_control", "cgroup.procs", "memory.failcnt",
    "memory.force_empty", "memory.kmem.failcnt", "memory.kmem.limit_in_bytes",
    "memory.kmem.max_usage_in_bytes", "memory.kmem.slabinfo", "memory.kmem.tcp.failcnt",
    "memory.kmem.tcp.limit_in_bytes", "memory.kmem.tcp.max_usage_in_bytes",
    "memory.kmem.tcp.usage_in_bytes", "memory.kmem.usage_in_bytes", "memory.limit_in_bytes",
    "memory.max_usage_in_bytes", "memory.memsw.failcnt", "memory.memsw.limit_in_bytes",
    "memory.memsw.max_usage_in_bytes", "memory.memsw.usage_in_bytes",
    "memory.move_charge_at_immigrate", "memory.numa_stat", "memory.oom_control",
    "memory.pressure_level", "memory.soft_limit_in_bytes", "memory.stat", "memory.swappiness",
    "memory.usage_in_bytes", "memory.use_hierarchy", "notify_on_release", "tasks",
]
V1_CPUSET = [
    "cgroup.clone_children", "cgroup.procs", "cpuset.cpu_exclusive", "cpuset.cpus",
    "cpuset.effective_cpus", "cpuset.effective_mems", "cpuset.mem_exclusive",
    "cpuset.mem_hardwall", "cpuset.memory_migrate", "cpuset.memory_pressure",
    "cpuset.memory_spread_page", "cpuset.memory_spread_slab", "cpuset.mems",
    "cpuset.sched_load_balance", "cpuset.sched_relax_domain_level", "notify_on_release", "tasks",
]
V1_SETS = {"cpuacct": V1_CPUACCT, "memory": V1_MEMORY, "cpuset": V1_CPUSET}
# Files only the controller root has.
V1_ROOT_EXTRA = ["cgroup.sane_behavior", "release_agent"]

# v2 with controllers cpuset cpu io memory pids enabled (as slurmd enables them).
V2_FILES = [
    "cgroup.controllers", "cgroup.events", "cgroup.freeze", "cgroup.kill", "cgroup.max.depth",
    "cgroup.max.descendants", "cgroup.procs", "cgroup.stat", "cgroup.subtree_control",
    "cgroup.threads", "cgroup.type", "cpu.idle", "cpu.max", "cpu.max.burst", "cpu.pressure",
    "cpu.stat", "cpu.uclamp.max", "cpu.uclamp.min", "cpu.weight", "cpu.weight.nice",
    "cpuset.cpus", "cpuset.cpus.effective", "cpuset.cpus.partition", "cpuset.mems",
    "cpuset.mems.effective", "io.max", "io.pressure", "io.stat", "io.weight", "memory.current",
    "memory.events", "memory.events.local", "memory.high", "memory.low", "memory.max",
    "memory.min", "memory.numa_stat", "memory.oom.group", "memory.peak", "memory.pressure",
    "memory.reclaim", "memory.stat", "memory.swap.current", "memory.swap.events",
    "memory.swap.high", "memory.swap.max", "memory.zswap.current", "memory.zswap.max",
    "pids.current", "pids.events", "pids.max", "pids.peak",
]
V2_RDMA = ["rdma.current", "rdma.max"]

SYSTEM_SERVICES = [
    "chrony.service", "cron.service", "dbus.service", "getty@tty1.service", "munge.service",
    "networking.service", "nslcd.service", "rsyslog.service", "slurmd.service", "ssh.service",
    "systemd-journald.service", "systemd-logind.service", "systemd-udevd.service",
    "ceems_exporter.service", "node_exporter.service", "nvidia-persistenced.service",
]

STEPS = ["step_batch", "step_extern", "step_0"]


# ---------------------------------------------------------------------------
# Writing helpers: everything relative to directory fds, so that the generator
# is not dominated by path resolution.

class Writer:
    def __init__(self):
        self.files = 0
        self.dirs = 0
        self.bytes = 0

    def mkdir(self, parent_fd, name):
        os.mkdir(name, 0o755, dir_fd=parent_fd)
        self.dirs += 1
        return os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=parent_fd)

    def files_in(self, dfd, names, contents):
        """Creates every name in dfd; contents maps name -> text (others empty)."""
        for name in names:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd)
            text = contents.get(name)
            if text:
                data = text.encode() if isinstance(text, str) else text
                os.write(fd, data)
                self.bytes += len(data)
            os.close(fd)
            self.files += 1
        for name, text in contents.items():
            if name not in names:
                raise ValueError(f"content for unknown file {name}")


def makedirs_fd(root, rel):
    os.makedirs(os.path.join(root, rel), exist_ok=True)
    return os.open(os.path.join(root, rel), os.O_RDONLY | os.O_DIRECTORY)


# ---------------------------------------------------------------------------
# Job model: everything derived from (seed, job index).

class Job:
    __slots__ = ("index", "id", "uid", "user", "cpus", "cpuset", "mem_limit", "pids", "gpus", "stale")


def cpuset_string(first, count, ncpus):
    """CPU list as the kernel prints it: ranges over two sockets."""
    half = ncpus // 2
    per_socket = max(1, count // 2)
    a0 = first % max(1, half - per_socket + 1)
    parts = [f"{a0}-{a0 + per_socket - 1}" if per_socket > 1 else f"{a0}"]
    if count > 1:
        b0 = half + a0
        rest = count - per_socket
        parts.append(f"{b0}-{b0 + rest - 1}" if rest > 1 else f"{b0}")
    return ",".join(parts)


def make_jobs(args):
    jobs = []
    job_id = 1_000_000
    pid = 3000
    for i in range(args.jobs):
        r = mix(args.seed, i)
        j = Job()
        j.index = i
        job_id += 1 + (r % 7)
        j.id = job_id
        j.uid = 1000 + (mix(args.seed, i, 1) % args.users)
        j.user = f"user{j.uid - 1000:03d}"
        j.cpus = [1, 2, 4, 8, 16][mix(args.seed, i, 2) % 5]
        j.cpus = min(j.cpus, args.ncpus)
        j.cpuset = cpuset_string(mix(args.seed, i, 3) % args.ncpus, j.cpus, args.ncpus)
        j.mem_limit = j.cpus * 4 * 1024**3
        # Per step: slurmstepd, then the step's user processes.
        j.pids = {}
        for s, step in enumerate(STEPS):
            n_user = {"step_batch": 1, "step_extern": 1, "step_0": 1 + mix(args.seed, i, 4) % 3}[step]
            stepd = pid + 1
            users = list(range(stepd + 1, stepd + 1 + n_user))
            pid = users[-1] + (mix(args.seed, i, 5, s) % 3)
            j.pids[step] = (stepd, users)
        j.gpus = str(i % args.gpus) if args.gpus else ""
        j.stale = i >= args.jobs - args.stale  # the last --stale jobs: empty, "populated 0"
        jobs.append(j)
    return jobs


# ---------------------------------------------------------------------------
# Contents of the files the collector reads.

def v1_cpuacct_contents(args, job):
    r = mix(args.seed, job.index, 10)
    user_ticks = 100 + r % 5_000_000
    sys_ticks = 10 + (r >> 24) % 200_000
    percpu = []
    total = 0
    for c in range(args.ncpus):
        v = mix(args.seed, job.index, 11, c) % 50_000_000_000 if c < job.cpus * 2 else 0
        percpu.append(v)
        total += v
    return {
        "cpuacct.stat": f"user {user_ticks}\nsystem {sys_ticks}\n",
        "cpuacct.usage": f"{total}\n",
        "cpuacct.usage_percpu": " ".join(str(v) for v in percpu) + " \n",
        "cpu.cfs_period_us": "100000\n",
        "cpu.cfs_quota_us": "-1\n",
        "cpu.shares": "1024\n",
    }


def v1_memory_contents(args, job):
    r = mix(args.seed, job.index, 20)
    rss = (r % job.mem_limit) & ~4095
    cache = ((r >> 20) % (job.mem_limit // 4)) & ~4095
    usage = rss + cache + 4096 * (r % 1000)
    unlimited = 9223372036854771712
    limit = job.mem_limit if r % 10 else unlimited
    stat_keys = [
        ("cache", cache), ("rss", rss), ("rss_huge", 0), ("shmem", 0), ("mapped_file", cache // 8),
        ("dirty", 0), ("writeback", 0), ("swap", 0), ("pgpgin", r % 900000),
        ("pgpgout", r % 700000), ("pgfault", r % 4000000), ("pgmajfault", r % 100),
        ("inactive_anon", rss), ("active_anon", 0), ("inactive_file", cache // 2),
        ("active_file", cache - cache // 2), ("unevictable", 0),
        ("hierarchical_memory_limit", limit), ("hierarchical_memsw_limit", unlimited),
    ]
    totals = [("total_" + k, v) for k, v in stat_keys if not k.startswith("hierarchical")]
    stat = "".join(f"{k} {v}\n" for k, v in stat_keys + totals)
    c = {
        "memory.stat": stat,
        "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
        "memory.usage_in_bytes": f"{usage}\n",
        "memory.max_usage_in_bytes": f"{usage + 4096 * (r % 4096)}\n",
        "memory.failcnt": f"{r % 3}\n",
        "memory.limit_in_bytes": f"{limit}\n",
        "memory.memsw.usage_in_bytes": f"{usage}\n",
        "memory.memsw.max_usage_in_bytes": f"{usage + 4096 * (r % 4096)}\n",
        "memory.memsw.failcnt": "0\n",
        "memory.memsw.limit_in_bytes": f"{limit if limit != unlimited else unlimited}\n",
        "memory.kmem.usage_in_bytes": f"{4096 * (1 + r % 20000)}\n",
        "memory.kmem.max_usage_in_bytes": f"{4096 * (1 + r % 30000)}\n",
        "memory.kmem.failcnt": "0\n",
        "memory.kmem.limit_in_bytes": f"{unlimited}\n",
        "memory.kmem.tcp.usage_in_bytes": "0\n",
        "memory.kmem.tcp.max_usage_in_bytes": "0\n",
        "memory.kmem.tcp.failcnt": "0\n",
        "memory.kmem.tcp.limit_in_bytes": f"{unlimited}\n",
        "memory.soft_limit_in_bytes": f"{unlimited}\n",
        "memory.swappiness": "60\n",
        "memory.use_hierarchy": "1\n",
    }
    return c


def v1_cpuset_contents(args, job):
    mems = "0-1" if args.ncpus > 1 else "0"
    return {"cpuset.cpus": job.cpuset + "\n", "cpuset.effective_cpus": job.cpuset + "\n",
            "cpuset.mems": mems + "\n", "cpuset.effective_mems": mems + "\n"}


def psi(r, full):
    a = [(r >> s) % 10000 / 100 for s in (0, 8, 16)]
    total = r % 100_000_000 if full else r % 1_000_000_000
    return f"avg10={a[0]:.2f} avg60={a[1]:.2f} avg300={a[2]:.2f} total={total}"


def v2_job_contents(args, job):
    r = mix(args.seed, job.index, 30)
    usage = 1_000_000 + r % 100_000_000_000
    user = usage * 9 // 10
    system = usage - user
    anon = (r % job.mem_limit) & ~4095
    file_ = ((r >> 20) % (job.mem_limit // 4)) & ~4095
    current = anon + file_ + 4096 * (r % 5000)
    stat_keys = [
        ("anon", anon), ("file", file_), ("kernel", 4096 * (r % 3000)), ("kernel_stack", 16384 * (1 + r % 64)),
        ("pagetables", 4096 * (r % 2000)), ("sec_pagetables", 0), ("percpu", 1024 * (r % 4000)),
        ("sock", 0), ("vmalloc", 0), ("shmem", 0), ("zswap", 0), ("zswapped", 0),
        ("file_mapped", file_ // 8), ("file_dirty", 0), ("file_writeback", 0), ("swapcached", 0),
        ("anon_thp", anon // 2 & ~4095), ("file_thp", 0), ("shmem_thp", 0),
        ("inactive_anon", anon), ("active_anon", 57344), ("inactive_file", file_ // 2),
        ("active_file", file_ - file_ // 2), ("unevictable", 0),
        ("slab_reclaimable", 8 * (r % 100000)), ("slab_unreclaimable", 8 * (r % 200000)),
        ("slab", 8 * (r % 100000) + 8 * (r % 200000)),
        ("workingset_refault_anon", 0), ("workingset_refault_file", r % 100),
        ("workingset_activate_anon", 0), ("workingset_activate_file", 0),
        ("workingset_restore_anon", 0), ("workingset_restore_file", 0),
        ("workingset_nodereclaim", 0), ("pgscan", 0), ("pgsteal", 0), ("pgscan_kswapd", 0),
        ("pgscan_direct", 0), ("pgsteal_kswapd", 0), ("pgsteal_direct", 0),
        ("pgfault", r % 9000000), ("pgmajfault", r % 100), ("pgrefill", 0), ("pgactivate", r % 200),
        ("pgdeactivate", 0), ("pglazyfree", 0), ("pglazyfreed", 0), ("zswpin", 0), ("zswpout", 0),
        ("thp_fault_alloc", r % 300000), ("thp_collapse_alloc", r % 10),
    ]
    mem_max = str(job.mem_limit) if r % 10 else "max"
    c = {
        "cgroup.controllers": "cpuset cpu io memory pids" + (" rdma" if args.rdma else "") + "\n",
        "cgroup.type": "domain\n",
        "cgroup.subtree_control": "cpuset cpu io memory pids\n",
        "cgroup.events": EVENTS_STALE if job.stale else EVENTS_LIVE,
        "cpu.stat": (f"usage_usec {usage}\nuser_usec {user}\nsystem_usec {system}\n"
                     f"core_sched.force_idle_usec 0\nnr_periods 0\nnr_throttled 0\n"
                     f"throttled_usec 0\nnr_bursts 0\nburst_usec 0\n"),
        "cpu.max": "max 100000\n",
        "cpu.weight": "100\n",
        "cpuset.cpus": job.cpuset + "\n",
        "cpuset.cpus.effective": job.cpuset + "\n",
        "cpuset.mems.effective": "0-1\n",
        "memory.current": f"{current}\n",
        "memory.max": mem_max + "\n",
        "memory.high": "max\n",
        "memory.stat": "".join(f"{k} {v}\n" for k, v in stat_keys),
        "memory.swap.current": "0\n",
        "memory.swap.max": ("max" if r % 3 else "0") + "\n",
        "memory.events": f"low 0\nhigh 0\nmax {r % 5}\noom {r % 2}\noom_kill {r % 2}\noom_group_kill 0\n",
        "cpu.pressure": f"some {psi(r, False)}\nfull {psi(r >> 5, True)}\n",
        "memory.pressure": f"some {psi(r >> 7, False)}\nfull {psi(r >> 9, True)}\n",
        "io.pressure": f"some {psi(r >> 11, False)}\nfull {psi(r >> 13, True)}\n",
        "io.stat": (f"8:0 rbytes={r % 10**10} wbytes={(r >> 7) % 10**10} rios={r % 10**6} "
                    f"wios={(r >> 3) % 10**6} dbytes=0 dios=0\n"
                    f"259:0 rbytes={(r >> 9) % 10**9} wbytes={(r >> 11) % 10**9} rios={r % 10**5} "
                    f"wios={(r >> 13) % 10**5} dbytes=0 dios=0\n"),
        "pids.current": f"{sum(1 + len(u) for _, u in job.pids.values())}\n",
        "pids.max": "max\n",
    }
    if args.rdma:
        c["rdma.current"] = f"mlx5_0 hca_handle={r % 8} hca_object={r % 300}\n"
        c["rdma.max"] = "mlx5_0 hca_handle=max hca_object=max\n"
    return c


EVENTS_LIVE = "populated 1\nfrozen 0\n"
EVENTS_STALE = "populated 0\nfrozen 0\n"


def procs_text(pids):
    return "".join(f"{p}\n" for p in pids)


# ---------------------------------------------------------------------------
# /proc entries.

def write_proc(w, proc_fd, args, job, pid, ppid, kind, step):
    env = [
        "LANG=C.UTF-8",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]
    if kind == "stepd":
        comm = "slurmstepd"
        cmdline = [f"slurmstepd: [{job.id}.{step[5:]}]"]
        env += ["NOTIFY_SOCKET=/run/systemd/notify", "INVOCATION_ID=" + f"{mix(job.id, pid):032x}"[:32]]
    else:
        if step == "step_extern":
            comm, cmdline = "sleep", ["sleep", "100000000"]
        elif step == "step_batch":
            comm, cmdline = "slurm_script", ["/bin/bash", f"/var/spool/slurmd/job{job.id}/slurm_script"]
        else:
            comm, cmdline = "solver", [f"/home/{job.user}/bin/solver", "--input", "case.dat", "--threads",
                                       str(job.cpus)]
        step_id = {"step_batch": "4294967291", "step_extern": "4294967292"}.get(step, step[5:])
        env += [
            f"HOME=/home/{job.user}", f"USER={job.user}", f"LOGNAME={job.user}", "SHELL=/bin/bash",
            "TERM=xterm-256color", f"PWD=/home/{job.user}/runs", "OMP_NUM_THREADS=" + str(job.cpus),
            "MODULEPATH=/etc/environment-modules/modules:/usr/share/modules/modulefiles",
            f"SLURM_JOB_ID={job.id}", f"SLURM_JOBID={job.id}", f"SLURM_JOB_USER={job.user}",
            f"SLURM_JOB_UID={job.uid}", f"SLURM_JOB_GID={job.uid}", f"SLURM_JOB_NAME=run{job.index}",
            "SLURM_JOB_PARTITION=cpu", "SLURM_JOB_ACCOUNT=project01", "SLURM_JOB_QOS=normal",
            f"SLURM_JOB_NODELIST={args.node}", "SLURM_JOB_NUM_NODES=1", "SLURM_NNODES=1",
            f"SLURM_NODELIST={args.node}", f"SLURMD_NODENAME={args.node}", "SLURM_CLUSTER_NAME=cluster",
            f"SLURM_JOB_CPUS_PER_NODE={job.cpus}", f"SLURM_CPUS_ON_NODE={job.cpus}",
            f"SLURM_MEM_PER_NODE={job.mem_limit // 2**20}", "SLURM_NTASKS=1", "SLURM_NPROCS=1",
            f"SLURM_STEP_ID={step_id}", f"SLURM_STEPID={step_id}", "SLURM_PROCID=0", "SLURM_LOCALID=0",
            "SLURM_NODEID=0", "SLURM_GTIDS=0", f"SLURM_TASK_PID={pid}", f"SLURM_TOPOLOGY_ADDR={args.node}",
            "SLURM_TOPOLOGY_ADDR_PATTERN=node", f"SLURM_SUBMIT_DIR=/home/{job.user}/runs",
            "SLURM_SUBMIT_HOST=login01", "SLURM_WORKING_CLUSTER=cluster:ctl01:6817:9984:109",
            "SLURM_CONF=/etc/slurm/slurm.conf", "SLURM_PRIO_PROCESS=0", "SLURM_EXPORT_ENV=ALL",
            f"TMPDIR=/tmp/slurm-{job.id}", "ENVIRONMENT=BATCH",
        ]
        if job.gpus:
            env += [f"SLURM_JOB_GPUS={job.gpus}", f"SLURM_STEP_GPUS={job.gpus}", f"CUDA_VISIBLE_DEVICES={job.gpus}",
                    f"GPU_DEVICE_ORDINAL={job.gpus}"]
    d = w.mkdir(proc_fd, str(pid))
    start = 100000 + job.index * 37
    vsz = 4096 * (1000 + pid % 50000)
    stat = (f"{pid} ({comm}) S {ppid} {pid} {pid} 0 -1 4194560 {pid % 9000} 0 0 0 "
            f"{pid % 5000} {pid % 300} 0 0 20 0 1 0 {start} {vsz} {vsz // 16384} "
            f"18446744073709551615 94000000000000 94000000500000 140730000000000 0 0 0 0 0 65536 "
            f"1 0 0 17 {pid % args.ncpus} 0 0 0 0 0 94000000600000 94000000700000 94000001000000 "
            f"140730000001000 140730000001100 140730000001100 140730000002000 0\n")
    status = (f"Name:\t{comm}\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n"
              f"PPid:\t{ppid}\nTracerPid:\t0\nUid:\t{job.uid}\t{job.uid}\t{job.uid}\t{job.uid}\n"
              f"Gid:\t{job.uid}\t{job.uid}\t{job.uid}\t{job.uid}\nThreads:\t1\n"
              f"Cpus_allowed_list:\t{job.cpuset}\nvoluntary_ctxt_switches:\t{pid % 10000}\n"
              f"nonvoluntary_ctxt_switches:\t{pid % 100}\n")
    w.files_in(d, ["cmdline", "comm", "environ", "stat", "status"], {
        "cmdline": "\0".join(cmdline) + "\0",
        "comm": comm + "\n",
        "environ": "\0".join(env) + "\0",
        "stat": stat,
        "status": status,
    })
    os.close(d)


def write_procs(w, root, args, jobs):
    proc_fd = makedirs_fd(root, "proc")
    w.files_in(proc_fd, ["meminfo", "diskstats", "cgroups"], {
        "meminfo": (f"MemTotal:       {args.mem_gb * 1024 * 1024} kB\nMemFree:        {args.mem_gb * 1024 * 512} kB\n"
                    f"MemAvailable:   {args.mem_gb * 1024 * 700} kB\nBuffers:          102400 kB\n"
                    f"Cached:          8388608 kB\nSwapCached:            0 kB\n"
                    f"SwapTotal:       8388604 kB\nSwapFree:        8388604 kB\n"),
        "diskstats": ("   8       0 sda 41232 1211 3391232 20412 98123 40123 8123456 301234 0 120312 321645 0 0 0 0\n"
                      "   8       1 sda1 40123 1211 3381232 20312 98012 40123 8123450 301200 0 120212 321512 0 0 0 0\n"
                      " 259       0 nvme0n1 912312 0 81231232 212412 812312 0 91231232 812312 0 412312 1024724 0 0 0 0\n"),
        "cgroups": ("#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t5\t3\t1\ncpu\t6\t3\t1\n"
                    "cpuacct\t6\t3\t1\nblkio\t12\t1\t1\nmemory\t7\t123\t1\ndevices\t11\t51\t1\n"
                    "freezer\t2\t3\t1\nnet_cls\t4\t3\t1\nperf_event\t3\t1\t1\nnet_prio\t4\t3\t1\n"
                    "hugetlb\t8\t1\t1\npids\t9\t60\t1\nrdma\t10\t1\t1\nmisc\t13\t1\t1\n"),
    })
    # The perf sub-collector checks it at start-up (2: the kernel's default).
    kfd = makedirs_fd(root, "proc/sys/kernel")
    w.files_in(kfd, ["perf_event_paranoid"], {"perf_event_paranoid": "2\n"})
    os.close(kfd)
    slurmd_pid = 2000
    for job in jobs:
        if job.stale:  # its processes are gone
            continue
        for step in STEPS:
            stepd, users = job.pids[step]
            write_proc(w, proc_fd, args, job, stepd, slurmd_pid, "stepd", step)
            for p in users:
                write_proc(w, proc_fd, args, job, p, stepd, "user", step)
    os.close(proc_fd)


# ---------------------------------------------------------------------------
# cgroup trees.

def write_v1(w, root, args, jobs):
    slurm_dir = "slurm" if args.v1_layout == "slurm" else f"slurm_{args.node}"
    for ctrl, names in V1_SETS.items():
        cfd = makedirs_fd(root, f"sys/fs/cgroup/{ctrl}")
        w.files_in(cfd, names + V1_ROOT_EXTRA, {})
        for other in ["init.scope", "system.slice", "user.slice"]:
            ofd = w.mkdir(cfd, other)
            w.files_in(ofd, names, {})
            os.close(ofd)
        sfd = w.mkdir(cfd, slurm_dir)
        w.files_in(sfd, names, {})
        sys_fd = w.mkdir(sfd, "system")  # slurmd's own cgroup
        w.files_in(sys_fd, names, {"cgroup.procs": "2000\n"})
        os.close(sys_fd)
        uid_fds = {}
        for job in jobs:
            ufd = uid_fds.get(job.uid)
            if ufd is None:
                ufd = w.mkdir(sfd, f"uid_{job.uid}")
                w.files_in(ufd, names, {})
                uid_fds[job.uid] = ufd
            contents = {"cpuacct": v1_cpuacct_contents, "memory": v1_memory_contents,
                        "cpuset": v1_cpuset_contents}[ctrl](args, job)
            jfd = w.mkdir(ufd, f"job_{job.id}")
            w.files_in(jfd, names, contents)
            for step in STEPS:
                stepd, users = job.pids[step]
                sd = w.mkdir(jfd, step)
                w.files_in(sd, names, {"cgroup.procs": procs_text([stepd])})
                td = w.mkdir(sd, "task_0")
                w.files_in(td, names, {"cgroup.procs": procs_text(users)})
                os.close(td)
                os.close(sd)
            os.close(jfd)
        for ufd in uid_fds.values():
            os.close(ufd)
        os.close(sfd)
        os.close(cfd)


def write_v2(w, root, args, jobs):
    files = V2_FILES + (V2_RDMA if args.rdma else [])
    cg = makedirs_fd(root, "sys/fs/cgroup")
    root_files = [f for f in files if f not in ("cgroup.events", "cgroup.freeze", "cgroup.kill", "cgroup.type",
                                               "cpu.idle", "cpu.max", "cpu.max.burst", "cpu.weight",
                                               "cpu.weight.nice", "memory.high", "memory.low", "memory.max",
                                               "memory.min", "memory.oom.group", "memory.peak",
                                               "memory.swap.events", "memory.swap.high", "memory.swap.max",
                                               "memory.zswap.max", "pids.events", "pids.max", "pids.peak")]
    w.files_in(cg, root_files, {"cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n"})
    live = {"cgroup.events": EVENTS_LIVE}
    for top in ["init.scope", "user.slice"]:
        t = w.mkdir(cg, top)
        w.files_in(t, files, live)
        os.close(t)
    ss = w.mkdir(cg, "system.slice")
    w.files_in(ss, files, live)
    for svc in SYSTEM_SERVICES:
        t = w.mkdir(ss, svc)
        w.files_in(t, files, live)
        os.close(t)
    scope_name = "slurmstepd.scope" if args.v2_layout == "slurmstepd.scope" else f"{args.node}_slurmstepd.scope"
    sc = w.mkdir(ss, scope_name)
    w.files_in(sc, files, {"cgroup.subtree_control": "cpuset cpu io memory pids\n", **live})
    t = w.mkdir(sc, "system")
    w.files_in(t, files, {"cgroup.procs": "2001\n", **live})
    os.close(t)
    for job in jobs:
        jfd = w.mkdir(sc, f"job_{job.id}")
        w.files_in(jfd, files, v2_job_contents(args, job))
        ev = {"cgroup.events": EVENTS_STALE if job.stale else EVENTS_LIVE}
        for step in STEPS:
            stepd, users = job.pids[step]
            if job.stale:
                stepd, users = None, []
            sd = w.mkdir(jfd, step)
            w.files_in(sd, files, ev)
            d = w.mkdir(sd, "slurm")
            w.files_in(d, files, {"cgroup.procs": procs_text([stepd] if stepd else []), **ev})
            os.close(d)
            u = w.mkdir(sd, "user")
            w.files_in(u, files, ev)
            d = w.mkdir(u, "task_0")
            w.files_in(d, files, {"cgroup.procs": procs_text(users), **ev})
            os.close(d)
            os.close(u)
            os.close(sd)
        os.close(jfd)
    os.close(sc)
    os.close(ss)
    os.close(cg)


def params_of(args):
    return {
        "revision": GENERATOR_REVISION, "version": args.version, "jobs": args.jobs, "seed": args.seed,
        "users": args.users, "ncpus": args.ncpus, "mem_gb": args.mem_gb, "node": args.node,
        "v1_layout": args.v1_layout, "v2_layout": args.v2_layout, "rdma": args.rdma, "gpus": args.gpus,
        "stale": args.stale,
    }


def generate(args, quiet=False):
    """Builds the tree (or reuses a matching one). Returns (reused, seconds, stats)."""
    out = os.path.abspath(args.out)
    params = params_of(args)
    stamp = os.path.join(out, ".gen_params.json")
    if os.path.exists(stamp) and not args.force:
        with open(stamp, encoding="utf-8") as f:
            old = json.load(f)
        if old.get("params") == params:
            return True, old.get("seconds", 0.0), old
    if os.path.exists(out):
        shutil.rmtree(out)
    tmp = f"{out}.tmp-{os.getpid()}"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    t0 = time.monotonic()
    w = Writer()
    jobs = make_jobs(args)
    (write_v1 if args.version == "v1" else write_v2)(w, tmp, args, jobs)
    write_procs(w, tmp, args, jobs)
    secs = time.monotonic() - t0
    info = {"params": params, "seconds": round(secs, 2), "files": w.files, "dirs": w.dirs,
            "content_bytes": w.bytes, "live_jobs": sum(1 for j in jobs if not j.stale),
            "pids": sum(1 + len(u) for j in jobs if not j.stale for _, u in j.pids.values())}
    with open(os.path.join(tmp, ".gen_params.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1)
    os.rename(tmp, out)
    if not quiet:
        print(f"generated {out}: {w.dirs} dirs, {w.files} files, {w.bytes / 1e6:.1f} MB of contents, "
              f"{info['pids']} pids in {secs:.1f} s")
    return False, secs, info


def arg_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="tree root (gets sys/ and proc/)")
    p.add_argument("--version", choices=["v1", "v2"], required=True)
    p.add_argument("--jobs", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--users", type=int, default=50, help="distinct job owners (v1 uid_U dirs)")
    p.add_argument("--ncpus", type=int, default=64, help="CPUs of the node (cpuacct.usage_percpu width)")
    p.add_argument("--mem-gb", type=int, default=512, help="node MemTotal")
    p.add_argument("--node", default="node001", help="node name (for the multi-slurmd layouts)")
    p.add_argument("--v1-layout", choices=["slurm", "slurm_node"], default="slurm",
                   help="v1 Slurm dir: 'slurm' or Debian's multi-slurmd 'slurm_<node>'")
    p.add_argument("--v2-layout", choices=["slurmstepd.scope", "node_slurmstepd.scope"],
                   default="slurmstepd.scope", help="v2 scope: 'slurmstepd.scope' or '<node>_slurmstepd.scope'")
    p.add_argument("--rdma", action="store_true", help="v2: enable the rdma controller (rdma.current per job)")
    p.add_argument("--gpus", type=int, default=0, help="put SLURM_JOB_GPUS=<i mod gpus> in job environments")
    p.add_argument("--stale", type=int, default=0,
                   help="v2: the last N jobs are empty leftovers (cgroup.events 'populated 0', no processes)")
    p.add_argument("--force", action="store_true", help="regenerate even if a matching tree exists")
    return p


def check_args(p, args):
    if args.stale < 0 or args.stale > args.jobs:
        p.error("--stale must be between 0 and --jobs")
    if args.stale and args.version != "v2":
        p.error("--stale needs --version v2 (cgroup v1 has no populated flag)")


def main(argv=None):
    p = arg_parser()
    args = p.parse_args(argv)
    check_args(p, args)
    reused, secs, info = generate(args)
    if reused:
        print(f"reusing {os.path.abspath(args.out)} (generated in {secs:.1f} s, {info.get('files')} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
