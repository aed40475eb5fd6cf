"""The slurm collector end to end on a small cgroup v2 tree written here: job
metrics, the GPU map from the prolog/epilog scripts in deploy/slurm, the Alloy
targets endpoint, and start-up errors for a malformed GPU order map."""

import json
import os
import subprocess
import unittest

from harness import E2ETestCase, fetch, nvidia_whole_gpu_xml, write_file

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROLOG = os.path.join(REPO, "deploy", "slurm", "ceems-gpujobmap-prolog.sh")
EPILOG = os.path.join(REPO, "deploy", "slurm", "ceems-gpujobmap-epilog.sh")

NVIDIA_XML = ('<?xml version="1.0" ?>\n<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">\n<nvidia_smi_log>\n' +
              nvidia_whole_gpu_xml("00000000:10:00.0", "GPU-aaaa") +
              nvidia_whole_gpu_xml("00000000:11:00.0", "GPU-bbbb") + "</nvidia_smi_log>\n")


class SlurmFixtureTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        scope = os.path.join(self.cgroupfs, "system.slice", "slurmstepd.scope")
        self.write(os.path.join(scope, "cgroup.controllers"), "cpu memory\n")
        for job, pid in (("5", os.getpid()), ("6", 0)):
            d = os.path.join(scope, f"job_{job}")
            self.write(os.path.join(d, "cgroup.controllers"), "cpu memory\n")
            self.write(os.path.join(d, "cgroup.procs"), f"{pid}\n" if pid else "")
            self.write(os.path.join(d, "cpu.stat"), "usage_usec 3000000\nuser_usec 2500000\nsystem_usec 500000\n")
            self.write(os.path.join(d, "memory.current"), "1048576\n")
            self.write(os.path.join(d, "memory.max"), "2097152\n")
            self.write(os.path.join(d, "memory.stat"), "anon 4096\nfile 8192\n")
            self.write(os.path.join(d, "cpuset.cpus.effective"), "0-1\n")
            os.makedirs(os.path.join(d, "step_0", "user", "task_0"), exist_ok=True)
        if os.getpid():
            os.makedirs(os.path.join(self.procfs, str(os.getpid())), exist_ok=True)
        self.smi = os.path.join(self.tmp, "nvidia-smi")
        self.write(os.path.join(self.tmp, "smi.xml"), NVIDIA_XML)
        self.write(self.smi, f"#!/bin/sh\ncat {os.path.join(self.tmp, 'smi.xml')}\n")
        os.chmod(self.smi, 0o755)
        self.map_dir = os.path.join(self.tmp, "gpujobmap")

    write = staticmethod(write_file)

    def slurm_args(self, *extra: str) -> list[str]:
        return ["--collector.disable-defaults", "--collector.slurm", "--collector.cgroups.force-version=v2",
                "--no-security.drop-privileges", "--collector.gpu.type=nvidia",
                f"--collector.gpu.nvidia-smi-path={self.smi}", *extra]

    def run_script(self, script: str, job: str, cuda: str) -> None:
        env = {"PATH": "/usr/bin:/bin", "SLURM_JOB_ID": job, "CUDA_VISIBLE_DEVICES": cuda,
               "CEEMS_GPU_JOB_MAP_DIR": self.map_dir}
        subprocess.run(["/bin/bash", script], env=env, check=True, timeout=10)

    def test_job_metrics_and_gpu_map_from_prolog(self) -> None:
        self.run_script(PROLOG, "5", "1")
        self.run_script(PROLOG, "6", "0")
        self.assertEqual(sorted(os.listdir(self.map_dir)), ["0", "1"])
        exp = self.start_exporter(*self.slurm_args(f"--collector.slurm.gpu-job-map-path={self.map_dir}"))
        text = fetch(exp.url()).text
        self.assertIn('ceems_compute_units{hostname="",manager="slurm"} 2', text)
        self.assertIn('ceems_compute_unit_cpu_user_seconds_total{hostname="",manager="slurm",uuid="5"} 2.5', text)
        self.assertIn('ceems_compute_unit_cpus{hostname="",manager="slurm",uuid="5"} 2', text)
        self.assertIn('ceems_compute_unit_gpu_index_flag{gpuuuid="GPU-bbbb/",hindex="/gpu-1",hostname="",'
                      'index="1",manager="slurm",uuid="5"} 1', text)
        self.assertIn('ceems_compute_unit_gpu_index_flag{gpuuuid="GPU-aaaa/",hindex="/gpu-0",hostname="",'
                      'index="0",manager="slurm",uuid="6"} 1', text)
        self.assertIn('ceems_scrape_collector_success{collector="slurm"} 1', text)
        # The epilog removes only the ending job's files.
        self.run_script(EPILOG, "6", "")
        self.assertEqual(sorted(os.listdir(self.map_dir)), ["1"])

    def test_alloy_targets_lists_job_processes(self) -> None:
        exp = self.start_exporter(*self.slurm_args("--discoverer.alloy-targets.resource-manager=slurm"))
        r = fetch(exp.url("/alloy-targets"))
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.text), [
            {"targets": ["5"], "labels": {"__process_pid__": str(os.getpid()), "service_name": "5"}}])

    def test_malformed_order_map_fails_start_up_naming_the_entry(self) -> None:
        for bad in ("0:1,1:0.3.4", "0:1,,2:2", "0-1", "a:1"):
            with self.subTest(map=bad):
                argv = [self.exe, *self.fixture_args(), *self.slurm_args(f"--collector.slurm.gpu-order-map={bad}"),
                        "--web.listen-address=127.0.0.1:0"]
                p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("gpu-order-map", p.stderr)


if __name__ == "__main__":
    unittest.main()
