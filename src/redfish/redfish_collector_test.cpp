#include "redfish/redfish_collector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "core/privileges.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"
#include "redfish/testing/collector_fixture.h"
#include "redfish/testing/fake_bmc.h"

namespace ceems {
namespace {

using redfish::testing::FakeBmc;
using redfish::testing::fixture_samples;
using redfish::testing::RedfishCollectorTest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

TEST_F(RedfishCollectorTest, FlagRegistered) {
  FlagSet flags("ceems_exporter");
  register_redfish_flags(flags);
  EXPECT_TRUE(flags.has("collector.redfish.web-config"));
  EXPECT_THAT(flags.usage(), HasSubstr("Path to Redfish web configuration file."));
  EXPECT_EQ(flags.get_string("collector.redfish.web-config"), "");
}

TEST_F(RedfishCollectorTest, FixtureValues) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  EXPECT_EQ(discoveries, 0);
}

TEST_F(RedfishCollectorTest, MetricDescriptions) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  std::map<std::string, std::string> help;
  for (const auto& f : batch.families()) {
    EXPECT_EQ(f->desc().type, MetricType::kGauge);
    help[f->desc().name] = f->desc().help;
  }
  EXPECT_EQ(help, (std::map<std::string, std::string>{
                      {"ceems_redfish_avg_watts", "Average Power consumption in watts"},
                      {"ceems_redfish_current_watts", "Current Power consumption in watts"},
                      {"ceems_redfish_max_watts", "Maximum Power consumption in watts"},
                      {"ceems_redfish_min_watts", "Minimum Power consumption in watts"}}));
}

