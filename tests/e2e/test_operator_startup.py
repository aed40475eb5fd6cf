"""What an operator sees at start-up and in the log (issue "tell operators the truth"):
flags that cannot work are refused, flags that do nothing are named, the help hints
work, missing capabilities are named once, the process cannot gain privileges after
the drop, repeated errors do not flood the log, and SIGHUP stops in order."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import unittest

import harness
from harness import E2ETestCase, fetch, success_line

NOBODY = 65534


def lines_at(log: str, level: str) -> list[str]:
    return [l for l in log.splitlines() if f"level={level}" in l]


def status_fields(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def wait_for_log(exp: harness.Exporter, needle: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = exp.stderr()
        if needle in log:
            return log
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not logged within {timeout} s:\n{exp.stderr()[-3000:]}")


class StartupFlagsTest(E2ETestCase):
    def refused(self, *args: str) -> str:
        p = self.run_exporter_cli(*self.fixture_args(), "--web.listen-address=127.0.0.1:0", *args)
        self.assertEqual(p.returncode, 1, f"{args}: {p.stderr[-2000:]}")
        return p.stderr

    def test_bad_web_paths_are_refused(self) -> None:
        err = self.refused("--web.telemetry-path=metrics")
        self.assertIn('--web.telemetry-path=\\"metrics\\": must be a URL path starting with \\"/\\"', err)
        err = self.refused("--web.telemetry-path=")
        self.assertIn('--web.telemetry-path=\\"\\"', err)
        err = self.refused("--web.targets-path=/metrics")
        self.assertIn("is the path of --web.telemetry-path", err)

    def test_out_of_range_numbers_are_refused(self) -> None:
        self.assertIn("--web.max-requests=-1: must be 0 (no limit) or more", self.refused("--web.max-requests=-1"))
        self.assertIn("--runtime.gomaxprocs=-5: must be 0 or more", self.refused("--runtime.gomaxprocs=-5"))
        p = subprocess.run([harness.proxy_path(), "--runtime.gomaxprocs=-5", "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=10, env=harness.clean_env())
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("--runtime.gomaxprocs=-5: must be 0 or more", p.stderr)

    def test_listen_address_errors_name_the_flag(self) -> None:
        err = self.refused("--web.listen-address=no-port-here")
        self.assertIn('msg="Invalid web server flag"', err)
        self.assertIn('--web.listen-address=\\"no-port-here\\"', err)
        self.assertNotIn("Invalid web configuration", err)

    def test_flags_without_effect_are_named(self) -> None:
        exp = self.start_exporter("--collector.perf.hardware-events", "--collector.ebpf.io-metrics",
                                  "--collector.rdma.stats", "--discoverer.alloy-targets.env-var=PROFILE",
                                  "--web.debug-server")
        self.assertEqual(fetch(exp.url()).status, 200)
        warns = [l for l in lines_at(exp.stderr(), "WARN") if 'msg="Flag has no effect"' in l]
        for flag in ("--collector.perf.hardware-events", "--collector.ebpf.io-metrics", "--collector.rdma.stats",
                     "--discoverer.alloy-targets.env-var", "--web.debug-server"):
            self.assertEqual(len([w for w in warns if flag + " has no effect" in w]), 1, f"{flag}:\n{warns}")

    def test_ipmi_device_messages(self) -> None:
        err = self.refused("--collector.ipmi_dcmi", "--collector.ipmi_dcmi.force-native-mode",
                           "--collector.ipmi_dcmi.dev-num=-1")
        self.assertIn("--collector.ipmi_dcmi.dev-num=-1: the IPMI device number must be 0 or more", err)
        if os.path.exists("/dev/ipmi0"):
            return
        err = self.refused("--collector.ipmi_dcmi", "--collector.ipmi_dcmi.force-native-mode")
        self.assertIn("tried /dev/ipmi0, /dev/ipmi/0, /dev/ipmidev/0", err)


class HelpTest(E2ETestCase):
    def test_help_long_and_help_man_exist_in_both_programs(self) -> None:
        for exe in (self.exe, harness.proxy_path()):
            with self.subTest(program=os.path.basename(exe)):
                run = lambda *a: subprocess.run([exe, *a], capture_output=True, text=True, timeout=10,
                                                env=harness.clean_env())
                short, long_, man = run("--help"), run("--help-long"), run("--help-man")
                for p in (short, long_, man):
                    self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("also try --help-long and --help-man", short.stdout)
                self.assertEqual(long_.stdout, short.stdout)
                name = os.path.basename(exe)
                self.assertTrue(man.stdout.startswith(f".TH {name} 1 "), man.stdout[:200])
                self.assertIn('.SH "OPTIONS"', man.stdout)
                self.assertIn("\\fB\\-\\-web.listen\\-address=", man.stdout)
                man_tool = harness.shutil.which("man")
                if man_tool:
                    # man renders it without complaint.
                    page = os.path.join(self.tmp, f"{name}.1")
                    with open(page, "w") as f:
                        f.write(man.stdout)
                    r = subprocess.run([man_tool, "-l", "-P", "cat", page], capture_output=True, text=True,
                                       timeout=30, env=harness.clean_env({"MANWIDTH": "100"}))
                    if r.returncode == 0:
                        self.assertIn("--web.listen-address", r.stdout.replace("\u2010", "-"))


class EbpfHelpTest(E2ETestCase):
    def test_ebpf_flag_help_is_the_originals(self) -> None:
        out = self.run_exporter_cli("--help").stdout
        for text in ("Enables collection of IO metrics using ebpf (default: disabled)",
                     "Enables collection of network metrics using ebpf (default: disabled)",
                     "File system mount points to monitor IO stats. If empty all mount points are monitored. It is "
                     "strongly advised to choose appropriate mount points to reduce cardinality."):
            self.assertIn(text, out)


class PrivilegeTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (starts the exporter as root and as nobody)")

    def test_non_root_start_names_missing_capability_once(self) -> None:
        if os.environ.get("CEEMS_EMPTY_ROOT"):
            self.skipTest("started as nobody, the empty-root wrapper could not chroot (tests/static/empty_root.py)")
        # A root-only RAPL counter, as on kernels >= 5.10: rapl needs cap_dac_read_search.
        energy = os.path.join(self.sysfs, "class", "powercap", "intel-rapl:0", "energy_uj")
        os.chmod(energy, 0o400)
        port = harness.free_port()
        argv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", self.exe, f"--web.listen-address=127.0.0.1:{port}", *self.fixture_args()]
        proc, out_path, log_path = self.popen(argv, name="nonroot")
        exp = harness.Exporter(proc, port, "http", log_path, out_path)
        harness.wait_for_port(port, proc=proc)
        for _ in range(5):
            self.assertEqual(fetch(exp.url()).status, 200)
        log = exp.stderr()
        cap_warns = [l for l in lines_at(log, "WARN") if "cap_dac_read_search" in l]
        self.assertEqual(len(cap_warns), 1, log)
        self.assertIn("collector=rapl", cap_warns[0])
        self.assertIn("missing=cap_dac_read_search", cap_warns[0])
        # Scrapes do not repeat it at ERROR, and never print the empty set "caps==".
        self.assertEqual([l for l in lines_at(log, "ERROR") if "raise capabilities" in l], [], log)
        self.assertNotIn('caps="="', log)

    def test_bounding_set_and_no_new_privs_after_the_drop(self) -> None:
        exp = self.start_exporter()
        wait_for_log(exp, "Dropped privileges")
        self.assertEqual(fetch(exp.url()).status, 200)
        st = status_fields(exp.proc.pid)
        self.assertEqual(st["NoNewPrivs"], "1", st)
        self.assertEqual(st["CapBnd"], st["CapPrm"], st)
        self.assertEqual(st["CapEff"], "0000000000000000", st)
        self.assertNotEqual(st["Uid"].split()[0], "0", st)

    def test_redfish_proxy_confines_itself(self) -> None:
        port = harness.free_port()
        proc, out_path, log_path = self.popen([harness.proxy_path(), f"--web.listen-address=127.0.0.1:{port}"],
                                              name="proxy")
        harness.wait_for_port(port, proc=proc)
        st = status_fields(proc.pid)
        self.assertEqual(st["NoNewPrivs"], "1", st)
        self.assertEqual(st["CapBnd"], "0000000000000000", st)


class QuietHostTest(E2ETestCase):
    def test_rapl_without_constraint_files_is_not_an_error(self) -> None:
        # As on AMD EPYC: energy counters without power-limit constraints.
        powercap = os.path.join(self.sysfs, "class", "powercap")
        for zone in os.listdir(powercap):
            for name in os.listdir(os.path.join(powercap, zone)):
                if name.startswith("constraint_"):
                    os.remove(os.path.join(powercap, zone, name))
        exp = self.start_exporter()
        text = fetch(exp.url()).text
        self.assertIn(success_line("rapl"), text.splitlines())
        self.assertIn("ceems_rapl_package_joules_total", text)
        self.assertNotIn("power_limit", text)
        self.assertEqual(lines_at(exp.stderr(), "ERROR"), [], exp.stderr())


class LogFloodTest(E2ETestCase):
    """1,000 scrapes of Slurm jobs whose cgroup files hold garbage bytes."""

    def setUp(self) -> None:
        super().setUp()
        # cgroup v1 as on most Slurm nodes; its files are parsed strictly.
        for job in ("5", "6", "7"):
            cpu = os.path.join(self.cgroupfs, "cpuacct", "slurm", "uid_1000", f"job_{job}")
            self.write(os.path.join(cpu, "cgroup.procs"), b"1\n")
            self.write(os.path.join(cpu, "cpuacct.stat"), b"user \xff\xfe\x01\nsystem 1\n")
            self.write(os.path.join(cpu, "cpuacct.usage"), b"1000\n")
            self.write(os.path.join(cpu, "cpuacct.usage_percpu"), b"500 500\n")
            mem = os.path.join(self.cgroupfs, "memory", "slurm", "uid_1000", f"job_{job}")
            self.write(os.path.join(mem, "cgroup.procs"), b"1\n")
            self.write(os.path.join(mem, "memory.stat"), b"total_rss \xff\n")
            self.write(os.path.join(mem, "memory.usage_in_bytes"), b"\xff\xff\n")
        harness.make_world_readable(self.tmp)

    write = staticmethod(harness.write_file)

    def test_repeated_errors_are_rate_limited_and_escaped(self) -> None:
        exp = self.start_exporter("--collector.disable-defaults", "--collector.slurm",
                                  "--collector.cgroups.force-version=v1")
        for _ in range(1000):
            self.assertEqual(fetch(exp.url()).status, 200)
        with open(exp.log_path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")  # raises if a raw byte reached the log
        self.assertNotIn(b"\xff", raw)
        for ch in text:
            self.assertFalse(ord(ch) < 0x20 and ch != "\n", f"control byte {ord(ch):#x} in the log")
        loud = lines_at(text, "ERROR") + lines_at(text, "WARN")
        failed = [l for l in loud if "Failed to collect cgroup stats" in l]
        # One line per job, the first time; the raw bytes escaped.
        self.assertEqual(len(failed), 3, "\n".join(loud))
        self.assertIn("\\xff\\xfe", failed[0])
        # One line per source (call site and collector) within the 5-minute window,
        # not one per scrape and job.
        sources = {re.search(r"source=(\S+)", l).group(1) for l in loud}
        self.assertLessEqual(len(loud), 3 * len(sources) + 5, "\n".join(loud[:50]))
        self.assertLess(len(loud), 40, "\n".join(loud[:50]))
        self.assertLess(len(raw), 64 * 1024)


class SignalTest(E2ETestCase):
    def test_sighup_stops_like_sigterm(self) -> None:
        exp = self.start_exporter()
        self.assertEqual(fetch(exp.url()).status, 200)
        exp.proc.send_signal(signal.SIGHUP)
        self.assertEqual(exp.proc.wait(timeout=harness.STOP_TIMEOUT_S), 0)
        log = exp.stderr()
        self.assertIn('msg="Shutting down" signal=SIGHUP', log)
        self.assertIn("msg=Stopped", log)


if __name__ == "__main__":
    unittest.main()
