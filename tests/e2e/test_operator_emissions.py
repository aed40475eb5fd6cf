"""The emissions collector on a node whose APIs cannot be reached.

An unreachable provider must not keep the exporter from starting or serving: the
others are served, the failure is logged once per episode, and only configuration
errors (missing or malformed Electricity Maps token) stop the start-up.

The APIs are pointed at local sockets through the exporter's test hooks:
__EMAPS_BASE_URL (the Electricity Maps zone list) and __RTE_URL (the RTE records URL).
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import unittest

from harness import E2ETestCase, clean_env, sample_lines, success_line

TOKEN = "e2e-secret-token-4711"
OWID_FR = ('ceems_emissions_gCo2_kWh{country="France",country_code="FR",provider="owid",'
           'provider_name="OWID"} 56.03859')


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers; counts them. The accept
    loop polls a stop flag, so the thread ends by itself once the test is over."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.held.append(conn)

    def connections(self) -> int:
        with self.lock:
            return len(self.held)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=2)
        with self.lock:
            for c in self.held:
                c.close()
        self.sock.close()


def refused_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_lines(text: str, level: str, needle: str) -> list[str]:
    return [l for l in text.splitlines() if f"level={level} " in l and needle in l]


class EmissionsOfflineTest(E2ETestCase):

    def env(self, extra: dict | None = None) -> dict:
        extra = extra or {}
        env = clean_env(dict(extra))
        for name in ("EMAPS_API_TOKEN", "__EMAPS_BASE_URL", "__RTE_URL"):
            if name not in extra:
                env.pop(name, None)
        return env

    def wait_for_log(self, exp, level: str, needle: str, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = log_lines(exp.stderr(), level, needle)
            if found:
                return found
            time.sleep(0.1)
        self.fail(f"no {level} line with {needle!r} within {timeout} s:\n{exp.stderr()[-3000:]}")

    def test_silent_electricity_maps_does_not_delay_start_up(self):
        silent = SilentServer()
        self.addCleanup(silent.close)
        env = self.env({"EMAPS_API_TOKEN": TOKEN, "__EMAPS_BASE_URL": f"http://127.0.0.1:{silent.port}/v3",
                        "__RTE_URL": f"http://127.0.0.1:{refused_port()}/records"})
        start = time.monotonic()
        exp = self.start_exporter("--collector.emissions", env=env)
        first = self.get_ok(exp.url(), timeout=5)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 2.0, f"first /metrics answered after {elapsed:.2f} s")
        self.assertIn(OWID_FR, first.text)
        self.assertIn('ceems_emissions_gCo2_kWh{country="World",country_code="ZZ",provider="global"', first.text)
        self.assertEqual(sample_lines(first.text, 'ceems_emissions_gCo2_kWh{country="France",country_code="FR",'
                                                  'provider="emaps"'), [])
        self.assertNotIn('provider="emaps"', first.text)
        self.assertIn(success_line("emissions"), first.text)

        # The zone request is in the background: later scrapes do not wait for it either
        # and do not start a second one.
        for _ in range(2):
            t = time.monotonic()
            r = self.get_ok(exp.url(), timeout=5)
            self.assertLess(time.monotonic() - t, 0.5, "only the scrape that started the request waits")
            self.assertIn(OWID_FR, r.text)
            self.assertNotIn('provider="emaps"', r.text)
        self.assertEqual(silent.connections(), 1)

        # The request ends by its 5 s timeout: one WARN naming the provider and the error.
        warns = self.wait_for_log(exp, "WARN", "Failed to fetch Electricity Maps zones", timeout=10)
        self.assertEqual(len(warns), 1, warns)
        self.assertIn("provider=emaps", warns[0])
        self.assertIn(f"http://127.0.0.1:{silent.port}/v3/zones", warns[0])
        self.assertIn("retry_in=60s", warns[0])
        r = self.get_ok(exp.url(), timeout=5)
        self.assertIn(OWID_FR, r.text)
        self.assertIn(success_line("emissions"), r.text)
        self.assertEqual(silent.connections(), 1, "no new attempt before the retry delay")
        log = exp.stderr()
        self.assertNotIn(TOKEN, log)
        self.assertEqual(log_lines(log, "ERROR", "emissions"), [])
        self.assertEqual(exp.terminate(), 0)

    def test_refused_rte_logs_one_warning(self):
        port = refused_port()
        env = self.env({"__RTE_URL": f"http://127.0.0.1:{port}/records"})
        exp = self.start_exporter("--collector.emissions", "--collector.emissions.provider=owid",
                                  "--collector.emissions.provider=rte", "--log.level=debug", env=env)
        for _ in range(4):
            r = self.get_ok(exp.url(), timeout=10)
            self.assertIn(OWID_FR, r.text)
            self.assertNotIn('provider="rte"', r.text)
            self.assertIn(success_line("emissions"), r.text)
        log = exp.stderr()
        rte_warns = log_lines(log, "WARN", "provider=rte")
        self.assertEqual(len(rte_warns), 1, "\n".join(rte_warns))
        warn = rte_warns[0]
        self.assertIn('msg="Failed to retrieve emission factor from RTE provider"', warn)
        self.assertIn(f"GET http://127.0.0.1:{port}/records:", warn)
        self.assertNotIn("?", warn.split("err=", 1)[1], "the URL is logged without its query")
        self.assertIn("retry_in=60s", warn)
        self.assertEqual(log_lines(log, "ERROR", "provider=rte"), [])
        # Every scrape still reports the provider's absence, at DEBUG.
        debug = log_lines(log, "DEBUG", 'msg="Failed to fetch emission factor" collector=emissions provider=rte')
        self.assertEqual(len(debug), 4, log[-3000:])
        self.assertEqual(exp.terminate(), 0)

    def run_to_exit(self, *args: str, env: dict) -> subprocess.CompletedProcess:
        return subprocess.run([self.exe, f"--web.listen-address=127.0.0.1:{refused_port()}", *self.fixture_args(),
                               *args], capture_output=True, text=True, timeout=10, env=env, cwd=self.tmp,
                              stdin=subprocess.DEVNULL, start_new_session=True)

    def test_token_configuration_errors_still_stop_start_up(self):
        missing = self.run_to_exit("--collector.emissions", env=self.env())
        self.assertEqual(missing.returncode, 1, missing.stderr)
        self.assertIn("api token missing for Electricity Maps", missing.stderr)

        malformed = self.run_to_exit("--collector.emissions", env=self.env({"EMAPS_API_TOKEN": "zq7k9\r"}))
        self.assertEqual(malformed.returncode, 1, malformed.stderr)
        self.assertIn("malformed Electricity Maps API token in EMAPS_API_TOKEN", malformed.stderr)
        self.assertNotIn("zq7k9", malformed.stderr)

        # Naming the providers leaves Electricity Maps out: no token needed.
        start = time.monotonic()
        exp = self.start_exporter("--collector.emissions", "--collector.emissions.provider=owid",
                                  env=self.env())
        r = self.get_ok(exp.url(), timeout=5)
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertIn(OWID_FR, r.text)
        self.assertEqual(exp.terminate(), 0)


if __name__ == "__main__":
    unittest.main()