TEST_F(RedfishCollectorTest, HostnameLabelAndPlaceholder) {
  hostname = "node1";
  bmc = std::make_shared<FakeBmc>("https://node1-bmc:443");
  auto c = must_create(
      "redfish_web_config:\n  protocol: https\n  hostname: '{hostname}-bmc'\n  port: 443\n"
      "  username: admin\n  password: secret\n  use_session_token: true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples("node1"));
  EXPECT_EQ(bmc->requests[0].headers.find("X-Redfish-Url")->second, "https://node1-bmc:443");
}

TEST_F(RedfishCollectorTest, EmptyHostnameLabel) {
  hostname = "node1";
  empty_hostname_label = true;
  bmc = std::make_shared<FakeBmc>("https://-bmc:443");
  auto c = must_create(
      "redfish_web_config:\n  protocol: https\n  hostname: '{hostname}-bmc'\n  port: 443\n"
      "  username: admin\n  password: secret\n  use_session_token: true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples(""));
}

TEST_F(RedfishCollectorTest, DiscoveryOnlyWithoutHostname) {
  discovered = "node1-bmc.example.org.";
  bmc = std::make_shared<FakeBmc>("https://node1-bmc.example.org.:443");
  auto c = must_create(
      "redfish_web_config:\n  protocol: https\n  port: 443\n  username: admin\n  password: secret\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(discoveries, 1);
  EXPECT_EQ(bmc->requests[0].url, "https://node1-bmc.example.org.:443/redfish/v1/");
}

TEST_F(RedfishCollectorTest, FailedDiscoveryDialsLocalhost) {
  // The conformance fixture: `host` is ignored, discovery finds nothing, and the empty
  // host is dialled as localhost while X-Redfish-Url keeps the reference's form.
  bmc = std::make_shared<FakeBmc>("http://localhost:5000");
  bmc->require_auth = false;
  auto c = must_create(
      "---\nredfish_web_config:\n  protocol: http\n  host: localhost\n  port: 5000\n"
      "  use_session_token: true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(discoveries, 1);
  EXPECT_EQ(bmc->requests[0].headers.find("X-Redfish-Url")->second, "http://:5000");
  EXPECT_EQ(scrape(*c), fixture_samples());
}

TEST_F(RedfishCollectorTest, ProxyMode) {
  bmc = std::make_shared<FakeBmc>("http://mgmt-0:5000");
  hostname = "compute-0";
  bmc->password = "supersecret";
  bmc->basic = "Basic YWRtaW46c3VwZXJzZWNyZXQ=";
  // The second sample file of the documentation, with a trailing slash on the proxy URL.
  auto c = must_create(
      "redfish_web_config:\n  protocol: http\n  hostname: '{hostname}-bmc'\n  port: 5000\n"
      "  external_url: http://mgmt-0:5000/\n  username: admin\n  password: supersecret\n"
      "  insecure_skip_verify: true\n  use_session_token: true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples("compute-0"));
  for (const auto& r : bmc->requests) {
    EXPECT_EQ(r.url.rfind("http://mgmt-0:5000/redfish/v1/", 0), 0u) << r.url;
    EXPECT_EQ(r.headers.find("X-Redfish-Url")->second, "http://compute-0-bmc:5000");
  }
}

TEST_F(RedfishCollectorTest, StartupErrors) {
  bmc->status["/redfish/v1/"] = 503;
  auto c = create(kSessionConfig);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to create a Redfish client"));
  EXPECT_THAT(c.error().message(), HasSubstr("HTTP 503"));

  bmc->status.clear();
  bmc->status["/redfish/v1/Chassis/Chassis-1"] = 500;
  c = create(kSessionConfig);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to fetch available chassis from Redfish"));
  // The session made for the failed attempt is not left on the BMC.
  EXPECT_THAT(bmc->tokens, IsEmpty());

  c = create("redfish_web_config:\n  hostname: bmc\n  port: 443\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("invalid redfish web config"));

  c = create("redfish_web_config:\n  protocol: https\n  port: abc\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("redfish_web_config.port"));

  c = create("redfish_web_config:\n  protocol: ftp\n  hostname: bmc\n  port: 21\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to create a Redfish client"));
}

TEST_F(RedfishCollectorTest, ConfigErrorsNameTheFile) {
  auto c = create("");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr(std::string(kConfigPath) + ": the file is empty"));

  c = create(
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  use_sesion_token: true\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr(std::string(kConfigPath) + ": line 5, column 3: unknown key"));

  // A host that only turns bad after {hostname} expansion is caught when the URL is
  // built; the file is still named.
  hostname = "bad node";
  c = create("redfish_web_config:\n  protocol: https\n  hostname: '{hostname}-bmc'\n  port: 443\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(),
              HasSubstr(std::string(kConfigPath) + ": invalid redfish web config: parse"));
  EXPECT_THAT(bmc->requests, IsEmpty());
}

TEST_F(RedfishCollectorTest, HostKeyIsIgnoredWithAWarning) {
  test_support::LogCapture capture(log::Level::kWarn);
  bmc = std::make_shared<FakeBmc>("http://localhost:5000");
  bmc->require_auth = false;
  auto c = must_create("redfish_web_config:\n  protocol: http\n  host: localhost\n  port: 5000\n");
  ASSERT_NE(c, nullptr);
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("Ignoring part of the Redfish web config"));
  EXPECT_THAT(text, HasSubstr(kConfigPath));
  EXPECT_THAT(text,
              HasSubstr("line 3, column 3: key redfish_web_config.host is not a setting and is ignored"));
}

TEST_F(RedfishCollectorTest, TimeoutKeyBoundsEachRequest) {
  // Without the key: the collector's default (the fixture's shortened 500 ms).
  auto plain = must_create(kSessionConfig);
  ASSERT_NE(plain, nullptr);
  for (const auto& r : bmc->requests) EXPECT_EQ(r.timeout, std::chrono::milliseconds(500)) << r.url;

  bmc = std::make_shared<FakeBmc>("https://bmc:443");
  auto c = must_create(std::string(kSessionConfig) + "  timeout: 1200ms\n");
  ASSERT_NE(c, nullptr);
  ASSERT_FALSE(bmc->requests.empty());
  EXPECT_EQ(bmc->requests[0].timeout, std::chrono::milliseconds(1200));
  bmc->requests.clear();
  EXPECT_EQ(scrape(*c), fixture_samples());
  ASSERT_EQ(bmc->requests.size(), 1u);
  EXPECT_LE(bmc->requests[0].timeout, std::chrono::milliseconds(1200));
  EXPECT_GT(bmc->requests[0].timeout, std::chrono::milliseconds(1000));

  // Longer than the scrape budget (2 s here): the budget grows to hold one request.
  bmc = std::make_shared<FakeBmc>("https://bmc:443");
  auto slow = must_create(std::string(kSessionConfig) + "  timeout: 4s\n");
  ASSERT_NE(slow, nullptr);
  bmc->requests.clear();
  EXPECT_EQ(scrape(*slow), fixture_samples());
  ASSERT_EQ(bmc->requests.size(), 1u);
  EXPECT_GT(bmc->requests[0].timeout, std::chrono::milliseconds(3500));
}

TEST_F(RedfishCollectorTest, ProxyBadGatewayReasonIsLogged) {
  test_support::LogCapture capture(log::Level::kInfo);
  bmc = std::make_shared<FakeBmc>("http://mgmt-0:5000");
  auto c = must_create(
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n"
      "  external_url: http://mgmt-0:5000\n  username: admin\n  password: secret\n  use_session_token: "
      "true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->status["/redfish/v1/Chassis/Chassis-1/Power"] = 502;
  bmc->status_body["/redfish/v1/Chassis/Chassis-1/Power"] =
      "TLS handshake with bmc:443 failed: SSL certificate problem: self-signed certificate\n";
  EXPECT_EQ(scrape(*c), fixture_samples());  // the last good reading, held
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("Redfish power reading failed or was 0 W; serving the last good reading"));
  EXPECT_THAT(text, HasSubstr("HTTP 502 from the Redfish proxy"));
  EXPECT_THAT(
      text, HasSubstr("TLS handshake with bmc:443 failed: SSL certificate problem: self-signed certificate"));
}

TEST_F(RedfishCollectorTest, MissingConfigFile) {
  FlagSet flags("ceems_exporter");
  register_redfish_flags(flags);
  ASSERT_TRUE(flags.parse({"--collector.redfish.web-config=/nonexistent/redfish.yml"}).ok());
  HostFs host("/proc", "/sys", "/sys/fs/cgroup");
  test_support::NoCommands runner;
  NoPrivileges privileges;
  CollectorContext ctx{flags, host, runner, privileges, "", false, log::Logger()};
  auto c = create_redfish_collector(ctx, bmc, {}, timeouts);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("/nonexistent/redfish.yml"));
  EXPECT_THAT(bmc->requests, IsEmpty());
}

TEST_F(RedfishCollectorTest, SessionCreatedOnceAndReused) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(scrape(*c), fixture_samples());
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 1u);
  EXPECT_EQ(bmc->count("GET", "/redfish/v1/"), 1u);
  EXPECT_EQ(bmc->count("GET", "/redfish/v1/Chassis"), 1u);
  EXPECT_EQ(bmc->count("GET", "/redfish/v1/Chassis/Chassis-1/Power"), 3u);
}

TEST_F(RedfishCollectorTest, ExpiredSessionWithEmptyCacheGivesNothingThenRecovers) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  bmc->tokens.clear();  // the BMC drops the session behind the collector's back
  EXPECT_THAT(scrape(*c), IsEmpty());
  // One re-login: the old session's DELETE was tried, a new session created.
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 2u);
  EXPECT_EQ(bmc->count("DELETE", "/redfish/v1/SessionService/Sessions/token1/"), 1u);
  EXPECT_EQ(bmc->tokens, std::vector<std::string>{"token2"});
  EXPECT_EQ(scrape(*c), fixture_samples());
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 2u);
}

