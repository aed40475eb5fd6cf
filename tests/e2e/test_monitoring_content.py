"""The monitoring content of deploy/: Prometheus configuration, recording and
alerting rules, their promtool unit tests, and the Grafana dashboards.

1. promtool: `check config`, `check rules` and `test rules` over
   deploy/prometheus (skipped when promtool is absent).
2. End to end: the real exporter runs on tests/fixtures/monitoring with every
   power source it can serve offline (RAPL and Cray pm_counters from sysfs,
   IPMI DCMI from a script printing `ipmi-dcmi` output, Redfish from the
   project's mock BMC when built, two Slurm jobs with a MIG instance and a
   whole GPU), a second exporter serves the OWID emission factors, a small
   HTTP server plays dcgm-exporter and AMD device-metrics-exporter, and a
   real Prometheus (loopback, 1 s intervals, the project's rule files)
   scrapes them all. Every recording rule must return data, every rule must
   evaluate without error, the GPU and node figures must be the expected
   ones, and every query of every dashboard panel and template variable must
   return data. Skipped when /usr/bin/prometheus is absent.

Standard library only; every server binds 127.0.0.1 and is stopped in the
test's cleanup.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import E2ETestCase, fetch, write_file  # noqa: E402

DEPLOY = os.path.join(harness.REPO_ROOT, "deploy")
PROM_DIR = os.path.join(DEPLOY, "prometheus")
RULE_FILES = sorted(glob.glob(os.path.join(PROM_DIR, "rules", "*.yml")))
RULE_TESTS = sorted(glob.glob(os.path.join(PROM_DIR, "tests", "*.yml")))
DASHBOARDS = sorted(glob.glob(os.path.join(DEPLOY, "grafana", "*.json")))
PROMETHEUS = "/usr/bin/prometheus"
POLL_TIMEOUT_S = 40.0
SETTLE_S = 8.0  # seconds of data before figures are compared

# Power the fixture's counters stand for (W), and CPU seconds per second.
RAPL_WATTS = {"intel-rapl:0": 100.0, "intel-rapl:1": 80.0, "intel-rapl:0:0": 20.0}
NODE_CPU = {"user": 5.0, "system": 1.0, "idle": 2.0}  # busy: 6 CPU-s/s
JOB_CPU = {"101": (2.0, 0.5), "102": (1.0, 0.5)}  # (user, system)
IPMI_WATTS = 1450.0  # tests/fixtures/monitoring/ipmi-dcmi.txt
CRAY_NODE_WATTS = 1200.0  # sys/cray/pm_counters/power
REDFISH_WATTS = 397.0  # the mock BMC's chassis: 344 + 53
DCGM_GPU0_WATTS, DCGM_GPU1_WATTS = 250.0, 300.0  # gpu-exporters/dcgm.prom
MIG_GI1_SHARE = 42 / 56  # nvidia-smi.xml: GPU instance 1 has 42 of GPU 0's 56 SMs
MEMORY_USED = {"101": 4294967296, "102": 2147483648}  # of 16 GiB used on the node
TEMPLATE_VALUE_RANGE = "5m"


def record_names() -> list[str]:
    names = []
    for path in RULE_FILES:
        with open(path, encoding="utf-8") as f:
            names += re.findall(r"^\s*-\s*record:\s*(\S+)\s*$", f.read(), re.M)
    return names


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard file, panel or variable title, PromQL with Grafana's syntax)."""
    out = []

    def walk(fname: str, panels: list) -> None:
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((fname, f"panel {p.get('title')!r} {t.get('refId')}", t["expr"]))
            walk(fname, p.get("panels", []))

    for path in DASHBOARDS:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        fname = os.path.basename(path)
        walk(fname, doc.get("panels", []))
        for var in doc.get("templating", {}).get("list", []):
            if var.get("type") != "query":
                continue
            q = var.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q or "")
            if not m:
                raise AssertionError(f"{fname}: variable {var.get('name')}: unexpected query {q!r}")
            out.append((fname, f"variable {var['name']}", f"group by ({m.group(2)}) ({m.group(1)})"))
    return out


