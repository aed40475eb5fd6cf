"""End-to-end tests of ceems_exporter over HTTP against tests/fixtures.

Run: CEEMS_EXPORTER=<build>/src/apps/ceems_exporter/ceems_exporter \
     /usr/bin/python3 -m unittest -v tests/e2e/test_exporter_http.py
"""

from __future__ import annotations

import errno
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import E2ETestCase, fetch, filter_volatile, sample_lines, success_line  # noqa: E402

FULL_ARGS = ("--web.disable-exporter-metrics", "--collector.cray_pm_counters")
LIMIT_BODY = "Limit of concurrent requests reached (1), try again later.\n"


class ScrapeTest(E2ETestCase):
    def test_plain_scrape(self):
        exp = self.start_exporter()
        r = self.get_ok(exp.url())
        ctype = r.header("content-type", "")
        self.assertTrue(ctype.startswith("text/plain; version=0.0.4"), f"Content-Type {ctype!r}")
        for c in ("cpu", "meminfo", "rapl"):
            self.assertIn(success_line(c), r.text.splitlines())
        # cray_pm_counters is off by default
        self.assertNotIn('collector="cray_pm_counters"', r.text)
        self.assertIn('ceems_cpu_count{hostname=""} 8', r.text.splitlines())

    def test_golden_full_output(self):
        exp = self.start_exporter(*FULL_ARGS)
        r = self.get_ok(exp.url())
        self.assertLinesEqual(filter_volatile(r.text), self.golden("default-cray.txt"))
        # The dropped lines must exist (one duration per collector, one build info).
        durations = sample_lines(r.text, "ceems_scrape_collector_duration_seconds{")
        self.assertEqual(len(durations), 4, durations)
        build = sample_lines(r.text, "ceems_exporter_build_info{")
        self.assertEqual(len(build), 1, build)
        for label in ("branch", "goarch", "goos", "goversion", "revision", "tags", "version"):
            self.assertIn(f'{label}="', build[0])
        self.assertTrue(build[0].endswith("} 1"), build[0])

    def test_second_scrape_is_stable(self):
        exp = self.start_exporter(*FULL_ARGS)
        first = filter_volatile(self.get_ok(exp.url()).text)
        second = filter_volatile(self.get_ok(exp.url()).text)
        self.assertLinesEqual(second, first, "second scrape")

    def test_multiple_listen_addresses(self):
        second = harness.free_port()
        exp = self.start_exporter(f"--web.listen-address=127.0.0.1:{second}")
        harness.wait_for_port(second, proc=exp.proc)
        for port in (exp.port, second):
            r = self.get_ok(f"http://127.0.0.1:{port}/metrics")
            self.assertIn(success_line("cpu"), r.text.splitlines())

    def test_accept_text_plain(self):
        exp = self.start_exporter()
        r = self.get_ok(exp.url(), headers={"Accept": "text/plain"})
        self.assertTrue(r.header("content-type", "").startswith("text/plain; version=0.0.4"))

    def test_exporter_self_metrics(self):
        exp = self.start_exporter()
        self.get_ok(exp.url())
        text = self.get_ok(exp.url()).text
        lines = text.splitlines()
        for name in ("process_cpu_seconds_total", "process_open_fds", "process_max_fds",
                     "process_resident_memory_bytes", "process_start_time_seconds",
                     "promhttp_metric_handler_requests_in_flight"):
            self.assertTrue(any(l.startswith(name + " ") for l in lines), f"{name} missing")
        for code in ("200", "500", "503"):
            self.assertTrue(any(l.startswith(f'promhttp_metric_handler_requests_total{{code="{code}"}} ') for l in lines),
                            f"promhttp_metric_handler_requests_total{{code={code}}} missing")
        ok = [l for l in lines if l.startswith('promhttp_metric_handler_requests_total{code="200"} ')][0]
        self.assertGreaterEqual(float(ok.split()[-1]), 1.0, ok)
        self.assertFalse(any(l.startswith("go_") for l in lines), "go_* families should not be exported")

    def test_disable_exporter_metrics(self):
        exp = self.start_exporter("--web.disable-exporter-metrics")
        text = self.get_ok(exp.url()).text
        self.assertFalse(re.search(r"^(process_|promhttp_|go_)", text, re.M), "exporter self-metrics present")


