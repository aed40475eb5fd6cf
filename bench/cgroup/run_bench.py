#!/usr/bin/env python3
"""Slurm cgroup scrape benchmark: the exporter's `slurm` collector next to its floor.

For cgroup v1 and v2 and 100, 1,000 and 5,000 jobs: generates (or reuses) a
synthetic tree (gen_tree.py), runs the floor program (cgroup_floor, see
README.md), then starts ceems_exporter on the tree with only the slurm collector,
does warm-up scrapes and timed scrapes of /metrics, and prints per configuration:

  floor CPU and wall ms per scrape, exporter CPU ms per scrape (utime+stime of
  the process over the timed scrapes / scrapes), CPU ratio exporter/floor,
  exporter wall ms per scrape (client side), exporter peak RSS (VmHWM).

Targets (issue): CPU ratio <= 1.2, exporter wall < floor wall, RSS < 25 MB at
5,000 jobs.

  bench/cgroup/run_bench.py [--sizes 100,1000] [--versions v2] [--exporter PATH]
"""

import argparse
import hashlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source folder clean
import gen_tree  # noqa: E402  (same folder)

DEFAULT_EXPORTER = os.path.join(REPO, "build", "src", "apps", "ceems_exporter", "ceems_exporter")
DEFAULT_FLOOR = os.path.join(REPO, "build", "bench", "cgroup", "cgroup_floor")

