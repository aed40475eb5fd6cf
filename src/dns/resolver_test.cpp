#include "dns/resolver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/testing/fake_filesystem.h"
#include "core/testing/test_support.h"
#include "dns/message.h"
#include "dns/testing/dns_wire.h"
#include "dns/testing/fake_resolver.h"
#include "dns/testing/fake_transport.h"

namespace ceems::dns {
namespace {

using testing::a_rr;
using testing::aaaa_rr;
using testing::cname_rr;
using ::testing::ElementsAre;
using testing::FakeDnsTransport;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ptr_rr;
using testing::reply;
using testing::Rr;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

std::vector<std::string> texts(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

class DnsResolverTest : public ::testing::Test {
 protected:
  DnsResolverTest() {
    fs_.add_file("/etc/resolv.conf",
                 "nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch cluster.example example.org\n");
    fs_.add_file("/etc/hosts",
                 "127.0.0.1 localhost\n10.9.9.9 static-host static-alias\n192.0.2.9 static-host\n");
  }

  // The zone the fake servers serve: records by "name TYPE" ("bmc-1.cluster.example. A").
  void add(const std::string& name, const std::string& type, Rr rr) {
    zone_[name + " " + type].push_back(std::move(rr));
    exists_.insert(name);
  }

  const Resolver& resolver() {
    if (!resolver_) {
      resolver_ =
          make_resolver(fs_, transport_, {.local_hostname = "node1", .clock = [this] { return now_; }});
    }
    return *resolver_;
  }

  Result<std::vector<IpAddress>> lookup(std::string_view host) {
    return resolver().lookup_host(host, deadline_);
  }

  // What a name server holding zone_ answers; tests replace handler_ for other behaviour.
  Result<std::string> serve(const FakeDnsTransport::Call& call, std::string_view query) {
    auto it = zone_.find(call.name + " " + call.type);
    if (it != zone_.end()) return reply(query, it->second);
    if (exists_.count(call.name) != 0) return reply(query, {});
    return reply(query, {}, {.rcode = kRcodeNxDomain});
  }

  test_support::FakeFilesystem fs_;
  std::map<std::string, std::vector<Rr>> zone_;
  std::set<std::string> exists_;
  FakeDnsTransport::Handler handler_ = [this](const FakeDnsTransport::Call& c, std::string_view q) {
    return serve(c, q);
  };
  FakeDnsTransport transport_{
      [this](const FakeDnsTransport::Call& c, std::string_view q) { return handler_(c, q); }};
  Clock::time_point now_ = Clock::time_point(std::chrono::hours(1000));
  Clock::time_point deadline_ = now_ + seconds(30);
  std::unique_ptr<Resolver> resolver_;
};

TEST_F(DnsResolverTest, LiteralAddressesNeedNoIo) {
  EXPECT_THAT(texts(*lookup("192.0.2.5")), ElementsAre("192.0.2.5"));
  EXPECT_THAT(texts(*lookup("2001:db8::1")), ElementsAre("2001:db8::1"));
  EXPECT_THAT(texts(*lookup("fe80::1%eth0")), ElementsAre("fe80::1%eth0"));
  EXPECT_THAT(transport_.calls(), IsEmpty());
  EXPECT_THAT(fs_.calls(), IsEmpty());
}

TEST_F(DnsResolverTest, LocalhostNeverGoesToDns) {
  EXPECT_THAT(texts(*lookup("localhost")), ElementsAre("127.0.0.1"));  // as /etc/hosts says
  EXPECT_THAT(texts(*lookup("LocalHost.")), ElementsAre("127.0.0.1"));
  EXPECT_THAT(texts(*lookup("bmc.localhost")), ElementsAre("127.0.0.1", "::1"));
  fs_.add_file("/etc/hosts", "");
  now_ += seconds(5);
  EXPECT_THAT(texts(*lookup("localhost")), ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(transport_.calls(), IsEmpty());
}

TEST_F(DnsResolverTest, HostsFileFirstIpv4First) {
  add("static-host.cluster.example.", "A", a_rr("static-host.cluster.example", "10.1.1.1"));
  fs_.add_file("/etc/hosts", "fd00::9 static-host\n10.9.9.9 static-host\n");
  EXPECT_THAT(texts(*lookup("STATIC-HOST")), ElementsAre("10.9.9.9", "fd00::9"));
  EXPECT_THAT(transport_.calls(), IsEmpty());
}

TEST_F(DnsResolverTest, NsswitchOrdersTheSources) {
  fs_.add_file("/etc/nsswitch.conf", "hosts: dns files\n");
  add("static-host.cluster.example.", "A", a_rr("static-host.cluster.example", "10.1.1.1"));
  EXPECT_THAT(texts(*lookup("static-host")), ElementsAre("10.1.1.1"));
  EXPECT_THAT(texts(*lookup("static-alias")), ElementsAre("10.9.9.9"));  // DNS said no such host
  EXPECT_EQ(transport_.calls().size(), 2u + 3u);

  fs_.add_file("/etc/nsswitch.conf", "hosts: files\n");
  now_ += seconds(5);
  auto missing = lookup("bmc-1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "lookup bmc-1: no such host");
  EXPECT_EQ(transport_.calls().size(), 5u);
}

TEST_F(DnsResolverTest, SearchListBeforeAShortNameNxdomainFallsThrough) {
  auto r = lookup("bmc-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message(), "lookup bmc-1: no such host");
  // NXDOMAIN is final for a name: neither the other server nor AAAA is asked.
  EXPECT_THAT(transport_.summaries(),
              ElementsAre("10.0.0.2:53 udp A bmc-1.cluster.example.", "10.0.0.2:53 udp A bmc-1.example.org.",
                          "10.0.0.2:53 udp A bmc-1."));
}

TEST_F(DnsResolverTest, NdotsDecidesWhetherTheNameGoesFirst) {
  add("bmc-1.rack2.example.org.", "A", a_rr("bmc-1.rack2.example.org", "10.2.0.1"));
  EXPECT_THAT(texts(*lookup("bmc-1.rack2")), ElementsAre("10.2.0.1"));
  EXPECT_THAT(transport_.summaries(),
              ElementsAre("10.0.0.2:53 udp A bmc-1.rack2.", "10.0.0.2:53 udp A bmc-1.rack2.cluster.example.",
                          "10.0.0.2:53 udp A bmc-1.rack2.example.org.",
                          "10.0.0.2:53 udp AAAA bmc-1.rack2.example.org."));

  fs_.add_file("/etc/resolv.conf", "nameserver 10.0.0.2\nsearch cluster.example\noptions ndots:3\n");
  now_ += seconds(5);
  add("a.b.c.cluster.example.", "A", a_rr("a.b.c.cluster.example", "10.3.0.1"));
  EXPECT_THAT(texts(*lookup("a.b.c")), ElementsAre("10.3.0.1"));
  EXPECT_EQ(transport_.summaries().at(4), "10.0.0.2:53 udp A a.b.c.cluster.example.");
}

TEST_F(DnsResolverTest, TrailingDotMeansAbsolute) {
  auto r = lookup("bmc-1.");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "lookup bmc-1.: no such host");
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 udp A bmc-1."));
}

TEST_F(DnsResolverTest, AThenAaaaAndCnames) {
  add("bmc-1.cluster.example.", "A", cname_rr("bmc-1.cluster.example", "real.example.net"));
  add("bmc-1.cluster.example.", "A", a_rr("real.example.net", "10.0.1.1"));
  add("bmc-1.cluster.example.", "AAAA", aaaa_rr("bmc-1.cluster.example", "fd00::1"));
  add("bmc-1.cluster.example.", "A", a_rr("real.example.net", "10.0.1.2"));
  EXPECT_THAT(texts(*lookup("bmc-1")), ElementsAre("10.0.1.1", "10.0.1.2", "fd00::1"));
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 udp A bmc-1.cluster.example.",
                                                  "10.0.0.2:53 udp AAAA bmc-1.cluster.example."));
  // No A records (NODATA) but AAAA ones.
  add("v6only.cluster.example.", "AAAA", aaaa_rr("v6only.cluster.example", "fd00::6"));
  EXPECT_THAT(texts(*lookup("v6only")), ElementsAre("fd00::6"));
}

TEST_F(DnsResolverTest, NoDataMovesToTheNextCandidate) {
  exists_.insert("bmc-1.cluster.example.");
  add("bmc-1.example.org.", "A", a_rr("bmc-1.example.org", "10.0.2.1"));
  EXPECT_THAT(texts(*lookup("bmc-1")), ElementsAre("10.0.2.1"));
  EXPECT_THAT(
      transport_.summaries(),
      ElementsAre("10.0.0.2:53 udp A bmc-1.cluster.example.", "10.0.0.2:53 udp AAAA bmc-1.cluster.example.",
                  "10.0.0.2:53 udp A bmc-1.example.org.", "10.0.0.2:53 udp AAAA bmc-1.example.org."));
}

TEST_F(DnsResolverTest, ServfailTriesTheNextServer) {
  add("bmc-1.cluster.example.", "A", a_rr("bmc-1.cluster.example", "10.0.1.1"));
  handler_ = [this](const FakeDnsTransport::Call& c, std::string_view q) -> Result<std::string> {
    if (c.server.to_string() == "10.0.0.2:53") return reply(q, {}, {.rcode = kRcodeServFail});
    return serve(c, q);
  };
  EXPECT_THAT(texts(*lookup("bmc-1")), ElementsAre("10.0.1.1"));
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 udp A bmc-1.cluster.example.",
                                                  "10.0.0.3:53 udp A bmc-1.cluster.example.",
                                                  "10.0.0.2:53 udp AAAA bmc-1.cluster.example.",
                                                  "10.0.0.3:53 udp AAAA bmc-1.cluster.example."));
}

TEST_F(DnsResolverTest, EveryServerFailingIsReportedOverNoSuchHost) {
  handler_ = [](const FakeDnsTransport::Call& c, std::string_view q) -> Result<std::string> {
    if (c.name == "bmc-1.") return reply(q, {}, {.rcode = kRcodeNxDomain});
    return reply(q, {}, {.rcode = kRcodeServFail});
  };
  auto r = lookup("bmc-1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kIo);
  EXPECT_EQ(r.error().message(), "lookup bmc-1 on 10.0.0.3:53: server misbehaving (SERVFAIL)");
  // Two attempts of two servers for each search name, one for the absolute name.
  EXPECT_EQ(transport_.calls().size(), 4u + 4u + 1u);
}

TEST_F(DnsResolverTest, LameReferralsRefusalsAndBadRepliesTryTheNextServer) {
  fs_.add_file("/etc/resolv.conf",
               "nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch cluster.example\noptions attempts:3\n");
  add("bmc-1.cluster.example.", "A", a_rr("bmc-1.cluster.example", "10.0.1.1"));
  int tries = 0;
  handler_ = [&](const FakeDnsTransport::Call& c, std::string_view q) -> Result<std::string> {
    switch (tries++) {
      case 0:
        return reply(q, {}, {.recursion_available = false});  // lame
      case 1:
        return reply(q, {}, {.rcode = kRcodeRefused});
      case 2:
        return std::string("\x00\x01\x81\x80", 4);  // cut, and another id
      case 3:
        return Error(ErrorKind::kIo, "read: Connection refused");
      default:
        return serve(c, q);
    }
  };
  EXPECT_THAT(texts(*lookup("bmc-1")), ElementsAre("10.0.1.1"));
  EXPECT_EQ(tries, 6);
  // The A query succeeded on its fifth try: after the second attempt round.
  EXPECT_EQ(transport_.summaries().at(4), "10.0.0.2:53 udp A bmc-1.cluster.example.");

  tries = 0;
  handler_ = [&](const FakeDnsTransport::Call&, std::string_view q) -> Result<std::string> {
    return ++tries % 2 == 1 ? Result<std::string>(reply(q, {}, {.recursion_available = false}))
                            : Result<std::string>(Error(ErrorKind::kIo, "read: Connection refused"));
  };
  auto r = resolver().lookup_host("bmc-2.", deadline_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "lookup bmc-2. on 10.0.0.3:53: read: Connection refused");
  auto lame = resolver().lookup_host("bmc-3.", deadline_);
  EXPECT_EQ(lame.error().message(), "lookup bmc-3. on 10.0.0.3:53: read: Connection refused");

  handler_ = [](const FakeDnsTransport::Call&, std::string_view) -> Result<std::string> {
    return std::string("\x00\x01\x81\x80", 4);
  };
  auto garbled = resolver().lookup_host("bmc-4.", deadline_);
  ASSERT_FALSE(garbled.ok());
  EXPECT_EQ(garbled.error().kind(), ErrorKind::kIo);
  EXPECT_EQ(garbled.error().message(),
            "lookup bmc-4. on 10.0.0.3:53: DNS response of 4 bytes is shorter than a header");
}

TEST_F(DnsResolverTest, EachTryIsBoundedByTheTimeoutAndTheDeadline) {
  fs_.add_file("/etc/resolv.conf",
               "nameserver 10.0.0.2\nnameserver 10.0.0.3\noptions timeout:2 attempts:2\n");
  handler_ = [this](const FakeDnsTransport::Call& c, std::string_view) -> Result<std::string> {
    now_ = c.deadline;  // the server never answers: the try lasts until its deadline
    return Error(ErrorKind::kTimeout, "i/o timeout");
  };
  const Clock::time_point start = now_;
  auto r = resolver().lookup_host("bmc-1.example.", start + seconds(7));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(r.error().message(), "lookup bmc-1.example. on 10.0.0.3:53: i/o timeout");
  const auto calls = transport_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].deadline, start + seconds(2));
  EXPECT_EQ(calls[1].deadline, start + seconds(4));
  EXPECT_EQ(calls[2].deadline, start + seconds(6));
  EXPECT_EQ(calls[3].deadline, start + seconds(7));  // the caller's deadline, not a full timeout
  EXPECT_EQ(now_, start + seconds(7));

