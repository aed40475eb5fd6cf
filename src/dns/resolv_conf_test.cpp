#include "dns/resolv_conf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ceems::dns {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> servers(const ResolvConf& conf) {
  std::vector<std::string> out;
  for (const auto& s : conf.servers) out.push_back(s.to_string());
  return out;
}

TEST(DnsResolvConf, ReadsServersSearchAndOptions) {
  const ResolvConf conf = parse_resolv_conf(
      "# generated\n"
      "; also a comment\n"
      "nameserver 10.0.0.2\n"
      "nameserver   fe80::53%eth0  \n"
      "nameserver bogus\n"
      "nameserver\n"
      "search cluster.example example.org.\n"
      "options ndots:2 timeout:3 attempts:4 rotate edns0 trust-ad use-vc\n"
      "sortlist 130.155.160.0/255.255.240.0\n");
  EXPECT_THAT(servers(conf), ElementsAre("10.0.0.2:53", "[fe80::53%eth0]:53"));
  EXPECT_THAT(conf.search, ElementsAre("cluster.example.", "example.org."));
  EXPECT_EQ(conf.ndots, 2);
  EXPECT_EQ(conf.timeout, std::chrono::seconds(3));
  EXPECT_EQ(conf.attempts, 4);
  EXPECT_TRUE(conf.rotate);
  EXPECT_TRUE(conf.use_tcp);
}

TEST(DnsResolvConf, DefaultsAsTheCLibraryAndGo) {
  for (const ResolvConf& conf :
       {parse_resolv_conf(""), parse_resolv_conf("nameserver not-an-ip\n"), default_resolv_conf()}) {
    EXPECT_THAT(servers(conf), ElementsAre("127.0.0.1:53", "[::1]:53"));
    EXPECT_THAT(conf.search, IsEmpty());
    EXPECT_EQ(conf.ndots, 1);
    EXPECT_EQ(conf.timeout, std::chrono::seconds(5));
    EXPECT_EQ(conf.attempts, 2);
    EXPECT_FALSE(conf.rotate);
    EXPECT_FALSE(conf.use_tcp);
  }
}

TEST(DnsResolvConf, AtMostThreeServers) {
  const ResolvConf conf = parse_resolv_conf(
      "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n");
  EXPECT_THAT(servers(conf), ElementsAre("10.0.0.1:53", "10.0.0.2:53", "10.0.0.3:53"));
}

TEST(DnsResolvConf, SearchAndDomainReplaceEachOtherLastWins) {
  EXPECT_THAT(parse_resolv_conf("search a.example b.example\ndomain c.example\n").search,
              ElementsAre("c.example."));
  EXPECT_THAT(parse_resolv_conf("domain c.example\nsearch a.example b.example\n").search,
              ElementsAre("a.example.", "b.example."));
  EXPECT_THAT(parse_resolv_conf("search a.example\nsearch\n").search, IsEmpty());
  EXPECT_THAT(parse_resolv_conf("search . a.example\n").search, ElementsAre("a.example."));
}

TEST(DnsResolvConf, SearchFallsBackToTheHostnamesDomain) {
  EXPECT_THAT(parse_resolv_conf("nameserver 10.0.0.2\n", "node1.cluster.example").search,
              ElementsAre("cluster.example."));
  EXPECT_THAT(default_resolv_conf("node1.cluster.example.").search, ElementsAre("cluster.example."));
  EXPECT_THAT(parse_resolv_conf("", "node1").search, IsEmpty());
  EXPECT_THAT(parse_resolv_conf("", "node1.").search, IsEmpty());
  // An explicit empty search line says: no search list.
  EXPECT_THAT(parse_resolv_conf("search\n", "node1.cluster.example").search, IsEmpty());
}

TEST(DnsResolvConf, OptionsAreClampedAndUnknownOnesIgnored) {
  ResolvConf conf = parse_resolv_conf("options ndots:99 timeout:100 attempts:10\n");
  EXPECT_EQ(conf.ndots, 15);
  EXPECT_EQ(conf.timeout, std::chrono::seconds(30));
  EXPECT_EQ(conf.attempts, 5);
  conf = parse_resolv_conf("options ndots:0 timeout:0 attempts:0\n");
  EXPECT_EQ(conf.ndots, 0);
  EXPECT_EQ(conf.timeout, std::chrono::seconds(1));
  EXPECT_EQ(conf.attempts, 1);
  conf =
      parse_resolv_conf("options ndots:-3 timeout:99999999999999999999 attempts:x ndots: single-request\n");
  EXPECT_EQ(conf.ndots, 0);
  EXPECT_EQ(conf.timeout, std::chrono::seconds(30));
  EXPECT_EQ(conf.attempts, 2);
  conf = parse_resolv_conf("options tcp\noptions ndots:3\n");
  EXPECT_TRUE(conf.use_tcp);
  EXPECT_EQ(conf.ndots, 3);
  EXPECT_TRUE(parse_resolv_conf("options usevc").use_tcp);
  EXPECT_FALSE(parse_resolv_conf("options rotate:yes use-vc:1").rotate);
}

}  // namespace
}  // namespace ceems::dns
