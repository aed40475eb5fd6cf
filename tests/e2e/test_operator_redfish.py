"""End-to-end tests of what an operator sees when a Redfish config is wrong, and of a
redfish_proxy that cannot reach the BMC: the real ceems_exporter, redfish_proxy and
Redfish mock server binaries on 127.0.0.1.

Environment (besides harness.py's CEEMS_EXPORTER):
  CEEMS_REDFISH_PROXY        redfish_proxy binary
                             (default <repo>/build/src/apps/redfish_proxy/redfish_proxy)
  CEEMS_REDFISH_MOCK_SERVER  Redfish mock server binary
                             (default <repo>/build/src/redfish/redfish_mock_server)
A test that needs a binary that cannot be found is skipped.

Run: CEEMS_EXPORTER=<build>/src/apps/ceems_exporter/ceems_exporter \
     /usr/bin/python3 -m unittest -v tests/e2e/test_operator_redfish.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import E2ETestCase, clean_env, fetch, free_port, wait_for_port  # noqa: E402


# Start-up of a collector that cannot reach its BMC is bounded by the collector's
# request timeout (5 s) and start-up budget (30 s); generous, but finite.
EXIT_TIMEOUT_S = 40

# The operator guide's first sample file, comments included (with the local mock
# standing in for `redfish-proxy:5000`, which is the only line changed).
SEED_DIRECT = """---
redfish_web_config:
  # Protocol of Redfish API server. Possible values are http, https
  #
  protocol: https

  # Hostname of the Redfish API server. The hostname can accept
  # a `{hostname}` placeholder which will be replaced by the current hostname
  # at runtime.
  #
  hostname: compute-0-bmc

  # Port to which Redfish API server binds to.
  #
  port: 443

  # External URL at which all Redfish API servers of the cluster are reachable.
  #
  external_url: http://redfish-proxy:5000

  # Username that has enough privileges to query for chassis power data.
  #
  username: admin

  # Password corresponding to the username provided above.
  #
  password: supersecret

  # If TLS is enabled on Redfish server or Redfish Proxy server
  # with self signed certificates, set it to true to skip TLS
  # certificate verification.
  #
  insecure_skip_verify: true

  # If this is set to `true`, a session token will be request with provided username
  # and password once and all the subsequent requests will use that token for auth.
  #
  use_session_token: true
"""

# The guide's second sample: the collector behind redfish_proxy on mgmt-0.
SEED_BEHIND_PROXY = """redfish_web_config:
  # Redfish API server config
  protocol: http
  hostname: '{hostname}-bmc'
  port: 5000
  # Redfish proxy is running on mgmt-0 at port 5000
  external_url: http://mgmt-0:5000
  # Redfish proxy will pass these credentials transparently
  # to the target Redfish API server
  username: admin
  password: supersecret
  insecure_skip_verify: true
  use_session_token: true
"""

# The guide's redfish_proxy sample.
SEED_PROXY_CONFIG = """---
# Conifguration file for redfish_proxy app
redfish_config:
  # This section must provide web configuration of
  # Redfish API server.
  #
  web:
    # If Redfish API servers are running with TLS enabled
    # and using self signed certificates, set `insecure_skip_verify`
    # to `true` to skip TLS certifcate verification
    #
    insecure_skip_verify: false
