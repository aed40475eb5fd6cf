#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "libvirt/testing/collector_fixture.h"

// Layouts, GPU mapping, flags and failures of the libvirt collector.
namespace ceems::libvirt {
namespace {

using namespace ceems::libvirt::testing;  // NOLINT(google-build-using-namespace): the fixture's helpers
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(LibvirtCollectorTest, FlagsAndHelp) {
  FlagSet flags("test");
  register_libvirt_flags(flags);
  ASSERT_TRUE(flags.parse({}).ok());
  EXPECT_EQ(flags.get_string("collector.libvirt.xml-dir"), "/etc/libvirt/qemu");
  EXPECT_EQ(flags.get_string("collector.libvirt.runtime-xml-dir"), "/run/libvirt/qemu");
  EXPECT_FALSE(flags.get_bool("collector.libvirt.swap-memory-metrics"));
  EXPECT_FALSE(flags.get_bool("collector.libvirt.psi-metrics"));
  EXPECT_FALSE(flags.get_bool("collector.libvirt.blkio-metrics"));
  std::string usage = flags.usage();
  EXPECT_THAT(usage, HasSubstr("Enables collection of swap memory metrics (default: disabled)"));
  EXPECT_THAT(usage, HasSubstr("Enables collection of block IO metrics (default: disabled)"));
  EXPECT_THAT(usage, HasSubstr("Enables collection of PSI metrics (default: disabled)"));
  EXPECT_THAT(usage, Not(HasSubstr("xml-dir")));
}

TEST_F(LibvirtCollectorTest, SystemdLayoutV1WithGpus) {
  add_vm(Layout::kV1Systemd, 1, "instance-00000001");
  add_vm(Layout::kV1Systemd, 2, "instance-00000002", 3);
  add_vm(Layout::kV1Systemd, 3, "instance-0000000a");
  auto c = make(gpu_args(), /*v1=*/true);
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid1, "2")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "3")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "2")));
  EXPECT_THAT(text, Not(HasSubstr("uuid=\"instance-")));
  EXPECT_THAT(text,
              HasSubstr("# HELP ceems_compute_unit_gpu_index_flag A value > 0 indicates running instance "
                        "using current GPU\n"));
  // One of the two vGPUs of a whole GPU, one of two vGPUs on a MIG instance with
  // 14 of the GPU's 70 SMs, and a GPU passed through.
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid1, "0", "GPU-vgpu/", "0.5")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid1, "2", "GPU-mig/3", "0.1")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid2, "1", "GPU-whole/", "1")));
  size_t flags = 0;
  for (size_t pos = 0; (pos = text.find("\nceems_compute_unit_gpu_index_flag{", pos)) != std::string::npos;
       ++pos) {
    ++flags;
  }
  EXPECT_EQ(flags, 3U) << text;
  EXPECT_EQ(vgpu_calls(), 1U);
  EXPECT_EQ((*c)->capabilities(), std::vector<std::string>{"cap_dac_read_search"});
  EXPECT_EQ(privileges_.last_caps(), std::vector<std::string>{"cap_dac_read_search"});
}

TEST_F(LibvirtCollectorTest, LibvirtOwnLayoutV1) {
  add_vm(Layout::kV1Libvirt, 1, "instance-00000001");
  add_vm(Layout::kV1Libvirt, 4, "instance-0000000a", 5);
  auto c = make({}, /*v1=*/true);
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid1, "2")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "5")));
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 2\n"));
  EXPECT_THAT(text, Not(HasSubstr("gpu_index_flag")));
}

TEST_F(LibvirtCollectorTest, SystemdLayoutV2) {
  add_vm(Layout::kV2Systemd, 1, "instance-00000001", 4);
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid1, "4")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "2")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid2, "1", "GPU-whole/", "1")));
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 2\n"));
}

TEST_F(LibvirtCollectorTest, LibvirtOwnLayoutV2) {
  add_vm(Layout::kV2Libvirt, 7, "instance-0000000a", 6);
  auto c = make({});
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "6")));
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 1\n"));
}

TEST_F(LibvirtCollectorTest, VmStoppingMidScrapeDoesNotFailIt) {
  add_vm(Layout::kV2Systemd, 1, "instance-00000001");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  const std::string gone = t_.path(vm_dir(Layout::kV2Systemd, 2, "instance-00000002"));
  fs_.on_read([&](const std::string& path) {
    if (path.ends_with("instance-00000002.xml")) std::filesystem::remove_all(gone);
  });
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid1, "2")));
  EXPECT_THAT(text, Not(HasSubstr(cpu_user_line(kUuid2, "2"))));
  // And on the next scrape it is simply gone.
  text = scrape(**c);
  EXPECT_THAT(text, Not(HasSubstr(kUuid2)));
}

TEST_F(LibvirtCollectorTest, NoVgpuNoRefresh) {
  runner_.answer_prefix(
      "--query",
      "<nvidia_smi_log><gpu id=\"00000000:21:00.0\"><uuid>GPU-whole</uuid><mig_mode><current_mig>Disabled"
      "</current_mig></mig_mode><mig_devices>None</mig_devices></gpu></nvidia_smi_log>");
  add_vm(Layout::kV2Systemd, 1, "instance-00000001");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_EQ(vgpu_calls(), 0U);
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid2, "0", "GPU-whole/", "1")));
  EXPECT_THAT(text, Not(HasSubstr("uuid=\"" + kUuid1 + "\"} 1\nceems_compute_unit_gpu")));
}

TEST_F(LibvirtCollectorTest, MissingHierarchyFailsTheScrapeOnly) {
  auto c = make({});
  ASSERT_TRUE(c.ok());
  MetricBatch out;
  Status st = (*c)->update(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("failed to discover cgroups"));
  EXPECT_THAT(st.error().message(), HasSubstr("machine.slice"));
}

}  // namespace
}  // namespace ceems::libvirt
