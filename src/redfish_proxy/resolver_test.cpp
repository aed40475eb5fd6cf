#include "redfish_proxy/resolver.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

namespace ceems::redfish_proxy {
namespace {

ProxyConfig two_bmcs() {
  ProxyConfig c;
  c.targets.push_back({{"192.168.1.0", "10.0.0.1"}, "http://localhost:5000"});
  c.targets.push_back({{"192.168.1.1"}, "https://bmc1.example/"});
  return c;
}

TargetTable table_of(const ProxyConfig& c) {
  auto t = TargetTable::create(c);
  if (!t.ok()) throw std::runtime_error(t.error().message());
  return std::move(*t);
}

Target target(const char* url) { return *make_target(url); }

// resolve_target with a TargetCache, the way the proxy uses it.
Resolution resolve(const TargetTable& table, TargetCache& cache, const std::vector<std::string>& real_ips,
                   const std::string& peer, const std::string& header) {
  const auto candidates = candidate_ips(real_ips, peer);
  Resolution r =
      resolve_target(table, candidates, header, [&](const std::string& ip) { return cache.find(ip); });
  if (r.source == Source::kHeader) cache.store(candidates, *r.target);
  return r;
}

TEST(RedfishProxyCandidateIps, RealIpValuesInOrderThenPeer) {
  EXPECT_EQ(candidate_ips({"10.0.0.5", "10.0.0.6, 10.0.0.7"}, "::1"),
            (std::vector<std::string>{"10.0.0.5", "10.0.0.6, 10.0.0.7", "::1"}));
  EXPECT_EQ(candidate_ips({}, "127.0.0.1"), (std::vector<std::string>{"127.0.0.1"}));
}

TEST(RedfishProxyTargetTable, LaterTargetWinsForDuplicatedIp) {
  ProxyConfig c;
  c.targets.push_back({{"1.1.1.1"}, "http://a"});
  c.targets.push_back({{"1.1.1.1"}, "http://b"});
  auto t = table_of(c);
  ASSERT_NE(t.find("1.1.1.1"), nullptr);
  EXPECT_EQ(t.find("1.1.1.1")->host, "b");
  EXPECT_TRUE(t.restricted());
  EXPECT_TRUE(t.allows(target("http://a:80/")));
  EXPECT_FALSE(t.allows(target("http://c")));
}

TEST(RedfishProxyTargetTable, EmptyConfigAllowsAnyValidTarget) {
  auto t = table_of(ProxyConfig{});
  EXPECT_FALSE(t.restricted());
  EXPECT_TRUE(t.allows(target("https://anything:8443")));
}

TEST(RedfishProxyResolveTarget, StaticTargetByRealIpOrPeer) {
  auto table = table_of(two_bmcs());
  TargetCache cache;
  auto r = resolve(table, cache, {"192.168.1.1"}, "127.0.0.1", "");
  ASSERT_TRUE(r.target);
  EXPECT_EQ(r.source, Source::kConfig);
  EXPECT_EQ(r.target->host, "bmc1.example");
  // The peer address is the last candidate.
  r = resolve(table, cache, {}, "10.0.0.1", "");
  ASSERT_TRUE(r.target);
  EXPECT_EQ(r.target->host, "localhost:5000");
  // The first candidate that matches wins.
  r = resolve(table, cache, {"9.9.9.9", "192.168.1.1"}, "10.0.0.1", "");
  EXPECT_EQ(r.target->host, "bmc1.example");
  EXPECT_EQ(cache.size(), 0u);  // nothing learned from config hits
}

TEST(RedfishProxyResolveTarget, StaticTargetWinsOverHeader) {
  auto table = table_of(two_bmcs());
  TargetCache cache;
  auto r = resolve(table, cache, {"192.168.1.0"}, "127.0.0.1", "https://bmc1.example");
  EXPECT_EQ(r.source, Source::kConfig);
  EXPECT_EQ(r.target->host, "localhost:5000");
}

TEST(RedfishProxyResolveTarget, HeaderMustNameAConfiguredTarget) {
  auto table = table_of(two_bmcs());
  TargetCache cache;
  auto ok = resolve(table, cache, {}, "127.0.0.1", "http://LOCALHOST:5000/");
  ASSERT_TRUE(ok.target);
  EXPECT_EQ(ok.source, Source::kHeader);
  auto refused = resolve(table, cache, {"10.9.9.9"}, "127.0.0.2", "http://169.254.169.254/latest");
  EXPECT_FALSE(refused.target);
  EXPECT_EQ(refused.failure, "not allowed");
  EXPECT_EQ(cache.find("10.9.9.9"), std::nullopt);
  EXPECT_EQ(cache.find("127.0.0.2"), std::nullopt);
}

TEST(RedfishProxyResolveTarget, TargetlessModeLearnsFromHeaderAndReusesIt) {
  // Spec unit expectation (b): a later request with only X-Real-IP reaches the same BMC.
  auto table = table_of(ProxyConfig{});
  TargetCache cache;
  auto first = resolve(table, cache, {"192.168.1.1"}, "127.0.0.1", "http://bmc-1:5000");
  ASSERT_TRUE(first.target);
  EXPECT_EQ(first.source, Source::kHeader);
  auto second = resolve(table, cache, {"192.168.1.1"}, "10.1.1.1", "");
  ASSERT_TRUE(second.target);
  EXPECT_EQ(second.source, Source::kCache);
  EXPECT_EQ(second.target->host, "bmc-1:5000");
  // The peer address was learned too.
  auto third = resolve(table, cache, {}, "127.0.0.1", "");
  ASSERT_TRUE(third.target);
  EXPECT_EQ(third.target->host, "bmc-1:5000");
}

TEST(RedfishProxyResolveTarget, NoHeaderNoMatchFails) {
  auto table = table_of(two_bmcs());
  TargetCache cache;
  auto r = resolve(table, cache, {"8.8.8.8"}, "127.0.0.1", "");
  EXPECT_FALSE(r.target);
  EXPECT_EQ(r.failure, "no target");
}

TEST(RedfishProxyResolveTarget, MalformedHeaderIsNotCached) {
  // The reference caches "localhost:5000" (scheme "localhost", no host) and fails every
  // later request from that IP until restart.
  auto table = table_of(ProxyConfig{});
  TargetCache cache;
  for (const char* bad :
       {"localhost:5000", "http:172.1.1.1:80", "ftp://bmc", "http://", "%%%", "http://b mc"}) {
    auto r = resolve(table, cache, {"192.168.1.7"}, "127.0.0.1", bad);
    EXPECT_FALSE(r.target) << bad;
    EXPECT_EQ(r.failure, "invalid header") << bad;
  }
  EXPECT_EQ(cache.size(), 0u);
  auto good = resolve(table, cache, {"192.168.1.7"}, "127.0.0.1", "http://localhost:5000");
  ASSERT_TRUE(good.target);
  EXPECT_EQ(good.target->host, "localhost:5000");
}

TEST(RedfishProxyResolveTarget, HeaderReplacesStaleCacheEntry) {
  // In the reference the first header seen pins an IP; a forged or stale entry would
  // keep redirecting that node's requests.
  auto table = table_of(ProxyConfig{});
  TargetCache cache;
  ASSERT_TRUE(resolve(table, cache, {"192.168.1.3"}, "127.0.0.1", "http://evil:80").target);
  auto r = resolve(table, cache, {}, "192.168.1.3", "http://bmc-3:80");
  ASSERT_TRUE(r.target);
  EXPECT_EQ(r.target->host, "bmc-3:80");
  EXPECT_EQ(cache.find("192.168.1.3")->host, "bmc-3:80");
}

TEST(RedfishProxyTargetCache, EvictsOldestWriteBeyondLimit) {
  TargetCache cache(3);
  cache.store({"a", "b"}, target("http://one"));
  cache.store({"c"}, target("http://two"));
  cache.store({"a"}, target("http://three"));  // rewrite refreshes a
  cache.store({"d"}, target("http://four"));   // drops b
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.find("b"), std::nullopt);
  EXPECT_EQ(cache.find("a")->host, "three");
  EXPECT_EQ(cache.find("c")->host, "two");
  EXPECT_EQ(cache.find("d")->host, "four");
}

TEST(RedfishProxyTargetCache, IgnoresValuesThatCannotBeIps) {
  TargetCache cache;
  cache.store({"", std::string(65, '1'), "fe80::1%eth0"}, target("http://x"));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.find("fe80::1%eth0"));
}

