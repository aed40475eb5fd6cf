// A real QEMU guest started through libvirt (TCG, no KVM needed): the collector
// finds its cgroup in whatever layout libvirt chose on this host and labels it
// with the UUID from the domain XML. Skips where no libvirt daemon answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cgroup/mode.h"
#include "core/command_runner.h"
#include "core/privileges.h"
#include "core/strings.h"
#include "core/testing/test_support.h"
#include "gpu/gpu.h"
#include "libvirt/libvirt_collector.h"
#include "units/sub_collector_table.h"

namespace ceems::libvirt {
namespace {

using ::testing::HasSubstr;

const std::string kUri = "qemu:///system";

class LibvirtIntegration : public ::testing::Test {
 protected:
  Result<CommandOutput> virsh(std::vector<std::string> args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    Command cmd;
    cmd.argv = {"virsh", "-c", kUri};
    cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
    cmd.timeout = timeout;
    return runner_.run(cmd);
  }

  void TearDown() override {
    // libvirt knows a transient guest from the start of its creation, so this waits
    // for (or ends) a creation that timed out above.
    if (started_) (void)virsh({"destroy", name_}, std::chrono::seconds(90));
  }

  ProcessRunner runner_;
  test_support::TempTree t_{"ceems_libvirt_it"};
  std::string name_;
  bool started_ = false;
};

TEST_F(LibvirtIntegration, LabelsARunningGuestWithItsDomainUuid) {
  if (find_executable("virsh").empty()) GTEST_SKIP() << "virsh not installed";
  if (auto v = virsh({"version"}); !v) GTEST_SKIP() << "no libvirt daemon: " << v.error().message();

  // A Nova-style name, so that the cgroup matches instance-<hex>.
  char hex[16];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(::getpid()));
  name_ = std::string("instance-") + hex;
  t_.write("def.xml", "<domain type='qemu'><name>" + name_ +
                          "</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                          "<os><type arch='x86_64'>hvm</type><boot dev='network'/></os>"
                          "<devices><serial type='pty'/><console type='pty'/></devices></domain>");
  // A create that times out may still bring the guest up later: always destroy it.
  started_ = true;
  if (auto c = virsh({"create", t_.path("def.xml")}, std::chrono::seconds(60)); !c) {
    GTEST_SKIP() << "libvirt cannot start a TCG guest here within a minute: " << c.error().message();
  }
  auto uuid = virsh({"domuuid", name_});
  ASSERT_TRUE(uuid.ok()) << uuid.error().message();
  const std::string want = std::string(trim(uuid->output));
  auto xml = virsh({"dumpxml", name_});
  ASSERT_TRUE(xml.ok()) << xml.error().message();
  t_.write("qemu/" + name_ + ".xml", xml->output);

  const std::string cg = "/sys/fs/cgroup";
  const cgroup::Mode mode = cgroup::resolve_mode("", cg);
  FlagSet flags("test");
  register_libvirt_flags(flags);
  cgroup::register_cgroup_flags(flags);
  gpu::register_gpu_flags(flags);
  units::register_sub_collector_flags(flags);
  // libvirt does not always place guests in cpuacct (not co-mounted with cpu on
  // some hosts); memory is always there.
  ASSERT_TRUE(flags
                  .parse({"--collector.libvirt.xml-dir=" + t_.path("qemu"),
                          "--collector.cgroup.active-subsystem=memory", "--collector.gpu.type=nvidia",
                          "--collector.gpu.nvidia-smi-path=" + t_.path("none")})
                  .ok());
  HostFs host("/proc", "/sys", cg);
  NoPrivileges privileges;
  CollectorContext ctx{flags, host, runner_, privileges, "node1", false, log::Logger()};
  auto c = make_libvirt_collector(ctx);
  ASSERT_TRUE(c.ok()) << c.error().message();

  const std::string line =
      "ceems_compute_unit_memory_used_bytes{hostname=\"node1\",manager=\"libvirt\",uuid=\"" + want + "\"} ";
  std::string text;
  for (int attempt = 0; attempt < 20; ++attempt) {
    MetricBatch out;
    Status st = (*c)->update(out);
    ASSERT_TRUE(st.ok()) << st.error().message() << " (cgroup mode " << cgroup::mode_name(mode) << ")";
    text = test_support::render(out);
    if (text.find(line) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_THAT(text, HasSubstr(line));
}

}  // namespace
}  // namespace ceems::libvirt
