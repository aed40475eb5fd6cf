"""The libvirt collector end to end on an OpenStack-style host: a cgroup v2
tree written here, libvirt's runtime status XML (<domstatus> wrapping the live
<domain>) in tests/fixtures/libvirt/runtime and persistent definitions in
tests/fixtures/libvirt/qemu. An instance whose XML exists only in the runtime
directory must carry its domain UUID and its passed-through GPU."""

import os
import unittest

from harness import E2ETestCase, fetch, success_line

# Host PCI address 0000:21:00.0 is the GPU the runtime fixture passes through.
NVIDIA_XML = """<?xml version="1.0" ?>
<nvidia_smi_log>
  <gpu id="00000000:10:00.0">
    <uuid>GPU-e2e-other</uuid>
    <mig_mode><current_mig>Disabled</current_mig></mig_mode>
    <mig_devices>None</mig_devices>
  </gpu>
  <gpu id="00000000:21:00.0">
    <uuid>GPU-e2e-passthrough</uuid>
    <mig_mode><current_mig>Disabled</current_mig></mig_mode>
    <mig_devices>None</mig_devices>
  </gpu>
</nvidia_smi_log>
"""

UUID_RUNTIME = "7c9e4f1a-2b3d-4e5f-8a6b-0c1d2e3f4a5d"  # runtime/instance-0000000d.xml only
UUID_DEFINITION = "7c9e4f1a-2b3d-4e5f-8a6b-0c1d2e3f4a02"  # qemu/instance-00000002.xml only


def cpu_user(uuid: str, value: str) -> str:
    return f'ceems_compute_unit_cpu_user_seconds_total{{hostname="",manager="libvirt",uuid="{uuid}"}} {value}'


class OperatorLibvirtTest(E2ETestCase):
    def setUp(self) -> None:
        super().setUp()
        self.runtime_dir = os.path.join(self.fixtures, "libvirt", "runtime")
        self.xml_dir = os.path.join(self.fixtures, "libvirt", "qemu")
        slice_dir = os.path.join(self.cgroupfs, "machine.slice")
        self.write(os.path.join(slice_dir, "cgroup.controllers"), "cpu memory\n")
        # instance-0000000f has no XML anywhere.
        for qemu_id, name, user_s in ((1, "instance-0000000d", 3), (2, "instance-00000002", 4),
                                      (3, "instance-0000000f", 5)):
            escaped = f"qemu-{qemu_id}-{name}".replace("-", "\\x2d")
            d = os.path.join(slice_dir, f"machine-{escaped}.scope")
            self.write(os.path.join(d, "cgroup.controllers"), "cpu memory\n")
            self.write(os.path.join(d, "cgroup.procs"), "")
            self.write(os.path.join(d, "cpu.stat"),
                       f"usage_usec {user_s + 1}000000\nuser_usec {user_s}000000\nsystem_usec 1000000\n")
            self.write(os.path.join(d, "memory.current"), "1048576\n")
            self.write(os.path.join(d, "memory.max"), "2097152\n")
            self.write(os.path.join(d, "memory.stat"), "anon 4096\nfile 8192\n")
            for child in ("libvirt", os.path.join("libvirt", "emulator"), os.path.join("libvirt", "vcpu0")):
                self.write(os.path.join(d, child, "cgroup.procs"), "")
        self.write(os.path.join(self.procfs, "diskstats"), "   8       0 sda 1 0 8 0 1 0 8 0 0 0 0 0 0 0 0 0 0\n")
        self.smi = os.path.join(self.tmp, "nvidia-smi")
        self.write(os.path.join(self.tmp, "smi.xml"), NVIDIA_XML)
        self.write(self.smi, f"#!/bin/sh\ncat {os.path.join(self.tmp, 'smi.xml')}\n")
        for p in (self.tmp, os.path.join(self.tmp, "smi.xml"), self.smi):
            os.chmod(p, 0o755)

    @staticmethod
    def write(path: str, content: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o644)
        os.chmod(os.path.dirname(path), 0o755)

    def libvirt_args(self, *extra: str) -> list[str]:
        return ["--collector.disable-defaults", "--collector.libvirt", "--collector.cgroups.force-version=v2",
                "--collector.gpu.type=nvidia", f"--collector.gpu.nvidia-smi-path={self.smi}",
                f"--collector.libvirt.xml-dir={self.xml_dir}",
                f"--collector.libvirt.runtime-xml-dir={self.runtime_dir}", "--log.level=debug", *extra]

    def assert_instances_labelled(self, text: str) -> None:
        self.assertIn('ceems_compute_units{hostname="",manager="libvirt"} 3', text)
        self.assertIn(cpu_user(UUID_RUNTIME, "3"), text)
        self.assertIn(cpu_user(UUID_DEFINITION, "4"), text)
        self.assertIn(cpu_user("", "5"), text)
        # GPU 1 (bus 21) from the runtime XML's hostdev <source>, not the guest address.
        flags = [l for l in text.splitlines() if l.startswith("ceems_compute_unit_gpu_index_flag{")]
        self.assertEqual(flags, [
            'ceems_compute_unit_gpu_index_flag{gpuuuid="GPU-e2e-passthrough/",hindex="/gpu-1",hostname="",'
            f'index="1",manager="libvirt",uuid="{UUID_RUNTIME}"}} 1'])
        self.assertIn(success_line("libvirt"), text)

    def test_runtime_status_xml_labels_instance_and_gpu(self) -> None:
        self.assertFalse(os.path.exists(os.path.join(self.xml_dir, "instance-0000000d.xml")))
        exp = self.start_exporter(*self.libvirt_args("--no-security.drop-privileges"))
        self.assert_instances_labelled(fetch(exp.url()).text)
        log = exp.stderr()
        # The definition fallback is quiet; only the instance with no XML at all is an error.
        self.assertIn("No runtime instance XML", log)
        errors = [l for l in log.splitlines() if "level=ERROR" in l]
        self.assertEqual(len(errors), 1, log)
        self.assertIn("instance=instance-0000000f", errors[0])
        self.assertIn(os.path.join(self.runtime_dir, "instance-0000000f.xml"), errors[0])
        self.assertIn(os.path.join(self.xml_dir, "instance-0000000f.xml"), errors[0])
        self.assertNotIn("level=WARN", log)

    def test_root_only_runtime_dir_is_read_with_capability(self) -> None:
        """As on a real host: /run/libvirt/qemu is root's, mode 0700, files 0600.
        Started as root, the exporter runs as nobody and reads the XML only
        under cap_dac_read_search."""
        if os.geteuid() != 0:
            self.skipTest("needs root (the exporter drops to nobody and keeps a capability)")
        os.chmod(self.runtime_dir, 0o700)
        os.chmod(os.path.join(self.runtime_dir, "instance-0000000d.xml"), 0o600)
        exp = self.start_exporter(*self.libvirt_args())
        self.assert_instances_labelled(fetch(exp.url()).text)
        with open(f"/proc/{exp.proc.pid}/status") as f:
            uids = next(l for l in f if l.startswith("Uid:")).split()[1:]
        self.assertNotIn("0", uids, "the exporter still runs as root: the directory mode proved nothing")


if __name__ == "__main__":
    unittest.main()
