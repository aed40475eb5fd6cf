"""Shared helpers for the end-to-end tests of ceems_exporter.

Standard library only; run with /usr/bin/python3 -m unittest.

Environment:
  CEEMS_EXPORTER  path of the ceems_exporter binary under test (set by ctest).
                  Without it, <repo>/build/src/apps/ceems_exporter/ceems_exporter
                  is tried and the tests are skipped when that does not exist.
  CEEMS_FIXTURES  fixture root (default: tests/fixtures next to this file).

Every server binds 127.0.0.1 only; every subprocess has a timeout; every
process started here runs in its own process group which is killed in the
test's cleanup, also when the test fails.
"""

from __future__ import annotations

import base64
import errno
import gzip as gzip_mod
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))

# Lines dropped before comparing with a golden file: only the *samples* of
# these families, their HELP/TYPE lines stay.
VOLATILE_SAMPLE_RE = re.compile(r"^(ceems_exporter_build_info|ceems_scrape_collector_duration_seconds)[{ ]")

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 6.0
HTTP_TIMEOUT_S = 10.0


def program_path(env_var: str, build_path: str, what: str) -> str:
    """A program under test: $env_var (set by ctest), else <repo>/build/<build_path>;
    skips the calling test when neither exists."""
    path = os.environ.get(env_var)
    if path:
        if not os.access(path, os.X_OK):
            raise AssertionError(f"{env_var}={path} is not an executable file")
        return path
    default = os.path.join(REPO_ROOT, "build", build_path)
    if os.access(default, os.X_OK):
        return default
    raise unittest.SkipTest(f"{what} not built (set {env_var}; tried {default})")


def exporter_path() -> str:
    return program_path("CEEMS_EXPORTER", os.path.join("src", "apps", "ceems_exporter", "ceems_exporter"),
                        "ceems_exporter")


def proxy_path() -> str:
    return program_path("CEEMS_REDFISH_PROXY", os.path.join("src", "apps", "redfish_proxy", "redfish_proxy"),
                        "redfish_proxy")


def fixtures_root() -> str:
    return os.path.abspath(os.environ.get("CEEMS_FIXTURES") or os.path.join(os.path.dirname(HERE), "fixtures"))


def require_tool(name: str, path: str | None = None) -> str:
    """Absolute path of an external tool, or skip the test with a clear reason."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if not found:
        raise unittest.SkipTest(f"external tool '{name}' not found (needed by this test)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = START_TIMEOUT_S, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with status {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout:.0f} s")


def make_world_readable(root: str) -> None:
    """The exporter drops to `nobody` when started as root: it must still be
    able to read everything the test hands it (fixtures, web config, certs)."""
    os.chmod(root, 0o755)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
        for f in filenames:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o444)


def clean_env(extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CEEMS_", "REDFISH_"))}
    env["LC_ALL"] = "C"
    env["TZ"] = "UTC"
    if extra:
        env.update(extra)
    return env


def kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------
# Fixture files


def write_file(path: str, content: str | bytes) -> None:
    """Writes a fixture file (text, or raw bytes for corrupted files), creating its directories."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(content, bytes) else "w") as f:
        f.write(content)


def nvidia_whole_gpu_xml(bus_id: str, uuid: str) -> str:
    """One <gpu> element of `nvidia-smi -q -x` for a GPU without MIG."""
    return f"""  <gpu id="{bus_id}">
    <product_name>Test GPU</product_name>
    <uuid>{uuid}</uuid>
    <mig_mode><current_mig>Disabled</current_mig></mig_mode>
    <mig_devices>None</mig_devices>
  </gpu>
"""


# --------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    status: int
    headers: dict  # lower-case name -> value
    raw: bytes  # body as received (possibly gzip)
    body: bytes = field(default=b"")  # decoded body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # pragma: no cover - trivial
        return None