TEST_F(RedfishCollectorTest, ExpiredSessionUsesCachedValues) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->docs["/redfish/v1/Chassis/Chassis-1/Power"] = R"({"PowerControl": [{"PowerConsumedWatts": 100}]})";
  bmc->tokens.clear();
  EXPECT_EQ(scrape(*c), fixture_samples());
  auto fresh = scrape(*c);
  EXPECT_EQ(fresh, (std::map<std::string, double>{{"ceems_redfish_current_watts{Chassis_1,}", 100}}));
}

TEST_F(RedfishCollectorTest, ServerGoneUsesCachedValues) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->down = true;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(scrape(*c), fixture_samples());
  // Back again: a new session, fresh values. (The first session could not be deleted
  // while the BMC was unreachable; the BMC expires it.)
  bmc->down = false;
  bmc->docs["/redfish/v1/Chassis/Chassis-1/Power"] = R"({"PowerControl": [{"PowerConsumedWatts": 100}]})";
  EXPECT_EQ(scrape(*c), (std::map<std::string, double>{{"ceems_redfish_current_watts{Chassis_1,}", 100}}));
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 2u);
}

TEST_F(RedfishCollectorTest, BadPowerDocumentUsesCachedValues) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->docs["/redfish/v1/Chassis/Chassis-1/Power"] = R"({"PowerControl": [{"PowerConsumedWatts": "x"}]})";
  EXPECT_EQ(scrape(*c), fixture_samples());
  // Any failure, not only 401, logs out and in again (reference behaviour).
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 2u);
}

TEST_F(RedfishCollectorTest, HungBmcBoundedByScrapeBudget) {
  timeouts = {std::chrono::milliseconds(300), std::chrono::milliseconds(1000),
              std::chrono::milliseconds(2000)};
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->down = true;
  bmc->hang_until_timeout = true;
  for (int i = 0; i < 2; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(scrape(*c), fixture_samples());
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, std::chrono::milliseconds(1000 + 200)) << i;
  }
  for (const auto& r : bmc->requests) EXPECT_LE(r.timeout.count(), 300);
}

TEST_F(RedfishCollectorTest, HungBmcAtStartupBoundedByStartupBudget) {
  timeouts = {std::chrono::milliseconds(300), std::chrono::milliseconds(1000),
              std::chrono::milliseconds(700)};
  bmc->down = true;
  bmc->hang_until_timeout = true;
  const auto start = std::chrono::steady_clock::now();
  auto c = create(kSessionConfig);
  EXPECT_FALSE(c.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(700 + 300));
}

