#!/usr/bin/env python3
"""Slurm cgroup scrape benchmark: the exporter's `slurm` collector next to its floor.

For cgroup v1 and v2 and 100, 1,000 and 5,000 jobs: generates (or reuses) a
synthetic tree (gen_tree.py), runs the floor program (cgroup_floor, see
README.md) in its least-work mode and with --walk (the former full walk, for
comparison), then starts ceems_exporter on the tree with only the slurm
collector, does warm-up scrapes and timed scrapes of /metrics, and prints per
configuration:

  floor CPU and wall ms per scrape, exporter CPU ms per scrape (utime+stime of
  the process over the timed scrapes / scrapes), CPU ratio exporter/floor,
  exporter wall ms per scrape (client side), exporter peak RSS (VmHWM), the
  --walk floor's CPU ms per scrape.

Targets (issue): CPU ratio <= 1.2 at 1,000 and 5,000 jobs, exporter wall < floor
wall, RSS < 25 MB at 5,000 jobs.

--perf adds a second row per configuration: the exporter with
--collector.perf.software-events, the floor with --perf (each unit's PIDs every
scrape). --gpu-map adds floor-only figures for the GPU job mapping (first
scrape, all jobs new). A markdown table of the results is printed at the end.

  bench/cgroup/run_bench.py [--sizes 100,1000] [--versions v2] [--exporter PATH] [--perf]
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


PERF_FLAG = "--collector.perf.software-events"
# --gpu-map: the exporter finds 3 GPUs through a stand-in nvidia-smi that prints a
# recorded XML inventory, and the trees name one of them in each job's environment.
GPU_FLAGS = ["--collector.gpu.type=nvidia", f"--collector.gpu.nvidia-smi-path={os.path.join(HERE, 'fake-nvidia-smi')}"]
GPU_TREE_ARGS = ["--gpus=3"]


def exporter_help(exporter):
    """The exporter's --help text, or (None, why)."""
    try:
        out = subprocess.run([exporter, "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"cannot run {exporter} --help: {e}"
    return out.stdout + out.stderr, ""


def has_flag(help_text, flag):
    """True when --help lists the (boolean) flag, possibly as --[no-]flag."""
    name = re.escape(flag.lstrip("-"))
    return re.search(rf"--(\[no-\])?{name}\b(?![.-])", help_text or "") is not None


def exporter_supports_slurm(exporter):
    """True when --help lists the slurm collector flag."""
    text, why = exporter_help(exporter)
    if text is None:
        return False, why
    if has_flag(text, "--collector.slurm"):
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
    p = gen_tree.arg_parser()
    ga = p.parse_args(["--out", out, "--version", version, "--jobs", str(jobs)] + extra)
    gen_tree.check_args(p, ga)
    return ga


def run_floor(floor, tree, version, args, dump, extra=()):
    cmd = [floor, "--root", tree, "--version", version, "--scrapes", str(args.scrapes),
           "--warmup", str(max(1, args.warmup)), "--min-ms", str(args.min_seconds * 1000), "--dump", dump]
    if args.swap:
        cmd.append("--swap")
    if args.psi:
        cmd.append("--psi")
    cmd += list(extra) + args.floor_arg
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
    """The ceems_compute_unit* samples both sides emit (GPU flags are the exporter's only)."""
    return {l for l in text.splitlines()
            if l.startswith("ceems_compute_unit") and not l.startswith("ceems_compute_unit_gpu_index_flag")}


def run_exporter(exporter, tree, version, jobs, args, floor_dump, extra=()):
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
    cmd += list(extra) + args.exporter_arg
    log = tempfile.NamedTemporaryFile(prefix="ceems-cgroup-bench-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

    def log_tail():
        with open(log.name, encoding="utf-8", errors="replace") as f:
            return f.read()[-2000:]

    try:
        if not wait_listening(proc, port):
            proc.kill()
            proc.wait()
            raise RuntimeError(f"exporter did not start (rc={proc.returncode}); log {log.name}:\n{log_tail()}")
        try:
            # The first scrape on its own: it pays for what later ones find cached
            # (CPU counts, GPU ordinals of every job).
            c_first = proc_cpu_seconds(proc.pid)
            scrape(port)
            first_cpu = proc_cpu_seconds(proc.pid) - c_first
            for _ in range(args.warmup - 1):
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
        except (RuntimeError, OSError) as e:
            try:
                rc = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                rc = None
            state = "still running" if rc is None else f"exited, rc={rc}" + (
                f" (signal {-rc})" if rc < 0 else "")
            raise RuntimeError(f"scrape failed: {e!r}; exporter {state}; log {log.name}:\n{log_tail()}") from e
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
        "first_cpu_ms": first_cpu * 1e3,
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


def fs_type(path):
    """Filesystem type of the mount holding path (from /proc/self/mountinfo)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                mnt = left.split()[4]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, kind = mnt, right.split()[0]
    except OSError:
        pass
    return kind


def targets(r):
    """Target notes for one row."""
    fl, ex = r["floor"], r["exporter"]
    if not ex:
        return []
    notes = []
    ratio = r["ratio"]
    if r["jobs"] >= 1000:  # the CPU target is set for 1,000 and 5,000 jobs
        notes.append("cpu ok" if ratio is not None and ratio <= CPU_RATIO_TARGET else "CPU>1.2x")
    notes.append("wall ok" if ex["wall_ms"] < fl["wall_ms"] else "WALL>=floor")
    if r["jobs"] >= 5000:
        notes.append("rss ok" if ex["hwm_mb"] < RSS_TARGET_MB else "RSS>=25MB")
    if not ex["units_ok"] or ex["diff_vs_floor"]:
        notes.append("OUTPUT MISMATCH")
    return notes


def table(results, args):
    """Rows of the results table: header first, then one list of cells per row."""
    hdr = ["ver", "jobs", "variant", "floor cpu ms", "floor wall ms", "exp cpu ms", "ratio", "exp wall ms",
           "exp peak RSS MB"]
    if args.floor_walk:
        hdr.append("walk floor cpu ms")
    if args.gpu_map:
        hdr += ["floor 1st cpu ms", "+gpu-map 1st cpu ms", "1st environ reads", "exp 1st cpu ms"]
    hdr.append("targets")
    rows = [hdr]
    for r in results:
        fl, ex = r["floor"], r["exporter"]
        row = [r["version"], f"{r['jobs']:,}", r["variant"], f"{fl['cpu_ms']:.2f}", f"{fl['wall_ms']:.2f}",
               fmt(ex and ex["cpu_ms"]), fmt(r["ratio"]), fmt(ex and ex["wall_ms"]),
               fmt(ex and ex["hwm_mb"], ".1f")]
        if args.floor_walk:
            fw = r.get("floor_walk")
            row.append(fmt(fw and fw["cpu_ms"]))
        if args.gpu_map:
            fg = r.get("floor_gpu")
            row += [fmt(fl.get("first_cpu_ms")) if fg else "", fmt(fg and fg["first_cpu_ms"]) if fg else "",
                    f"{int(fg['first_environ_reads']):,}" if fg else "",
                    fmt(ex and ex["first_cpu_ms"], ".1f")]
        row.append(", ".join(targets(r)))
        rows.append(row)
    return rows


def print_table(rows):
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i in (0, 2, len(row) - 1) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("-" * (sum(widths) + 2 * (len(widths) - 1)))


def print_markdown(rows, args):
    print("| " + " | ".join(rows[0]) + " |")
    print("|" + "|".join("---" if i in (0, 2, len(rows[0]) - 1) else "--:" for i in range(len(rows[0]))) + "|")
    for row in rows[1:]:
        print("| " + " | ".join(row) + " |")
    extra = []
    if args.swap:
        extra.append("--swap")
    if args.psi:
        extra.append("--psi")
    extra += [f"gen {a}" for a in args.gen_arg] + [f"floor {a}" for a in args.floor_arg]
    extra += [f"exporter {a}" for a in args.exporter_arg]
    u = os.uname()
    print(f"\nMeans over >= {args.scrapes} scrapes and >= {args.min_seconds:g} s per program after "
          f"{max(1, args.warmup)} warm-up scrapes; Linux {u.release}, {os.cpu_count()} CPUs, trees on "
          f"{fs_type(args.cache_dir)}" + (f"; options: {' '.join(extra)}" if extra else "") + ".")


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
    p.add_argument("--warmup", type=int, default=2, help="warm-up scrapes (the floor does at least 1)")
    p.add_argument("--swap", action="store_true", help="swap metrics on (both sides)")
    p.add_argument("--psi", action="store_true", help="PSI metrics on (both sides)")
    p.add_argument("--perf", action="store_true",
                   help=f"also measure with the perf sub-collector: exporter {PERF_FLAG}, floor --perf")
    p.add_argument("--gpu-map", action="store_true",
                   help="also run the floor with --gpu-map (first-scrape cost of the GPU job mapping)")
    p.add_argument("--stale", type=int, default=0,
                   help="v2 trees: the last N jobs are empty 'populated 0' leftovers, not to be reported")
    p.add_argument("--floor-walk", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the floor with --walk (the former full walk), for comparison (default: on)")
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
    has_perf = False
    if has_exporter and args.perf:
        has_perf = has_flag(exporter_help(args.exporter)[0], PERF_FLAG)
        if not has_perf:
            print(f"NOTE: {args.exporter} has no {PERF_FLAG}: the perf rows show the floor only.\n")

    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    variants = [("slurm", [], [])]
    if args.perf:
        variants.append(("slurm+perf", ["--perf"], [PERF_FLAG]))
    if args.gpu_map:
        variants.append(("slurm+gpu", ["--gpu-map"], GPU_FLAGS))
    os.makedirs(args.cache_dir, exist_ok=True)
    results = []
    for version in versions:
        for jobs in sizes:
            stale = args.stale if version == "v2" else 0
            gen_extra = args.gen_arg + ([f"--stale={stale}"] if stale else []) + (GPU_TREE_ARGS if args.gpu_map else [])
            try:
                ga = gen_args(version, jobs, args.cache_dir, gen_extra)
            except SystemExit:
                print(f"{version} {jobs}: bad generator arguments {gen_extra}", file=sys.stderr)
                return 2
            reused, secs, info = gen_tree.generate(ga, quiet=True)
            tree = os.path.abspath(ga.out)
            expected = jobs - stale
            print(f"{version} {jobs:>5} jobs: tree {tree} ({'reused' if reused else 'generated'}; "
                  f"{info.get('files')} files, {info.get('dirs')} dirs, generated in {secs:.1f} s"
                  + (f"; {stale} stale" if stale else "") + ")", flush=True)
            base = os.path.basename(tree)
            # Floor-only comparisons, once per tree.
            walk = gpu = None
            if args.floor_walk:
                drop_dentries(args.drop_caches)
                walk = run_floor(args.floor, tree, version, args,
                                 os.path.join(args.cache_dir, f"floor-{base}-walk.prom"), ["--walk"])
                print(f"  floor --walk: {walk['cpu_ms']:.2f} ms CPU/scrape, {int(walk['dirs_listed']):,} "
                      f"listings, {int(walk['files_read']):,} files, {int(walk['pid_stats']):,} PID stats")
            if args.gpu_map:
                drop_dentries(args.drop_caches)
                gpu = run_floor(args.floor, tree, version, args,
                                os.path.join(args.cache_dir, f"floor-{base}-gpu.prom"), ["--gpu-map"])
                print(f"  floor --gpu-map: first scrape {gpu['first_cpu_ms']:.2f} ms CPU "
                      f"({int(gpu['first_new_jobs']):,} new jobs, {int(gpu['first_environ_reads']):,} environ reads, "
                      f"{int(gpu['first_dirs_listed']):,} listings), then {gpu['cpu_ms']:.2f} ms/scrape")
            for variant, floor_extra, exp_extra in variants:
                suffix = "" if not floor_extra else "-" + variant.split("+")[1]
                dump = os.path.join(args.cache_dir, f"floor-{base}{suffix}.prom")
                drop_dentries(args.drop_caches)
                fl = run_floor(args.floor, tree, version, args, dump, floor_extra)
                print(f"  {variant}: floor {fl['cpu_ms']:.2f} ms CPU/scrape, {int(fl['dirs_listed']):,} listings, "
                      f"{int(fl['files_read']):,} files", flush=True)
                r = {"version": version, "jobs": jobs, "variant": variant, "expected_units": expected,
                     "gen_seconds": secs, "floor": fl, "floor_walk": walk if not floor_extra else None,
                     "floor_gpu": gpu if not floor_extra else None, "exporter": None, "ratio": None}
                if int(fl["units"]) != expected:
                    print(f"  WARNING: floor found {int(fl['units'])} jobs, expected {expected}")
                if has_exporter and (PERF_FLAG not in exp_extra or has_perf):
                    drop_dentries(args.drop_caches)
                    try:
                        r["exporter"] = run_exporter(args.exporter, tree, version, expected, args, dump, exp_extra)
                    except (RuntimeError, OSError) as e:
                        print(f"  exporter failed: {e}")
                    ex = r["exporter"]
                    if ex:
                        r["ratio"] = ex["cpu_ms"] / fl["cpu_ms"] if fl["cpu_ms"] > 0 else None
                        print(f"  {variant}: exporter {ex['cpu_ms']:.2f} ms CPU/scrape, {ex['wall_ms']:.2f} ms wall, "
                              f"peak RSS {ex['hwm_mb']:.1f} MB", flush=True)
                    if ex and not ex["units_ok"]:
                        print(f"  WARNING: exporter reports ceems_compute_units {ex['units']}, expected {expected}")
                    if ex and ex["diff_vs_floor"]:
                        print(f"  WARNING: {ex['diff_vs_floor']} ceems_compute_unit* lines differ from the floor's; "
                              f"e.g. floor only {ex['only_floor'][:1]}, exporter only {ex['only_exporter'][:1]}")
                results.append(r)

    rows = table(results, args)
    print()
    print_table(rows)
    print("\nfloor medians (ms) and peak RSS: "
          + ", ".join(f"{r['version']}/{r['jobs']}/{r['variant']} cpu {r['floor']['cpu_median_ms']:.2f} "
                      f"wall {r['floor']['wall_median_ms']:.2f} rss {r['floor']['hwm_kb'] / 1024:.1f} MB"
                      for r in results))
    print("\nMarkdown:\n")
    print_markdown(rows, args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
