#include "redfish_proxy/networks.h"

#include <gtest/gtest.h>

namespace ceems::redfish_proxy {
namespace {

NetworkList list_of(const std::vector<std::string>& entries) {
  auto l = NetworkList::parse(entries, "test");
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().message());
  return l.ok() ? std::move(*l) : NetworkList();
}

TEST(RedfishProxyNetworks, AddressesAndNetworks) {
  const auto l = list_of({"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"});
  EXPECT_TRUE(l.contains_ip("10.200.3.4"));
  EXPECT_TRUE(l.contains_ip("192.0.2.7"));
  EXPECT_FALSE(l.contains_ip("192.0.2.8"));
  EXPECT_FALSE(l.contains_ip("11.0.0.1"));
  EXPECT_TRUE(l.contains_ip("2001:db8:1::5"));
  EXPECT_TRUE(l.contains_ip("::1"));
  EXPECT_FALSE(l.contains_ip("::2"));
  // A dual-stack socket's view of an IPv4 peer.
  EXPECT_TRUE(l.contains_ip("::ffff:10.1.1.1"));
  EXPECT_FALSE(l.contains_ip("not-an-ip"));
  EXPECT_FALSE(l.contains_ip(""));
}

TEST(RedfishProxyNetworks, OddPrefixLengths) {
  const auto l = list_of({"172.16.0.0/12", "0.0.0.0/0"});
  EXPECT_TRUE(l.contains_ip("172.31.255.255"));
  EXPECT_TRUE(l.contains_ip("8.8.8.8"));  // /0 matches every IPv4 address
  EXPECT_FALSE(l.contains_ip("::1"));     // but no IPv6 one
  const auto narrow = list_of({"172.16.0.0/12"});
  EXPECT_FALSE(narrow.contains_ip("172.32.0.1"));
}

TEST(RedfishProxyNetworks, HostsByNameOrAddress) {
  const auto l = list_of({"BMC1.example.org.", "10.1.0.0/16"});
  EXPECT_TRUE(l.contains_host("bmc1.example.org"));
  EXPECT_TRUE(l.contains_host("bmc1.EXAMPLE.org."));
  EXPECT_FALSE(l.contains_host("bmc2.example.org"));
  EXPECT_FALSE(l.contains_host("example.org"));
  EXPECT_TRUE(l.contains_host("10.1.2.3"));
  EXPECT_FALSE(l.contains_host("10.2.0.1"));
  // A name never matches a network, even when it looks numeric.
  EXPECT_FALSE(l.contains_host("10.1.2.3.nip.io"));
}

TEST(RedfishProxyNetworks, ErrorsQuoteTheEntry) {
  for (const char* bad : {"", "10.0.0.0/33", "10.1.0.0/8", "::1/129", "10.0.0.0/", "10.0.0.0/x", "exa mple",
                          "-bad.example", "a..b", "host/8"}) {
    auto e = parse_network_entry(bad);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.error().message().find('"'), std::string::npos) << e.error().message();
  }
  auto l = NetworkList::parse({"10.0.0.0/8", "10.1.0.0/8"}, "redfish_config.web.allowed_hosts");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message().find("redfish_config.web.allowed_hosts[1]"), std::string::npos);
}

TEST(RedfishProxyNetworks, HostOfHostPort) {
  EXPECT_EQ(host_of("bmc:8443"), "bmc");
  EXPECT_EQ(host_of("bmc"), "bmc");
  EXPECT_EQ(host_of("[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(host_of("[2001:db8::1]"), "2001:db8::1");
  EXPECT_EQ(host_of("10.0.0.1:80"), "10.0.0.1");
}

TEST(RedfishProxyNetworks, LoopbackDefault) {
  const auto l = NetworkList::loopback();
  EXPECT_TRUE(l.contains_ip("127.0.0.1"));
  EXPECT_TRUE(l.contains_ip("127.3.2.1"));
  EXPECT_TRUE(l.contains_ip("::1"));
  EXPECT_FALSE(l.contains_ip("10.0.0.1"));
}

}  // namespace
}  // namespace ceems::redfish_proxy
