"""A throw-away single-node Slurm cluster (munged, slurmctld, slurmd) on loopback.

Standard library only; run with Debian's /usr/bin/python3 as root.

    cluster = SlurmCluster()
    try:
        cluster.start()
        jobid = cluster.sbatch("--mem=100M", "--wrap", "sleep 30")
        ...
    finally:
        problems = cluster.stop()   # never raises; lists what could not be cleaned up

Everything lives in one temporary directory: the slurm.conf rendered from
slurm.conf.in, cgroup.conf, state, spool, pid and log files, and the socket of
a private munged (started as user munge with the system's /etc/munge/munge.key,
or a generated key when there is none). slurm.conf points Slurm at that socket
(AuthInfo=socket=...), so a system munged is neither needed nor touched, and
the daemons and client commands get the configuration through -f / SLURM_CONF,
so /etc/slurm is never read or written. slurmctld and slurmd listen on free
loopback ports.

Slurm 22.05 as packaged by Debian (built with multiple-slurmd support) creates
its v1 cgroups under /sys/fs/cgroup/<controller>/slurm_<node>/ and leaves the
empty directories behind when it stops; stop() removes them, depth first with
rmdir, once slurmd is gone.

Every subprocess call has a timeout and every wait has a deadline.

Manual smoke test:  /usr/bin/python3 tests/slurm/cluster.py [--keep]
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CONF_TEMPLATE = os.path.join(HERE, "slurm.conf.in")
CGROUP_CONF = os.path.join(HERE, "cgroup.conf")

CGROUP_ROOT = "/sys/fs/cgroup"
# The v1 controllers Slurm writes to with cgroup.conf (task/proctrack/jobacct cgroup).
SLURM_CONTROLLERS = ("cpuacct", "memory", "cpuset", "freezer")
SYSTEM_MUNGE_KEY = "/etc/munge/munge.key"
TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("munge", "sbatch", "squeue", "sinfo", "scontrol", "scancel")
SLURM_PROCESS_NAMES = ("slurmctld", "slurmd", "slurmstepd")

# Work directories are <tmp>/ceems-slurm-XXXX; each names its owner (pid and
# start time) so that a later run can tell a live cluster from the remains of
# a run that was killed before it could clean up.
WORKDIR_PREFIX = "ceems-slurm-"
OWNER_FILE = "owner"

CLIENT_TIMEOUT_S = 20.0
MUNGE_START_TIMEOUT_S = 15.0
IDLE_TIMEOUT_S = 60.0
JOBS_GONE_TIMEOUT_S = 20.0
DAEMON_EXIT_TIMEOUT_S = 15.0
CGROUP_CLEANUP_TIMEOUT_S = 10.0
# stop() as a whole; the SIGKILL fallbacks add at most a few seconds.
STOP_BUDGET_S = 45.0


class ClusterError(Exception):
    pass


def tool(name: str) -> str | None:
    return shutil.which(name, path=TOOL_PATH)


def short_hostname() -> str:
    return socket.gethostname().split(".")[0]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def slurm_env(conf: str | None = None) -> dict:
    """Environment for Slurm commands: nothing inherited from an enclosing
    Slurm job (the test may itself run inside one), only our slurm.conf."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_", "SQUEUE_", "SINFO_"))}
    env["PATH"] = TOOL_PATH
    env["LC_ALL"] = "C"
    if conf:
        env["SLURM_CONF"] = conf
    return env


def run(argv: list[str], *, timeout: float = CLIENT_TIMEOUT_S, env: dict | None = None,
        check: bool = True) -> subprocess.CompletedProcess:
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env or slurm_env(),
                             stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"{' '.join(argv)}: no answer after {timeout:.0f} s") from None
    if check and res.returncode != 0:
        raise ClusterError(f"{' '.join(argv)}: exit status {res.returncode}: {(res.stderr or res.stdout).strip()}")
    return res


