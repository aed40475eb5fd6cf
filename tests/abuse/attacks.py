"""Attack and measurement helpers shared by tests/abuse/abuse_test.py and
bench/http/http_bench.py.

Python 3 standard library only. Every socket here targets loopback; every loop
is bounded in iterations and in time; every process started through
`Procs.start` runs in its own process group and is killed by `Procs.kill_all`.
"""

from __future__ import annotations

import errno
import os
import resource
import selectors
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "e2e"))

import harness  # noqa: E402  (make_self_signed_cert, bcrypt_hash, make_world_readable, clean_env)

LOOPBACK = "127.0.0.1"
DEFAULT_EXPORTER = os.path.join(REPO_ROOT, "build", "src", "apps", "ceems_exporter", "ceems_exporter")
DEFAULT_PROXY = os.path.join(REPO_ROOT, "build", "src", "apps", "redfish_proxy", "redfish_proxy")

# Flags of the event-driven HTTP layer (both binaries), at their defaults.
NEW_WEB_FLAGS = [
    "--web.read-header-timeout=2s",
    "--web.idle-timeout=10s",
    "--web.tls-handshake-timeout=5s",
    "--web.max-header-bytes=1048576",
    "--web.max-connections=4096",
]
# Set to 1 to omit NEW_WEB_FLAGS (smoke runs against a binary that predates them).
NO_NEW_FLAGS_ENV = "CEEMS_ABUSE_NO_NEW_FLAGS"

_IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
_LINGER0 = struct.pack("ii", 1, 0)


def abort_close(sock: socket.socket) -> None:
    """Closes with a reset (SO_LINGER 0): attack sockets leave no TIME_WAIT behind."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
    except OSError:
        pass
    sock.close()


def web_flags() -> list[str]:
    return [] if os.environ.get(NO_NEW_FLAGS_ENV) == "1" else list(NEW_WEB_FLAGS)


def raise_nofile() -> tuple[int, int]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with status {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {LOOPBACK}:{port} after {timeout:.0f} s")


def insecure_client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_hello_bytes() -> bytes:
    """A real TLS ClientHello as this Python's OpenSSL would send it."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = insecure_client_context().wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
    if len(data) < 20:
        raise RuntimeError("could not build a ClientHello")
    return data


# --------------------------------------------------------------------------
# Processes


def proc_rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def proc_cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)


CLK_TCK = os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, argv: list[str], log_path: str):
        self.proc, self.port, self.argv, self.log_path = proc, port, argv, log_path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kb(self) -> int | None:
        return proc_rss_kb(self.proc.pid)

    def cpu_ticks(self) -> int | None:
        return proc_cpu_ticks(self.proc.pid)

    def log_tail(self, n: int = 1500) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", errors="replace")
        except OSError:
            return ""


