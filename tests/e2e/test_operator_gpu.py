"""What an operator sees in the exporter's log when GPU discovery goes wrong: an
installed nvidia-smi that fails or prints something unreadable, a
--collector.slurm.gpu-order-map naming MIG instances the node does not have, and
a malformed map while the slurm collector is off."""

import os
import re
import unittest

from harness import E2ETestCase, fetch, nvidia_whole_gpu_xml, write_file

# GPU 0 is MIG-partitioned into GPU instances 1 and 5; GPU 1 is whole. The seed
# document's example map expects GPU 0 to hold instances 3, 4, 5 and 6.
MIG_XML = """<?xml version="1.0" ?>
<nvidia_smi_log>
  <gpu id="00000000:10:00.0">
    <product_name>Test GPU</product_name>
    <uuid>GPU-mig0</uuid>
    <mig_mode><current_mig>Enabled</current_mig></mig_mode>
    <mig_devices>
      <mig_device>
        <index>0</index><gpu_instance_id>1</gpu_instance_id><compute_instance_id>0</compute_instance_id>
        <device_attributes><shared><multiprocessor_count>42</multiprocessor_count></shared></device_attributes>
      </mig_device>
      <mig_device>
        <index>1</index><gpu_instance_id>5</gpu_instance_id><compute_instance_id>0</compute_instance_id>
        <device_attributes><shared><multiprocessor_count>14</multiprocessor_count></shared></device_attributes>
      </mig_device>
    </mig_devices>
  </gpu>
""" + nvidia_whole_gpu_xml("00000000:11:00.0", "GPU-full1") + "</nvidia_smi_log>\n"

SEED_ORDER_MAP = "0:1,1:0.3,2:0.4,3:0.5,4:0.6"


def warn_lines(log: str, containing: str) -> list[str]:
    return [l for l in log.splitlines() if "level=WARN" in l and containing in l]


class OperatorGpuTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        # One Slurm job (id 5) on a cgroup v2 tree, alive through this test's pid.
        job = os.path.join(self.cgroupfs, "system.slice", "slurmstepd.scope", "job_5")
        self.write(os.path.join(os.path.dirname(job), "cgroup.controllers"), "cpu memory\n")
        self.write(os.path.join(job, "cgroup.controllers"), "cpu memory\n")
        self.write(os.path.join(job, "cgroup.procs"), f"{os.getpid()}\n")
        self.write(os.path.join(job, "cpu.stat"), "usage_usec 3000000\nuser_usec 2500000\nsystem_usec 500000\n")
        self.write(os.path.join(job, "memory.current"), "1048576\n")
        os.makedirs(os.path.join(self.procfs, str(os.getpid())), exist_ok=True)
        self.smi = os.path.join(self.tmp, "nvidia-smi")
        self.map_dir = os.path.join(self.tmp, "gpujobmap")

    write = staticmethod(write_file)

    def fake_smi(self, body: str) -> None:
        self.write(self.smi, "#!/bin/sh\n" + body)
        os.chmod(self.smi, 0o755)

    def slurm_args(self, *extra: str) -> list[str]:
        # No --collector.gpu.type: the warning must not depend on the vendor being
        # forced. The AMD tools are named absent so the node's own install cannot
        # answer in place of the fake.
        missing = os.path.join(self.tmp, "absent")
        return ["--collector.disable-defaults", "--collector.slurm", "--collector.cgroups.force-version=v2",
                "--no-security.drop-privileges", f"--collector.gpu.nvidia-smi-path={self.smi}",
                f"--collector.gpu.rocm-smi-path={missing}", f"--collector.gpu.amd-smi-path={missing}",
                f"--collector.slurm.gpu-job-map-path={self.map_dir}", *extra]

    def scrape_twice(self, exp) -> str:
        text = ""
        for _ in range(2):
            r = fetch(exp.url())
            self.assertEqual(r.status, 200)
            text = r.text
        return text

    def test_failing_nvidia_smi_is_one_warning_with_exit_status_and_message(self) -> None:
        self.fake_smi("echo 'NVIDIA-SMI has failed because it could not communicate with the driver' >&2\n"
                      "printf 'bell\\007 here' >&2\nexit 3\n")
        exp = self.start_exporter(*self.slurm_args())
        self.scrape_twice(exp)
        lines = warn_lines(exp.stderr(), "GPU tool")
        self.assertEqual(len(lines), 1, exp.stderr())
        self.assertIn("status 3", lines[0])
        self.assertIn("could not communicate with the driver", lines[0])
        self.assertIn(self.smi, lines[0])
        # The tool's control bytes do not reach the log.
        self.assertNotIn("\x07", exp.stderr())

    def test_garbage_from_nvidia_smi_is_a_warning(self) -> None:
        self.fake_smi("echo 'Unable to determine the device handle for GPU0000:10:00.0: Unknown Error'\n")
        exp = self.start_exporter(*self.slurm_args())
        self.scrape_twice(exp)
        lines = warn_lines(exp.stderr(), "GPU tool")
        self.assertEqual(len(lines), 1, exp.stderr())
        self.assertIn("not valid XML", lines[0])
        self.assertIn("Unable to determine the device handle", lines[0])

    def test_absent_nvidia_smi_is_not_a_warning(self) -> None:
        # self.smi is never written: the tool is not installed.
        exp = self.start_exporter(*self.slurm_args())
        self.scrape_twice(exp)
        self.assertEqual(warn_lines(exp.stderr(), "GPU"), [], exp.stderr())

    def test_order_map_naming_missing_mig_instances_is_warned_once_per_entry(self) -> None:
        self.write(os.path.join(self.tmp, "smi.xml"), MIG_XML)
        self.fake_smi(f"cat {os.path.join(self.tmp, 'smi.xml')}\n")
        # Slurm gave job 5 its GPU 1, which the map sends to the missing instance 0.3.
        self.write(os.path.join(self.map_dir, "1"), "5\n")
        exp = self.start_exporter(*self.slurm_args(f"--collector.slurm.gpu-order-map={SEED_ORDER_MAP}"))
        text = self.scrape_twice(exp)
        self.assertIn('ceems_compute_unit_gpu_index_flag{gpuuuid="/",hindex="/gpu-1",hostname="",index="1",'
                      'manager="slurm",uuid="5"} 1', text)
        log = exp.stderr()
        misses = warn_lines(log, "GPU order map entry")
        self.assertEqual([re.search(r"entry=(\S+)", l).group(1) for l in misses],
                         ["1:0.3", "2:0.4", "4:0.6"], log)  # 3:0.5 is there
        for line in misses:
            self.assertIn("GPU 0 (GPU-mig0) has MIG GPU instance ids 1,5", line)
        # The job's ordinal that now matches nothing: one line over two scrapes.
        ordinal = warn_lines(log, "matches no discovered GPU")
        self.assertEqual(len(ordinal), 1, log)
        self.assertIn("ordinal=1", ordinal[0])
        self.assertIn("jobid=5", ordinal[0])

    def test_malformed_order_map_with_slurm_off_fails_start_up(self) -> None:
        for bad, entry in (("0-1", "0-1"), ("0:1,,2:2", ""), ("0:1, a:1", "a:1")):
            with self.subTest(map=bad):
                p = self.run_exporter_cli(*self.fixture_args(), "--collector.disable-defaults", "--collector.cpu",
                                          f"--collector.slurm.gpu-order-map={bad}",
                                          "--web.listen-address=127.0.0.1:0")
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("--collector.slurm.gpu-order-map", p.stderr)
                # The message is a logfmt value: its quotes are escaped.
                self.assertIn(f'invalid entry \\"{entry}\\"', p.stderr)

    def test_valid_order_map_with_slurm_off_is_accepted(self) -> None:
        exp = self.start_exporter("--collector.disable-defaults", "--collector.cpu",
                                  f"--collector.slurm.gpu-order-map={SEED_ORDER_MAP}")
        self.assertEqual(fetch(exp.url()).status, 200)


if __name__ == "__main__":
    unittest.main()