# --------------------------------------------------------------------------
# Preconditions


def _cgroup_writable(controller: str) -> str | None:
    base = os.path.join(CGROUP_ROOT, controller)
    if not os.path.isdir(base):
        return (f"{base} does not exist (a cgroup v1 {controller} hierarchy is needed; "
                "pure cgroup v2 hosts are not supported)")
    probe = os.path.join(base, f"ceems-slurm-probe-{os.getpid()}")
    try:
        os.mkdir(probe)
    except OSError as e:
        return f"cannot create a cgroup under {base}: {e.strerror}"
    try:
        os.rmdir(probe)
    except OSError as e:
        return f"cannot remove the probe cgroup {probe}: {e.strerror}"
    return None


def skip_reason() -> str | None:
    """Why a real Slurm cluster cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (Slurm daemons, munged as user munge, cgroups)"
    missing = [n for n in DAEMONS + CLIENTS if tool(n) is None]
    if missing:
        return (f"Slurm/munge binaries not installed: {', '.join(missing)} "
                "(Debian packages slurmctld slurmd slurm-client munge)")
    for ctrl in SLURM_CONTROLLERS:
        why = _cgroup_writable(ctrl)
        if why:
            return f"cgroups not writable: {why}"
    return None


# --------------------------------------------------------------------------
# Processes and cgroups


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """preexec_fn: the daemons run in the foreground as our children; if this
    process is killed without cleaning up, they get SIGTERM instead of lingering
    and blocking the next run."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def processes_named(names: tuple[str, ...]) -> list[tuple[int, str]]:
    """Live processes with one of these names (zombies waiting for init don't count)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            comm = _read(f"/proc/{entry}/comm").strip()
            if comm in names and _alive(int(entry)):
                found.append((int(entry), comm))
    return found


def _alive(pid: int) -> bool:
    """True while pid exists and is not a zombie."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _start_time(pid: int) -> str:
    """Field 22 of /proc/<pid>/stat: tells a process from a later one with the same pid."""
    fields = _read(f"/proc/{pid}/stat").rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _processes_using(directory: str) -> list[int]:
    """Live processes whose working directory or command line is inside directory."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            cwd = ""
        cmdline = _read(f"/proc/{entry}/cmdline").replace("\0", " ")
        if (cwd == directory or cwd.startswith(directory + "/") or directory + "/" in cmdline) and _alive(int(entry)):
            pids.append(int(entry))
    return pids


def _wait_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in pids if _alive(p)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class SlurmCluster:
    def __init__(self, node: str | None = None, keep: bool = False, log=None):
        self.node = node or short_hostname()
        self.keep = keep
        self._log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self._t0 = time.monotonic()
        self.tmp: str | None = None
        self.conf: str | None = None
        self.procs: dict[str, subprocess.Popen] = {}
        self.ctld_port = 0
        self.slurmd_port = 0
        self._started = False
        self._stopped = False

    # -- paths ------------------------------------------------------------

    def log(self, msg: str) -> None:
        self._log(f"[slurm +{time.monotonic() - self._t0:5.1f}s] {msg}")

    def path(self, *parts: str) -> str:
        assert self.tmp is not None
        return os.path.join(self.tmp, *parts)

    @property
    def munge_socket(self) -> str:
        return self.path("munge", "munge.socket")

    def cgroup_roots(self) -> list[str]:
        """The per-node Slurm cgroup roots that exist, one per v1 controller."""
        roots = []
        try:
            controllers = sorted(os.listdir(CGROUP_ROOT))
        except OSError:
            return roots
        for ctrl in controllers:
            base = os.path.join(CGROUP_ROOT, ctrl)
            if ctrl == "unified" or os.path.islink(base):
                continue
            root = os.path.join(base, f"slurm_{self.node}")
            if os.path.isdir(root):
                roots.append(root)
        return roots

    def job_cgroup(self, controller: str, jobid: str, uid: int = 0) -> str:
        return os.path.join(CGROUP_ROOT, controller, f"slurm_{self.node}", f"uid_{uid}", f"job_{jobid}")

    @property
    def env(self) -> dict:
        return slurm_env(self.conf)

    # -- start ------------------------------------------------------------

    def start(self, timeout: float = IDLE_TIMEOUT_S) -> None:
        """Starts munged, slurmctld and slurmd and waits until the node is idle.
        On failure the logs are part of the ClusterError and everything
        started is stopped again."""
        reason = skip_reason()
        if reason:
            raise ClusterError(reason)
        self._preflight()
        self._started = True
        try:
            self._prepare_dir()
            self._start_munged()
            self._write_conf()
            self._start_daemon("slurmctld", [tool("slurmctld"), "-D", "-i", "-f", self.conf])
            self._start_daemon("slurmd", [tool("slurmd"), "-D", "-f", self.conf, "-N", self.node])
            self._wait_idle(timeout)
        except BaseException as e:
            logs = self.logs()
            problems = self.stop()
            extra = "".join(f"\ncleanup: {p}" for p in problems)
            if isinstance(e, ClusterError):
                raise ClusterError(f"{e}{extra}\n{logs}") from None
            raise

    def _preflight(self) -> None:
        self._reap_stale_runs()
        running = processes_named(SLURM_PROCESS_NAMES)
        if running:
            raise ClusterError("Slurm processes are already running on this host, refusing to start a second cluster: "
                               + ", ".join(f"{name}[{pid}]" for pid, name in running))
        # Left over by an earlier run that was killed: empty dirs are removed,
        # a populated one means someone else's Slurm is using it.
        problems = self._remove_cgroup_trees(kill=False, timeout=2.0)
        if problems:
            raise ClusterError("stale Slurm cgroups that cannot be removed: " + "; ".join(problems))

    def _reap_stale_runs(self) -> None:
        """Kills what a killed earlier run left behind (its daemons, slurmstepd
        and job processes all work in its directory) and removes that directory.
        Directories whose owner is still alive belong to a running test and are
        left alone, and so is anything without an owner file (not ours)."""
        for d in sorted(glob.glob(os.path.join(tempfile.gettempdir(), WORKDIR_PREFIX + "*"))):
            if not os.path.isdir(d) or os.path.islink(d):
                continue
            owner = _read(os.path.join(d, OWNER_FILE)).split()
            if len(owner) != 2 or not owner[0].isdigit():
                continue
            if _alive(int(owner[0])) and _start_time(int(owner[0])) == owner[1]:
                continue
            pids = _processes_using(d)
            for pid in pids:
                _kill(pid, signal.SIGKILL)
            left = _wait_gone(pids, 5.0)
            if left:
                raise ClusterError(f"processes of the stale run in {d} survive SIGKILL: {left}")
            shutil.rmtree(d, ignore_errors=True)
            self.log(f"removed the remains of an earlier run: {d}" + (f", killed {pids}" if pids else ""))

    def _prepare_dir(self) -> None:
        self.tmp = tempfile.mkdtemp(prefix=WORKDIR_PREFIX)
        with open(os.path.join(self.tmp, OWNER_FILE), "w", encoding="ascii") as f:
            f.write(f"{os.getpid()} {_start_time(os.getpid())}\n")
        os.chmod(self.tmp, 0o755)  # munged (user munge) must reach its socket dir
        for d in ("etc", "state", "state/ctld", "state/slurmd", "log", "munge", "job"):
            os.makedirs(self.path(d), mode=0o755, exist_ok=True)
        munge = pwd.getpwnam("munge")
        os.chown(self.path("munge"), munge.pw_uid, munge.pw_gid)
        self.log(f"work dir {self.tmp}")

    def _munge_key(self) -> str:
        if os.path.isfile(SYSTEM_MUNGE_KEY) and os.path.getsize(SYSTEM_MUNGE_KEY) > 0:
            return SYSTEM_MUNGE_KEY
        key = self.path("munge", "munge.key")
        munge = pwd.getpwnam("munge")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        try:
            os.write(fd, os.urandom(1024))
        finally:
            os.close(fd)
        os.chown(key, munge.pw_uid, munge.pw_gid)
        self.log(f"{SYSTEM_MUNGE_KEY} missing, generated {key}")
        return key

    def _popen(self, name: str, argv: list[str], **kw) -> subprocess.Popen:
        out = open(self.path("log", f"{name}.out"), "wb")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=self.tmp, env=self.env, start_new_session=True,
                                    preexec_fn=_die_with_parent, **kw)
        finally:
            out.close()
        self.procs[name] = proc
        self.log(f"started {name} (pid {proc.pid})")
        return proc

    def _start_munged(self) -> None:
        d = self.path("munge")
        argv = [tool("munged"), "--foreground", f"--socket={self.munge_socket}", f"--key-file={self._munge_key()}",
                f"--log-file={d}/munged.log", f"--pid-file={d}/munged.pid", f"--seed-file={d}/munged.seed"]
        proc = self._popen("munged", argv, user="munge", group="munge", extra_groups=[])
        deadline = time.monotonic() + MUNGE_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise ClusterError(f"munged exited with status {proc.returncode}")
            if os.path.exists(self.munge_socket):
                res = run([tool("munge"), "-n", "-S", self.munge_socket], timeout=5, check=False)
                if res.returncode == 0:
                    return
            if time.monotonic() >= deadline:
                raise ClusterError(f"munged not answering on {self.munge_socket} after {MUNGE_START_TIMEOUT_S:.0f} s")
            time.sleep(0.1)

    def _node_topology(self) -> dict:
        """CPUs, sockets, cores, threads and memory as slurmd itself sees them,
        so that slurmd registers without a configuration mismatch."""
        cpus = os.cpu_count() or 1
        topo = {"CPUs": cpus, "SocketsPerBoard": 1, "CoresPerSocket": cpus, "ThreadsPerCore": 1, "RealMemory": 0}
        res = run([tool("slurmd"), "-C"], timeout=CLIENT_TIMEOUT_S, check=False, env=slurm_env())
        for key, value in re.findall(r"(\w+)=(\d+)", res.stdout):
            if key in topo:
                topo[key] = int(value)
        if topo["RealMemory"] <= 0:
            for line in _read("/proc/meminfo").splitlines():
                if line.startswith("MemTotal:"):
                    topo["RealMemory"] = int(line.split()[1]) // 1024
        return topo

    def _write_conf(self) -> None:
        topo = self._node_topology()
        # Leave headroom: slurmd drains a node that reports less than RealMemory.
        memory_mb = max(512, min(topo["RealMemory"] - 512, topo["RealMemory"] * 9 // 10))
        self.ctld_port = free_port()
        self.slurmd_port = free_port()
        while self.slurmd_port == self.ctld_port:
            self.slurmd_port = free_port()
        values = {
            "HOST": self.node,
            "CTLD_PORT": self.ctld_port,
            "SLURMD_PORT": self.slurmd_port,
            "MUNGE_SOCKET": self.munge_socket,
            "STATE_DIR": self.path("state"),
            "LOG_DIR": self.path("log"),
            "CPUS": topo["CPUs"],
            "SOCKETS": topo["SocketsPerBoard"],
            "CORES": topo["CoresPerSocket"],
            "THREADS": topo["ThreadsPerCore"],
            "MEMORY_MB": memory_mb,
        }
        with open(CONF_TEMPLATE, encoding="utf-8") as f:
            text = f.read()
        for key, value in values.items():
            text = text.replace(f"@{key}@", str(value))
        left = re.findall(r"@[A-Z_]+@", text)
        if left:
            raise ClusterError(f"{CONF_TEMPLATE}: unknown placeholders {left}")
        self.conf = self.path("etc", "slurm.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        shutil.copyfile(CGROUP_CONF, self.path("etc", "cgroup.conf"))
        self.log(f"slurm.conf: node {self.node} CPUs={topo['CPUs']} RealMemory={memory_mb} "
                 f"slurmctld port {self.ctld_port}, slurmd port {self.slurmd_port}")

    def _start_daemon(self, name: str, argv: list[str]) -> None:
        self._popen(name, argv)

    def _wait_idle(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        state = ""
        while True:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise ClusterError(f"{name} exited with status {proc.returncode} while waiting for the node")
            res = run([tool("sinfo"), "-h", "-n", self.node, "-o", "%T"], env=self.env, timeout=10, check=False)
            state = res.stdout.strip() if res.returncode == 0 else f"sinfo: {res.stderr.strip()}"
            if state == "idle":
                self.log(f"node {self.node} idle")
                return
            if time.monotonic() >= deadline:
                raise ClusterError(f"node {self.node} not idle after {timeout:.0f} s (last state: {state!r})")
            time.sleep(0.3)

    # -- jobs -------------------------------------------------------------

    def client(self, name: str, *args: str, timeout: float = CLIENT_TIMEOUT_S,
               check: bool = True) -> subprocess.CompletedProcess:
        return run([tool(name), *args], env=self.env, timeout=timeout, check=check)

    def sbatch(self, *args: str) -> str:
        res = self.client("sbatch", "--parsable", *args)
        jobid = res.stdout.strip().split(";")[0]
        if not jobid.isdigit():
            raise ClusterError(f"sbatch printed no job id: {res.stdout!r} {res.stderr!r}")
        self.log(f"submitted job {jobid}")
        return jobid

    def job_state(self, jobid: str) -> str | None:
        """The job's state as squeue shows it; None once squeue no longer lists it."""
        res = self.client("squeue", "-h", "-j", jobid, "-o", "%T", check=False)
        state = res.stdout.strip()
        if res.returncode != 0 or not state:
            return None
        return state

    def wait_job_running(self, jobid: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.job_state(jobid)
            if state == "RUNNING":
                self.log(f"job {jobid} running")
                return
            if state is None or state in ("FAILED", "CANCELLED", "COMPLETED", "TIMEOUT", "OUT_OF_MEMORY",
                                          "NODE_FAIL", "BOOT_FAIL"):
                detail = self.client("scontrol", "show", "job", jobid, check=False).stdout
                raise ClusterError(f"job {jobid} is {state or 'gone'} instead of running\n{detail}")
            time.sleep(0.2)
        raise ClusterError(f"job {jobid} not running after {timeout:.0f} s (state {state})")

    def cancel(self, jobid: str) -> None:
        self.client("scancel", jobid)
        self.log(f"cancelled job {jobid}")

    def wait_job_gone(self, jobid: str, timeout: float = JOBS_GONE_TIMEOUT_S) -> None:
        """Until squeue no longer lists the job and its cgroups are removed."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.job_state(jobid)
            dirs = [d for d in (self.job_cgroup(c, jobid) for c in SLURM_CONTROLLERS) if os.path.isdir(d)]
            if state is None and not dirs:
                self.log(f"job {jobid} gone")
                return
            if time.monotonic() >= deadline:
                raise ClusterError(f"job {jobid} still present after {timeout:.0f} s: state {state}, cgroups {dirs}")
            time.sleep(0.2)

    def job_pids(self, jobid: str) -> list[int]:
        """PIDs Slurm tracks for the job (scontrol listpids, answered by slurmd)."""
        res = self.client("scontrol", "listpids", jobid, check=False)
        pids = []
        for line in res.stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0].isdigit():
                pids.append(int(fields[0]))
        return pids

    # -- logs -------------------------------------------------------------

    def logs(self, tail_lines: int = 60) -> str:
        """The tails of the daemons' log files. <daemon>.out is the daemon's own
        stdout/stderr; for slurmctld and slurmd it repeats the log file (-D) and
        is shown only when the log file is empty (a daemon that died before
        opening it)."""
        if not self.tmp:
            return "(no Slurm logs: the cluster was not started)"
        if not os.path.isdir(self.tmp):
            return f"(no Slurm logs: {self.tmp} already removed)"
        chunks = []
        for daemon in DAEMONS:
            for name in (f"{daemon}.log", f"{daemon}.out"):
                lines = _read(self.path("log", name)).splitlines()
                if lines:
                    chunks.append(f"----- {self.path('log', name)} (last {min(tail_lines, len(lines))} "
                                  f"of {len(lines)} lines)")
                    chunks.extend(lines[-tail_lines:])
                    break
        return "\n".join(chunks) if chunks else "(Slurm logs are empty)"

    # -- stop -------------------------------------------------------------

    def stop(self) -> list[str]:
        """Stops everything start() started and removes the Slurm cgroups and the
        work directory. Never raises; returns what could not be cleaned up."""
        if self._stopped or not self._started:
            return []  # nothing of ours to stop, e.g. start() refused in _preflight
        self._stopped = True
        problems: list[str] = []
        deadline = time.monotonic() + STOP_BUDGET_S

        def left(limit: float) -> float:
            return max(0.5, min(limit, deadline - time.monotonic()))

        def attempt(what: str, fn) -> None:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - cleanup must go on
                problems.append(f"{what}: {e}")

        ctld = self.procs.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            attempt("cancelling jobs", lambda: self._cancel_all_jobs(left(JOBS_GONE_TIMEOUT_S)))
        # Job processes (and their slurmstepd) that survived scancel.
        self._kill_cgroup_members()
        shutdown_sent = False
        if ctld is not None and ctld.poll() is None:
            try:
                self.client("scontrol", "shutdown", timeout=left(10.0))
                shutdown_sent = True
            except ClusterError as e:
                problems.append(f"scontrol shutdown: {e}")
        # After `scontrol shutdown` both daemons exit by themselves; otherwise
        # they get SIGTERM straight away.
        for name in ("slurmd", "slurmctld"):
            if name in self.procs:
                attempt(f"stopping {name}", lambda n=name: self._stop_process(
                    n, self.procs[n], signal.SIGTERM, grace=left(DAEMON_EXIT_TIMEOUT_S) if shutdown_sent else 0.0))
        if "munged" in self.procs:
            attempt("stopping munged", lambda: self._stop_process("munged", self.procs["munged"], signal.SIGTERM,
                                                                  grace=0.0))
        for name, proc in self.procs.items():
            if name != "munged":
                _kill_group(proc)
        # slurmstepd leaves slurmd's process group; nothing else may run one
        # here (start() checked), so any still alive shortly after is ours.
        stray = _wait_gone([pid for pid, _ in processes_named(("slurmstepd",))], left(5.0))
        if stray:
            problems.append(f"slurmstepd still running after shutdown: {stray} (killed)")
            for pid in stray:
                _kill(pid, signal.SIGKILL)
            _wait_gone(stray, 5.0)
        problems.extend(self._remove_cgroup_trees(kill=True, timeout=left(CGROUP_CLEANUP_TIMEOUT_S)))
        self.procs.clear()
        if self.tmp:
            users = _processes_using(self.tmp)
            if users:
                problems.append(f"processes still working in {self.tmp}: {users} (killed)")
                for pid in users:
                    _kill(pid, signal.SIGKILL)
                _wait_gone(users, 5.0)
            if not self.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.log("stopped, work dir removed")
            else:
                self.log(f"stopped, work dir kept: {self.tmp}")
        for p in problems:
            self.log(f"cleanup problem: {p}")
        return problems

    def _cancel_all_jobs(self, timeout: float) -> None:
        res = self.client("squeue", "-h", "-o", "%i", check=False)
        jobs = res.stdout.split()
        if not jobs:
            return
        self.client("scancel", *jobs, check=False)
        self.log(f"cancelled leftover jobs {jobs}")
        deadline = time.monotonic() + timeout
        while self.client("squeue", "-h", "-o", "%i", check=False, timeout=timeout).stdout.split():
            if time.monotonic() >= deadline:
                raise ClusterError(f"jobs still listed {timeout:.0f} s after scancel")
            time.sleep(0.3)

    def _stop_process(self, name: str, proc: subprocess.Popen, sig: int, grace: float = DAEMON_EXIT_TIMEOUT_S) -> None:
        """Waits grace seconds for proc to exit on its own (scontrol shutdown),
        then sends sig, then SIGKILL."""
        for step_sig, wait_s in ((None, grace), (sig, 5.0), (signal.SIGKILL, 5.0)):
            if step_sig is not None and proc.poll() is None:
                self.log(f"sending {signal.Signals(step_sig).name} to {name} (pid {proc.pid})")
                _kill(proc.pid, step_sig)
            try:
                proc.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        if proc.poll() is None:
            raise ClusterError(f"{name} (pid {proc.pid}) did not exit")
        if step_sig is signal.SIGKILL:
            raise ClusterError(f"{name} (pid {proc.pid}) needed SIGKILL")

    def _cgroup_members(self) -> list[int]:
        pids = set()
        for root in self.cgroup_roots():
            for dirpath, _dirs, _files in os.walk(root):
                for line in _read(os.path.join(dirpath, "cgroup.procs")).split():
                    if line.isdigit():
                        pids.add(int(line))
        return sorted(pids)

    def _kill_cgroup_members(self) -> list[int]:
        pids = self._cgroup_members()
        for pid in pids:
            _kill(pid, signal.SIGKILL)
        if pids:
            self.log(f"killed processes left in Slurm cgroups: {pids}")
            _wait_gone(pids, 5.0)
        return pids

    def _remove_cgroup_trees(self, kill: bool, timeout: float) -> list[str]:
        """rmdir every directory below /sys/fs/cgroup/*/slurm_<node>, children
        first. A cgroup that still holds a process cannot be removed; with kill
        those processes are killed first. Retries until timeout because a
        killed task leaves its cgroup only after it has fully exited."""
        deadline = time.monotonic() + timeout
        while True:
            if kill:
                self._kill_cgroup_members()
            failures = []
            for root in self.cgroup_roots():
                for dirpath, _dirs, _files in os.walk(root, topdown=False):
                    try:
                        os.rmdir(dirpath)
                    except FileNotFoundError:
                        pass
                    except OSError as e:
                        failures.append(f"rmdir {dirpath}: {errno.errorcode.get(e.errno, e.errno)}")
            if not failures:
                return []
            if time.monotonic() >= deadline:
                return failures
            time.sleep(0.2)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main() -> int:
    keep = "--keep" in sys.argv[1:]
    reason = skip_reason()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 77
    cluster = SlurmCluster(keep=keep)
    try:
        cluster.start()
        print(cluster.client("sinfo").stdout, end="")
        jobid = cluster.sbatch("--mem=100M", "-D", cluster.path("job"), "-o", cluster.path("job", "smoke-%j.out"),
                               "--wrap", "sleep 30")
        cluster.wait_job_running(jobid)
        for ctrl in ("cpuacct", "memory"):
            print(f"{cluster.job_cgroup(ctrl, jobid)}: {os.path.isdir(cluster.job_cgroup(ctrl, jobid))}")
        print(f"listpids: {cluster.job_pids(jobid)}")
        cluster.cancel(jobid)
        cluster.wait_job_gone(jobid)
    except ClusterError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        cluster.stop()
        return 1
    problems = cluster.stop()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
