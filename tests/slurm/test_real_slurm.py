"""ceems_exporter's slurm collector and Alloy targets against a real Slurm.

Starts a single-node Slurm cluster (tests/slurm/cluster.py), submits a job
that holds 200 MiB and spins one CPU, and checks what the exporter reports for
it on /metrics and /alloy-targets, then that the job's series disappear after
scancel.

Run as root:
    CEEMS_EXPORTER=build/src/apps/ceems_exporter/ceems_exporter /usr/bin/python3 tests/slurm/test_real_slurm.py

Exit status: 0 passed, 1 failed, 77 skipped (not root, Slurm/munge binaries
missing, or the v1 cgroup hierarchies are not writable).
"""

from __future__ import annotations

import json
import os
import pwd
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import cluster as slurm  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_EXPORTER = os.path.join(REPO_ROOT, "build", "src", "apps", "ceems_exporter", "ceems_exporter")

# The whole run (teardown excluded) must fit in this; every wait takes its
# deadline from it as well as its own limit.
BUDGET_S = 120.0
JOB_MEMORY_MIB = 200
JOB_MEM_LIMIT = "400M"
JOB_MEM_LIMIT_BYTES = 400 * 1024 * 1024
JOB_SPIN_S = 90  # ends earlier: the test cancels the job once the checks pass
METRICS_TIMEOUT_S = 60.0
SERIES_GONE_TIMEOUT_S = 30.0
EXPORTER_START_TIMEOUT_S = 10.0
EXPORTER_STOP_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 10.0

# The job: touch every page of a 200 MiB buffer so it is resident, tell the
# test its PID, then burn CPU in user space until the deadline.
BURN_PROGRAM = """\
import os, sys, time
ready, seconds, mib = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
buf = bytearray(mib * 1024 * 1024)
page = os.sysconf("SC_PAGE_SIZE")
for i in range(0, len(buf), page):
    buf[i] = 1
with open(ready + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    n += 1
"""

T0 = time.monotonic()


def progress(msg: str) -> None:
    print(f"[test  +{time.monotonic() - T0:5.1f}s] {msg}", flush=True)


def remaining(limit: float) -> float:
    """limit, cut down to what is left of the overall budget."""
    left = BUDGET_S - (time.monotonic() - T0)
    if left <= 0:
        raise AssertionError(f"test budget of {BUDGET_S:.0f} s used up")
    return min(limit, left)


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"<{e.strerror}>"


def read_int(path: str) -> int:
    """The integer in a cgroup file; -1 when it cannot be read (job gone)."""
    text = read_text(path).strip()
    return int(text) if text.lstrip("-").isdigit() else -1


def exporter_path() -> str:
    path = os.environ.get("CEEMS_EXPORTER") or DEFAULT_EXPORTER
    if not os.access(path, os.X_OK):
        raise AssertionError(f"ceems_exporter not found or not executable: {path} (set CEEMS_EXPORTER)")
    return path


# --------------------------------------------------------------------------
# HTTP and exposition