"""

MOCK_PASSWORD = "supersecret"


class OperatorRedfishTest(E2ETestCase):
    # -- helpers ------------------------------------------------------------

    def write(self, name: str, text: str) -> str:
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def run_to_exit(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S, env=clean_env(),
                              cwd=self.tmp, stdin=subprocess.DEVNULL, start_new_session=True)

    def exporter_with_redfish(self, config_path: str) -> subprocess.CompletedProcess:
        return self.run_to_exit([self.exe, f"--web.listen-address=127.0.0.1:{free_port()}", *self.fixture_args(),
                                 "--collector.disable-defaults", "--collector.redfish",
                                 f"--collector.redfish.web-config={config_path}"])

    def proxy_exe(self) -> str:
        return harness.proxy_path()

    def start_mock(self, tls: bool = False) -> str:
        """Starts the Redfish mock (admin / MOCK_PASSWORD); returns its base URL."""
        mock = harness.program_path("CEEMS_REDFISH_MOCK_SERVER", os.path.join("src", "redfish", "redfish_mock_server"),
                                   "redfish_mock_server")
        argv = [mock, "--seconds", "60", "--user", "admin", "--password", MOCK_PASSWORD]
        if tls:
            cert, key = harness.make_self_signed_cert(self.tmp, "bmc")
            argv += ["--tls", cert, key]
        proc, out_path, err_path = self.popen(argv, name="mock")
        deadline = time.monotonic() + harness.START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(out_path, encoding="utf-8") as f:
                line = f.readline()
            if line.endswith("\n"):
                return line.strip()
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(err_path, encoding="utf-8", errors="replace") as f:
            raise AssertionError(f"redfish mock server did not start: {f.read()[-2000:]}")

    def start_proxy(self, config_path: str | None = None) -> int:
        port = free_port()
        argv = [self.proxy_exe(), f"--web.listen-address=127.0.0.1:{port}"]
        if config_path:
            argv.append(f"--config.file={config_path}")
        proc, _, err_path = self.popen(argv, name="proxy")
        try:
            wait_for_port(port, proc=proc)
        except AssertionError as e:
            with open(err_path, encoding="utf-8", errors="replace") as f:
                raise AssertionError(f"{e}\nredfish_proxy stderr:\n{f.read()[-2000:]}") from None
        return port

    # -- exporter: --collector.redfish.web-config ------------------------------

    def test_misspelt_key_exits_1_naming_file_line_and_key(self):
        path = self.write("redfish.yml", "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n"
                                         "  username: admin\n  password: Sup3rS3cr3t\n  use_sesion_token: true\n")
        res = self.exporter_with_redfish(path)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"{path}: line 7, column 3: unknown key", res.stderr)
        self.assertIn("use_sesion_token", res.stderr)
        self.assertIn("valid keys: protocol, hostname, port", res.stderr)
        self.assertNotIn("Sup3rS3cr3t", res.stderr + res.stdout)

    def test_proxy_section_name_in_exporter_config_exits_1(self):
        path = self.write("redfish.yml", "redfish_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n")
        res = self.exporter_with_redfish(path)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"{path}: line 1, column 1: unknown top-level key", res.stderr)
        self.assertIn("redfish_config is the top-level key of redfish_proxy's config file", res.stderr)
        self.assertNotIn("missing protocol scheme", res.stderr)

    def test_empty_config_exits_1_naming_the_file(self):
        path = self.write("redfish.yml", "")
        res = self.exporter_with_redfish(path)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"invalid redfish web config file {path}: the file is empty", res.stderr)
        self.assertNotIn("missing protocol scheme", res.stderr)

    def test_bad_timeout_exits_1_naming_file_and_line(self):
        for value, why in (("0s", "must be a positive duration"), ("-2s", "must be a positive duration"),
                           ("soon", "expected a duration such as 5s")):
            with self.subTest(value=value):
                path = self.write("redfish.yml", f"redfish_web_config:\n  protocol: http\n  hostname: bmc\n"
                                                 f"  port: 80\n  timeout: {value}\n")
                res = self.exporter_with_redfish(path)
                self.assertEqual(res.returncode, 1, res.stderr)
                self.assertIn(f"{path}: line 5, column 12: key redfish_web_config.timeout: {why}", res.stderr)

    def test_seed_samples_load_and_serve(self):
        mock = self.start_mock()
        for name, text, proxy_url in (("direct", SEED_DIRECT, "http://redfish-proxy:5000"),
                                      ("behind-proxy", SEED_BEHIND_PROXY, "http://mgmt-0:5000")):
            with self.subTest(sample=name):
                self.assertIn(proxy_url, text)
                path = self.write(f"{name}.yml", text.replace(proxy_url, mock))
                exp = self.start_exporter("--collector.disable-defaults", "--collector.redfish",
                                          f"--collector.redfish.web-config={path}", "--web.disable-exporter-metrics",
                                          "--log.level=debug")
                r = self.get_ok(exp.url())
                self.assertIn('ceems_redfish_current_watts{chassis="Chassis_1",hostname=""} 397', r.text)
                self.assertIn(harness.success_line("redfish"), r.text)
                log = exp.stderr()
                self.assertNotIn("Ignoring part of the Redfish web config", log)
                self.assertNotIn(MOCK_PASSWORD, log)
                exp.terminate()

    def test_timeout_key_is_accepted(self):
        mock = self.start_mock()
        path = self.write("redfish.yml", f"redfish_web_config:\n  protocol: http\n  hostname: 127.0.0.1\n"
                                         f"  port: 1\n  external_url: {mock}\n  username: admin\n"
                                         f"  password: {MOCK_PASSWORD}\n  use_session_token: true\n  timeout: 2s\n")
        exp = self.start_exporter("--collector.disable-defaults", "--collector.redfish",
                                  f"--collector.redfish.web-config={path}")
        self.assertIn('ceems_redfish_current_watts{chassis="Chassis_1",hostname=""} 397', self.get_ok(exp.url()).text)

    # -- redfish_proxy --config.file -------------------------------------------

    def test_proxy_misspelt_key_exits_1_naming_file_line_and_key(self):
        path = self.write("proxy.yml", "redfish_config:\n  web:\n    insecure_skip_verfy: true\n")
        res = self.run_to_exit([self.proxy_exe(), f"--web.listen-address=127.0.0.1:{free_port()}",
                                f"--config.file={path}"])
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("Failed to parse Redfish proxy config file", res.stderr)
        self.assertIn(f"{path}: redfish_config.web: unknown key", res.stderr)
        self.assertIn("insecure_skip_verfy", res.stderr)
        self.assertIn("(line 3)", res.stderr)

    def test_proxy_empty_config_exits_1_naming_the_file(self):
        path = self.write("proxy.yml", "# nothing here\n")
        res = self.run_to_exit([self.proxy_exe(), f"--web.listen-address=127.0.0.1:{free_port()}",
                                f"--config.file={path}"])
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn(f"{path}: the file is empty; expected a redfish_config section", res.stderr)

    def test_proxy_seed_config_loads(self):
        port = self.start_proxy(self.write("proxy.yml", SEED_PROXY_CONFIG))
        # Nothing is configured behind it: a Redfish request without X-Redfish-Url says so.
        r = fetch(f"http://127.0.0.1:{port}/redfish/v1/")
        self.assertEqual(r.status, 502)
        self.assertIn("no BMC known for 127.0.0.1", r.text)

    # -- a proxy that cannot reach the BMC ---------------------------------------

    def test_proxy_tls_failure_reason_reaches_the_exporter_log(self):
        mock = self.start_mock(tls=True)
        bmc = mock.split("://", 1)[1]
        # The guide's proxy config: backend verification on, so the mock's self-signed
        # certificate is refused.
        proxy_port = self.start_proxy(self.write("proxy.yml", SEED_PROXY_CONFIG))
        host, port = bmc.rsplit(":", 1)
        path = self.write("redfish.yml", f"redfish_web_config:\n  protocol: https\n  hostname: {host}\n"
                                         f"  port: {port}\n  external_url: http://127.0.0.1:{proxy_port}\n"
                                         f"  username: admin\n  password: {MOCK_PASSWORD}\n"
                                         f"  use_session_token: true\n")
        res = self.exporter_with_redfish(path)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("HTTP 502 from the Redfish proxy", res.stderr)
        self.assertIn(f"TLS handshake with BMC {bmc} failed", res.stderr)
        self.assertIn("certificate", res.stderr)
        self.assertNotIn(MOCK_PASSWORD, res.stderr + res.stdout)

        # The same chain works once the proxy skips verification.
        proxy_port = self.start_proxy(self.write("proxy-insecure.yml",
                                                 SEED_PROXY_CONFIG.replace("insecure_skip_verify: false",
                                                                           "insecure_skip_verify: true")))
        path = self.write("redfish-ok.yml", f"redfish_web_config:\n  protocol: https\n  hostname: {host}\n"
                                            f"  port: {port}\n  external_url: http://127.0.0.1:{proxy_port}\n"
                                            f"  username: admin\n  password: {MOCK_PASSWORD}\n"
                                            f"  use_session_token: true\n")
        exp = self.start_exporter("--collector.disable-defaults", "--collector.redfish",
                                  f"--collector.redfish.web-config={path}")
        self.assertIn('ceems_redfish_current_watts{chassis="Chassis_1",hostname=""} 397', self.get_ok(exp.url()).text)


if __name__ == "__main__":
    unittest.main()
