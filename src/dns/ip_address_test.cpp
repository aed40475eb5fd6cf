#include "dns/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace ceems::dns {
namespace {

std::string round_trip(std::string_view text) {
  auto a = IpAddress::parse(text);
  return a ? a->to_string() : "<invalid>";
}

TEST(DnsIpAddress, ParsesIpv4Strictly) {
  EXPECT_EQ(round_trip("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(round_trip("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(round_trip("255.255.255.255"), "255.255.255.255");
  for (std::string_view bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "010.0.0.1", "1..2.3", "1.2.3.4.", " 1.2.3.4",
        "1.2.3.4 ", "1.2.3.-4", "1.2.3.4%eth0", "1234.1.1.1", "a.b.c.d", "bmc-1"}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  auto a = IpAddress::parse("10.1.2.3");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->bytes().size(), 4u);
  EXPECT_EQ(a->bytes()[0], 10);
  EXPECT_EQ(a->bytes()[3], 3);
}

TEST(DnsIpAddress, ParsesAndPrintsIpv6AsRfc5952) {
  EXPECT_EQ(round_trip("::"), "::");
  EXPECT_EQ(round_trip("::1"), "::1");
  EXPECT_EQ(round_trip("1::"), "1::");
  EXPECT_EQ(round_trip("2001:DB8:0:0:0:0:0:1"), "2001:db8::1");
  EXPECT_EQ(round_trip("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");     // first of equal runs
  EXPECT_EQ(round_trip("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // one zero group stays
  EXPECT_EQ(round_trip("2001:0db8:0000:0000:0000:ff00:0042:8329"), "2001:db8::ff00:42:8329");
  EXPECT_EQ(round_trip("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0");
  EXPECT_EQ(round_trip("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
  EXPECT_EQ(round_trip("::ffff:c000:0201"), "::ffff:192.0.2.1");
  EXPECT_EQ(round_trip("64:ff9b::192.0.2.1"), "64:ff9b::c000:201");
  EXPECT_EQ(round_trip("fe80::1%eth0"), "fe80::1%eth0");
  EXPECT_EQ(round_trip("fe80::1%2"), "fe80::1%2");
  for (std::string_view bad : {":", ":::", "1:2", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:", ":1",
                               "::1%", "g::1", "1:2:3:4:5:6:7:8::", "::1.2.3",
                               "1.2.3.4::", "::ffff:1.2.3.4:1", "[::1]", "1:2:3:4:5:6:1.2.3.4:5", "::1 "}) {
    EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
  }
  EXPECT_EQ(round_trip("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
}

TEST(DnsIpAddress, FillsSockaddrs) {
  sockaddr_storage ss{};
  auto v4 = IpAddress::parse("192.0.2.7");
  auto len = v4->to_sockaddr(8080, ss);
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(*len, static_cast<socklen_t>(sizeof(sockaddr_in)));
  const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
  EXPECT_EQ(in->sin_family, AF_INET);
  EXPECT_EQ(ntohs(in->sin_port), 8080);
  EXPECT_EQ(ntohl(in->sin_addr.s_addr), 0xc0000207u);
  auto back = IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), *len);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, *v4);

  auto v6 = IpAddress::parse("fe80::1%7");
  len = v6->to_sockaddr(53, ss);
  ASSERT_TRUE(len.ok());
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  EXPECT_EQ(in6->sin6_family, AF_INET6);
  EXPECT_EQ(ntohs(in6->sin6_port), 53);
  EXPECT_EQ(in6->sin6_scope_id, 7u);
  EXPECT_EQ(in6->sin6_addr.s6_addr[0], 0xfe);
  EXPECT_EQ(IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), *len)->to_string(), "fe80::1%7");
  EXPECT_TRUE(IpAddress::parse("::1%lo")->to_sockaddr(1, ss).ok());

  auto unknown = IpAddress::parse("fe80::1%no-such-interface0")->to_sockaddr(53, ss);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kInvalid);
  EXPECT_NE(unknown.error().message().find("no-such-interface0"), std::string::npos);
  EXPECT_FALSE(IpAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), 4).has_value());
}

TEST(DnsIpAddress, JoinsHostAndPort) {
  EXPECT_EQ(join_host_port(*IpAddress::parse("10.0.0.2"), 53), "10.0.0.2:53");
  EXPECT_EQ(join_host_port(*IpAddress::parse("::1"), 53), "[::1]:53");
  EXPECT_EQ(join_host_port(*IpAddress::parse("fe80::1%eth0"), 443), "[fe80::1%eth0]:443");
  EXPECT_EQ(IpAddress::parse("fe80::1%eth0")->without_zone().to_string(), "fe80::1");
  EXPECT_EQ(IpAddress().to_string(), "0.0.0.0");
}

}  // namespace
}  // namespace ceems::dns