CPU_RATIO_TARGET = 1.2
RSS_TARGET_MB = 25.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def exporter_supports_slurm(exporter):
    """True when --help lists the slurm collector flag."""
    try:
        out = subprocess.run([exporter, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"cannot run {exporter} --help: {e}"
    text = out.stdout + out.stderr
    if re.search(r"--(\[no-\])?collector\.slurm\b(?![.-])", text):
        return True, ""
    return False, f"{exporter} has no --collector.slurm yet (not in its --help): exporter columns skipped"


def drop_dentries(enabled):
    """Frees unused dentries and inodes (not the page cache): the generator
    instantiated one dentry per file of every cached tree, millions of them,
    and dentry lookups slow down with the hash chains (a VM may have only
    131,072 buckets). A node has one cgroup tree; so should the measurement."""
    if not enabled:
        return
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as f:
            f.write("2\n")
    except OSError as e:
        print(f"  note: cannot drop dentry caches ({e}); figures may include dcache pollution")


def gen_args(version, jobs, cache_dir, extra):
    name = f"{version}-n{jobs}"
    if extra:  # non-default generator options get their own cached tree
        name += "-" + hashlib.sha1("\0".join(extra).encode()).hexdigest()[:8]
    out = os.path.join(cache_dir, name)
    return gen_tree.arg_parser().parse_args(["--out", out, "--version", version, "--jobs", str(jobs)] + extra)


def run_floor(floor, tree, version, args, dump):
    cmd = [floor, "--root", tree, "--version", version, "--scrapes", str(args.scrapes),
           "--warmup", str(args.warmup), "--min-ms", str(args.min_seconds * 1000), "--dump", dump]
    if args.swap:
        cmd.append("--swap")
    if args.psi:
        cmd.append("--psi")
    cmd += args.floor_arg
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next(l for l in out.stdout.splitlines() if l.startswith("FLOOR "))
    return {k: (float(v) if re.fullmatch(r"[-0-9.]+", v) else v)
            for k, v in (kv.split("=", 1) for kv in line.split()[1:])}


def scrape(port, path="/metrics"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {resp.status}: {body[:200]!r}")
        return body.decode()
    finally:
        conn.close()


def wait_listening(proc, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def compute_unit_lines(text):
    return {l for l in text.splitlines() if l.startswith("ceems_compute_unit")}


def run_exporter(exporter, tree, version, jobs, args, floor_dump):
    port = free_port()
    cmd = [exporter, "--collector.disable-defaults", "--collector.slurm",
           f"--collector.cgroups.force-version={version}",
           f"--path.cgroupfs={tree}/sys/fs/cgroup", f"--path.procfs={tree}/proc", f"--path.sysfs={tree}/sys",
           "--no-security.drop-privileges", f"--web.listen-address=127.0.0.1:{port}",
           "--web.disable-exporter-metrics"]
    if args.swap:
        cmd.append("--collector.slurm.swap-memory-metrics")
    if args.psi:
        cmd.append("--collector.slurm.psi-metrics")
    cmd += args.exporter_arg
    log = tempfile.NamedTemporaryFile(prefix="ceems-cgroup-bench-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_listening(proc, port):
            proc.kill()
            proc.wait()
            with open(log.name, encoding="utf-8", errors="replace") as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"exporter did not start (rc={proc.returncode}); log {log.name}:\n{tail}")
        for _ in range(args.warmup):
            scrape(port)
        walls = []
        c0 = proc_cpu_seconds(proc.pid)
        t0 = time.monotonic()
        body = ""
        while len(walls) < args.scrapes or time.monotonic() - t0 < args.min_seconds:
            w = time.monotonic()
            body = scrape(port)
            walls.append(time.monotonic() - w)
        cpu = proc_cpu_seconds(proc.pid) - c0
        hwm_kb = proc_status_kb(proc.pid, "VmHWM")
        rss_kb = proc_status_kb(proc.pid, "VmRSS")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    m = re.search(r"^ceems_compute_units\{[^}]*\} (\S+)$", body, re.M)
    units = float(m.group(1)) if m else None
    with open(floor_dump, encoding="utf-8") as f:
        floor_lines = compute_unit_lines(f.read())
    exp_lines = compute_unit_lines(body)
    walls.sort()
    n = len(walls)
    return {
        "scrapes": n,
        "cpu_ms": cpu * 1e3 / n,
        "wall_ms": sum(walls) * 1e3 / n,
        "wall_median_ms": walls[n // 2] * 1e3,
        "hwm_mb": hwm_kb / 1024,
        "rss_mb": rss_kb / 1024,
        "units": units,
        "units_ok": units == jobs,
        "diff_vs_floor": len(floor_lines ^ exp_lines),
        "only_floor": sorted(floor_lines - exp_lines)[:3],
        "only_exporter": sorted(exp_lines - floor_lines)[:3],
        "log": log.name,
    }


def fmt(v, spec=".2f"):
    return "n/a" if v is None else format(v, spec)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exporter", default=DEFAULT_EXPORTER)
    p.add_argument("--floor", default=DEFAULT_FLOOR, help="cgroup_floor binary (built with CEEMS_BUILD_BENCH)")
    p.add_argument("--cache-dir", default="/tmp/ceems-cgroup-bench", help="where generated trees are kept")
    p.add_argument("--versions", default="v1,v2")
    p.add_argument("--sizes", default="100,1000,5000", help="job counts, comma-separated")
    p.add_argument("--scrapes", type=int, default=20, help="timed scrapes (at least)")
    p.add_argument("--min-seconds", type=float, default=2.0,
                   help="keep scraping until this long has passed (exporter CPU is read in clock ticks)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--swap", action="store_true", help="swap metrics on (both sides)")
    p.add_argument("--psi", action="store_true", help="PSI metrics on (both sides)")
    p.add_argument("--gen-arg", action="append", default=[], help="extra gen_tree.py argument (repeatable)")
    p.add_argument("--floor-arg", action="append", default=[], help="extra cgroup_floor argument (repeatable)")
    p.add_argument("--exporter-arg", action="append", default=[], help="extra exporter flag (repeatable)")
    p.add_argument("--drop-caches", action=argparse.BooleanOptionalAction, default=os.geteuid() == 0,
                   help="drop unused dentries/inodes before each measured program (default: when root)")
    p.add_argument("--json", help="also write the results here")
    args = p.parse_args(argv)

    if not os.access(args.floor, os.X_OK):
        print(f"floor binary {args.floor} not found: build it (cmake -DCEEMS_BUILD_BENCH=ON, target "
              f"cgroup_floor) or pass --floor", file=sys.stderr)
        return 2
    has_exporter, why = (False, f"exporter {args.exporter} not found") if not os.access(args.exporter, os.X_OK) \
        else exporter_supports_slurm(args.exporter)
    if not has_exporter:
        print(f"NOTE: {why}; printing the floor only.\n")

    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    os.makedirs(args.cache_dir, exist_ok=True)
    results = []
    for version in versions:
        for jobs in sizes:
            ga = gen_args(version, jobs, args.cache_dir, args.gen_arg)
            reused, secs, info = gen_tree.generate(ga, quiet=True)
            tree = os.path.abspath(ga.out)
            print(f"{version} {jobs:>5} jobs: tree {tree} ({'reused' if reused else 'generated'}; "
                  f"{info.get('files')} files, {info.get('dirs')} dirs, generated in {secs:.1f} s)", flush=True)
            dump = os.path.join(args.cache_dir, f"floor-{os.path.basename(tree)}.prom")
            drop_dentries(args.drop_caches)
            fl = run_floor(args.floor, tree, version, args, dump)
            r = {"version": version, "jobs": jobs, "gen_seconds": secs, "floor": fl, "exporter": None}
            if int(fl["units"]) != jobs:
                print(f"  WARNING: floor found {int(fl['units'])} jobs, expected {jobs}")
            if has_exporter:
                drop_dentries(args.drop_caches)
                try:
                    r["exporter"] = run_exporter(args.exporter, tree, version, jobs, args, dump)
                except (RuntimeError, OSError) as e:
                    print(f"  exporter failed: {e}")
                ex = r["exporter"]
                if ex and not ex["units_ok"]:
                    print(f"  WARNING: exporter reports ceems_compute_units {ex['units']}, expected {jobs}")
                if ex and ex["diff_vs_floor"]:
                    print(f"  WARNING: {ex['diff_vs_floor']} ceems_compute_unit* lines differ from the floor's; "
                          f"e.g. floor only {ex['only_floor'][:1]}, exporter only {ex['only_exporter'][:1]}")
            results.append(r)

    print()
    hdr = (f"{'ver':<4}{'jobs':>6} {'floor cpu ms':>13}{'floor wall ms':>14} {'exp cpu ms':>11}"
           f"{'ratio':>7}{'exp wall ms':>12}{'peak RSS MB':>12}  targets")
    print(hdr)
    print("-" * len(hdr))
    for r in results:
        fl, ex = r["floor"], r["exporter"]
        ratio = ex["cpu_ms"] / fl["cpu_ms"] if ex and fl["cpu_ms"] > 0 else None
        notes = []
        if ex:
            notes.append("cpu ok" if ratio <= CPU_RATIO_TARGET else "CPU>1.2x")
            notes.append("wall ok" if ex["wall_ms"] < fl["wall_ms"] else "WALL>=floor")
            if r["jobs"] >= 5000:
                notes.append("rss ok" if ex["hwm_mb"] < RSS_TARGET_MB else "RSS>=25MB")
            if not ex["units_ok"] or ex["diff_vs_floor"]:
                notes.append("OUTPUT MISMATCH")
        print(f"{r['version']:<4}{r['jobs']:>6} {fl['cpu_ms']:>13.2f}{fl['wall_ms']:>14.2f} "
              f"{fmt(ex and ex['cpu_ms']):>11}{fmt(ratio):>7}{fmt(ex and ex['wall_ms']):>12}"
              f"{fmt(ex and ex['hwm_mb'], '.1f'):>12}  {', '.join(notes)}")
    print("\nfloor medians (ms) and peak RSS: "
          + ", ".join(f"{r['version']}/{r['jobs']} cpu {r['floor']['cpu_median_ms']:.2f} "
                      f"wall {r['floor']['wall_median_ms']:.2f} rss {r['floor']['hwm_kb'] / 1024:.1f} MB"
                      for r in results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