class RoutesTest(E2ETestCase):
    def test_landing_page(self):
        exp = self.start_exporter()
        r = self.get_ok(exp.url("/"))
        self.assertTrue(r.header("content-type", "").startswith("text/html"), r.header("content-type"))
        self.assertIn("ceems_exporter", r.text)
        self.assertRegex(r.text, r"""href\s*=\s*["']?/metrics["'\s>]""")
        self.assertRegex(r.text, r"""href\s*=\s*["']?/alloy-targets["'\s>]""")

    def test_unknown_path_404(self):
        exp = self.start_exporter()
        for path in ("/does-not-exist", "/metrics/", "/metricsx", "/alloy-targets/x"):
            r = fetch(exp.url(path))
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.text.strip(), "404 page not found", path)

    def test_alloy_targets_empty(self):
        exp = self.start_exporter()
        r = self.get_ok(exp.url("/alloy-targets"))
        self.assertEqual(json.loads(r.text), [])

    def test_custom_telemetry_path(self):
        exp = self.start_exporter("--web.telemetry-path=/custom")
        r = self.get_ok(exp.url("/custom"))
        self.assertIn(success_line("cpu"), r.text.splitlines())
        self.assertEqual(fetch(exp.url("/metrics")).status, 404)
        landing = self.get_ok(exp.url("/"))
        self.assertRegex(landing.text, r"""href\s*=\s*["']?/custom["'\s>]""")

    def test_gzip(self):
        exp = self.start_exporter(*FULL_ARGS)
        r = self.get_ok(exp.url(), gzip=True)
        self.assertEqual(r.header("content-encoding"), "gzip")
        self.assertEqual(r.raw[:2], b"\x1f\x8b", "body is not gzip data")
        self.assertLinesEqual(filter_volatile(r.text), self.golden("default-cray.txt"), "gunzipped page")
        plain = self.get_ok(exp.url())
        self.assertIsNone(plain.header("content-encoding"), "gzip without Accept-Encoding")