  // A deadline already passed asks nobody.
  auto late = resolver().lookup_host("bmc-1.example.", now_);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(late.error().message(), "lookup bmc-1.example. on 10.0.0.2:53: i/o timeout");
  EXPECT_EQ(transport_.calls().size(), 4u);
}

TEST_F(DnsResolverTest, TruncatedAnswersAreAskedAgainOverTcp) {
  add("big.cluster.example.", "A", a_rr("big.cluster.example", "10.0.3.1"));
  add("big.cluster.example.", "A", a_rr("big.cluster.example", "10.0.3.2"));
  handler_ = [this](const FakeDnsTransport::Call& c, std::string_view q) -> Result<std::string> {
    if (!c.tcp) return reply(q, {}, {.truncated = true});
    return serve(c, q);
  };
  EXPECT_THAT(texts(*lookup("big")), ElementsAre("10.0.3.1", "10.0.3.2"));
  EXPECT_THAT(
      transport_.summaries(),
      ElementsAre("10.0.0.2:53 udp A big.cluster.example.", "10.0.0.2:53 tcp A big.cluster.example.",
                  "10.0.0.2:53 udp AAAA big.cluster.example.", "10.0.0.2:53 tcp AAAA big.cluster.example."));
}

TEST_F(DnsResolverTest, UseVcAndRotate) {
  fs_.add_file("/etc/resolv.conf", "nameserver 10.0.0.2\nnameserver 10.0.0.3\noptions use-vc rotate\n");
  add("bmc-1.", "A", a_rr("bmc-1", "10.0.1.1"));
  ASSERT_TRUE(lookup("bmc-1.").ok());
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 tcp A bmc-1.", "10.0.0.3:53 tcp AAAA bmc-1."));
}

