#include "libvirt/instance_xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ceems::libvirt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string domain(const std::string& devices, const std::string& uuid = "<uuid>5d2f6b1e-0001</uuid>") {
  return "<!-- generated -->\n<domain type='kvm'>\n  <name>instance-00000001</name>\n  " + uuid +
         "\n  <devices>\n" + devices + "  </devices>\n</domain>\n";
}

std::string pci(const std::string& domain, const std::string& bus, const std::string& slot,
                const std::string& function) {
  return "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='" + domain + "' bus='" +
         bus + "' slot='" + slot + "' function='" + function + "'/></source></hostdev>\n";
}

std::string mdev(const std::string& uuid) {
  return "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='" + uuid +
         "'/></source></hostdev>\n";
}

TEST(LibvirtParseInstanceXml, UuidWithoutHostDevices) {
  auto p =
      parse_instance_xml(domain("<emulator>/usr/bin/qemu</emulator>\n", "<uuid>\n  5d2f6b1e-0001 \n</uuid>"));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->uuid, "5d2f6b1e-0001");
  EXPECT_TRUE(p->hostdevs.empty());
}

TEST(LibvirtParseInstanceXml, MissingOrEmptyUuidIsAnError) {
  for (const std::string uuid : {"", "<uuid></uuid>", "<uuid>  </uuid>"}) {
    auto p = parse_instance_xml(domain("", uuid));
    ASSERT_FALSE(p.ok()) << uuid;
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(p.error().message(), HasSubstr("no <uuid>"));
  }
}

TEST(LibvirtParseInstanceXml, MalformedXmlIsAnError) {
  auto p = parse_instance_xml("<domain><uuid>x</uuid><devices>");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(p.error().message(), HasSubstr("not valid XML"));
  EXPECT_FALSE(parse_instance_xml("").ok());
}

TEST(LibvirtParseInstanceXml, OtherRootElementIsAnError) {
  auto p = parse_instance_xml("<network><uuid>abc</uuid></network>");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), HasSubstr("<network>"));
  EXPECT_THAT(p.error().message(), HasSubstr("expected <domain> or <domstatus>"));
}

// libvirt's status file of a running domain: its own <devices> holds aliases,
// and a hostdev's second <address> is where the guest sees it.
std::string domstatus(const std::string& domain_xml) {
  return "<domstatus state='running' reason='booted' pid='1234'>\n"
         "  <taint flag='high-privileges'/>\n"
         "  <monitor path='/var/lib/libvirt/qemu/domain-1-instance-0000000a/monitor.sock' type='unix'/>\n"
         "  <devices><device alias='hostdev0'/><device alias='hostdev1'/></devices>\n"
         "  <uuid>not-the-domain-uuid</uuid>\n" +
         domain_xml + "</domstatus>\n";
}

TEST(LibvirtParseInstanceXml, DomstatusWrapsTheLiveDomain) {
  const std::string live =
      "<domain type='kvm' id='1'>\n<name>instance-0000000a</name>\n"
      "<uuid>c5a1f0e2-7d3b-4f6a-9e8d-0123456789ab</uuid>\n<devices>\n"
      "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/>"
      "<source><address domain='0x0000' bus='0x21' slot='0x00' function='0x0'/></source>"
      "<alias name='hostdev0'/>"
      "<address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></hostdev>\n" +
      mdev("c0ffee00-0000-4000-8000-000000000009") + "</devices>\n</domain>\n";
  auto p = parse_instance_xml(domstatus(live));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->uuid, "c5a1f0e2-7d3b-4f6a-9e8d-0123456789ab");
  ASSERT_EQ(p->hostdevs.size(), 2U);
  EXPECT_EQ(p->hostdevs[0].kind, HostDevice::Kind::kPci);
  // The host address from <source>, not the guest address after <alias>.
  EXPECT_EQ(p->hostdevs[0].bus_id, (gpu::BusId{.domain = 0, .bus = 0x21, .device = 0, .function = 0}));
  EXPECT_EQ(p->hostdevs[1].mdev_uuid, "c0ffee00-0000-4000-8000-000000000009");
}

TEST(LibvirtParseInstanceXml, DomstatusWithoutDomainOrUuidIsAnError) {
  auto p = parse_instance_xml(domstatus(""));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::kInvalid);
  EXPECT_THAT(p.error().message(), HasSubstr("<domstatus> has no <domain>"));

  // The <uuid> beside <domain> is not the domain's.
  p = parse_instance_xml(domstatus("<domain type='kvm' id='1'><name>instance-0000000a</name></domain>"));
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), HasSubstr("no <uuid>"));

  // Only a top-level <domstatus> unwraps.
  p = parse_instance_xml("<domain><domstatus><domain><uuid>x</uuid></domain></domstatus></domain>");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), HasSubstr("no <uuid>"));
}

