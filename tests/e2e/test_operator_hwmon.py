"""Power sources end to end: the hwmon collector on a node whose only power source
is the kernel's hwmon power meters (the NVIDIA Grace Hopper fixture of src/power),
off by default; and a BMC that answers 0 W now and then, bridged by the last good
reading and counted in the exporter's own metrics."""

from __future__ import annotations

import os
import shutil
import stat
import unittest

import harness
from harness import E2ETestCase, sample_lines, success_line

GRACE = os.path.join(harness.REPO_ROOT, "src", "power", "testdata", "hwmon", "grace", "sys")

EXPECTED_GRACE = [
    'ceems_hwmon_power_avg_watts{chip="lnxsybus:00_acpi000d:00",chip_name="power_meter",hostname="",'
    'sensor="Module Power Socket 0"} 412',
    'ceems_hwmon_power_avg_watts{chip="lnxsybus:00_acpi000d:01",chip_name="power_meter",hostname="",'
    'sensor="Grace Power Socket 0"} 168',
    'ceems_hwmon_power_avg_watts{chip="lnxsybus:00_acpi000d:02",chip_name="power_meter",hostname="",'
    'sensor="CPU Power Socket 0"} 121.5',
    'ceems_hwmon_power_avg_watts{chip="lnxsybus:00_acpi000d:03",chip_name="power_meter",hostname="",'
    'sensor="SysIO Power Socket 0"} 38.25',
]


class HwmonTest(E2ETestCase):
    def grace_sysfs(self) -> str:
        # A copy inside the test's world-readable directory, links kept as links.
        dest = os.path.join(self.tmp, "grace-sys")
        shutil.copytree(GRACE, dest, symlinks=True)
        harness.make_world_readable(dest)
        return dest

    def test_grace_power_meters_are_served(self) -> None:
        sysfs = self.grace_sysfs()
        exp = self.start_exporter("--collector.disable-defaults", "--collector.hwmon", f"--path.sysfs={sysfs}",
                                  f"--path.procfs={self.procfs}", "--collector.empty-hostname-label",
                                  fixtures=False)
        text = self.get_ok(exp.url()).text
        self.assertEqual(sample_lines(text, "ceems_hwmon_"), EXPECTED_GRACE)
        self.assertIn("# HELP ceems_hwmon_power_avg_watts Average Power consumption in watts", text)
        self.assertIn(success_line("hwmon"), text)
        # A second scrape reads the same sensors (discovery happened once, at start-up).
        self.assertEqual(sample_lines(self.get_ok(exp.url()).text, "ceems_hwmon_"), EXPECTED_GRACE)

    def test_off_by_default(self) -> None:
        exp = self.start_exporter(f"--path.sysfs={self.grace_sysfs()}", fixtures=False)
        text = self.get_ok(exp.url()).text
        self.assertEqual(sample_lines(text, "ceems_hwmon_"), [])
        self.assertNotIn('collector="hwmon"', text)
        help_run = self.run_exporter_cli("--help")
        help_text = help_run.stdout + help_run.stderr
        self.assertIn("--[no-]collector.hwmon", help_text)
        self.assertIn("Enable the hwmon collector (default: disabled).", help_text)

    def test_no_hwmon_power_sensors_is_reported_not_fatal(self) -> None:
        exp = self.start_exporter("--collector.hwmon")  # the shared fixtures have no class/hwmon
        text = self.get_ok(exp.url()).text
        self.assertIn('ceems_scrape_collector_success{collector="hwmon"} 0', text)
        self.assertIn("No hwmon chip with power or energy sensors found", exp.stderr())
        self.assertIn(success_line("cpu"), text)


GOOD_READING = ("Current Power                        : 332 Watts\n"
                "Minimum Power over sampling duration : 68 watts\n"
                "Maximum Power over sampling duration : 504 watts\n"
                "Average Power over sampling duration : 348 watts\n"
                "Power Measurement                    : Active\n")
ZERO_READING = "Current Power                        : 0 Watts\nPower Measurement                    : Active\n"


class ZeroWattBmcTest(E2ETestCase):
    def flaky_bmc_tool(self) -> str:
        """An IPMI tool whose every third reading is 0 W (a state file counts the runs)."""
        path = os.path.join(self.tmp, "flaky-dcmi")
        state = os.path.join(self.tmp, "flaky-dcmi.runs")
        harness.write_file(path, "#!/bin/sh\n"
                                 f"n=$(cat '{state}' 2>/dev/null || echo 0)\n"
                                 "n=$((n + 1))\n"
                                 f"echo \"$n\" > '{state}'\n"
                                 "if [ $((n % 3)) -eq 0 ]; then\n"
                                 f"  printf '%s' '{ZERO_READING}'\n"
                                 "else\n"
                                 f"  printf '%s' '{GOOD_READING}'\n"
                                 "fi\n")
        os.chmod(path, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        harness.write_file(state, "0")
        os.chmod(state, 0o666)
        return path

    def test_zero_watt_readings_leave_no_gap(self) -> None:
        tool = self.flaky_bmc_tool()
        exp = self.start_exporter("--collector.disable-defaults", "--collector.ipmi_dcmi",
                                  "--collector.ipmi_dcmi.test-mode", f"--collector.ipmi_dcmi.cmd={tool}")
        for scrape in range(6):
            text = self.get_ok(exp.url()).text
            self.assertEqual(sample_lines(text, "ceems_ipmi_dcmi_current_watts"),
                             ['ceems_ipmi_dcmi_current_watts{hostname=""} 332'], f"scrape {scrape}")
            self.assertIn(success_line("ipmi_dcmi"), text)
        held = sample_lines(text, "ceems_exporter_held_power_readings_total")
        self.assertEqual(len(held), 1, text)
        self.assertTrue(held[0].startswith('ceems_exporter_held_power_readings_total{collector="ipmi_dcmi"} '))
        self.assertGreaterEqual(float(held[0].split()[-1]), 1)
        log = exp.stderr()
        self.assertIn("serving the last good reading", log)
        self.assertIn("level=WARN", log)

    def test_hold_counter_is_an_exporter_metric(self) -> None:
        exp = self.start_exporter("--collector.disable-defaults", "--collector.ipmi_dcmi",
                                  "--collector.ipmi_dcmi.test-mode",
                                  f"--collector.ipmi_dcmi.cmd={self.flaky_bmc_tool()}",
                                  "--web.disable-exporter-metrics")
        text = self.get_ok(exp.url()).text
        self.assertEqual(sample_lines(text, "ceems_exporter_held_power_readings_total"), [])
        self.assertIn(success_line("ipmi_dcmi"), text)

    def test_malformed_hold_duration_is_refused(self) -> None:
        p = self.run_exporter_cli(*self.fixture_args(), "--web.listen-address=127.0.0.1:0", "--collector.ipmi_dcmi",
                                  "--collector.ipmi_dcmi.test-mode", "--collector.ipmi_dcmi.cmd=/bin/true",
                                  "--collector.ipmi_dcmi.hold-duration=five")
        self.assertEqual(p.returncode, 1, p.stderr[-2000:])
        self.assertIn("--collector.ipmi_dcmi.hold-duration", p.stderr)
        self.assertIn("five", p.stderr)


if __name__ == "__main__":
    unittest.main()
