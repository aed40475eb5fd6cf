"""The seed's perf and eBPF command line against a real Slurm job.

Starts the single-node Slurm cluster of cluster.py, submits a job that writes,
fsyncs and reads back a file and sends UDP datagrams over loopback in a loop,
and runs

    ceems_exporter --collector.slurm --collector.perf.hardware-events
        --collector.perf.software-events --collector.perf.hardware-cache-events
        --collector.ebpf.io-metrics --collector.ebpf.network-metrics

(the seed document's command). Checks that perf software counters and eBPF IO
bytes are reported for the job's uuid, and that the log names the attach method
of every eBPF program. On a host without a PMU (virtual machines) the hardware
and cache events must be reported unavailable once, without failing.

Exit status: 0 passed, 1 failed, 77 skipped (as test_real_slurm.py, plus: the
exporter was built without eBPF, or the kernel refuses BPF).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True

import cluster as slurm  # noqa: E402
import test_real_slurm as base  # noqa: E402

SEED_ARGS = ["--collector.slurm", "--collector.perf.hardware-events", "--collector.perf.software-events",
             "--collector.perf.hardware-cache-events", "--collector.ebpf.io-metrics",
             "--collector.ebpf.network-metrics"]
IO_MIB = 1  # per round
JOB_SECONDS = 90  # the test cancels it once the checks pass

IO_PROGRAM = """\
import os, socket, sys, time
ready, seconds, mib, mnt = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
path = os.path.join(mnt, "io-%d.dat" % os.getpid())
block = b"x" * (mib * 1024 * 1024)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
with open(ready + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.rename(ready + ".tmp", ready)
end = time.monotonic() + seconds
while time.monotonic() < end:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, block)
    os.fsync(fd)
    os.close(fd)
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 1 << 20):
        pass
    os.close(fd)
    sock.sendto(b"y" * 1024, ("127.0.0.1", 9))
    time.sleep(0.05)
