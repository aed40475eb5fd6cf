#include "ipmi/openipmi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ipmi/testing/fake_transport.h"

namespace ceems::ipmi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "openipmi_test.XXXXXX").string();
    root_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(root_); }
  const std::string& root() const { return root_; }
  void touch(const std::string& rel) const {
    std::filesystem::path p = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << "";
  }

 private:
  std::string root_;
};

TEST(IpmiOpenIpmiDevice, NoDevice) {
  TempDir dir;
  auto dev = OpenIpmiDevice::open(0, {}, dir.root());
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(dev.error().message(), "no IPMI device found on the host (tried " + dir.root() + "/ipmi0, " +
                                       dir.root() + "/ipmi/0, " + dir.root() +
                                       "/ipmidev/0; is the ipmi_devintf kernel module loaded?)");
}

TEST(IpmiOpenIpmiDevice, NotAnIpmiDeviceFailsToEnableEvents) {
  // Each of the three locations is tried; a regular file opens but rejects the ioctl.
  for (const std::string rel : {"ipmi2", "ipmi/2", "ipmidev/2"}) {
    TempDir dir;
    dir.touch(rel);
    auto dev = OpenIpmiDevice::open(2, {}, dir.root());
    ASSERT_FALSE(dev.ok()) << rel;
    EXPECT_THAT(dev.error().message(), HasSubstr("failed to enable IPMI event receiver")) << rel;
  }
}

TEST(IpmiOpenIpmiDevice, DeviceNumberSelectsTheNode) {
  TempDir dir;
  dir.touch("ipmi1");
  auto dev = OpenIpmiDevice::open(0, {}, dir.root());
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().kind(), ErrorKind::kNotFound);
}

TEST(IpmiOpenIpmiDevice, UnreadableDeviceIsAPermissionError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root opens any file";
  TempDir dir;
  dir.touch("ipmi0");
  ::chmod((dir.root() + "/ipmi0").c_str(), 0);
  auto dev = OpenIpmiDevice::open(0, {}, dir.root());
  ASSERT_FALSE(dev.ok());
  EXPECT_EQ(dev.error().kind(), ErrorKind::kPermissionDenied);
  EXPECT_THAT(dev.error().message(), HasSubstr("ipmi0"));
}

// Only meaningful on a host with a BMC and read access to its device (root).
TEST(IpmiOpenIpmiDevice, RealDeviceIfPresent) {
  auto dev = OpenIpmiDevice::open(0, {});
  if (!dev.ok()) GTEST_SKIP() << "no usable OpenIPMI device: " << dev.error().message();
  auto r = read_power(**dev);
  if (r.ok()) {
    EXPECT_GE(r->max, r->min);
  } else {
    // BMCs without DCMI answer with a completion code; that must surface as an error.
    EXPECT_THAT(r.error().message(), HasSubstr("IPMI"));
  }
  EXPECT_TRUE((*dev)->close().ok());
  EXPECT_TRUE((*dev)->close().ok());  // idempotent
  auto after = read_power(**dev);
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(after.error().message(), HasSubstr("closed"));
}

TEST(IpmiReadPower, SendsDcmiGetPowerReading) {
  FakeTransport t;
  t.respond(power_response(250, 230, 280, 251));
  auto r = read_power(t);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->current, 250);
  EXPECT_EQ(r->avg, 251);
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0].netfn, 0x2C);
  EXPECT_EQ(t.requests[0].cmd, 0x02);
  EXPECT_THAT(t.requests[0].data, ElementsAre(0xDC, 0x01, 0x00, 0x00));
  EXPECT_EQ(t.requests[0].timeout, std::chrono::milliseconds(1000));
}

TEST(IpmiReadPower, TransportErrorsPassThrough) {
  FakeTransport t;
  auto r = read_power(t);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
}

TEST(IpmiDiscoverBmcIp, AsksChannelOneForTheIpAddress) {
  FakeTransport t;
  t.respond({0x00, 0x11, 10, 20, 30, 40});
  auto ip = discover_bmc_ip(t);
  ASSERT_TRUE(ip.ok()) << ip.error().message();
  EXPECT_EQ(*ip, "10.20.30.40");
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_EQ(t.requests[0].netfn, 0x0C);
  EXPECT_EQ(t.requests[0].cmd, 0x02);
  EXPECT_THAT(t.requests[0].data, ElementsAre(0x01, 0x03, 0x00, 0x00));
  EXPECT_EQ(t.requests[0].timeout, std::chrono::milliseconds(1000));
}

TEST(IpmiDiscoverBmcIp, RejectedRequestIsAnErrorNotZeroAddress) {
  FakeTransport t;
  t.respond({0xC1});
  auto ip = discover_bmc_ip(t);
  ASSERT_FALSE(ip.ok());
  EXPECT_THAT(ip.error().message(), HasSubstr("0xC1"));
}

}  // namespace
}  // namespace ceems::ipmi