class Procs:
    """Bookkeeping of started servers; kill_all() kills every process group."""

    def __init__(self, tmp: str):
        self.tmp = tmp
        self.started: list[subprocess.Popen] = []

    def start(self, argv: list[str], port: int, name: str, wait: bool = True, env: dict | None = None) -> Server:
        log_path = os.path.join(self.tmp, f"{name}-{len(self.started)}.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=env or harness.clean_env(), cwd=self.tmp, start_new_session=True)
        self.started.append(proc)
        srv = Server(proc, port, argv, log_path)
        if wait:
            try:
                wait_for_port(port, proc)
            except RuntimeError as e:
                self.stop(srv)
                raise RuntimeError(f"{name} did not start: {e}; log: {srv.log_tail(600)!r}") from None
        return srv

    @staticmethod
    def stop(srv: Server) -> None:
        try:
            os.killpg(srv.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            srv.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def kill_all(self) -> None:
        for p in self.started:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for p in self.started:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def world_readable_tmp(prefix: str) -> str:
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def copy_fixtures(fixtures_src: str, tmp: str) -> dict:
    """World-readable copy of the fixture tree (the exporter drops to nobody
    when started as root). Returns the --path.* arguments."""
    dst = os.path.join(tmp, "fixtures")
    shutil.copytree(fixtures_src, dst, symlinks=True, ignore=shutil.ignore_patterns("expected"))
    cg = os.path.join(dst, "sys", "fs", "cgroup")
    os.makedirs(cg, exist_ok=True)
    harness.make_world_readable(tmp)
    return {"root": dst, "procfs": os.path.join(dst, "proc"), "sysfs": os.path.join(dst, "sys"), "cgroupfs": cg}


def fixture_args(paths: dict) -> list[str]:
    return [f"--path.procfs={paths['procfs']}", f"--path.sysfs={paths['sysfs']}",
            f"--path.cgroupfs={paths['cgroupfs']}", "--collector.empty-hostname-label"]


def write_file(path: str, text: str, mode: int = 0o644) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def bcrypt_hash(user: str, password: str) -> str:
    """bcrypt via htpasswd (apache2-utils); falls back to the crypt module."""
    if shutil.which("htpasswd"):
        return harness.bcrypt_hash(user, password)
    import crypt  # noqa: PLC0415 - deprecated module, only a fallback
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
    if not h or not h.startswith("$2"):
        raise RuntimeError("no bcrypt implementation (install apache2-utils)")
    return h


# --------------------------------------------------------------------------
# HTTP/1.1 response parsing


@dataclass
class HttpResponse:
    version: str
    status: int
    reason: str
    headers: dict
    body: bytes


def parse_response(buf: bytes, closed: bool = False, head_only: bool = False) -> tuple[HttpResponse | None, int]:
    """One response from the front of buf: (response, bytes consumed), or
    (None, 0) while incomplete. Raises ValueError on garbage."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > 1 << 20:
            raise ValueError("response header larger than 1 MiB")
        return None, 0
    lines = buf[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"bad status line {lines[0][:80]!r}")
    headers: dict = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    status = int(parts[1])
    pos = end + 4
    mk = lambda body: HttpResponse(parts[0], status, parts[2] if len(parts) > 2 else "", headers, body)  # noqa: E731
    if head_only or status in (204, 304) or 100 <= status < 200:
        return mk(b""), pos
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                return None, 0
            size = int(buf[pos:eol].split(b";")[0].strip() or b"x", 16)
            if size == 0:
                trailer_end = buf.find(b"\r\n\r\n", eol)
                if buf[eol:eol + 4] == b"\r\n\r\n":
                    return mk(bytes(body)), eol + 4
                if trailer_end < 0:
                    return None, 0
                return mk(bytes(body)), trailer_end + 4
            if len(buf) < eol + 2 + size + 2:
                return None, 0
            body += buf[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(buf) < pos + n:
            return None, 0
        return mk(buf[pos:pos + n]), pos + n
    if closed:
        return mk(buf[pos:]), len(buf)
    return None, 0


def parse_all(buf: bytes, closed: bool) -> list[HttpResponse]:
    out = []
    for _ in range(64):
        try:
            r, n = parse_response(buf, closed)
        except ValueError:
            break
        if r is None:
            break
        out.append(r)
        buf = buf[n:]
        if not buf:
            break
    return out


# --------------------------------------------------------------------------
# One connection, raw bytes


@dataclass
class Exchange:
    responses: list
    raw: bytes
    closed: bool  # the server closed (EOF or reset)
    reset: bool
    close_after_s: float | None  # seconds from the end of our send to the close
    first_response_s: float | None
    error: str | None = None


def raw_exchange(port: int, data: bytes, *, ctx: ssl.SSLContext | None = None, want: int = 1,
                 wait_close: float = 0.0, timeout: float = 5.0, host: str = LOOPBACK) -> Exchange:
    """Sends data in one write, then reads until `want` responses are parsed and,
    with wait_close > 0, until the server closes (at most wait_close seconds after
    the last wanted response). Bounded by `timeout` overall."""
    t_start = time.monotonic()
    buf = b""
    closed = reset = False
    t_sent = first = close_after = None
    err = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as e:
        return Exchange([], b"", False, False, None, None, f"connect: {e}")
    try:
        if ctx is not None:
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        sock.sendall(data)
        t_sent = time.monotonic()
        hard = t_start + timeout
        close_deadline = None
        for _ in range(100000):
            now = time.monotonic()
            limit = hard if close_deadline is None else min(hard, close_deadline)
            if now >= limit:
                break
            sock.settimeout(max(0.01, limit - now))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ssl.SSLError as e:
                closed, err = True, f"ssl: {e}"
                close_after = time.monotonic() - t_sent
                break
            except ConnectionResetError:
                closed = reset = True
                close_after = time.monotonic() - t_sent
                break
            if not chunk:
                closed = True
                close_after = time.monotonic() - t_sent
                break
            buf += chunk
            resps = parse_all(buf, False)
            if resps and first is None:
                first = time.monotonic() - t_sent
            if len(resps) >= want:
                if wait_close <= 0:
                    break
                if close_deadline is None:
                    close_deadline = time.monotonic() + wait_close
    except OSError as e:
        err = f"{type(e).__name__}: {e}"
    finally:
        abort_close(sock)
    return Exchange(parse_all(buf, closed), buf, closed, reset, close_after, first, err)


@dataclass
class ScrapeResult:
    t: float  # monotonic start
    elapsed: float
    status: int | None
    body: bytes
    error: str | None


def request_bytes(path: str = "/metrics", *, method: str = "GET", headers: dict | None = None,
                  close: bool = True, host: str = "127.0.0.1") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def scrape_once(port: int, path: str = "/metrics", *, ctx: ssl.SSLContext | None = None, timeout: float = 3.0,
                headers: dict | None = None) -> ScrapeResult:
    """One request on a fresh connection (connect and TLS handshake included)."""
    t0 = time.monotonic()
    sock = None
    try:
        sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        if ctx is not None:
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        sock.sendall(request_bytes(path, headers=headers))
        buf = b""
        deadline = t0 + timeout
        for _ in range(100000):
            left = deadline - time.monotonic()
            if left <= 0:
                return ScrapeResult(t0, time.monotonic() - t0, None, b"", f"timeout after {timeout} s")
            sock.settimeout(left)
            chunk = sock.recv(262144)
            r, _ = parse_response(buf + chunk, closed=not chunk)
            buf += chunk
            if r is not None:
                return ScrapeResult(t0, time.monotonic() - t0, r.status, r.body, None)
            if not chunk:
                return ScrapeResult(t0, time.monotonic() - t0, None, buf, "closed before a full response")
        return ScrapeResult(t0, time.monotonic() - t0, None, b"", "too many reads")
    except (OSError, ValueError) as e:
        return ScrapeResult(t0, time.monotonic() - t0, None, b"", f"{type(e).__name__}: {e}")
    finally:
        if sock is not None:
            abort_close(sock)


class ScrapeMonitor(threading.Thread):
    """Scrapes every `interval` seconds on fresh connections until stopped
    (at most max_seconds)."""

    def __init__(self, port: int, *, path: str = "/metrics", ctx=None, interval: float = 0.5,
                 timeout: float = 3.0, headers: dict | None = None, max_seconds: float = 120.0):
        super().__init__(daemon=True)
        self.port, self.path, self.ctx, self.interval, self.timeout = port, path, ctx, interval, timeout
        self.headers = headers
        self.max_seconds = max_seconds
        self.results: list[ScrapeResult] = []
        self._halt = threading.Event()

    def run(self) -> None:
        end = time.monotonic() + self.max_seconds
        nxt = time.monotonic()
        while not self._halt.is_set() and time.monotonic() < end:
            self.results.append(scrape_once(self.port, self.path, ctx=self.ctx, timeout=self.timeout,
                                            headers=self.headers))
            nxt += self.interval
            self._halt.wait(max(0.0, nxt - time.monotonic()))

    def stop(self) -> list[ScrapeResult]:
        self._halt.set()
        self.join(self.timeout + 5)
        return self.results


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


# --------------------------------------------------------------------------
# Connection-holding load: slow headers, idle TCP, stalled TLS handshakes


@dataclass
class KindStats:
    connected: int = 0
    connect_errors: int = 0
    connect_timeouts: int = 0
    lifetimes: list = field(default_factory=list)  # first byte (or connect) -> server close
    got_data: int = 0  # connections on which the server sent something (e.g. 408)
    open_ages: list = field(default_factory=list)  # ages of connections still open at stop
    closed_before_first_byte: int = 0


class _Conn:
    __slots__ = ("kind", "sock", "connecting", "deadline", "t0", "t_first", "next_send", "nsent", "got")


class AbuseLoad(threading.Thread):
    """Holds `slow` slow-header, `idle` idle and `tls_stall` stalled-handshake
    connections open against 127.0.0.1:port, reconnecting each one the server
    closes; one thread, non-blocking sockets, one selector. Stops after
    `duration` seconds or on stop()."""

    def __init__(self, port: int, *, slow: int = 0, idle: int = 0, tls_stall: int = 0, path: str = "/metrics",
                 interval: float = 1.0, duration: float = 15.0, connect_timeout: float = 3.0,
                 spread_sources: bool = True):
        super().__init__(daemon=True)
        self.port = port
        self.counts = {"slow": slow, "idle": idle, "tls": tls_stall}
        self.path = path
        self.interval = interval
        self.duration = duration
        self.connect_timeout = connect_timeout
        self.spread = spread_sources
        self.stats = {k: KindStats() for k in self.counts}
        self._halt = threading.Event()
        self._sel = selectors.DefaultSelector()
        self._conns: set[_Conn] = set()
        self._pending: list[tuple[float, str]] = []
        self._src = 0
        self._hello = client_hello_bytes()[:40] if tls_stall else b""
        self.started_at = self.ended_at = 0.0
        self.loop_error: str | None = None

    # -- socket life ------------------------------------------------------

    def _source_ip(self) -> str:
        self._src = (self._src + 1) % 248
        return f"127.0.0.{self._src + 2}"

    def _launch(self, kind: str, now: float) -> None:
        st = self.stats[kind]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
            if self.spread:
                s.setsockopt(socket.IPPROTO_IP, _IP_BIND_ADDRESS_NO_PORT, 1)
                s.bind((self._source_ip(), 0))
            rc = s.connect_ex((LOOPBACK, self.port))
        except OSError:
            s.close()
            st.connect_errors += 1
            self._pending.append((now + 0.2, kind))
            return
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            st.connect_errors += 1
            self._pending.append((now + 0.2, kind))
            return
        c = _Conn()
        c.kind, c.sock, c.connecting, c.deadline = kind, s, True, now + self.connect_timeout
        c.t0 = c.t_first = None
        c.next_send, c.nsent, c.got = 0.0, 0, 0
        self._conns.add(c)
        self._sel.register(s, selectors.EVENT_WRITE, c)

    def _drop(self, c: _Conn, now: float, *, by_server: bool, relaunch_at: float | None = None) -> None:
        try:
            self._sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        self._conns.discard(c)
        st = self.stats[c.kind]
        if by_server and c.t0 is not None:
            start = c.t_first if c.t_first is not None else c.t0
            life = now - start
            st.lifetimes.append(life)
            if c.got:
                st.got_data += 1
            if relaunch_at is None:
                relaunch_at = now if life > 0.1 else now + 0.2
        if relaunch_at is not None and not self._halt.is_set():
            self._pending.append((relaunch_at, c.kind))

    def _on_connected(self, c: _Conn, now: float) -> None:
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        st = self.stats[c.kind]
        if err:
            st.connect_errors += 1
            self._drop(c, now, by_server=False, relaunch_at=now + 0.2)
            return
        c.connecting = False
        c.t0 = now
        st.connected += 1
        first = b""
        if c.kind == "slow":
            first = f"GET {self.path} HTTP/1.1\r\nHost: x\r\n".encode()
            c.next_send = now + self.interval
        elif c.kind == "tls":
            first = self._hello
        if first:
            try:
                c.sock.send(first)
                c.t_first = now
            except OSError:
                st.closed_before_first_byte += 1
                self._drop(c, now, by_server=True)
                return
        self._sel.modify(c.sock, selectors.EVENT_READ, c)

    def _on_readable(self, c: _Conn, now: float) -> None:
        for _ in range(16):
            try:
                data = c.sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                self._drop(c, now, by_server=True)
                return
            if not data:
                self._drop(c, now, by_server=True)
                return
            c.got += len(data)

    def _sweep(self, now: float) -> None:
        for c in list(self._conns):
            if c.connecting:
                if now >= c.deadline:
                    self.stats[c.kind].connect_timeouts += 1
                    self._drop(c, now, by_server=False, relaunch_at=now)
                continue
            if c.kind == "slow" and now >= c.next_send:
                c.nsent += 1
                c.next_send = now + self.interval
                try:
                    c.sock.send(f"X-Slow-{c.nsent}: {c.nsent}\r\n".encode())
                except BlockingIOError:
                    pass
                except OSError:
                    self._drop(c, now, by_server=True)

    # -- thread -----------------------------------------------------------

    def run(self) -> None:
        try:
            self._loop()
        except Exception as e:  # noqa: BLE001 - reported by the caller
            self.loop_error = f"{type(e).__name__}: {e}"
        finally:
            now = time.monotonic()
            for c in list(self._conns):
                if not c.connecting and c.t0 is not None:
                    start = c.t_first if c.t_first is not None else c.t0
                    self.stats[c.kind].open_ages.append(now - start)
                try:
                    self._sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass
                c.sock.close()
            self._conns.clear()
            self._sel.close()
            self.ended_at = now

    def _loop(self) -> None:
        self.started_at = now = time.monotonic()
        end = now + self.duration
        for kind, n in self.counts.items():
            self._pending.extend((now, kind) for _ in range(n))
        next_sweep = now
        iterations = 0
        while not self._halt.is_set() and now < end and iterations < 10_000_000:
            iterations += 1
            if self._pending:
                due = [p for p in self._pending if p[0] <= now]
                if due:
                    self._pending = [p for p in self._pending if p[0] > now]
                    # bounded burst per iteration keeps the loop responsive
                    for _, kind in due[:200]:
                        self._launch(kind, now)
                    self._pending.extend(due[200:])
            events = self._sel.select(timeout=0.02 if self._conns or self._pending else 0.05)
            now = time.monotonic()
            for key, _mask in events:
                c = key.data
                if c not in self._conns:
                    continue
                if c.connecting:
                    self._on_connected(c, now)
                else:
                    self._on_readable(c, now)
            if now >= next_sweep:
                self._sweep(now)
                next_sweep = now + 0.05

    def stop(self) -> dict:
        self._halt.set()
        self.join(15)
        return self.stats

    def open_now(self) -> int:
        return sum(1 for c in list(self._conns) if not c.connecting)


# --------------------------------------------------------------------------
# Header flood


@dataclass
class FloodResult:
    sent: int
    outcome: str  # "response", "closed", "reset", "send-error", "limit", "timeout"
    status: int | None
    status_line: str
    elapsed: float
    rss_before_kb: int | None
    rss_max_kb: int | None
    rss_after_kb: int | None
    detail: str = ""


def header_flood(port: int, *, ctx: ssl.SSLContext | None = None, pid: int | None = None,
                 limit_bytes: int = 200 * 1000 * 1000, max_seconds: float = 30.0,
                 path: str = "/metrics", extra_headers: str = "") -> FloodResult:
    """GET request head followed by endless `X-Pad: <8000 bytes>` lines; stops at
    the first response byte, close, reset or send error, at limit_bytes or after
    max_seconds. Samples VmRSS of pid before, during and after."""
    rss_before = proc_rss_kb(pid) if pid else None
    rss_max = rss_before
    line = b"X-Pad: " + b"p" * 8000 + b"\r\n"
    chunk = line * 8
    head = f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra_headers}".encode()
    t0 = time.monotonic()
    sent = 0
    buf = b""
    outcome, detail = "timeout", ""
    sock = socket.create_connection((LOOPBACK, port), timeout=5)
    try:
        if ctx is not None:
            sock = ctx.wrap_socket(sock, server_hostname="localhost")
        sock.setblocking(False)
        pending = head
        next_rss = t0
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        stop_reading_at = None
        for _ in range(10_000_000):
            now = time.monotonic()
            if pid and now >= next_rss:
                r = proc_rss_kb(pid)
                if r is not None and (rss_max is None or r > rss_max):
                    rss_max = r
                next_rss = now + 0.05
            if now - t0 > max_seconds:
                outcome = "timeout"
                break
            if stop_reading_at is not None and now >= stop_reading_at:
                break
            events = sel.select(timeout=0.2)
            readable = any(m & selectors.EVENT_READ for _, m in events) or (
                ctx is not None and sock.pending() > 0)
            writable = any(m & selectors.EVENT_WRITE for _, m in events)
            if readable:
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    data = None
                except ConnectionResetError:
                    outcome = "reset" if not buf else "response"
                    break
                except OSError as e:
                    outcome, detail = ("reset" if not buf else "response"), str(e)
                    break
                if data == b"":
                    outcome = "closed" if not buf else "response"
                    break
                if data:
                    buf += data
                    outcome = "response"
                    if stop_reading_at is None:
                        # stop sending; read what else comes for a moment
                        stop_reading_at = time.monotonic() + 1.0
                        sel.modify(sock, selectors.EVENT_READ)
            if writable and stop_reading_at is None:
                if sent >= limit_bytes:
                    outcome = "limit"
                    break
                try:
                    n = sock.send(pending)
                except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    n = 0
                except OSError as e:
                    outcome, detail = "send-error", f"{type(e).__name__}: {e}"
                    break
                sent += n
                if n == len(pending):
                    pending = chunk
                elif n:
                    pending = pending[n:]
        sel.close()
        if outcome in ("send-error", "reset") and not buf:
            # a response may still sit in our receive queue
            try:
                sock.setblocking(True)
                sock.settimeout(0.5)
                data = sock.recv(65536)
                if data:
                    buf += data
                    outcome = "response"
            except (OSError, ssl.SSLError):
                pass
    finally:
        abort_close(sock)
    elapsed = time.monotonic() - t0
    time.sleep(0.3)
    rss_after = proc_rss_kb(pid) if pid else None
    if rss_after is not None and (rss_max is None or rss_after > rss_max):
        rss_max = rss_after
    status_line = buf.split(b"\r\n", 1)[0].decode("latin-1")[:100] if buf else ""
    status = None
    parts = status_line.split(" ")
    if len(parts) >= 2 and parts[1].isdigit():
        status = int(parts[1])
    return FloodResult(sent, outcome, status, status_line, elapsed, rss_before, rss_max, rss_after, detail)


# --------------------------------------------------------------------------
# Concurrent one-shot requests


@dataclass
class BurstResult:
    status: int | None
    body: bytes
    latency: float | None  # send -> complete response
    error: str | None


def burst(port: int, n: int, request: bytes, timeout: float = 15.0) -> list[BurstResult]:
    """n connections, each sends `request` once (Connection: close) as soon as
    connected; all driven by one selector; returns per-request results."""
    sel = selectors.DefaultSelector()
    state = {}
    t_start = time.monotonic()
    results: list[BurstResult | None] = [None] * n
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER0)
        rc = s.connect_ex((LOOPBACK, port))
        if rc not in (0, errno.EINPROGRESS):
            results[i] = BurstResult(None, b"", None, f"connect: {os.strerror(rc)}")
            s.close()
            continue
        state[s] = {"i": i, "sent": None, "buf": b""}
        sel.register(s, selectors.EVENT_WRITE)
    deadline = t_start + timeout
    for _ in range(1_000_000):
        if not state or time.monotonic() >= deadline:
            break
        for key, mask in sel.select(timeout=0.05):
            s = key.fileobj
            st = state.get(s)
            if st is None:
                continue
            now = time.monotonic()
            done = None
            if st["sent"] is None:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    done = BurstResult(None, b"", None, f"connect: {os.strerror(err)}")
                else:
                    try:
                        s.sendall(request)
                        st["sent"] = now
                        sel.modify(s, selectors.EVENT_READ)
                    except OSError as e:
                        done = BurstResult(None, b"", None, f"send: {e}")
            else:
                try:
                    data = s.recv(262144)
                except BlockingIOError:
                    continue
                except OSError as e:
                    data = b""
                    if not st["buf"]:
                        done = BurstResult(None, b"", None, f"recv: {e}")
                if done is None:
                    st["buf"] += data
                    try:
                        r, _ = parse_response(st["buf"], closed=not data)
                    except ValueError as e:
                        r, done = None, BurstResult(None, st["buf"], None, str(e))
                    if r is not None:
                        done = BurstResult(r.status, r.body, now - st["sent"], None)
                    elif not data and done is None:
                        done = BurstResult(None, st["buf"], None, "closed before a full response")
            if done is not None:
                results[st["i"]] = done
                sel.unregister(s)
                s.close()
                del state[s]
    for s, st in state.items():
        results[st["i"]] = BurstResult(None, st["buf"], None, f"no response within {timeout:.0f} s")
        sel.unregister(s)
        s.close()
    sel.close()
    return [r for r in results if r is not None]