TEST_F(DnsResolverTest, InvalidNamesAreNotAsked) {
  for (std::string_view bad : {"bad name", "a..b", "-x", "x\\y"}) {
    auto r = lookup(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(r.error().message(), HasSubstr("lookup " + std::string(bad) + ": invalid name"));
  }
  EXPECT_EQ(lookup("").error().message(), "lookup : no such host");
  EXPECT_THAT(transport_.calls(), IsEmpty());
  // Search domains that would make the name too long are skipped.
  const std::string long_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                std::string(63, 'c') + "." + std::string(50, 'd');
  EXPECT_FALSE(lookup(long_name).ok());
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 udp A " + long_name + "."));
}

TEST_F(DnsResolverTest, ReverseLookups) {
  EXPECT_THAT(*resolver().lookup_addr("10.9.9.9", deadline_), ElementsAre("static-host.", "static-alias."));
  EXPECT_THAT(transport_.calls(), IsEmpty());
  add("5.2.0.192.in-addr.arpa.", "PTR", ptr_rr("5.2.0.192.in-addr.arpa", "bmc-5.cluster.example"));
  add("5.2.0.192.in-addr.arpa.", "PTR", ptr_rr("5.2.0.192.in-addr.arpa", "bad name.example"));
  EXPECT_THAT(*resolver().lookup_addr("192.0.2.5", deadline_), ElementsAre("bmc-5.cluster.example."));
  EXPECT_THAT(transport_.summaries(), ElementsAre("10.0.0.2:53 udp PTR 5.2.0.192.in-addr.arpa."));

  auto none = resolver().lookup_addr("192.0.2.6", deadline_);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(none.error().message(), "lookup 192.0.2.6: no such host");

  add("7.2.0.192.in-addr.arpa.", "PTR", ptr_rr("7.2.0.192.in-addr.arpa", "bad name.example"));
  auto bad = resolver().lookup_addr("192.0.2.7", deadline_);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("is not a host name"));

  auto not_ip = resolver().lookup_addr("bmc-1", deadline_);
  ASSERT_FALSE(not_ip.ok());
  EXPECT_EQ(not_ip.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(not_ip.error().message(), "lookup bmc-1: unrecognized address");

  const std::string v6_reverse = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
  add(v6_reverse, "PTR", ptr_rr(v6_reverse, "v6.example."));
  EXPECT_THAT(*resolver().lookup_addr("2001:db8::1", deadline_), ElementsAre("v6.example."));
}

TEST_F(DnsResolverTest, FilesAreReadAgainWhenChangedAtMostEveryFiveSeconds) {
  add("bmc-1.", "A", a_rr("bmc-1", "10.0.1.1"));
  ASSERT_TRUE(lookup("bmc-1.").ok());
  fs_.add_file("/etc/resolv.conf", "nameserver 10.0.0.4\n");
  fs_.add_file("/etc/hosts", "10.8.8.8 new-host\n");
  now_ += seconds(4);
  ASSERT_TRUE(lookup("bmc-1.").ok());
  EXPECT_FALSE(lookup("new-host.").ok());
  EXPECT_EQ(transport_.summaries().at(2), "10.0.0.2:53 udp A bmc-1.");
  now_ += seconds(1);
  EXPECT_THAT(texts(*lookup("new-host")), ElementsAre("10.8.8.8"));
  ASSERT_TRUE(lookup("bmc-1.").ok());
  EXPECT_EQ(transport_.summaries().back(), "10.0.0.4:53 udp AAAA bmc-1.");
}

TEST_F(DnsResolverTest, MissingOrUnreadableFilesMeanDefaults) {
  fs_.remove("/etc/resolv.conf");
  fs_.remove("/etc/hosts");
  add("bmc-1.", "A", a_rr("bmc-1", "10.0.1.1"));
  ASSERT_TRUE(lookup("bmc-1").ok());  // no search list: the hostname "node1" has no domain
  EXPECT_THAT(transport_.summaries(),
              ElementsAre("127.0.0.1:53 udp A bmc-1.", "127.0.0.1:53 udp AAAA bmc-1."));
  fs_.add_file("/etc/resolv.conf", "nameserver 10.0.0.2\n");
  fs_.fail("/etc/resolv.conf", EACCES);
  now_ += seconds(5);
  const ::ceems::test_support::LogCapture log;
  ASSERT_TRUE(lookup("bmc-1").ok());
  EXPECT_EQ(transport_.summaries().back(), "127.0.0.1:53 udp AAAA bmc-1.");
  EXPECT_THAT(log.text(), HasSubstr("cannot read resolver configuration, using defaults"));
  EXPECT_THAT(log.text(), HasSubstr("Permission denied"));
}

TEST_F(DnsResolverTest, ConcurrentLookups) {
  add("bmc-1.cluster.example.", "A", a_rr("bmc-1.cluster.example", "10.0.1.1"));
  const Resolver& r = resolver();
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto found = r.lookup_host(i % 2 == 0 ? "bmc-1" : "static-host", Clock::time_point::max());
        if (found.ok() && !found->empty()) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 200);
}

