#!/usr/bin/python3
"""HTTP benchmark of ceems_exporter against the fixture tree.

    python3 bench/http/http_bench.py --exporter PATH [--fixtures tests/fixtures]

Prints a markdown table: scrape latency (idle and under a 1,000-connection
abuse load), requests/s with 1 and 64 keep-alive clients, RSS idle and after
10,000 scrapes (plain and TLS), exporter CPU per scrape (default collectors
and --web.disable-exporter-metrics) and the same for a native floor server
(bench/http/http_floor.c, compiled here with `cc -O2` into a temp dir).

Standard library only; loopback only; every process is killed at exit.
Set CEEMS_ABUSE_NO_NEW_FLAGS=1 for a binary without the --web.read-header-timeout
family of flags.
"""

from __future__ import annotations

import argparse
import atexit
import os
import selectors
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "abuse"))

import attacks as A  # noqa: E402


def keepalive_requests(port: int, n: int, *, ctx: ssl.SSLContext | None = None, reconnect_every: int = 0,
                       path: str = "/metrics", timeout: float = 10.0) -> tuple[int, int, int]:
    """n sequential GETs on one keep-alive connection (a fresh one every
    reconnect_every requests when > 0). Returns (ok, errors, last body length)."""
    req = A.request_bytes(path, close=False)
    ok = errors = body_len = 0
    sock = None
    buf = b""
    since = 0
    try:
        for _ in range(n):
            if sock is None or (reconnect_every and since >= reconnect_every):
                if sock is not None:
                    sock.close()
                sock = socket.create_connection((A.LOOPBACK, port), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if ctx is not None:
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                buf, since = b"", 0
            try:
                sock.sendall(req)
                r = None
                for _ in range(10000):
                    r, used = A.parse_response(buf)
                    if r is not None:
                        buf = buf[used:]
                        break
                    chunk = sock.recv(262144)
                    if not chunk:
                        raise ConnectionError("closed")
                    buf += chunk
                if r is not None and r.status == 200:
                    ok += 1
                    body_len = len(r.body)
                else:
                    errors += 1
                since += 1
            except (OSError, ValueError):
                errors += 1
                if sock is not None:
                    sock.close()
                sock = None
    finally:
        if sock is not None:
            sock.close()
    return ok, errors, body_len


def throughput(port: int, conns: int, seconds: float, path: str = "/metrics") -> tuple[float, int, int]:
    """Requests/s with `conns` keep-alive connections, each sending the next
    request when the previous answer is complete; one selector thread.
    Returns (200s per second, other statuses, transport errors)."""
    req = A.request_bytes(path, close=False)
    sel = selectors.DefaultSelector()
    bufs = {}
    for _ in range(conns):
        s = socket.create_connection((A.LOOPBACK, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    done = errors = other = 0
    t0 = time.monotonic()
    end = t0 + seconds
    for s in bufs:
        s.send(req)
    for _ in range(50_000_000):
        if time.monotonic() >= end or not bufs:
            break
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                chunk = s.recv(262144)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                errors += 1
                sel.unregister(s)
                s.close()
                del bufs[s]
                continue
            b = bufs[s] + chunk
            r, used = A.parse_response(b)
            if r is None:
                bufs[s] = b
                continue
            bufs[s] = b[used:]
            if r.status == 200:
                done += 1
            else:
                other += 1
            try:
                s.send(req)
            except OSError:
                errors += 1
    elapsed = time.monotonic() - t0
    for s in list(bufs):
        sel.unregister(s)
        s.close()
    sel.close()
    return done / elapsed, other, errors


def cpu_per_request(srv: A.Server, n: int, path: str = "/metrics") -> tuple[float, int]:
    """Server CPU (utime+stime) per request over n requests on ONE keep-alive
    connection; returns (seconds per request, errors)."""
    keepalive_requests(srv.port, 20, path=path)  # warm-up
    before = srv.cpu_ticks()
    ok, errors, _ = keepalive_requests(srv.port, n, path=path)
    after = srv.cpu_ticks()
    if before is None or after is None or ok == 0:
        return float("nan"), errors + (n - ok)
    return (after - before) / A.CLK_TCK / ok, errors


def latency_series(port: int, seconds: float, gap: float = 0.02, max_n: int = 400,
                   ctx=None) -> list[A.ScrapeResult]:
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and len(out) < max_n:
        out.append(A.scrape_once(port, ctx=ctx, timeout=3.0))
        time.sleep(gap)
    return out


def ms(x: float) -> str:
    return f"{x * 1000:.2f} ms" if x == x else "n/a"


def lat_cell(rs: list[A.ScrapeResult]) -> str:
    good = [r.elapsed for r in rs if r.status == 200]
    bad = len(rs) - len(good)
    cell = f"{ms(A.percentile(good, 50))} / {ms(A.percentile(good, 99))}"
    cell += f" (n={len(rs)}" + (f", {bad} failed or timed out" if bad else "") + ")"
    return cell


def mb(kb: int | None) -> str:
    return f"{kb / 1024:.1f} MiB" if kb is not None else "n/a"


class Bench:
    def __init__(self, exporter: str, fixtures: str, floor_requests: int, cpu_scrapes: int) -> None:
        self.exporter = exporter
        self.tmp = A.world_readable_tmp("ceems-http-bench-")
        self.procs = A.Procs(self.tmp)
        self.paths = A.copy_fixtures(fixtures, self.tmp)
        self.floor_requests = floor_requests
        self.cpu_scrapes = cpu_scrapes
        self.rows: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def cleanup(self) -> None:
        self.procs.kill_all()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def row(self, what: str, value: str) -> None:
        self.rows.append((what, value))
        print(f"  .. {what}: {value}", file=sys.stderr, flush=True)

    def start_exporter(self, *extra: str, name: str = "exporter") -> A.Server:
        port = A.free_port()
        argv = [self.exporter, f"--web.listen-address=127.0.0.1:{port}", *A.fixture_args(self.paths),
                *A.web_flags(), *extra]
        return self.procs.start(argv, port, name)

    def build_floor(self) -> str:
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise RuntimeError("no C compiler (cc) found")
        out = os.path.join(self.tmp, "http_floor")
        res = subprocess.run([cc, "-O2", "-o", out, os.path.join(HERE, "http_floor.c")], capture_output=True,
                             text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"cc failed: {res.stderr[-2000:]}")
        return out

    def start_floor(self, binary: str, body_len: int, self_metrics: bool) -> A.Server:
        port = A.free_port()
        argv = [binary, str(port), self.paths["procfs"], self.paths["sysfs"], str(body_len),
                "1" if self_metrics else "0"]
        return self.procs.start(argv, port, "floor")

    # -- sections -------------------------------------------------------------

    def latency_and_throughput(self) -> None:
        # no concurrency limit: 64 clients would otherwise get 503s beyond the default 40
        srv = self.start_exporter("--web.max-requests=0")
        try:
            A.scrape_once(srv.port)
            idle = latency_series(srv.port, seconds=6.0, max_n=200)
            self.row("scrape latency p50 / p99, idle server (fresh connection each)", lat_cell(idle))
            load = A.AbuseLoad(srv.port, slow=500, idle=500, duration=14.0)
            load.start()
            time.sleep(1.5)
            loaded = latency_series(srv.port, seconds=11.0, max_n=400)
            load.join(20)
            stats = load.stop()
            self.row("scrape latency p50 / p99, under 500 slow-header + 500 idle connections", lat_cell(loaded))
            held = stats["slow"].connected + stats["idle"].connected
            self.notes.append(f"abuse load: {held} attack connections made in 14 s "
                              f"({len(stats['slow'].lifetimes) + len(stats['idle'].lifetimes)} closed by the server)")
            time.sleep(2.5)  # let the server drop what is left of the load
            for conns in (1, 64):
                rps, other, errs = throughput(srv.port, conns, 5.0)
                self.row(f"requests/s, /metrics, {conns} keep-alive client{'s' if conns > 1 else ''} "
                         f"(5 s, --web.max-requests=0)",
                         f"{rps:.0f}" + (f" ({other} non-200 answers)" if other else "")
                         + (f" ({errs} connection errors)" if errs else ""))
        finally:
            self.procs.stop(srv)

    def rss(self, tls: bool) -> None:
        extra = []
        ctx = None
        if tls:
            d = os.path.join(self.tmp, "tls")
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
            cert, key = A.harness.make_self_signed_cert(d)
            cfg = A.write_file(os.path.join(self.tmp, "web-tls.yml"),
                               f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
            extra.append(f"--web.config.file={cfg}")
            ctx = A.insecure_client_context()
        srv = self.start_exporter(*extra, name="exporter-tls" if tls else "exporter-rss")
        try:
            first = A.scrape_once(srv.port, ctx=ctx)
            if first.status != 200:
                raise RuntimeError(f"first scrape failed: {first.status} {first.error}")
            time.sleep(0.5)
            idle = srv.rss_kb()
            results = []
            threads = [threading.Thread(target=lambda: results.append(
                keepalive_requests(srv.port, 2500, ctx=ctx, reconnect_every=100)), daemon=True) for _ in range(4)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(300)
            took = time.monotonic() - t0
            time.sleep(0.5)
            after = srv.rss_kb()
            ok = sum(r[0] for r in results)
            errs = sum(r[1] for r in results)
            label = "TLS" if tls else "plain"
            self.row(f"RSS idle / after 10,000 scrapes, {label} (4 keep-alive clients, new connection every 100)",
                     f"{mb(idle)} / {mb(after)} ({ok} ok, {errs} errors, {took:.1f} s)")
        finally:
            self.procs.stop(srv)

    def cpu(self) -> None:
        floor_bin = self.build_floor()
        for disable in (False, True):
            extra = ["--web.disable-exporter-metrics"] if disable else []
            label = "--web.disable-exporter-metrics" if disable else "default collectors + self-metrics"
            srv = self.start_exporter(*extra, name="exporter-cpu")
            try:
                body_len = keepalive_requests(srv.port, 1)[2]
                per, errs = cpu_per_request(srv, self.cpu_scrapes)
            finally:
                self.procs.stop(srv)
            floor = self.start_floor(floor_bin, body_len, self_metrics=not disable)
            try:
                fper, ferrs = cpu_per_request(floor, self.floor_requests)
            finally:
                self.procs.stop(floor)
            self.row(f"exporter CPU per scrape, {label} ({self.cpu_scrapes} scrapes, 1 keep-alive connection, "
                     f"{body_len} B body)", f"{per * 1e6:.0f} µs" + (f" ({errs} errors)" if errs else ""))
            self.row(f"floor CPU per request, same files, {body_len} B body ({self.floor_requests} requests)",
                     f"{fper * 1e6:.1f} µs" + (f" ({ferrs} errors)" if ferrs else ""))
            ratio = per / fper if fper and fper == fper and fper > 0 else float("nan")
            self.row(f"ratio exporter / floor, {label}", f"{ratio:.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--exporter", default=os.environ.get("CEEMS_EXPORTER") or A.DEFAULT_EXPORTER)
    ap.add_argument("--fixtures", default=os.environ.get("CEEMS_FIXTURES")
                    or os.path.join(REPO_ROOT, "tests", "fixtures"))
    ap.add_argument("--cpu-scrapes", type=int, default=2000, help="scrapes for the exporter CPU figure")
    ap.add_argument("--floor-requests", type=int, default=20000,
                    help="requests for the floor CPU figure (more than the exporter's: 10 ms ticks)")
    ap.add_argument("--only", default="ltrc", help="sections: l(atency+throughput) r(ss plain) t(ls rss) c(pu)")
    args = ap.parse_args()
    if not os.access(args.exporter, os.X_OK):
        print(f"exporter binary not executable: {args.exporter}", file=sys.stderr)
        return 1
    A.raise_nofile()
    b = Bench(os.path.abspath(args.exporter), os.path.abspath(args.fixtures), args.floor_requests,
              args.cpu_scrapes)
    atexit.register(b.cleanup)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    t0 = time.monotonic()
    failed = []
    sections = [("l", b.latency_and_throughput), ("r", lambda: b.rss(False)), ("t", lambda: b.rss(True)),
                ("c", b.cpu)]
    try:
        for key, fn in sections:
            if key not in args.only:
                continue
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - reported in the table
                failed.append(key)
                b.row(f"section {key} failed", f"{type(e).__name__}: {e}")
    finally:
        b.cleanup()
    print(f"\nceems_exporter HTTP benchmark — {os.path.basename(args.exporter)}, fixtures, "
          f"{os.cpu_count()} CPUs, {time.monotonic() - t0:.0f} s\n")
    print("| measurement | value |")
    print("|---|---|")
    for what, value in b.rows:
        print(f"| {what} | {value} |")
    for n in b.notes:
        print(f"\n{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
