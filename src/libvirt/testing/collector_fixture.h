// The libvirt collector's test fixture: a fixture tree with instance XML, fake
// nvidia-smi answers, a VM maker per cgroup layout, and what the tests count
// (XML reads, vGPU queries). Shared by the collector's test files.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "cgroup/mode.h"
#include "core/command_runner.h"
#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"
#include "gpu/gpu.h"
#include "libvirt/libvirt_collector.h"
#include "units/sub_collector_table.h"

namespace ceems::libvirt::testing {

using test_support::RecordingPrivileges;
using test_support::render;
using test_support::TempTree;

constexpr const char* kSmiXml =
    "<?xml version=\"1.0\" ?>\n<nvidia_smi_log>\n"
    "<gpu "
    "id=\"00000000:10:00.0\"><uuid>GPU-vgpu</uuid><mig_mode><current_mig>Disabled</current_mig></mig_mode>"
    "<gpu_virtualization_mode><virtualization_mode>VGPU</virtualization_mode></gpu_virtualization_mode>"
    "<mig_devices>None</mig_devices></gpu>\n"
    "<gpu "
    "id=\"00000000:21:00.0\"><uuid>GPU-whole</uuid><mig_mode><current_mig>Disabled</current_mig></mig_mode>"
    "<gpu_virtualization_mode><virtualization_mode>None</virtualization_mode></gpu_virtualization_mode>"
    "<mig_devices>None</mig_devices></gpu>\n"
    "<gpu id=\"00000000:30:00.0\"><uuid>GPU-mig</uuid><mig_mode><current_mig>Enabled</current_mig></mig_mode>"
    "<gpu_virtualization_mode><virtualization_mode>VGPU</virtualization_mode></gpu_virtualization_mode>"
    "<mig_devices>"
    "<mig_device><index>0</index><gpu_instance_id>3</gpu_instance_id><compute_instance_id>0</"
    "compute_instance_id>"
    "<device_attributes><shared><multiprocessor_count>14</multiprocessor_count></shared></device_attributes>"
    "</mig_device>"
    "<mig_device><index>1</index><gpu_instance_id>5</gpu_instance_id><compute_instance_id>0</"
    "compute_instance_id>"
    "<device_attributes><shared><multiprocessor_count>56</multiprocessor_count></shared></device_attributes>"
    "</mig_device>"
    "</mig_devices></gpu>\n</nvidia_smi_log>\n";

constexpr const char* kVgpuQuery =
    "GPU 00000000:10:00.0\n"
    "    Active vGPUs                      : 2\n"
    "    vGPU ID                           : 101\n"
    "        VM Name                       : instance-00000001\n"
    "        MDEV UUID                     : 11111111-aaaa-4bbb-8ccc-000000000001\n"
    "        GPU Instance ID               : N/A\n"
    "    vGPU ID                           : 102\n"
    "        MDEV UUID                     : 22222222-aaaa-4bbb-8ccc-000000000002\n"
    "        GPU Instance ID               : N/A\n"
    "GPU 00000000:30:00.0\n"
    "    Active vGPUs                      : 2\n"
    "    vGPU ID                           : 103\n"
    "        MDEV UUID                     : 33333333-aaaa-4bbb-8ccc-000000000003\n"
    "        GPU Instance ID               : 3\n"
    "    vGPU ID                           : 104\n"
    "        MDEV UUID                     : 44444444-aaaa-4bbb-8ccc-000000000004\n"
    "        GPU Instance ID               : 3\n";

enum class Layout { kV1Systemd, kV1Libvirt, kV2Systemd, kV2Libvirt };

const std::string kUuid1 = "0a1b2c3d-0000-4000-8000-000000000001";
const std::string kUuid2 = "0a1b2c3d-0000-4000-8000-000000000002";
const std::string kUuidA = "0a1b2c3d-0000-4000-8000-00000000000a";
const std::string kUuidD = "0a1b2c3d-0000-4000-8000-00000000000d";

// A status file as libvirt writes it for a running domain, with a PCI hostdev
// at host address 0000:<bus>:00.0 unless bus is empty.
inline std::string runtime_xml(const std::string& name, const std::string& uuid,
                               const std::string& bus = "") {
  std::string hostdev;
  if (!bus.empty()) {
    hostdev =
        "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/><source>"
        "<address domain='0x0000' bus='" +
        bus +
        "' slot='0x00' function='0x0'/></source><alias name='hostdev0'/>"
        "<address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/></hostdev>";
  }
  return "<domstatus state='running' reason='booted' pid='4321'>\n"
         "  <devices><device alias='hostdev0'/></devices>\n"
         "  <domain type='kvm' id='3'><name>" +
         name + "</name><uuid>" + uuid + "</uuid><devices>" + hostdev + "</devices></domain>\n</domstatus>\n";
}

inline std::string cpu_user_line(const std::string& uuid, const std::string& value) {
  return "ceems_compute_unit_cpu_user_seconds_total{hostname=\"node1\",manager=\"libvirt\",uuid=\"" + uuid +
         "\"} " + value + "\n";
}

inline std::string gpu_flag_line(const std::string& uuid, const std::string& index,
                                 const std::string& gpuuuid, const std::string& value) {
  return "ceems_compute_unit_gpu_index_flag{gpuuuid=\"" + gpuuuid + "\",hindex=\"node1/gpu-" + index +
         "\",hostname=\"node1\",index=\"" + index + "\",manager=\"libvirt\",uuid=\"" + uuid + "\"} " + value +
         "\n";
}

class LibvirtCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.write("smi/nvidia-smi", "#!/bin/sh\n", 0755);
    t_.write("proc/meminfo", "MemTotal:       16384000 kB\nSwapTotal:             0 kB\n");
    t_.write("proc/diskstats", "   8       0 sda 1 0 8 0 1 0 8 0 0 0 0 0 0 0 0 0 0\n");
    std::filesystem::copy(std::string(CEEMS_TEST_DATA_DIR) + "/qemu", t_.path("qemu"));
    std::filesystem::copy(std::string(CEEMS_TEST_DATA_DIR) + "/runtime", t_.path("run"));
    // nvidia-smi: the inventory above, and the vGPU report.
    runner_.answer_prefix("--query", kSmiXml);
    runner_.answer_prefix("vgpu --query", kVgpuQuery);
  }

  // Instance XML reads (attempts included) in the runtime directory, and elsewhere.
  size_t runtime_reads() const {
    const std::string run = t_.path("run") + "/";
    return fs_.count_reads([&](std::string_view p) { return p.ends_with(".xml") && p.starts_with(run); });
  }
  size_t xml_reads() const {
    const std::string run = t_.path("run") + "/";
    return fs_.count_reads([&](std::string_view p) { return p.ends_with(".xml") && !p.starts_with(run); });
  }
  size_t vgpu_calls() const { return runner_.count("vgpu --query"); }

  // The root cgroup of VM <qemu id> running instance <name> in the given layout.
  std::string vm_dir(Layout layout, int qemu_id, const std::string& name) const {
    const std::string q = std::to_string(qemu_id);
    switch (layout) {
      case Layout::kV1Systemd:
        return "cg/cpuacct/machine.slice/machine-qemu\\x2d" + q + "\\x2d" + escape_dashes(name) + ".scope";
      case Layout::kV1Libvirt:
        return "cg/cpuacct/machine/qemu-" + q + "-" + name + ".libvirt-qemu";
      case Layout::kV2Systemd:
        return "cg/machine.slice/machine-qemu\\x2d" + q + "\\x2d" + escape_dashes(name) + ".scope";
      case Layout::kV2Libvirt:
        return "cg/machine/qemu-" + q + "-" + name + ".libvirt-qemu";
    }
    return {};
  }

  static std::string escape_dashes(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '-' ? std::string("\\x2d") : std::string(1, c);
    return out;
  }

  static bool is_v1(Layout l) { return l == Layout::kV1Systemd || l == Layout::kV1Libvirt; }

  // A VM using `user_seconds` of CPU in user mode, with its QEMU threads in child cgroups.
  void add_vm(Layout layout, int qemu_id, const std::string& name, int user_seconds = 2) {
    std::string dir = vm_dir(layout, qemu_id, name);
    if (is_v1(layout)) {
      t_.write(dir + "/cgroup.procs", "");
      t_.write(dir + "/cpuacct.stat", "user " + std::to_string(user_seconds * 100) + "\nsystem 50\n");
      t_.write(dir + "/cpuacct.usage", "2500000000\n");
      t_.write(dir + "/cpuacct.usage_percpu", "1500000000 1000000000\n");
      t_.write(dir + "/emulator/cgroup.procs", "");
      // v1 has no populated flag: a unit counts while a process is listed below it.
      t_.write(dir + "/vcpu0/cgroup.procs", std::to_string(1000 + qemu_id) + "\n");
    } else {
      t_.write(dir + "/cgroup.controllers", "cpu memory\n");
      t_.write(dir + "/cgroup.procs", "");
      t_.write(dir + "/cpu.stat", "usage_usec 2500000\nuser_usec " + std::to_string(user_seconds * 1000000) +
                                      "\nsystem_usec 500000\n");
      t_.write(dir + "/libvirt/cgroup.procs", "");
      t_.write(dir + "/libvirt/emulator/cgroup.procs", "");
      t_.write(dir + "/libvirt/vcpu0/cgroup.procs", "");
    }
  }

  Result<std::unique_ptr<Collector>> make(std::vector<std::string> args, bool v1 = false) {
    flags_ = std::make_unique<FlagSet>("test");
    register_libvirt_flags(*flags_);
    cgroup::register_cgroup_flags(*flags_);
    gpu::register_gpu_flags(*flags_);
    units::register_sub_collector_flags(*flags_);
    args.push_back(std::string("--collector.cgroups.force-version=") + (v1 ? "v1" : "v2"));
    args.push_back("--collector.libvirt.xml-dir=" + t_.path("qemu"));
    if (std::none_of(args.begin(), args.end(),
                     [](const auto& a) { return a.starts_with("--collector.libvirt.runtime-xml-dir="); })) {
      args.push_back("--collector.libvirt.runtime-xml-dir=" + t_.path("run"));
    }
    EXPECT_TRUE(flags_->parse(args).ok());
    host_ = std::make_unique<HostFs>(t_.path("proc"), t_.path("sys"), t_.path("cg"), &fs_);
    CollectorContext ctx{*flags_, *host_, runner_, privileges_, "node1", false, log::Logger()};
    return make_libvirt_collector(ctx, [this] { return now_; });
  }

  std::vector<std::string> gpu_args() {
    return {"--collector.gpu.type=nvidia", "--collector.gpu.nvidia-smi-path=" + t_.path("smi/nvidia-smi")};
  }

  std::string scrape(Collector& c) {
    MetricBatch out;
    Status st = c.update(out);
    EXPECT_TRUE(st.ok()) << st.error().message();
    return render(out);
  }

  TempTree t_;
  test_support::OverlayFilesystem fs_;
  test_support::FakeRunner runner_;
  RecordingPrivileges privileges_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1000)};
  std::unique_ptr<FlagSet> flags_;
  std::unique_ptr<HostFs> host_;
};

}  // namespace ceems::libvirt::testing