TEST(LibvirtParseInstanceXml, PciPassthroughAddresses) {
  auto p =
      parse_instance_xml(domain(pci("0x0000", "0x21", "0x00", "0x0") + pci("0x0001", "0xaf", "0x1f", "0x7") +
                                pci("0x0000", "", "0x00", "0x0") + pci("0x0000", "0xzz", "0x00", "0x0")));
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->hostdevs.size(), 4U);
  EXPECT_EQ(p->hostdevs[0].kind, HostDevice::Kind::kPci);
  EXPECT_EQ(p->hostdevs[0].bus_id, (gpu::BusId{.domain = 0, .bus = 0x21, .device = 0, .function = 0}));
  EXPECT_EQ(p->hostdevs[1].bus_id, (gpu::BusId{.domain = 1, .bus = 0xaf, .device = 0x1f, .function = 7}));
  // Incomplete or non-hex addresses are kept but match nothing.
  EXPECT_FALSE(p->hostdevs[2].bus_id.has_value());
  EXPECT_FALSE(p->hostdevs[3].bus_id.has_value());
}

TEST(LibvirtParseInstanceXml, MdevAndOtherHostDevices) {
  auto p = parse_instance_xml(domain(
      mdev("c0ffee00-0000-4000-8000-000000000001") +
      "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/></source></hostdev>\n" +
      "<hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev>\n" +
      pci("0x0000", "0x10", "0x00", "0x0") + mdev("c0ffee00-0000-4000-8000-000000000002")));
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->hostdevs.size(), 3U);
  EXPECT_EQ(p->hostdevs[0].kind, HostDevice::Kind::kMdev);
  EXPECT_EQ(p->hostdevs[0].mdev_uuid, "c0ffee00-0000-4000-8000-000000000001");
  EXPECT_EQ(p->hostdevs[1].kind, HostDevice::Kind::kPci);
  EXPECT_EQ(p->hostdevs[2].mdev_uuid, "c0ffee00-0000-4000-8000-000000000002");
}

// GPU 0: vGPU on a whole GPU; GPU 1: plain; GPU 2: MIG with vGPUs on its instances.
std::vector<gpu::Device> inventory() {
  std::vector<gpu::Device> d(3);
  d[0].global_index = "0";
  d[0].bus_id = gpu::BusId{.domain = 0, .bus = 0x10, .device = 0, .function = 0};
  d[0].vgpu_enabled = true;
  d[0].mdev_uuids = {"m-whole-1", "m-whole-2"};
  d[1].global_index = "1";
  d[1].bus_id = gpu::BusId{.domain = 0, .bus = 0x21, .device = 0, .function = 0};
  d[2].bus_id = gpu::BusId{.domain = 0, .bus = 0x30, .device = 0, .function = 0};
  d[2].mig_enabled = true;
  d[2].vgpu_enabled = true;
  d[2].mdev_uuids = {"m-ignored-on-mig-gpu"};
  d[2].mig_instances.resize(2);
  d[2].mig_instances[0].global_index = "2";
  d[2].mig_instances[0].mdev_uuids = {"m-mig-a"};
  d[2].mig_instances[1].global_index = "3";
  d[2].mig_instances[1].mdev_uuids = {"m-mig-b", "m-mig-c"};
  return d;
}

TEST(LibvirtGpuOrdinals, PciMatchesBusIdNumerically) {
  auto p = parse_instance_xml(
      domain(pci("0x00000000", "0x021", "0x0", "0x00") + pci("0x0000", "0x99", "0x00", "0x0")));
  ASSERT_TRUE(p.ok());
  auto gpus = inventory();
  EXPECT_THAT(gpu_ordinals(*p, gpus), ElementsAre("1"));
}

TEST(LibvirtGpuOrdinals, PassthroughOfMigGpuGivesItsEmptyIndex) {
  auto p = parse_instance_xml(domain(pci("0x0000", "0x30", "0x00", "0x0")));
  ASSERT_TRUE(p.ok());
  auto gpus = inventory();
  EXPECT_THAT(gpu_ordinals(*p, gpus), ElementsAre(""));
}

TEST(LibvirtGpuOrdinals, MdevsMatchWholeGpusAndMigInstances) {
  auto p = parse_instance_xml(domain(mdev("m-mig-c") + mdev("m-whole-2") + mdev("m-unknown") +
                                     mdev("m-ignored-on-mig-gpu") + mdev("m-mig-a")));
  ASSERT_TRUE(p.ok());
  auto gpus = inventory();
  EXPECT_THAT(gpu_ordinals(*p, gpus), ElementsAre("3", "0", "2"));
}

TEST(LibvirtGpuOrdinals, NoGpusNoOrdinals) {
  auto p = parse_instance_xml(domain(mdev("m-whole-1") + pci("0x0000", "0x10", "0x00", "0x0")));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(gpu_ordinals(*p, {}).empty());
}

}  // namespace
}  // namespace ceems::libvirt
