"""scripts/release.sh: the release archive of the build under test holds both
binaries, the systemd units, the example configuration, LICENSE and SHA256SUMS;
the sums check, the binaries run from the unpacked archive, and two runs give the
same archive byte for byte."""

from __future__ import annotations

import os
import subprocess
import tarfile
import unittest

import harness
from harness import E2ETestCase

RELEASE = os.path.join(harness.REPO_ROOT, "scripts", "release.sh")
EXPECTED_FILES = [
    "LICENSE", "README.md", "SHA256SUMS", "ceems_exporter",
    "config/ceems_exporter/redfish-config.yml", "config/ceems_exporter/web-config.yml",
    "config/redfish_proxy/config.yml", "config/redfish_proxy/web-config.yml",
    "default/ceems_exporter", "default/redfish_proxy", "redfish_proxy",
    "systemd/ceems_exporter.service", "systemd/redfish_proxy.service",
]


class ReleaseArchiveTest(E2ETestCase):
    def build_dir(self) -> str:
        # <build>/src/apps/ceems_exporter/ceems_exporter
        build = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(self.exe)))))
        if not os.access(os.path.join(build, "src", "apps", "redfish_proxy", "redfish_proxy"), os.X_OK):
            raise unittest.SkipTest(f"redfish_proxy not built in {build}")
        return build

    def release(self, out: str) -> str:
        p = subprocess.run(["bash", RELEASE, "--build", self.build_dir(), "--arch", "amd64", out],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr)
        return os.path.join(out, "ceems-" + self.version() + ".linux-amd64.tar.gz")

    @staticmethod
    def version() -> str:
        with open(os.path.join(harness.REPO_ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("project(ceems_cpp VERSION "):
                    return line.split()[2]
        raise AssertionError("no project version in CMakeLists.txt")

    def test_archive_contents_sums_and_binaries(self) -> None:
        archive = self.release(os.path.join(self.tmp, "out"))
        name = os.path.basename(archive)[:-len(".tar.gz")]
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile()]
            self.assertEqual(sorted(m.name[len(name) + 1:] for m in members), sorted(EXPECTED_FILES))
            for m in members:
                self.assertEqual((m.uid, m.gid), (0, 0), m.name)
            # Debian 12's Python 3.11.2 predates extraction filters; the archive is our own.
            if hasattr(tarfile, "data_filter"):
                tar.extractall(self.tmp, filter="data")
            else:
                tar.extractall(self.tmp)
        unpacked = os.path.join(self.tmp, name)
        check = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=unpacked,
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(len(check.stdout.splitlines()), len(EXPECTED_FILES) - 1)
        outer = subprocess.run(["sha256sum", "--check", os.path.basename(archive) + ".sha256"],
                               cwd=os.path.dirname(archive), capture_output=True, text=True, timeout=60)
        self.assertEqual(outer.returncode, 0, outer.stdout + outer.stderr)
        for binary in ("ceems_exporter", "redfish_proxy"):
            self.assertTrue(os.access(os.path.join(unpacked, binary), os.X_OK), binary)
            v = subprocess.run([os.path.join(unpacked, binary), "--version"], capture_output=True, text=True,
                               timeout=10, stdin=subprocess.DEVNULL)
            self.assertEqual(v.returncode, 0, v.stderr)
            self.assertIn(self.version(), v.stdout + v.stderr)
        with open(os.path.join(unpacked, "LICENSE"), encoding="utf-8") as f:
            self.assertIn("GNU GENERAL PUBLIC LICENSE", f.read(200))

    def test_two_runs_give_the_same_archive(self) -> None:
        first = self.release(os.path.join(self.tmp, "a"))
        second = self.release(os.path.join(self.tmp, "b"))
        with open(first, "rb") as a, open(second, "rb") as b:
            self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    unittest.main()