TEST(RedfishProxyTargetCache, ConcurrentReadersAndWriters) {
  TargetCache cache(64);
  const std::vector<Target> targets{target("http://a"), target("http://b"), target("http://c")};
  std::atomic<bool> bad{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 5000; ++i) {
        const std::string ip = "10.0." + std::to_string(w) + "." + std::to_string(i % 100);
        cache.store({ip, "shared"}, targets[static_cast<size_t>(i) % targets.size()]);
      }
    });
  }
  for (int rd = 0; rd < 4; ++rd) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        auto t = cache.find("shared");
        // Every value seen must be one that was written whole.
        if (t && t->host != "a" && t->host != "b" && t->host != "c") bad = true;
        if (cache.size() > 64) bad = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(bad);
  EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace ceems::redfish_proxy

namespace ceems::redfish_proxy {
namespace {

TEST(RedfishProxyTrustedRealIp, LoopbackPeersAreTrustedByDefault) {
  const auto table = table_of(two_bmcs());
  EXPECT_TRUE(table.may_claim("127.0.0.1", "192.168.1.1"));
  EXPECT_TRUE(table.may_claim("::1", "192.168.1.1"));
  // A compute node cannot speak for another node.
  EXPECT_FALSE(table.may_claim("192.168.1.0", "192.168.1.1"));
  EXPECT_FALSE(table.may_claim("10.9.9.9", "192.168.1.1"));
  // Its own address, or another address of its own entry, it may name.
  EXPECT_TRUE(table.may_claim("192.168.1.0", "192.168.1.0"));
  EXPECT_TRUE(table.may_claim("10.0.0.1", "192.168.1.0"));
}

TEST(RedfishProxyTrustedRealIp, ConfiguredProxiesReplaceLoopback) {
  ProxyConfig c = two_bmcs();
  c.trusted_proxies = std::vector<std::string>{"10.50.0.0/16"};
  const auto table = table_of(c);
  EXPECT_TRUE(table.may_claim("10.50.1.2", "192.168.1.1"));
  EXPECT_FALSE(table.may_claim("127.0.0.1", "192.168.1.1"));
}

TEST(RedfishProxyAllowedHosts, HeaderTargetsMustFallInside) {
  ProxyConfig c;
  c.allowed_hosts = {"10.20.0.0/16", "bmc.example.org"};
  const auto table = table_of(c);
  EXPECT_TRUE(table.allows(target("https://10.20.3.4")));
  EXPECT_TRUE(table.allows(target("https://bmc.example.org:8443/")));
  EXPECT_FALSE(table.allows(target("https://10.21.0.1")));
  EXPECT_FALSE(table.allows(target("http://169.254.169.254/")));
  EXPECT_FALSE(table.allows(target("https://other.example.org")));
  TargetCache cache;
  auto r = resolve(table, cache, {}, "10.1.1.1", "http://169.254.169.254/");
  EXPECT_FALSE(r.target);
  EXPECT_EQ(r.failure, "not allowed");
  EXPECT_EQ(cache.size(), 0u);
}

TEST(RedfishProxyAllowedHosts, BadEntryFailsTableCreation) {
  ProxyConfig c;
  c.allowed_hosts = {"10.20.0.0/99"};
  auto t = TargetTable::create(c);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message().find("allowed_hosts[0]"), std::string::npos) << t.error().message();
}

}  // namespace
}  // namespace ceems::redfish_proxy
