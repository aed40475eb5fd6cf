#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "libvirt/testing/collector_fixture.h"

// How the libvirt collector reads instance XML: once per instance, the runtime
// status file before the definition, retries and eviction.
namespace ceems::libvirt {
namespace {

using namespace ceems::libvirt::testing;  // NOLINT(google-build-using-namespace): the fixture's helpers
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(LibvirtCollectorTest, InstanceXmlIsReadOncePerInstance) {
  add_vm(Layout::kV2Systemd, 1, "instance-00000001");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  (void)scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);
  EXPECT_EQ(privileges_.calls().size(), 1u);  // one privileged thread for both files
  EXPECT_EQ(vgpu_calls(), 1U);
  std::string text = scrape(**c);
  (void)scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);
  EXPECT_EQ(privileges_.calls().size(), 1u);
  EXPECT_EQ(vgpu_calls(), 1U);
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid1, "0", "GPU-vgpu/", "0.5")));

  // A new VM costs one read (and one vGPU refresh).
  add_vm(Layout::kV2Systemd, 3, "instance-0000000a");
  text = scrape(**c);
  EXPECT_EQ(xml_reads(), 3U);
  EXPECT_EQ(vgpu_calls(), 2U);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "2")));
}

TEST_F(LibvirtCollectorTest, GoneInstancesAreEvicted) {
  add_vm(Layout::kV2Systemd, 1, "instance-00000001");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make({});
  ASSERT_TRUE(c.ok());
  (void)scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);
  std::filesystem::remove_all(t_.path(vm_dir(Layout::kV2Systemd, 2, "instance-00000002")));
  std::string text = scrape(**c);
  EXPECT_THAT(text, Not(HasSubstr(kUuid2)));
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 1\n"));
  // The same instance started again (after a resize, say) is read afresh.
  add_vm(Layout::kV2Systemd, 5, "instance-00000002");
  text = scrape(**c);
  EXPECT_EQ(xml_reads(), 3U);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "2")));
}

TEST_F(LibvirtCollectorTest, CacheIsResetAfterThreeHours) {
  add_vm(Layout::kV2Systemd, 1, "instance-00000001");
  auto c = make({});
  ASSERT_TRUE(c.ok());
  (void)scrape(**c);
  now_ += std::chrono::hours(3);
  (void)scrape(**c);
  EXPECT_EQ(xml_reads(), 1U);
  now_ += std::chrono::seconds(1);
  std::string text = scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid1, "2")));
}

TEST_F(LibvirtCollectorTest, UnreadableOrInvalidXmlGivesEmptyUuidAndIsRetriedLater) {
  test_support::LogCapture logs(log::Level::kDebug);
  add_vm(Layout::kV2Systemd, 1, "instance-0000000b");  // no XML file
  add_vm(Layout::kV2Systemd, 2, "instance-0000000c");  // malformed XML
  auto c = make({});
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);
  EXPECT_THAT(text, HasSubstr("ceems_compute_units{hostname=\"node1\",manager=\"libvirt\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(cpu_user_line("", "2")));
  EXPECT_EQ(runtime_reads(), 2U);
  std::string log = logs.text();
  // Both places the instance was looked for.
  EXPECT_THAT(log, HasSubstr(t_.path("qemu/instance-0000000b.xml")));
  EXPECT_THAT(log, HasSubstr(t_.path("run/instance-0000000b.xml")));
  EXPECT_THAT(log, HasSubstr("instance-0000000c.xml"));
  EXPECT_THAT(log, HasSubstr("not valid XML"));

  now_ += std::chrono::minutes(4);
  (void)scrape(**c);
  EXPECT_EQ(xml_reads(), 2U);

  // The definition shows up: the next retry picks it up.
  t_.write("qemu/instance-0000000b.xml", "<domain><uuid>late-uuid</uuid></domain>\n");
  now_ += std::chrono::minutes(1);
  text = scrape(**c);
  EXPECT_EQ(xml_reads(), 4U);
  EXPECT_THAT(text, HasSubstr(cpu_user_line("late-uuid", "2")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line("", "2")));
}

// OpenStack hosts where Nova keeps the domain only in libvirt's runtime directory.
TEST_F(LibvirtCollectorTest, RuntimeStatusXmlAloneLabelsTheInstance) {
  test_support::LogCapture logs(log::Level::kDebug);
  add_vm(Layout::kV2Systemd, 7, "instance-0000000d", 3);
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidD, "3")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuidD, "1", "GPU-whole/", "1")));
  EXPECT_THAT(text, Not(HasSubstr("uuid=\"\"")));
  EXPECT_EQ(runtime_reads(), 1U);
  EXPECT_EQ(xml_reads(), 0U);
  EXPECT_EQ(privileges_.calls().size(), 1u);
  EXPECT_EQ(privileges_.last_caps(), std::vector<std::string>{"cap_dac_read_search"});
  EXPECT_THAT(logs.text(), Not(HasSubstr("level=ERROR")));

  // Cached like any other instance.
  text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuidD, "1", "GPU-whole/", "1")));
  EXPECT_EQ(runtime_reads(), 1U);
  EXPECT_EQ(privileges_.calls().size(), 1u);
}