def substitute(expr: str, values: dict[str, str]) -> str:
    """Grafana's template variables and interval macros replaced by concrete values."""
    macros = {"__interval_ms": "1000", "__interval": "1s", "__rate_interval": "1m",
              "__range_s": "300", "__range": TEMPLATE_VALUE_RANGE}
    macros.update(values)
    for name in sorted(macros, key=len, reverse=True):
        expr = expr.replace("${" + name + "}", macros[name]).replace("$" + name, macros[name])
    left = re.findall(r"\$\{?\w+", expr)
    if left:
        raise AssertionError(f"unknown template variable(s) {left} in {expr}")
    return expr


class _GpuExporters(http.server.BaseHTTPRequestHandler):
    """dcgm-exporter on /dcgm, AMD device-metrics-exporter on /amd."""

    pages: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = self.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args) -> None:
        pass


class PromtoolTest(unittest.TestCase):
    def setUp(self) -> None:
        self.promtool = harness.require_tool("promtool")

    def run_promtool(self, *args: str) -> None:
        res = subprocess.run([self.promtool, *args], capture_output=True, text=True, timeout=120, cwd=PROM_DIR)
        self.assertEqual(res.returncode, 0, f"promtool {' '.join(args)} failed:\n{res.stdout}\n{res.stderr}")

    def test_config_is_valid(self) -> None:
        self.run_promtool("check", "config", "prometheus.yml")

    def test_rules_are_valid(self) -> None:
        self.assertTrue(RULE_FILES)
        self.run_promtool("check", "rules", *RULE_FILES)

    def test_rule_unit_tests_pass(self) -> None:
        self.assertTrue(RULE_TESTS)
        self.run_promtool("test", "rules", *RULE_TESTS)

    def test_every_rule_has_a_unit_test(self) -> None:
        tested = ""
        for path in RULE_TESTS:
            with open(path, encoding="utf-8") as f:
                tested += f.read()
        alerts = []
        for path in RULE_FILES:
            with open(path, encoding="utf-8") as f:
                alerts += re.findall(r"^\s*-\s*alert:\s*(\S+)\s*$", f.read(), re.M)
        for name in record_names():
            self.assertRegex(tested, rf"expr:.*{re.escape(name)}", f"recording rule {name} has no promtool test")
        for name in alerts:
            self.assertRegex(tested, rf"alertname:\s*{re.escape(name)}\s", f"alert {name} has no promtool test")


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), f"{PROMETHEUS} not installed (Debian package 'prometheus')")
class MonitoringEndToEndTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.root = os.path.join(self.fixtures, "monitoring")
        self.t0 = time.monotonic()
        self.write_counters()
        self.stop_writer = threading.Event()
        writer = threading.Thread(target=self.counter_writer, daemon=True)
        writer.start()
        self.addCleanup(writer.join, 5)
        self.addCleanup(self.stop_writer.set)

    # -- the node's moving counters ---------------------------------------

    def write_atomic(self, path: str, text: str) -> None:
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)

    def write_counters(self) -> None:
        """Counters as they stand now: energy from RAPL_WATTS, CPU time from NODE_CPU and JOB_CPU."""
        t = 1000.0 + time.monotonic() - self.t0
        for zone, watts in RAPL_WATTS.items():
            self.write_atomic(os.path.join(self.root, "sys", "class", "powercap", zone, "energy_uj"),
                              f"{int(watts * t * 1e6)}\n")
        ticks = {mode: int(rate * t * 100) for mode, rate in NODE_CPU.items()}
        cpu_line = (f"{ticks['user']} 0 {ticks['system']} {ticks['idle']} 0 0 0 0 0 0")
        per_cpu = "".join(f"cpu{i} {ticks['user'] // 8} 0 {ticks['system'] // 8} {ticks['idle'] // 8} 0 0 0 0 0 0\n"
                          for i in range(8))
        self.write_atomic(os.path.join(self.root, "proc", "stat"),
                          f"cpu  {cpu_line}\n{per_cpu}intr 0\nctxt 0\nbtime 1764669600\nprocesses 1\n"
                          "procs_running 1\nprocs_blocked 0\n")
        scope = os.path.join(self.root, "sys", "fs", "cgroup", "system.slice", "slurmstepd.scope")
        for job, (user, system) in JOB_CPU.items():
            u, s = int(user * t * 1e6), int(system * t * 1e6)
            self.write_atomic(os.path.join(scope, f"job_{job}", "cpu.stat"),
                              f"usage_usec {u + s}\nuser_usec {u}\nsystem_usec {s}\n")

    def counter_writer(self) -> None:
        while not self.stop_writer.wait(0.05):
            self.write_counters()

    # -- servers ----------------------------------------------------------

    def start_redfish_mock(self) -> tuple[str, int] | None:
        try:
            mock = harness.program_path("CEEMS_REDFISH_MOCK_SERVER",
                                        os.path.join("src", "redfish", "redfish_mock_server"), "redfish_mock_server")
        except unittest.SkipTest:
            return None
        proc, out_path, err_path = self.popen([mock, "--seconds", "300", "--user", "admin", "--password", "mockpw"],
                                              name="redfish-mock")
        deadline = time.monotonic() + harness.START_TIMEOUT_S
        while time.monotonic() < deadline:
            with open(out_path, encoding="utf-8") as f:
                line = f.readline()
            if line.endswith("\n"):
                url = urllib.parse.urlsplit(line.strip())
                return url.hostname, url.port
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(err_path, encoding="utf-8", errors="replace") as f:
            raise AssertionError(f"redfish mock server did not start: {f.read()[-2000:]}")

    def start_gpu_exporters(self, hostname: str) -> int:
        pages = {}
        for name in ("dcgm", "amd"):
            with open(os.path.join(self.root, "gpu-exporters", f"{name}.prom"), encoding="utf-8") as f:
                pages[f"/{name}"] = f.read().replace("@HOSTNAME@", hostname).encode()
        handler = type("GpuExporters", (_GpuExporters,), {"pages": pages})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server.server_address[1]

    def start_node_exporter(self, redfish: tuple[str, int] | None) -> harness.Exporter:
        smi = os.path.join(self.tmp, "nvidia-smi")
        write_file(smi, f"#!/bin/sh\nexec cat '{os.path.join(self.root, 'nvidia-smi.xml')}'\n")
        ipmi = os.path.join(self.tmp, "ipmi-dcmi")
        write_file(ipmi, f"#!/bin/sh\nexec cat '{os.path.join(self.root, 'ipmi-dcmi.txt')}'\n")
        for path in (smi, ipmi):
            os.chmod(path, 0o755)
        args = [f"--path.procfs={os.path.join(self.root, 'proc')}",
                f"--path.sysfs={os.path.join(self.root, 'sys')}",
                f"--path.cgroupfs={os.path.join(self.root, 'sys', 'fs', 'cgroup')}",
                "--no-security.drop-privileges",
                "--collector.cray_pm_counters",
                "--collector.ipmi_dcmi", "--collector.ipmi_dcmi.test-mode",
                f"--collector.ipmi_dcmi.cmd={ipmi} --get-system-power-statistics",
                "--collector.slurm", "--collector.cgroups.force-version=v2",
                "--collector.gpu.type=nvidia", f"--collector.gpu.nvidia-smi-path={smi}",
                f"--collector.slurm.gpu-job-map-path={os.path.join(self.root, 'gpujobmap')}"]
        if redfish:
            cfg = os.path.join(self.tmp, "redfish.yml")
            write_file(cfg, f"redfish_web_config:\n  protocol: http\n  hostname: {redfish[0]}\n  port: {redfish[1]}\n"
                            "  username: admin\n  password: mockpw\n  use_session_token: true\n")
            args += ["--collector.redfish", f"--collector.redfish.web-config={cfg}"]
        return self.start_exporter(*args, fixtures=False)

    def start_prometheus(self, node_port: int, emissions_port: int, gpu_port: int) -> int:
        port = harness.free_port()
        cfg = os.path.join(self.tmp, "prometheus.yml")
        rules = "".join(f"  - {path}\n" for path in RULE_FILES)
        write_file(cfg, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                        f"rule_files:\n{rules}"
                        "scrape_configs:\n"
                        f"  - job_name: ceems\n    static_configs: [{{targets: ['127.0.0.1:{node_port}']}}]\n"
                        f"  - job_name: ceems-emissions\n    static_configs: [{{targets: ['127.0.0.1:{emissions_port}']}}]\n"
                        f"  - job_name: dcgm\n    metrics_path: /dcgm\n"
                        f"    static_configs: [{{targets: ['127.0.0.1:{gpu_port}']}}]\n"
                        f"  - job_name: amd-device-metrics\n    metrics_path: /amd\n"
                        f"    static_configs: [{{targets: ['127.0.0.1:{gpu_port}']}}]\n")
        data = os.path.join(self.tmp, "prom-data")
        os.makedirs(data)
        proc, _, log = self.popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                                   f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], name="prometheus")
        self.prom_log = log
        try:
            harness.wait_for_port(port, timeout=POLL_TIMEOUT_S, proc=proc)
        except AssertionError as e:
            raise AssertionError(f"{e}\nprometheus log:\n{self.prometheus_log()}") from None
        self.prom_port = port
        return port

    def prometheus_log(self) -> str:
        with open(self.prom_log, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def api(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:{self.prom_port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        r = fetch(url, timeout=10)
        doc = json.loads(r.text) if r.text else {}
        if r.status != 200 or doc.get("status") != "success":
            raise AssertionError(f"GET {url}: status {r.status}: {r.text[:1000]}")
        return doc["data"]

    def query(self, expr: str) -> list:
        return self.api("query", query=expr)["result"]

    # -- the test ---------------------------------------------------------

    def test_rules_and_dashboards_return_data_from_the_real_exporter(self) -> None:
        redfish = self.start_redfish_mock()
        node = self.start_node_exporter(redfish)
        emissions = self.start_exporter("--collector.disable-defaults", "--collector.emissions",
                                        "--collector.emissions.provider=owid", "--no-security.drop-privileges",
                                        fixtures=False)
        text = self.get_ok(node.url()).text
        m = re.search(r'^ceems_cpu_count\{hostname="([^"]*)"\}', text, re.M)
        self.assertTrue(m and m.group(1), f"no hostname label on ceems_cpu_count:\n{text[:3000]}")
        hostname = m.group(1)
        collectors = ["cpu", "meminfo", "rapl", "cray_pm_counters", "ipmi_dcmi", "slurm"] + (["redfish"] if redfish else [])
        for collector in collectors:
            self.assertIn(harness.success_line(collector), text, f"collector {collector} failed:\n{node.stderr()[-3000:]}")
        self.assertIn(harness.success_line("emissions"), self.get_ok(emissions.url()).text)

        gpu_port = self.start_gpu_exporters(hostname)
        self.start_prometheus(node.port, emissions.port, gpu_port)
        prom_started = time.monotonic()

        # Every recording rule returns data once a few scrapes and evaluations have run.
        names = record_names()
        self.assertGreater(len(names), 10)
        missing = names
        deadline = time.monotonic() + POLL_TIMEOUT_S
        while missing and time.monotonic() < deadline:
            time.sleep(0.5)
            missing = [n for n in missing if not self.query(n)]
        targets = json.dumps(self.api("targets"))[:3000]
        self.assertEqual(missing, [], f"recording rules without data after {POLL_TIMEOUT_S:.0f} s\n"
                                      f"targets: {targets}\nprometheus log:\n{self.prometheus_log()}")

        # A few more seconds of data: rates over a handful of samples are
        # exact to a few percent, and the dashboards' subqueries (1 s steps
        # here) have a step after the newest rules' first sample.
        time.sleep(max(2.0, SETTLE_S - (time.monotonic() - prom_started)))

        # Every rule (recording and alerting) evaluates without error.
        for group in self.api("rules")["groups"]:
            for rule in group["rules"]:
                self.assertEqual(rule.get("health"), "ok", f"rule {rule.get('name')}: {rule.get('lastError')}")

        # The figures the fixture stands for.
        def values(expr: str) -> dict[str, float]:
            out = {}
            for s in self.query(expr):
                labels = s["metric"]
                key = labels.get("source") or labels.get("uuid") or labels.get("gpuuuid") or labels.get("hostname", "")
                out[key] = float(s["value"][1])
            return out

        by_source = values(f'instance:ceems_node_power_by_source:watts{{hostname="{hostname}"}}')
        expected = {"ipmi_dcmi": IPMI_WATTS, "cray_pm_counters": CRAY_NODE_WATTS}
        if redfish:
            expected["redfish"] = REDFISH_WATTS
        for source, watts in expected.items():
            self.assertEqual(by_source.get(source), watts, by_source)
        # RAPL power is a rate over 2m: with seconds of data it is extrapolated
        # low, but the DRAM share of it is exact.
        self.assertGreater(by_source.get("rapl", 0), 0, by_source)
        m_share = RAPL_WATTS["intel-rapl:0:0"] / sum(RAPL_WATTS.values())
        self.assertAlmostEqual(values("instance:ceems_memory_power_share:ratio")[hostname], m_share, delta=0.015)
        self.assertEqual(values("instance:ceems_node_power:watts"), {"ipmi_dcmi": IPMI_WATTS})
        gpus = DCGM_GPU0_WATTS + DCGM_GPU1_WATTS
        self.assertEqual(values(f'hostname:ceems_gpu_power:watts{{hostname="{hostname}"}}'), {hostname: gpus})
        self.assertEqual(values(f'hostname:ceems_gpu_power:watts{{hostname="amdnode01"}}'), {"amdnode01": 212 + 187})
        self.assertEqual(values("instance:ceems_node_host_power:watts"), {"ipmi_dcmi": IPMI_WATTS - gpus})
        self.assertEqual(values("uuid:ceems_gpu_power:watts"),
                         {"101": MIG_GI1_SHARE * DCGM_GPU0_WATTS, "102": DCGM_GPU1_WATTS})
        self.assertEqual(values("ceems:emission_factor:g_per_kwh"), {"": 56.03859})
        self.assertEqual([s["metric"].get("provider") for s in self.query("ceems:emission_factor:g_per_kwh")], ["owid"])
        busy = NODE_CPU["user"] + NODE_CPU["system"]
        memory_used = 16 * 2**30  # meminfo: 32 GiB total, 16 GiB free
        cpu_share = values("uuid:ceems_cpu_share:ratio")
        power = values("uuid:ceems_power:watts")
        for job, (user, system) in JOB_CPU.items():
            self.assertAlmostEqual(cpu_share[job], (user + system) / busy, delta=0.05, msg=cpu_share)
            host = (IPMI_WATTS - gpus) * ((1 - m_share) * (user + system) / busy + m_share * MEMORY_USED[job] / memory_used)
            gpu = {"101": MIG_GI1_SHARE * DCGM_GPU0_WATTS, "102": DCGM_GPU1_WATTS}[job]
            self.assertAlmostEqual(power[job], host + gpu, delta=0.1 * (host + gpu), msg=power)

        # Every dashboard query (panels and template variables) returns data,
        # with the variables set to this node and job 101.
        queries = dashboard_queries()
        self.assertGreater(len(queries), 20)
        variables = {"host": hostname, "uuid": "101", "instance": f"127.0.0.1:{node.port}", "datasource": "prometheus"}
        empty = []
        for fname, where, expr in queries:
            q = substitute(expr, variables)
            if not self.query(q):
                empty.append(f"{fname} {where}: {q}")
        self.assertEqual(empty, [], "dashboard queries without data")

        # The fixture node is a healthy node: the exporter logged no error.
        errors = [l for l in (node.stderr() + emissions.stderr()).splitlines() if "level=ERROR" in l]
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