os.unlink(path)
"""


def mount_tmpfs(path: str) -> None:
    """Root-filesystem IO is not counted (spec 15: empty mount label), and this
    host's /dev/shm is a stacked mount, which has an empty label too: the job
    writes to a tmpfs of its own."""
    os.makedirs(path, mode=0o755, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "ceems-io", path], check=True, timeout=10)


def umount(path: str) -> None:
    subprocess.run(["umount", "-l", path], check=False, timeout=10)


def submit_io_job(cluster: slurm.SlurmCluster, mnt: str) -> str:
    jobdir = cluster.path("iojob")
    os.makedirs(jobdir, mode=0o755, exist_ok=True)
    program = os.path.join(jobdir, "io.py")
    with open(program, "w", encoding="utf-8") as f:
        f.write(IO_PROGRAM)
    ready = os.path.join(jobdir, "io.ready")
    script = os.path.join(jobdir, "io.sh")
    with open(script, "w", encoding="utf-8") as f:
        f.write(f"#!/bin/sh\nexec /usr/bin/python3 -u {program} {ready} {JOB_SECONDS} {IO_MIB} {mnt}\n")
    os.chmod(script, 0o755)
    jobid = cluster.sbatch("--job-name=ceems-io", "--ntasks=1", "--cpus-per-task=1", "--mem=200M", "--time=3",
                           "-D", jobdir, "-o", os.path.join(jobdir, "io-%j.out"), script)
    cluster.wait_job_running(jobid, timeout=base.remaining(30.0))
    deadline = time.monotonic() + base.remaining(30.0)
    while not os.path.exists(ready):
        if time.monotonic() >= deadline:
            raise AssertionError(f"job {jobid} did not start its IO loop within 30 s")
        time.sleep(0.1)
    base.progress(f"job {jobid}: IO loop running (pid {base.read_text(ready).strip()})")
    return jobid


def total(samples, name: str, **labels) -> float:
    return sum(v for _, v in base.select(samples, name, **labels))


def check_job_metrics(exporter: base.Exporter, jobid: str, host: str) -> None:
    deadline = time.monotonic() + base.remaining(base.METRICS_TIMEOUT_S)
    last = ""
    while True:
        # The exporter starts counting when its programs attach: wait for a few rounds of IO.
        status, _, text = base.http_get(exporter.url("/metrics"))
        samples = base.parse_samples(text) if status == 200 else []
        labels = {"manager": "slurm", "hostname": host, "uuid": jobid}
        got = {
            "page_faults": total(samples, "ceems_perf_page_faults_total", **labels),
            "context_switches": total(samples, "ceems_perf_context_switches_total", **labels),
            "write_bytes": total(samples, "ceems_ebpf_write_bytes_total", **labels),
            "read_bytes": total(samples, "ceems_ebpf_read_bytes_total", **labels),
            "write_requests": total(samples, "ceems_ebpf_write_requests_total", **labels),
        }
        last = ", ".join(f"{k}={v:.0f}" for k, v in got.items())
        # Software perf events; page faults stay 0 for a loop that reuses its buffers.
        ok = (got["context_switches"] > 0 and got["write_bytes"] >= 2 * IO_MIB * 2**20
              and got["read_bytes"] >= 2 * IO_MIB * 2**20 and got["write_requests"] > 0)
        if ok:
            base.progress(f"job {jobid}: {last}")
            egress = base.select(samples, "ceems_ebpf_egress_bytes_total", **labels)
            base.progress(f"job {jobid}: network samples for the job: {egress or 'none'} (Slurm's cgroup/v1 plugin "
                          "leaves job processes in the v2 root, where cgroup_skb cannot tell jobs apart)")
            if base.one_value(samples, "ceems_scrape_collector_success", collector="slurm") != 1:
                raise AssertionError("ceems_scrape_collector_success{collector=\"slurm\"} is not 1")
            return
        if time.monotonic() >= deadline:
            raise AssertionError(f"perf/eBPF metrics for job {jobid} not reported in time; last: {last}\n"
                                 f"{base.relevant_lines(text)}")
        time.sleep(1.0)


def check_log(exporter: base.Exporter) -> None:
    log = base.read_text(exporter.log_path)
    methods = [line for line in log.splitlines() if "eBPF attach method" in line]
    if not methods:
        raise AssertionError("the log names no eBPF attach method")
    for line in methods:
        base.progress("log: " + line)
    unavailable = [line for line in log.splitlines() if "perf events unavailable" in line]
    if len(unavailable) > 1:
        raise AssertionError(f"hardware perf events reported unavailable {len(unavailable)} times")
    for line in unavailable:
        base.progress("log: " + line)


def ebpf_skip_reason(exe: str, workdir: str) -> str | None:
    """The exporter logs this when it has no usable eBPF; then there is nothing to test."""
    log = base.read_text(os.path.join(workdir, "exporter.log"))
    for line in log.splitlines():
        if "eBPF sub-collector unavailable" in line:
            return line
    return None


def main() -> int:
    reason = slurm.skip_reason()
    if reason:
        print(f"SKIP: {reason}", flush=True)
        return 77
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    host = os.uname().nodename
    cluster = slurm.SlurmCluster(keep=os.environ.get("CEEMS_SLURM_KEEP") == "1", log=lambda m: print(m, flush=True))
    exporter: base.Exporter | None = None
    failure = None
    skipped = None
    mnt = None
    try:
        exe = base.exporter_path()
        cluster.start(timeout=base.remaining(slurm.IDLE_TIMEOUT_S))
        workdir = cluster.path("exporter")
        os.makedirs(workdir, mode=0o755)
        exporter = base.Exporter(exe, workdir, SEED_ARGS)
        exporter.wait_listening()
        skipped = ebpf_skip_reason(exe, workdir)
        if not skipped:
            mnt = cluster.path("iomnt")
            mount_tmpfs(mnt)
            jobid = submit_io_job(cluster, mnt)
            check_job_metrics(exporter, jobid, host)
            check_log(exporter)
            cluster.cancel(jobid)
            cluster.wait_job_gone(jobid, timeout=base.remaining(slurm.JOBS_GONE_TIMEOUT_S))
        rc = exporter.terminate()
        if rc != 0:
            raise AssertionError(f"exporter exited with status {rc} after SIGTERM")
    except (AssertionError, slurm.ClusterError) as e:
        failure = str(e)
    except Exception as e:  # noqa: BLE001 - reported with the logs below
        failure = f"{type(e).__name__}: {e}"
    finally:
        if failure:
            print(f"FAIL: {failure}", flush=True)
            if exporter is not None:
                print(f"----- exporter log {exporter.log_path} (tail)\n{exporter.log_tail()}", flush=True)
            print(cluster.logs(), flush=True)
        if exporter is not None:
            exporter.kill()
        if mnt is not None:
            # Lazy: detaches even while a job that failed to stop still has files open.
            umount(mnt)
        problems = cluster.stop()
    if problems:
        print("FAIL: teardown left things behind: " + "; ".join(problems), flush=True)
        return 1
    if failure:
        return 1
    if skipped:
        print(f"SKIP: {skipped}", flush=True)
        return 77
    base.progress("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
