#include "dns/nsswitch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ceems::dns {
namespace {

using ::testing::ElementsAre;
using enum HostSource;

TEST(DnsNsswitch, OrdersFilesAndDns) {
  EXPECT_THAT(parse_nsswitch_hosts("passwd: files\nhosts: files dns\n"), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts:dns files"), ElementsAre(kDns, kFiles));
  EXPECT_THAT(parse_nsswitch_hosts("hosts:   dns\n"), ElementsAre(kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts: files\n"), ElementsAre(kFiles));
  // Debian's default with mDNS and systemd's.
  EXPECT_THAT(parse_nsswitch_hosts("hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname\n"),
              ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts: mymachines resolve [!UNAVAIL=return] files myhostname dns\n"),
              ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts: dns [ NOTFOUND=return ] files"), ElementsAre(kDns, kFiles));
  EXPECT_THAT(parse_nsswitch_hosts("hosts: files files dns dns"), ElementsAre(kFiles, kDns));
}

TEST(DnsNsswitch, DefaultsToFilesThenDns) {
  EXPECT_THAT(parse_nsswitch_hosts(""), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("passwd: files\ngroup: files\n"), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("# hosts: dns\n"), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts: resolve\n"), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hosts:\n"), ElementsAre(kFiles, kDns));
  EXPECT_THAT(parse_nsswitch_hosts("hostsx: dns\n"), ElementsAre(kFiles, kDns));
}

TEST(DnsNsswitch, LastHostsLineWinsAndCommentsAreCut) {
  EXPECT_THAT(parse_nsswitch_hosts("hosts: files dns\nhosts: dns # files\n"), ElementsAre(kDns));
  EXPECT_THAT(parse_nsswitch_hosts("  hosts : dns files\r\n"), ElementsAre(kDns, kFiles));
}

}  // namespace
}  // namespace ceems::dns