def http_get(url: str) -> tuple[int, str, str]:
    """(status, content type, body); HTTP error statuses are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


SAMPLE_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")
LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def parse_samples(text: str) -> list[tuple[str, dict, float]]:
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError(f"unparsable exposition line: {line!r}")
        labels = {}
        body = m.group(2) or ""
        pos = 0
        while pos < len(body):
            lm = LABEL_RE.match(body, pos)
            if not lm:
                raise AssertionError(f"unparsable labels in line: {line!r}")
            labels[lm.group(1)] = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), lm.group(2))
            pos = lm.end()
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples


def select(samples, name: str, **labels) -> list[tuple[dict, float]]:
    return [(l, v) for n, l, v in samples if n == name and all(l.get(k) == want for k, want in labels.items())]


def one_value(samples, name: str, **labels) -> float | None:
    """The value of the single matching sample; None if there is none."""
    found = select(samples, name, **labels)
    if len(found) > 1:
        raise AssertionError(f"{len(found)} samples of {name} with {labels}: {found}")
    return found[0][1] if found else None


def relevant_lines(text: str) -> str:
    keep = [l for l in text.splitlines()
            if l.startswith(("ceems_compute_unit", "ceems_scrape_collector_success"))]
    return "\n".join(keep) or "(no ceems_compute_unit* / ceems_scrape_collector_success lines)"


# --------------------------------------------------------------------------
# Exporter


class Exporter:
    def __init__(self, exe: str, workdir: str, collector_args: list[str] | None = None):
        self.port = slurm.free_port()
        self.log_path = os.path.join(workdir, "exporter.log")
        if collector_args is None:
            collector_args = ["--collector.slurm", "--discoverer.alloy-targets.resource-manager=slurm"]
        self.argv = [exe, *collector_args, f"--web.listen-address=127.0.0.1:{self.port}",
                     "--collector.disable-defaults", "--log.level=debug"]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CEEMS_", "SLURM_"))}
        env["LC_ALL"] = "C"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=workdir, env=env, start_new_session=True)
        progress(f"started exporter (pid {self.proc.pid}): {' '.join(self.argv)}")

    def wait_listening(self) -> None:
        deadline = time.monotonic() + remaining(EXPORTER_START_TIMEOUT_S)
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"exporter exited with status {self.proc.returncode} at start-up")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise AssertionError(f"exporter not listening on 127.0.0.1:{self.port} "
                                     f"after {EXPORTER_START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_tail(self, lines: int = 80) -> str:
        text = read_text(self.log_path).splitlines()
        return "\n".join(text[-lines:])

    def terminate(self) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=EXPORTER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def check_dropped_privileges(exporter: Exporter) -> None:
    """Started as root, the exporter serves as nobody with no effective
    capabilities (spec 40 §4.2), so the collector is exercised the way it runs
    in production: reading the cgroup files as an unprivileged user."""
    nobody = pwd.getpwnam("nobody").pw_uid
    status = {}
    for line in read_text(f"/proc/{exporter.proc.pid}/status").splitlines():
        key, _, value = line.partition(":")
        status[key] = value.split()
    uids = [int(u) for u in status.get("Uid", [])]
    if uids != [nobody] * 4:
        raise AssertionError(f"exporter uids (real, effective, saved, fs) {uids}, expected nobody ({nobody})")
    cap_eff = int(status.get("CapEff", ["-1"])[0], 16)
    if cap_eff != 0:
        raise AssertionError(f"exporter has effective capabilities {cap_eff:#x} while serving")
    progress(f"exporter runs as uid {nobody}, CapPrm {status.get('CapPrm', ['?'])[0]}, CapEff 0")


# --------------------------------------------------------------------------
# The job


def find_job_python(jobid: str) -> list[int]:
    """PIDs of python3 processes whose environment says they belong to the job."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if f"SLURM_JOB_ID={jobid}".encode() in env and cmdline and b"python3" in cmdline[0]:
            found.append(int(entry))
    return sorted(found)