def fetch(url: str, *, context: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None,
          gzip: bool = False, headers: dict | None = None, timeout: float = HTTP_TIMEOUT_S,
          method: str = "GET") -> Response:
    """One request; HTTP error statuses are returned, not raised. Transport
    errors (refused, reset, TLS failure) raise as usual."""
    req = urllib.request.Request(url, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if gzip:
        req.add_header("Accept-Encoding", "gzip")
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    handlers = [_NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as resp:
            status, hdrs, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, raw = e.code, e.headers, e.read()
    hmap = {k.lower(): v for k, v in hdrs.items()}
    body = raw
    if hmap.get("content-encoding", "").lower() == "gzip":
        body = gzip_mod.decompress(raw)
    return Response(status, hmap, raw, body)


def tls_context(cafile: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


# --------------------------------------------------------------------------
# Exposition helpers


def filter_volatile(text: str) -> list[str]:
    return [l for l in text.splitlines() if l and not VOLATILE_SAMPLE_RE.match(l)]


def sample_lines(text: str, prefix: str) -> list[str]:
    return [l for l in text.splitlines() if l.startswith(prefix) and not l.startswith("#")]


def family_names(text: str) -> list[str]:
    return [l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")]


def success_line(collector: str) -> str:
    return f'ceems_scrape_collector_success{{collector="{collector}"}} 1'


# --------------------------------------------------------------------------
# External tools


def make_self_signed_cert(directory: str, name: str = "server") -> tuple[str, str]:
    """Self-signed certificate for localhost / 127.0.0.1 via the openssl CLI.
    Returns (cert_path, key_path)."""
    openssl = require_tool("openssl")
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    cmd = [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
           "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
           "-keyout", key, "-out", cert]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError(f"openssl failed ({res.returncode}): {res.stderr}")
    os.chmod(cert, 0o644)
    os.chmod(key, 0o644)  # test key; the exporter may run as nobody
    return cert, key


def bcrypt_hash(user: str, password: str) -> str:
    """bcrypt hash ($2y$, cost 10) from `htpasswd -nbBC 10` (apache2-utils)."""
    htpasswd = require_tool("htpasswd")
    res = subprocess.run([htpasswd, "-nbBC", "10", user, password], capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError(f"htpasswd failed ({res.returncode}): {res.stderr}")
    line = res.stdout.strip().splitlines()[0]
    u, _, h = line.partition(":")
    assert u == user and h.startswith("$2"), line
    return h


# --------------------------------------------------------------------------
# Processes


class Exporter:
    """A running ceems_exporter."""

    def __init__(self, proc: subprocess.Popen, port: int, scheme: str, log_path: str, out_path: str):
        self.proc = proc
        self.port = port
        self.scheme = scheme
        self.log_path = log_path
        self.out_path = out_path

    def url(self, path: str = "/metrics", scheme: str | None = None) -> str:
        return f"{scheme or self.scheme}://127.0.0.1:{self.port}{path}"

    def stderr(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def stdout(self) -> str:
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", errors="replace")

    def terminate(self, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """SIGTERM to the exporter itself; returns its exit status or None on timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        kill_group(self.proc)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class E2ETestCase(unittest.TestCase):
    """Base class: a fresh world-readable temp dir with a copy of the fixtures,
    process bookkeeping and cleanup."""

    maxDiff = None

    def setUp(self) -> None:
        self.exe = exporter_path()
        self.tmp = tempfile.mkdtemp(prefix="ceems-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.fixtures = os.path.join(self.tmp, "fixtures")
        src = fixtures_root()
        shutil.copytree(src, self.fixtures, symlinks=True, ignore=shutil.ignore_patterns("expected"))
        make_world_readable(self.tmp)
        self.procfs = os.path.join(self.fixtures, "proc")
        self.sysfs = os.path.join(self.fixtures, "sys")
        self.cgroupfs = os.path.join(self.sysfs, "fs", "cgroup")
        os.makedirs(self.cgroupfs, exist_ok=True)
        self.expected_dir = os.path.join(src, "expected")

    # -- processes --------------------------------------------------------

    def fixture_args(self) -> list[str]:
        return [f"--path.procfs={self.procfs}", f"--path.sysfs={self.sysfs}", f"--path.cgroupfs={self.cgroupfs}",
                "--collector.empty-hostname-label"]

    def popen(self, argv: list[str], *, env: dict | None = None, cwd: str | None = None,
              name: str = "proc") -> tuple[subprocess.Popen, str, str]:
        out_path = os.path.join(self.tmp, f"{name}-{len(os.listdir(self.tmp))}.out")
        log_path = out_path[:-4] + ".err"
        out = open(out_path, "wb")
        err = open(log_path, "wb")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env or clean_env(),
                                    cwd=cwd or self.tmp, start_new_session=True)
        finally:
            out.close()
            err.close()
        self.addCleanup(self._reap, proc)
        return proc, out_path, log_path

    @staticmethod
    def _reap(proc: subprocess.Popen) -> None:
        kill_group(proc)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def start_exporter(self, *args: str, fixtures: bool = True, scheme: str = "http", wait: bool = True,
                       cwd: str | None = None, env: dict | None = None) -> Exporter:
        port = free_port()
        argv = [self.exe, f"--web.listen-address=127.0.0.1:{port}"]
        if fixtures:
            argv += self.fixture_args()
        argv += list(args)
        proc, out_path, log_path = self.popen(argv, env=env, cwd=cwd, name="exporter")
        exp = Exporter(proc, port, scheme, log_path, out_path)
        if wait:
            try:
                wait_for_port(port, proc=proc)
            except AssertionError as e:
                raise AssertionError(f"{e}\ncommand: {argv}\nstderr:\n{exp.stderr()[-4000:]}") from None
        return exp

    def run_exporter_cli(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess:
        """Runs the binary to completion (for --help, --version, parse errors)."""
        return subprocess.run([self.exe, *args], capture_output=True, text=True, timeout=timeout, env=clean_env(),
                              cwd=self.tmp, stdin=subprocess.DEVNULL, start_new_session=True)

    # -- assertions -------------------------------------------------------

    def get_ok(self, url: str, **kw) -> Response:
        r = fetch(url, **kw)
        self.assertEqual(r.status, 200, f"GET {url}: status {r.status}, body {r.text[:500]!r}")
        return r

    def golden(self, name: str, sysfs: str | None = None) -> list[str]:
        with open(os.path.join(self.expected_dir, name), encoding="utf-8") as f:
            text = f.read().replace("@SYSFS@", sysfs or self.sysfs)
        return [l for l in text.splitlines() if l]

    def assertLinesEqual(self, actual: list[str], expected: list[str], what: str = "output") -> None:
        if actual != expected:
            import difflib
            diff = "\n".join(difflib.unified_diff(expected, actual, "expected", "actual", lineterm=""))
            self.fail(f"{what} differs from golden:\n{diff}")


def errno_name(e: OSError) -> str:
    return errno.errorcode.get(e.errno or 0, str(e.errno))


def http_connection_fails_or_not_ok(url: str) -> tuple[bool, str]:
    """True when a request to url does not yield a 200 (transport error or non-200)."""
    try:
        r = fetch(url, timeout=5)
    except (OSError, http.client.HTTPException) as e:
        return True, f"{type(e).__name__}: {e}"
    return r.status != 200, f"status {r.status} body {r.text[:200]!r}"