TEST_F(RedfishCollectorTest, BasicAuthModeReconnectsWithoutSessions) {
  auto c = must_create(kBasicConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());
  bmc->status["/redfish/v1/Chassis/Chassis-1/Power"] = 500;
  EXPECT_EQ(scrape(*c), fixture_samples());
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 0u);
  for (const auto& r : bmc->requests) EXPECT_NE(r.method, "DELETE");
  EXPECT_EQ(bmc->count("GET", "/redfish/v1/"), 2u);
}

TEST_F(RedfishCollectorTest, ChassisLabelsSanitisedAndCollisionsSummed) {
  bmc->docs["/redfish/v1/Chassis"] =
      R"({"Members": [{"@odata.id": "/c/a"}, {"@odata.id": "/c/b"}, {"@odata.id": "/c/c"}, {"@odata.id": "/c/d"}]})";
  bmc->docs["/c/a"] = R"({"Id": "System.Embedded.1", "Power": {"@odata.id": "/c/a/Power"}})";
  bmc->docs["/c/b"] = R"({"Id": "System-Embedded-1", "Power": {"@odata.id": "/c/b/Power"}})";
  bmc->docs["/c/c"] = R"({"Id": "Enclosure", "Power": {"@odata.id": "/c/c/Power"}})";
  bmc->docs["/c/d"] = R"({"Id": "NoPower"})";
  bmc->docs["/c/a/Power"] = R"({"PowerControl": [{"PowerConsumedWatts": 100.5}]})";
  bmc->docs["/c/b/Power"] =
      R"({"PowerControl": [{"PowerConsumedWatts": 20, "PowerMetrics": {"MinConsumedWatts": 1}}]})";
  bmc->docs["/c/c/Power"] = R"({"PowerControl": [{"PowerConsumedWatts": 0}]})";
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->chassis().size(), 4u);
  EXPECT_EQ(scrape(*c), (std::map<std::string, double>{
                            {"ceems_redfish_current_watts{System_Embedded_1,}", 120.5},
                            {"ceems_redfish_min_watts{System_Embedded_1,}", 1},
                        }));
}

TEST_F(RedfishCollectorTest, StopDeletesSession) {
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(bmc->tokens.size(), 1u);
  c->stop();
  EXPECT_THAT(bmc->tokens, IsEmpty());
  EXPECT_EQ(bmc->deleted, 1);
  // Nothing more is sent afterwards.
  const size_t sent = bmc->requests.size();
  MetricBatch batch;
  EXPECT_TRUE(c->update(batch).ok());
  c->stop();
  EXPECT_EQ(bmc->requests.size(), sent);
}

TEST_F(RedfishCollectorTest, SecretsNeverLogged) {
  test_support::LogCapture capture(log::Level::kDebug);
  bmc->password = "Sup3rS3cr3t";
  bmc->basic = "Basic YWRtaW46U3VwM3JTM2NyM3Q=";
  const std::string session =
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  username: admin\n"
      "  password: Sup3rS3cr3t\n  use_session_token: true\n";
  {
    auto c = must_create(session);
    ASSERT_NE(c, nullptr);
    (void)scrape(*c);
    bmc->tokens.clear();
    (void)scrape(*c);
    bmc->down = true;
    (void)scrape(*c);
    c->stop();
  }
  bmc->down = false;
  {
    auto c = must_create(
        "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  username: admin\n"
        "  password: Sup3rS3cr3t\n");
    ASSERT_NE(c, nullptr);
    bmc->status["/redfish/v1/Chassis/Chassis-1/Power"] = 500;
    (void)scrape(*c);
  }
  bmc->password = "other";
  EXPECT_FALSE(create(session).ok());
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("Failed to get power statistics from Redfish. Using last cached values"));
  EXPECT_THAT(text, HasSubstr("Redfish URL"));
  EXPECT_THAT(text, Not(HasSubstr("Sup3rS3cr3t")));
  EXPECT_THAT(text, Not(HasSubstr("YWRtaW46U3VwM3JTM2NyM3Q")));
}

TEST(RedfishReverseLookup, FallsBackToTheAddress) {
  EXPECT_EQ(reverse_lookup_or_ip("not an ip"), "not an ip");
  const std::string local = reverse_lookup_or_ip("127.0.0.1");
  EXPECT_FALSE(local.empty());
  if (local != "127.0.0.1") {
    EXPECT_EQ(local.back(), '.');
  }
}

}  // namespace
}  // namespace ceems