def submit_burn_job(cluster: slurm.SlurmCluster) -> tuple[str, int]:
    jobdir = cluster.path("job")
    program = os.path.join(jobdir, "burn.py")
    with open(program, "w", encoding="utf-8") as f:
        f.write(BURN_PROGRAM)
    ready = os.path.join(jobdir, "burn.ready")
    script = os.path.join(jobdir, "burn.sh")
    with open(script, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\nexec /usr/bin/python3 -u {program} {ready} {JOB_SPIN_S} {JOB_MEMORY_MIB}\n")
    os.chmod(script, 0o755)
    jobid = cluster.sbatch("--job-name=ceems-burn", "--ntasks=1", "--cpus-per-task=1", f"--mem={JOB_MEM_LIMIT}",
                           "--time=3", "-D", jobdir, "-o", os.path.join(jobdir, "burn-%j.out"), script)
    cluster.wait_job_running(jobid, timeout=remaining(30.0))

    deadline = time.monotonic() + remaining(30.0)
    while not os.path.exists(ready):
        if cluster.job_state(jobid) != "RUNNING":
            raise AssertionError(f"job {jobid} stopped before touching its memory; output:\n"
                                 f"{read_text(os.path.join(jobdir, f'burn-{jobid}.out'))}")
        if time.monotonic() >= deadline:
            raise AssertionError(f"job {jobid} did not touch its {JOB_MEMORY_MIB} MiB within 30 s")
        time.sleep(0.1)
    pid = int(read_text(ready).strip())
    progress(f"job {jobid}: python3 pid {pid} holds {JOB_MEMORY_MIB} MiB and spins")

    by_environ = find_job_python(jobid)
    if by_environ != [pid]:
        raise AssertionError(f"python3 processes with SLURM_JOB_ID={jobid} in their environment: {by_environ}, "
                             f"expected [{pid}]")
    listed = cluster.job_pids(jobid)
    if pid not in listed:
        raise AssertionError(f"scontrol listpids {jobid} gives {listed}, without the job's python3 {pid}")
    return jobid, pid


def cgroup_report(cluster: slurm.SlurmCluster, jobid: str) -> dict:
    """The job-level v1 accounting the collector reads, printed for the record."""
    cpuacct = cluster.job_cgroup("cpuacct", jobid)
    memory = cluster.job_cgroup("memory", jobid)
    stat = {}
    for line in read_text(os.path.join(cpuacct, "cpuacct.stat")).splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            stat[key] = int(value)
    return {
        "cpuacct": cpuacct,
        "user_ticks": stat.get("user", -1),
        "system_ticks": stat.get("system", -1),
        "usage_in_bytes": read_int(os.path.join(memory, "memory.usage_in_bytes")),
        "limit_in_bytes": read_int(os.path.join(memory, "memory.limit_in_bytes")),
    }


def job_cgroup_pids(cluster: slurm.SlurmCluster, jobid: str) -> set[int]:
    pids = set()
    for dirpath, _dirs, _files in os.walk(cluster.job_cgroup("cpuacct", jobid)):
        pids.update(int(p) for p in read_text(os.path.join(dirpath, "cgroup.procs")).split() if p.isdigit())
    return pids


# --------------------------------------------------------------------------
# Checks


def check_running_job(exporter: Exporter, cluster: slurm.SlurmCluster, jobid: str, host: str) -> None:
    """Polls /metrics until the job shows CPU time and its memory, then checks
    that scrape against the cgroup files read just before and after it."""
    deadline = time.monotonic() + remaining(METRICS_TIMEOUT_S)
    unit = {"manager": "slurm", "hostname": host, "uuid": jobid}
    scrapes = 0
    while True:
        before = cgroup_report(cluster, jobid)
        status, _, text = http_get(exporter.url("/metrics"))
        after = cgroup_report(cluster, jobid)
        scrapes += 1
        unmet = []
        samples = parse_samples(text) if status == 200 else []
        if status != 200:
            unmet.append(f"/metrics status {status}: {text[:300]!r}")
        else:
            success = one_value(samples, "ceems_scrape_collector_success", collector="slurm")
            units = one_value(samples, "ceems_compute_units", manager="slurm", hostname=host)
            user = one_value(samples, "ceems_compute_unit_cpu_user_seconds_total", **unit)
            system = one_value(samples, "ceems_compute_unit_cpu_system_seconds_total", **unit)
            used = one_value(samples, "ceems_compute_unit_memory_used_bytes", **unit)
            if success != 1:
                unmet.append(f"ceems_scrape_collector_success{{collector=\"slurm\"}} is {success}")
            if units is None or units < 1:
                unmet.append(f"ceems_compute_units{{manager=\"slurm\",hostname=\"{host}\"}} is {units}")
            if user is None or system is None or user + system <= 0:
                unmet.append(f"cpu user {user} + system {system} seconds not > 0")
            if used is None or used < JOB_MEMORY_MIB * 1e6:
                unmet.append(f"memory used {used} < {JOB_MEMORY_MIB}e6")
        if not unmet:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(f"after {scrapes} scrapes in {METRICS_TIMEOUT_S:.0f} s: " + "; ".join(unmet)
                                 + f"\njob cgroup: {after}\nlast scrape:\n{relevant_lines(text)}")
        time.sleep(1.0)

    progress(f"job {jobid} on /metrics after {scrapes} scrape(s): user {user} s, system {system} s, "
             f"memory used {used:.0f} B; cgroup {after}\n{relevant_lines(text)}")
    # The exporter converts cpuacct.stat ticks (USER_HZ 100) to seconds, so the
    # scrape must lie between the two readings around it.
    if not before["user_ticks"] / 100 <= user <= after["user_ticks"] / 100:
        raise AssertionError(f"cpu user {user} s outside cpuacct.stat user {before['user_ticks']}..."
                             f"{after['user_ticks']} ticks")
    if not before["system_ticks"] / 100 <= system <= after["system_ticks"] / 100:
        raise AssertionError(f"cpu system {system} s outside cpuacct.stat system {before['system_ticks']}..."
                             f"{after['system_ticks']} ticks")
    total = one_value(samples, "ceems_compute_unit_memory_total_bytes", **unit)
    if total != JOB_MEM_LIMIT_BYTES or after["limit_in_bytes"] != JOB_MEM_LIMIT_BYTES:
        raise AssertionError(f"memory total {total}, memory.limit_in_bytes {after['limit_in_bytes']}: "
                             f"both should be --mem={JOB_MEM_LIMIT} = {JOB_MEM_LIMIT_BYTES}")
    if used > JOB_MEM_LIMIT_BYTES:
        raise AssertionError(f"memory used {used} above the job's limit {JOB_MEM_LIMIT_BYTES}")
    cpus = one_value(samples, "ceems_compute_unit_cpus", **unit)
    if cpus is None or cpus < 1:
        raise AssertionError(f"ceems_compute_unit_cpus is {cpus}, the job has a cpuset of at least one CPU")
    errors = select(samples, "ceems_compute_unit_collect_error", uuid=jobid)
    if errors:
        raise AssertionError(f"collect error reported for job {jobid}: {errors}")
    foreign = [(n, l) for n, l, _ in samples if n.startswith("ceems_compute_unit") and "manager" in l
               and (l["manager"] != "slurm" or l.get("hostname") != host)]
    if foreign:
        raise AssertionError(f"compute unit series with unexpected manager/hostname: {foreign[:5]}")


def check_alloy_targets(exporter: Exporter, cluster: slurm.SlurmCluster, jobid: str, pid: int) -> None:
    in_cgroup_before = job_cgroup_pids(cluster, jobid)
    status, ctype, body = http_get(exporter.url("/alloy-targets"))
    in_cgroup = in_cgroup_before | job_cgroup_pids(cluster, jobid)
    if status != 200 or not ctype.startswith("application/json"):
        raise AssertionError(f"/alloy-targets: status {status}, Content-Type {ctype!r}, body {body[:500]!r}")
    try:
        targets = json.loads(body)
    except ValueError as e:
        raise AssertionError(f"/alloy-targets is not JSON ({e}): {body[:500]!r}") from None
    if not isinstance(targets, list):
        raise AssertionError(f"/alloy-targets is not a JSON array: {body[:500]!r}")
    mine = []
    for t in targets:
        if not (isinstance(t, dict) and set(t) == {"targets", "labels"}
                and set(t["labels"]) == {"__process_pid__", "service_name"}
                and t["targets"] == [t["labels"]["service_name"]]):
            raise AssertionError(f"malformed Alloy target {t!r}")
        if t["labels"]["service_name"] == jobid:
            mine.append(int(t["labels"]["__process_pid__"]))
    progress(f"/alloy-targets lists {len(targets)} target(s), job {jobid}: pids {mine}; job cgroup pids "
             f"{sorted(in_cgroup)}")
    if pid not in mine:
        raise AssertionError(f"/alloy-targets has no target for the job's python3 pid {pid}: {body[:2000]}")
    strangers = sorted(set(mine) - in_cgroup)
    if strangers:
        raise AssertionError(f"/alloy-targets lists pids {strangers} for job {jobid} that are not in its cgroup "
                             f"({sorted(in_cgroup)})")


def check_job_gone(exporter: Exporter, jobid: str, host: str) -> None:
    deadline = time.monotonic() + remaining(SERIES_GONE_TIMEOUT_S)
    scrapes = 0
    while True:
        status, _, text = http_get(exporter.url("/metrics"))
        scrapes += 1
        unmet = []
        if status != 200:
            unmet.append(f"/metrics status {status}")
        else:
            samples = parse_samples(text)
            left = [n for n, l, _ in samples if l.get("uuid") == jobid]
            success = one_value(samples, "ceems_scrape_collector_success", collector="slurm")
            units = one_value(samples, "ceems_compute_units", manager="slurm", hostname=host)
            if left:
                unmet.append(f"series of job {jobid} still present: {sorted(set(left))}")
            if success != 1:
                unmet.append(f"ceems_scrape_collector_success{{collector=\"slurm\"}} is {success}")
            if units != 0:
                unmet.append(f"ceems_compute_units is {units}, expected 0")
        if not unmet:
            break
        if time.monotonic() >= deadline:
            raise AssertionError(f"after scancel, {scrapes} scrapes in {SERIES_GONE_TIMEOUT_S:.0f} s: "
                                 + "; ".join(unmet) + f"\nlast scrape:\n{relevant_lines(text)}")
        time.sleep(1.0)
    status, _, body = http_get(exporter.url("/alloy-targets"))
    targets = json.loads(body) if status == 200 else None
    if not isinstance(targets, list) or any(t["labels"]["service_name"] == jobid for t in targets):
        raise AssertionError(f"/alloy-targets after scancel: status {status}, body {body[:500]!r}")
    progress(f"job {jobid} gone from /metrics after {scrapes} scrape(s); /alloy-targets {body.strip()}")


# --------------------------------------------------------------------------


def main() -> int:
    reason = slurm.skip_reason()
    if reason:
        print(f"SKIP: {reason}", flush=True)
        return 77
    # ctest or a user stopping the run: unwind through the finally blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    host = os.uname().nodename
    keep = os.environ.get("CEEMS_SLURM_KEEP") == "1"  # keep configs and logs for debugging
    cluster = slurm.SlurmCluster(keep=keep, log=lambda m: print(m, flush=True))
    exporter: Exporter | None = None
    failure = None
    try:
        exe = exporter_path()
        cluster.start(timeout=remaining(slurm.IDLE_TIMEOUT_S))
        jobid, pid = submit_burn_job(cluster)
        progress(f"job {jobid} cgroup: {cgroup_report(cluster, jobid)}")
        # Inside the cluster's directory, so that a later run also finds an
        # exporter left over by a killed run.
        workdir = cluster.path("exporter")
        os.makedirs(workdir, mode=0o755)
        exporter = Exporter(exe, workdir)
        exporter.wait_listening()
        check_dropped_privileges(exporter)
        check_running_job(exporter, cluster, jobid, host)
        check_alloy_targets(exporter, cluster, jobid, pid)
        cluster.cancel(jobid)
        cluster.wait_job_gone(jobid, timeout=remaining(slurm.JOBS_GONE_TIMEOUT_S))
        check_job_gone(exporter, jobid, host)
        rc = exporter.terminate()
        if rc is None:
            raise AssertionError(f"exporter still running {EXPORTER_STOP_TIMEOUT_S:.0f} s after SIGTERM")
        if rc != 0:
            raise AssertionError(f"exporter exited with status {rc} after SIGTERM")
        progress("exporter exited 0 on SIGTERM")
    except (AssertionError, slurm.ClusterError) as e:
        failure = str(e)
    except Exception as e:  # noqa: BLE001 - report with the logs below
        failure = f"{type(e).__name__}: {e}"
    finally:
        if failure:
            print(f"FAIL: {failure}", flush=True)
            if exporter is not None:
                print(f"----- exporter log {exporter.log_path} (tail)\n{exporter.log_tail()}", flush=True)
            print(cluster.logs(), flush=True)
        if exporter is not None:
            exporter.kill()
        problems = cluster.stop()
    if problems:
        print("FAIL: teardown left things behind: " + "; ".join(problems), flush=True)
        return 1
    if failure:
        return 1
    progress("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