TEST(DnsFakeResolver, AnswersFromItsTable) {
  testing::FakeResolver fake;
  fake.add_host("BMC-1", {*IpAddress::parse("10.0.0.1")});
  fake.fail_host("bmc-2", Error(ErrorKind::kTimeout, "lookup bmc-2 on 10.0.0.2:53: i/o timeout"));
  fake.add_addr("10.0.0.1", {"bmc-1."});
  const Resolver& r = fake;
  EXPECT_THAT(texts(*r.lookup_host("bmc-1.", Clock::now())), ElementsAre("10.0.0.1"));
  EXPECT_EQ(r.lookup_host("bmc-2", Clock::now()).error().kind(), ErrorKind::kTimeout);
  EXPECT_EQ(r.lookup_host("bmc-3", Clock::now()).error().message(), "lookup bmc-3: no such host");
  EXPECT_THAT(texts(*r.lookup_host("::1", Clock::now())), ElementsAre("::1"));
  EXPECT_THAT(*r.lookup_addr("10.0.0.1", Clock::now()), ElementsAre("bmc-1."));
  EXPECT_THAT(fake.asked(), ElementsAre("bmc-1.", "bmc-2", "bmc-3", "::1", "10.0.0.1"));
}

}  // namespace
}  // namespace ceems::dns
