"""A real Prometheus server scrapes the exporter on loopback.

Skipped when /usr/bin/prometheus (Debian package `prometheus`) is absent.
"""

from __future__ import annotations

import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import E2ETestCase, fetch  # noqa: E402

PROMETHEUS = "/usr/bin/prometheus"
POLL_TIMEOUT_S = 30.0


@unittest.skipUnless(os.access(PROMETHEUS, os.X_OK), f"{PROMETHEUS} not installed (Debian package 'prometheus')")
class PrometheusScrapeTest(E2ETestCase):
    def _start_prometheus(self, target_port: int) -> int:
        port = harness.free_port()
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w", encoding="utf-8") as f:
            f.write(
                "global:\n"
                "  scrape_interval: 1s\n"
                "  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: ceems\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{target_port}']\n")
        data = os.path.join(self.tmp, "prom-data")
        os.makedirs(data)
        argv = [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
        proc, _, log = self.popen(argv, name="prometheus")
        self.prom_proc, self.prom_log = proc, log
        try:
            harness.wait_for_port(port, timeout=POLL_TIMEOUT_S, proc=proc)
        except AssertionError as e:
            raise AssertionError(f"{e}\nprometheus log:\n{self._prom_log()}") from None
        return port

    def _prom_log(self) -> str:
        with open(self.prom_log, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def _query(self, port: int, expr: str) -> list:
        url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        r = fetch(url, timeout=5)
        if r.status != 200:
            return []
        doc = json.loads(r.text)
        if doc.get("status") != "success":
            return []
        return doc["data"]["result"]

    def test_prometheus_scrapes_exporter(self):
        exp = self.start_exporter("--collector.cray_pm_counters")
        port = self._start_prometheus(exp.port)
        deadline = time.monotonic() + POLL_TIMEOUT_S
        up, cpu = [], []
        while time.monotonic() < deadline:
            up = self._query(port, 'up{job="ceems"}')
            cpu = self._query(port, 'ceems_cpu_seconds_total{job="ceems"}')
            if up and up[0]["value"][1] == "1" and cpu:
                break
            time.sleep(0.5)
        targets = fetch(f"http://127.0.0.1:{port}/api/v1/targets", timeout=5).text
        self.assertTrue(up and up[0]["value"][1] == "1",
                        f"up{{job=\"ceems\"}} never became 1: {up}\ntargets: {targets[:2000]}\n"
                        f"prometheus log:\n{self._prom_log()}")
        self.assertTrue(cpu, "ceems_cpu_seconds_total returned an empty vector")
        modes = sorted(s["metric"].get("mode", "") for s in cpu)
        self.assertEqual(modes, ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"])
        user = [s for s in cpu if s["metric"].get("mode") == "user"][0]
        self.assertAlmostEqual(float(user["value"][1]), 47056.23, places=6)
        energy = self._query(port, 'ceems_cray_pm_counters_energy_joules{domain="node"}')
        self.assertTrue(energy and float(energy[0]["value"][1]) == 1234567890.0, energy)
        # Prometheus reported no scrape problems for the target
        doc = json.loads(targets)
        active = [t for t in doc["data"]["activeTargets"] if t["labels"].get("job") == "ceems"]
        self.assertEqual(len(active), 1, targets[:2000])
        self.assertEqual(active[0]["health"], "up", active[0])
        self.assertEqual(active[0]["lastError"], "", active[0])
        # stop both
        self.assertEqual(exp.terminate(), 0)
        harness.kill_group(self.prom_proc, 15)
        self.prom_proc.wait(timeout=15)


if __name__ == "__main__":
    unittest.main()
