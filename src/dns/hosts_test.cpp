#include "dns/hosts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ceems::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

constexpr std::string_view kHosts =
    "# The static table\n"
    "127.0.0.1\tlocalhost\n"
    "::1     localhost ip6-localhost ip6-loopback\n"
    "\n"
    "   # indented comment\n"
    "10.0.0.11  bmc-1.cluster.example  bmc-1   # trailing comment\n"
    "10.0.0.12  BMC-2.Cluster.Example. BMC-2\r\n"
    "fd00::11   bmc-1.cluster.example bmc-1\n"
    "10.0.0.11  bmc-1-alias\n"
    "10.0.0.11  bmc-1\n"
    "not-an-address  broken\n"
    "10.0.0.300 broken2\n"
    "10.0.0.99\n"
    "fe80::5%eth0 linklocal\n"
    "10.0.0.13 . bad..\n"
    "#10.0.0.14 commented\n"
    "10.0.0.15 last";

TEST(DnsHosts, LooksUpNamesWithoutCaseAndWithAliases) {
  const HostsFile hosts = parse_hosts(kHosts);
  EXPECT_THAT(texts(hosts.lookup("localhost")), ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(texts(hosts.lookup("ip6-loopback")), ElementsAre("::1"));
  EXPECT_THAT(texts(hosts.lookup("bmc-1")), ElementsAre("10.0.0.11", "fd00::11"));
  EXPECT_THAT(texts(hosts.lookup("BMC-1.cluster.EXAMPLE.")), ElementsAre("10.0.0.11", "fd00::11"));
  EXPECT_THAT(texts(hosts.lookup("bmc-2.cluster.example")), ElementsAre("10.0.0.12"));
  EXPECT_THAT(texts(hosts.lookup("bmc-2")), ElementsAre("10.0.0.12"));
  EXPECT_THAT(texts(hosts.lookup("bmc-1-alias")), ElementsAre("10.0.0.11"));
  EXPECT_THAT(texts(hosts.lookup("linklocal")), ElementsAre("fe80::5%eth0"));
  EXPECT_THAT(texts(hosts.lookup("last")), ElementsAre("10.0.0.15"));
  for (std::string_view absent :
       {"broken", "broken2", "commented", "comment", "", ".", "bmc", "bad.", "bad.."}) {
    EXPECT_THAT(hosts.lookup(absent), IsEmpty()) << absent;
  }
}

TEST(DnsHosts, LooksUpAddressesForReverseLookups) {
  const HostsFile hosts = parse_hosts(kHosts);
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("10.0.0.11")),
              ElementsAre("bmc-1.cluster.example", "bmc-1", "bmc-1-alias"));
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("10.0.0.12")),
              ElementsAre("BMC-2.Cluster.Example", "BMC-2"));
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("::1")),
              ElementsAre("localhost", "ip6-localhost", "ip6-loopback"));
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("fe80::5")), ElementsAre("linklocal"));
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("fe80::5%eth1")), ElementsAre("linklocal"));
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("10.0.0.99")), IsEmpty());
  EXPECT_THAT(hosts.lookup_address(*IpAddress::parse("10.0.0.13")), IsEmpty());
  EXPECT_EQ(hosts.by_address.count("10.0.0.13"), 0u);
}

TEST(DnsHosts, EmptyAndGarbageGiveAnEmptyTable) {
  EXPECT_TRUE(parse_hosts("").by_name.empty());
  EXPECT_TRUE(parse_hosts("\n\n# only comments\n").by_name.empty());
  EXPECT_TRUE(parse_hosts(std::string_view("\0\xff\n1.2.3.4\n", 11)).by_name.empty());
}

}  // namespace
}  // namespace ceems::dns