class WebConfigTest(E2ETestCase):
    def _config_dir(self) -> str:
        d = os.path.join(self.tmp, "webcfg")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        return d

    def _write(self, path: str, text: str) -> str:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def test_tls(self):
        d = self._config_dir()
        cert, _ = harness.make_self_signed_cert(d)
        # relative paths: resolved against the config file's directory, not the cwd
        self._write(os.path.join(d, "web.yml"),
                    "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        # the config file itself given relative to the cwd (made absolute at start-up)
        exp = self.start_exporter("--web.config.file=webcfg/web.yml", scheme="https", cwd=self.tmp)
        ctx = harness.tls_context(cert)
        r = self.get_ok(exp.url(), context=ctx)
        self.assertIn(success_line("cpu"), r.text.splitlines())
        self.get_ok(exp.url("/alloy-targets"), context=ctx)
        failed, why = harness.http_connection_fails_or_not_ok(exp.url(scheme="http"))
        self.assertTrue(failed, f"plain HTTP to the TLS port succeeded: {why}")

    def test_tls_untrusted_client_rejects(self):
        # sanity check of the test itself: a context without the CA must fail
        d = self._config_dir()
        harness.make_self_signed_cert(d)
        cfg = self._write(os.path.join(d, "web.yml"),
                          "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        exp = self.start_exporter(f"--web.config.file={cfg}", scheme="https")
        with self.assertRaises((ssl.SSLError, OSError)):
            fetch(exp.url(), context=ssl.create_default_context(), timeout=5)

    def test_basic_auth(self):
        d = self._config_dir()
        h = harness.bcrypt_hash("alice", "s3cret-pass")
        cfg = self._write(os.path.join(d, "web.yml"), f'basic_auth_users:\n  alice: "{h}"\n')
        exp = self.start_exporter(f"--web.config.file={cfg}")
        r = self.get_ok(exp.url(), auth=("alice", "s3cret-pass"))
        self.assertIn(success_line("cpu"), r.text.splitlines())
        # twice: a cached successful pair must still work
        self.get_ok(exp.url(), auth=("alice", "s3cret-pass"))
        cases = {
            "wrong password": ("alice", "wrong"),
            "no credentials": None,
            "unknown user": ("mallory", "s3cret-pass"),
            "empty password": ("alice", ""),
        }
        for what, auth in cases.items():
            with self.subTest(what):
                r = fetch(exp.url(), auth=auth)
                self.assertEqual(r.status, 401, f"{what}: {r.text[:200]!r}")
                self.assertTrue((r.header("www-authenticate") or "").startswith("Basic"),
                                f"{what}: WWW-Authenticate = {r.header('www-authenticate')!r}")
                self.assertEqual(r.text.strip(), "Unauthorized")
                self.assertNotIn("ceems_", r.text)
        # every route is protected
        for path in ("/", "/alloy-targets"):
            with self.subTest(path):
                self.assertEqual(fetch(exp.url(path)).status, 401, path)
                self.assertEqual(fetch(exp.url(path), auth=("alice", "s3cret-pass")).status, 200, path)

    def test_exporter_toolkit_docs_form(self):
        """TLS plus one bcrypt user, written the way the exporter-toolkit docs
        show it (comments, unquoted hash)."""
        d = self._config_dir()
        cert, _ = harness.make_self_signed_cert(d)
        h = harness.bcrypt_hash("prometheus", "toolkit-pw")
        cfg = self._write(os.path.join(d, "web-config.yml"), (
            "# TLS and basic authentication for the exporter.\n"
            "tls_server_config:\n"
            "  # Certificate and key files for server to use to authenticate to client.\n"
            "  cert_file: server.crt\n"
            "  key_file: server.key\n"
            "\n"
            "# Usernames and hashed passwords that have full access to the web\n"
            "# server via basic authentication.\n"
            "basic_auth_users:\n"
            f"  prometheus: {h}\n"))
        exp = self.start_exporter(f"--web.config.file={cfg}", scheme="https")
        ctx = harness.tls_context(cert)
        r = self.get_ok(exp.url(), context=ctx, auth=("prometheus", "toolkit-pw"))
        self.assertIn(success_line("meminfo"), r.text.splitlines())
        r = fetch(exp.url(), context=ctx)
        self.assertEqual(r.status, 401)
        r = fetch(exp.url(), context=ctx, auth=("prometheus", "nope"))
        self.assertEqual(r.status, 401)

    def test_invalid_web_config_unknown_key(self):
        d = self._config_dir()
        cfg = self._write(os.path.join(d, "bad.yml"),
                          "basic_auth_users:\n  alice: \"$2y$10$abcdefghijklmnopqrstuu\"\nbogus_option_xyz: true\n")
        exp = self.start_exporter(f"--web.config.file={cfg}", wait=False)
        try:
            rc = exp.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.fail("exporter kept running with an invalid web config (expected non-zero exit)")
        self.assertNotEqual(rc, 0)
        self.assertIn("bogus_option_xyz", exp.stderr() + exp.stdout())


    def test_web_config_reread_per_request(self):
        d = self._config_dir()
        cfg = os.path.join(d, "web.yml")
        self._write(cfg, f'basic_auth_users:\n  alice: "{harness.bcrypt_hash("alice", "pw-one")}"\n')
        exp = self.start_exporter(f"--web.config.file={cfg}")
        self.get_ok(exp.url(), auth=("alice", "pw-one"))
        # rewritten in place: the next request uses the new users
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(f'basic_auth_users:\n  bob: "{harness.bcrypt_hash("bob", "pw-two")}"\n')
        self.assertEqual(fetch(exp.url(), auth=("alice", "pw-one")).status, 401)
        self.get_ok(exp.url(), auth=("bob", "pw-two"))
        # a file that no longer parses: 500 for the request, the process lives on
        with open(cfg, "w", encoding="utf-8") as f:
            f.write("basic_auth_users: [unterminated\n")
        self.assertEqual(fetch(exp.url(), auth=("bob", "pw-two")).status, 500)
        self.assertIsNone(exp.proc.poll(), "exporter died after the web config became invalid")

    def test_web_config_from_environment(self):
        d = self._config_dir()
        cfg = self._write(os.path.join(d, "web.yml"),
                          f'basic_auth_users:\n  carol: "{harness.bcrypt_hash("carol", "env-pw")}"\n')
        exp = self.start_exporter(env=harness.clean_env({"CEEMS_EXPORTER_WEB_CONFIG_FILE": cfg}))
        self.assertEqual(fetch(exp.url()).status, 401)
        self.get_ok(exp.url(), auth=("carol", "env-pw"))

    def test_response_headers(self):
        d = self._config_dir()
        cfg = self._write(os.path.join(d, "web.yml"),
                          "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
                          "    X-Content-Type-Options: nosniff\n")
        exp = self.start_exporter(f"--web.config.file={cfg}")
        for path in ("/metrics", "/", "/alloy-targets"):
            with self.subTest(path):
                r = self.get_ok(exp.url(path))
                self.assertEqual((r.header("x-frame-options") or "").lower(), "deny")
                self.assertEqual(r.header("x-content-type-options"), "nosniff")


class ConcurrencyLimitTest(E2ETestCase):
    """--web.max-requests=1: /proc/stat is a FIFO so the cpu collector blocks
    on read until the test writes it; a second scrape meanwhile gets 503."""

    def _open_writer(self, fifo: str, timeout: float = 10.0) -> int:
        """Opens the FIFO for writing once a reader (the exporter) has it open."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
                time.sleep(0.02)
        self.fail("the exporter never opened the /proc/stat FIFO")

    def _scrape_in_thread(self, url: str) -> tuple[threading.Thread, dict]:
        result: dict = {}

        def run():
            try:
                result["resp"] = fetch(url, timeout=20)
            except Exception as e:  # noqa: BLE001 - reported by the test
                result["error"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, result

    def test_max_requests_503(self):
        stat_path = os.path.join(self.procfs, "stat")
        with open(stat_path, "rb") as f:
            stat_data = f.read()
        os.unlink(stat_path)
        os.mkfifo(stat_path)
        os.chmod(stat_path, 0o666)
        exp = self.start_exporter("--collector.disable-defaults", "--collector.cpu", "--web.max-requests=1",
                                  "--web.disable-exporter-metrics")
        for round_ in range(2):  # the second round shows the slot is released
            with self.subTest(round=round_):
                t, res = self._scrape_in_thread(exp.url())
                fd = self._open_writer(stat_path)
                try:
                    second = fetch(exp.url(), timeout=5)
                    self.assertEqual(second.status, 503, second.text[:300])
                    self.assertEqual(second.text, LIMIT_BODY)
                    # the targets endpoint has its own counter
                    targets = fetch(exp.url("/alloy-targets"), timeout=5)
                    self.assertEqual(targets.status, 200)
                    os.set_blocking(fd, True)
                    os.write(fd, stat_data)
                finally:
                    os.close(fd)
                t.join(20)
                self.assertFalse(t.is_alive(), "blocked scrape did not finish")
                self.assertNotIn("error", res, res.get("error"))
                first = res["resp"]
                self.assertEqual(first.status, 200)
                self.assertIn(success_line("cpu"), first.text.splitlines())
                self.assertIn('ceems_cpu_seconds_total{hostname="",mode="user"} 47056.23', first.text.splitlines())


class LifecycleTest(E2ETestCase):
    def test_sigterm_exits_zero(self):
        exp = self.start_exporter()
        self.get_ok(exp.url())
        t0 = time.monotonic()
        rc = exp.terminate(timeout=6)
        self.assertIsNotNone(rc, "exporter did not exit within 6 s of SIGTERM")
        self.assertEqual(rc, 0, f"exit status after SIGTERM; stderr:\n{exp.stderr()[-2000:]}")
        self.assertLess(time.monotonic() - t0, 6)

    def test_log_format_json(self):
        exp = self.start_exporter("--log.format=json")
        self.get_ok(exp.url())
        exp.terminate()
        lines = [l for l in exp.stderr().splitlines() if l.strip()]
        self.assertTrue(lines, "no log output at all")
        for l in lines:
            try:
                obj = json.loads(l)
            except ValueError:
                self.fail(f"stderr line is not JSON: {l!r}")
            self.assertIsInstance(obj, dict, l)
        self.assertTrue(any("level" in json.loads(l) for l in lines), "no 'level' key in any log line")


class CliTest(E2ETestCase):
    def test_unknown_flag(self):
        r = self.run_exporter_cli("--no-such-flag-xyz")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("unknown long flag", r.stdout + r.stderr)

    def test_no_prefix_on_non_boolean_flag(self):
        r = self.run_exporter_cli("--no-web.telemetry-path")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("unknown long flag", r.stdout + r.stderr)

    def test_repeated_flag(self):
        r = self.run_exporter_cli("--web.telemetry-path=/a", "--web.telemetry-path=/b")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("cannot be repeated", r.stdout + r.stderr)

    def test_bool_equals_false_rejected(self):
        r = self.run_exporter_cli("--collector.cpu=false")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)

    def test_help(self):
        r = self.run_exporter_cli("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout + r.stderr
        # kingpin v2 shows boolean flags as --[no-]name
        for flag in ("web.listen-address", "web.telemetry-path", "web.config.file", "collector.rapl",
                     "collector.cray_pm_counters", "collector.meminfo.all-stats", "log.format"):
            self.assertRegex(out, rf"--(\[no-\])?{re.escape(flag)}[\s=]")
        # hidden flags are not listed
        for flag in ("collector.empty-hostname-label", "path.procfs", "collector.meminfo.all.stats",
                     "security.drop-privileges"):
            self.assertNotRegex(out, rf"--(\[no-\])?{re.escape(flag)}[\s=]")

    def test_short_help(self):
        r = self.run_exporter_cli("-h")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--web.listen-address", r.stdout + r.stderr)

    def test_version(self):
        r = self.run_exporter_cli("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ceems_exporter, version", r.stdout + r.stderr)


class CollectorSelectionTest(E2ETestCase):
    def test_no_collector_rapl(self):
        exp = self.start_exporter("--no-collector.rapl")
        text = self.get_ok(exp.url()).text
        self.assertNotIn('ceems_scrape_collector_success{collector="rapl"}', text)
        self.assertNotIn("ceems_rapl_", text)
        self.assertIn(success_line("cpu"), text.splitlines())
        self.assertIn(success_line("meminfo"), text.splitlines())

    def test_disable_defaults_meminfo_only(self):
        exp = self.start_exporter("--collector.disable-defaults", "--collector.meminfo")
        text = self.get_ok(exp.url()).text
        successes = sample_lines(text, "ceems_scrape_collector_success{")
        self.assertEqual(successes, [success_line("meminfo")])
        self.assertFalse(re.search(r"^ceems_(cpu|rapl|cray)_", text, re.M), "other collectors' metrics present")
        self.assertIn('ceems_meminfo_MemTotal_bytes{hostname=""} 6.7423449088e+10', text.splitlines())

    def test_meminfo_all_stats_deprecated_alias(self):
        exp = self.start_exporter("--collector.disable-defaults", "--collector.meminfo",
                                  "--collector.meminfo.all.stats")
        text = self.get_ok(exp.url()).text
        fams = [f for f in harness.family_names(text) if f.startswith("ceems_meminfo_")]
        self.assertGreater(len(fams), 3, fams)
        lines = text.splitlines()
        self.assertIn('ceems_meminfo_Active_anon_bytes{hostname=""} 4.424704e+09', lines)
        self.assertIn('ceems_meminfo_HugePages_Total{hostname=""} 0', lines)
        self.assertIn("# HELP ceems_meminfo_Hugepagesize_bytes Memory information field Hugepagesize_bytes.", lines)
        self.assertIn(success_line("meminfo"), lines)
        self.assertIn("deprecated", exp.stderr())

    def test_meminfo_all_stats(self):
        exp = self.start_exporter("--collector.disable-defaults", "--collector.meminfo",
                                  "--collector.meminfo.all-stats")
        text = self.get_ok(exp.url()).text
        fams = [f for f in harness.family_names(text) if f.startswith("ceems_meminfo_")]
        self.assertEqual(len(fams), 42, fams)  # one per line of the fixture meminfo

    def test_rapl_zone_label(self):
        exp = self.start_exporter("--collector.disable-defaults", "--collector.rapl",
                                  "--collector.rapl.enable-zone-label")
        lines = self.get_ok(exp.url()).text.splitlines()
        p = self.sysfs + "/class/powercap/"
        self.assertIn(f'ceems_rapl_joules_total{{hostname="",index="1",path="{p}intel-rapl:1",rapl_zone="package"}} '
                      "41027.364519", lines)
        self.assertIn(f'ceems_rapl_power_limit_watts_total{{hostname="",index="0",path="{p}intel-rapl:0:0",'
                      'rapl_zone="dram"} 0', lines)
        self.assertIn("# HELP ceems_rapl_power_limit_watts_total Current RAPL power Limit value in watts", lines)

    def test_missing_procfs_file_fails_collector_only(self):
        os.unlink(os.path.join(self.procfs, "meminfo"))
        exp = self.start_exporter()
        lines = self.get_ok(exp.url()).text.splitlines()
        self.assertIn('ceems_scrape_collector_success{collector="meminfo"} 0', lines)
        self.assertIn(success_line("cpu"), lines)


class PromtoolTest(E2ETestCase):
    # Metric names fixed by the spec trip two promtool lint rules: the
    # meminfo families are named after the kernel keys (camelCase) and the cpu
    # collector has ceems_cpu_count / ceems_cpu_per_core_count. Exactly these
    # messages are tolerated; anything else fails the test.
    ALLOWED = re.compile(
        r"^(ceems_meminfo_\w+ metric names should be written in 'snake_case' not 'camelCase'"
        r'|ceems_cpu(_per_core)?_count non-histogram and non-summary metrics should not have "_count" suffix)$')

    def _promtool(self, text: str) -> subprocess.CompletedProcess:
        promtool = harness.require_tool("promtool", "/usr/bin/promtool")
        return subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)

    def test_promtool_clean_collectors(self):
        """Exporter self-metrics, build info, scrape metrics, rapl and
        cray_pm_counters: promtool must print nothing and exit 0."""
        exp = self.start_exporter("--collector.disable-defaults", "--collector.rapl", "--collector.cray_pm_counters")
        self.get_ok(exp.url())
        text = self.get_ok(exp.url()).text
        self.assertIn("promhttp_metric_handler_requests_total", text)
        r = self._promtool(text)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""), "promtool check metrics complained")

    def test_promtool_full_page(self):
        exp = self.start_exporter("--collector.cray_pm_counters", "--collector.meminfo.all-stats")
        self.get_ok(exp.url())
        text = self.get_ok(exp.url()).text
        r = self._promtool(text)
        out = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        unexpected = [l for l in out if not self.ALLOWED.match(l)]
        self.assertEqual(unexpected, [], "promtool check metrics reported problems")
        self.assertIn(r.returncode, (0, 3) if out else (0,), r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