TEST_F(LibvirtCollectorTest, RuntimeXmlIsPreferredToTheDefinition) {
  // A GPU hot-plugged into the running guest is only in the live definition.
  t_.write("run/instance-0000000a.xml", runtime_xml("instance-0000000a", kUuidA, "0x21"));
  add_vm(Layout::kV2Systemd, 3, "instance-0000000a");
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "2")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuidA, "1", "GPU-whole/", "1")));
  EXPECT_EQ(xml_reads(), 0U);
}

TEST_F(LibvirtCollectorTest, MissingRuntimeXmlFallsBackToTheDefinitionQuietly) {
  test_support::LogCapture logs(log::Level::kDebug);
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make(gpu_args());
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "2")));
  EXPECT_THAT(text, HasSubstr(gpu_flag_line(kUuid2, "1", "GPU-whole/", "1")));
  EXPECT_EQ(runtime_reads(), 1U);
  EXPECT_EQ(xml_reads(), 1U);
  std::string log = logs.text();
  EXPECT_THAT(log, HasSubstr("level=DEBUG"));
  EXPECT_THAT(log, HasSubstr("No runtime instance XML"));
  EXPECT_THAT(log, Not(HasSubstr("level=WARN")));
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
}

TEST_F(LibvirtCollectorTest, UnusableRuntimeXmlFallsBackWithAWarning) {
  test_support::LogCapture logs(log::Level::kInfo);
  t_.write("run/instance-00000002.xml", "<domstatus state='running'><domain><uuid>x</uuid>");
  t_.write("run/instance-0000000a.xml", "<domstatus state='running'/>\n");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  add_vm(Layout::kV2Systemd, 3, "instance-0000000a");
  auto c = make({});
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "2")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuidA, "2")));
  std::string log = logs.text();
  EXPECT_THAT(log, HasSubstr("level=WARN"));
  EXPECT_THAT(log, HasSubstr(t_.path("run/instance-00000002.xml")));
  EXPECT_THAT(log, HasSubstr("not valid XML"));
  EXPECT_THAT(log, HasSubstr("<domstatus> has no <domain>"));
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
}

TEST_F(LibvirtCollectorTest, RuntimeXmlAppearingLaterIsPickedUpOnRetry) {
  add_vm(Layout::kV2Systemd, 4, "instance-0000000e");
  auto c = make({});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(scrape(**c), HasSubstr(cpu_user_line("", "2")));
  t_.write("run/instance-0000000e.xml", runtime_xml("instance-0000000e", "late-runtime-uuid"));
  now_ += std::chrono::minutes(5);
  EXPECT_THAT(scrape(**c), HasSubstr(cpu_user_line("late-runtime-uuid", "2")));
}

TEST_F(LibvirtCollectorTest, EmptyRuntimeDirFlagReadsOnlyTheDefinition) {
  add_vm(Layout::kV2Systemd, 7, "instance-0000000d");
  add_vm(Layout::kV2Systemd, 2, "instance-00000002");
  auto c = make({"--collector.libvirt.runtime-xml-dir="});
  ASSERT_TRUE(c.ok());
  std::string text = scrape(**c);
  EXPECT_THAT(text, HasSubstr(cpu_user_line(kUuid2, "2")));
  EXPECT_THAT(text, HasSubstr(cpu_user_line("", "2")));
  EXPECT_THAT(text, Not(HasSubstr(kUuidD)));
  EXPECT_EQ(runtime_reads(), 0U);
  EXPECT_EQ(xml_reads(), 2U);
}

}  // namespace
}  // namespace ceems::libvirt
