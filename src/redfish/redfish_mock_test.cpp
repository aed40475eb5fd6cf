// The real collector with the real HTTP client against the local Redfish mock, over
// HTTP and HTTPS, and against peers that never answer.
#include "redfish/testing/redfish_mock.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"
#include "redfish/redfish_collector.h"

namespace ceems {
namespace {

using redfish::testing::MockChassis;
using redfish::testing::RedfishMock;
using redfish::testing::RedfishMockOptions;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Clock = std::chrono::steady_clock;

constexpr const char* kFixtureExposition =
    "# HELP ceems_redfish_avg_watts Average Power consumption in watts\n"
    "# TYPE ceems_redfish_avg_watts gauge\n"
    "ceems_redfish_avg_watts{chassis=\"Chassis_1\",hostname=\"\"} 365\n"
    "# HELP ceems_redfish_current_watts Current Power consumption in watts\n"
    "# TYPE ceems_redfish_current_watts gauge\n"
    "ceems_redfish_current_watts{chassis=\"Chassis_1\",hostname=\"\"} 397\n"
    "# HELP ceems_redfish_max_watts Maximum Power consumption in watts\n"
    "# TYPE ceems_redfish_max_watts gauge\n"
    "ceems_redfish_max_watts{chassis=\"Chassis_1\",hostname=\"\"} 609\n"
    "# HELP ceems_redfish_min_watts Minimum Power consumption in watts\n"
    "# TYPE ceems_redfish_min_watts gauge\n"
    "ceems_redfish_min_watts{chassis=\"Chassis_1\",hostname=\"\"} 326\n";

class RedfishMockTest : public ::testing::Test {
 protected:
  RedfishMockTest()
      : dir_("redfish_mock_test"), flags_("ceems_exporter"), host_("/proc", "/sys", "/sys/fs/cgroup") {
    register_redfish_flags(flags_);
    EXPECT_TRUE(flags_.parse({"--collector.redfish.web-config=" + dir_.path("redfish.yml")}).ok());
  }

  RedfishMockOptions tls_options() {
    RedfishMockOptions o;
    o.cert_file = dir_.path("bmc.crt");
    o.key_file = dir_.path("bmc.key");
    redfish::testing::write_self_signed_cert(o.cert_file, o.key_file);
    return o;
  }

  static std::string config(const std::string& protocol, const std::string& hostname, int port,
                            const std::string& extra) {
    return "redfish_web_config:\n  protocol: " + protocol + "\n  hostname: '" + hostname +
           "'\n  port: " + std::to_string(port) + "\n  username: admin\n  password: secret\n" + extra;
  }

  Result<std::unique_ptr<RedfishCollector>> create(const std::string& yaml) {
    dir_.write("redfish.yml", yaml, 0600);
    CollectorContext ctx{flags_, host_, runner_, privileges_, "", true, log::Logger("collector", "redfish")};
    return create_redfish_collector(
        ctx, std::shared_ptr<http::HttpClient>(http::make_http_client()),
        [](const log::Logger&) { return std::string(); }, timeouts);
  }

  std::unique_ptr<RedfishCollector> must_create(const std::string& yaml) {
    auto c = create(yaml);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  static std::string scrape(RedfishCollector& c) {
    MetricBatch batch;
    EXPECT_TRUE(c.update(batch).ok());
    return test_support::render(batch);
  }

  RedfishTimeouts timeouts{std::chrono::milliseconds(500), std::chrono::milliseconds(1500),
                           std::chrono::milliseconds(1500)};
  test_support::TempTree dir_;

 private:
  FlagSet flags_;
  HostFs host_;
  test_support::NoCommands runner_;
  NoPrivileges privileges_;
};

TEST_F(RedfishMockTest, HttpSessionFixtureExposition) {
  RedfishMock mock;
  auto c = must_create(config("http", "127.0.0.1", mock.port(), "  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(mock.sessions_created(), 1);
  EXPECT_EQ(mock.count("GET", "/redfish/v1/Chassis/Chassis-1/Power"), 2u);

  const std::string bmc_url = "http://127.0.0.1:" + std::to_string(mock.port());
  for (const auto& r : mock.requests()) {
    EXPECT_EQ(r.header("X-Redfish-Url"), bmc_url) << r.method << " " << r.path;
    EXPECT_EQ(r.header("User-Agent"), "gofish/1.0");
    EXPECT_EQ(r.header("Accept"), "application/json");
    EXPECT_FALSE(r.has_header("Authorization"));
    if (r.method == "GET" && r.path != "/redfish/v1/") {
      EXPECT_EQ(r.header("X-Auth-Token"), "token1") << r.path;
    }
  }
  c->stop();
  EXPECT_THAT(mock.live_sessions(), IsEmpty());
  EXPECT_EQ(mock.count("DELETE", "/redfish/v1/SessionService/Sessions/token1/"), 1u);
}

TEST_F(RedfishMockTest, HttpsWithInsecureSkipVerify) {
  RedfishMock mock(tls_options());
  auto c = must_create(
      config("https", "127.0.0.1", mock.port(), "  insecure_skip_verify: true\n  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  c->stop();
  EXPECT_THAT(mock.live_sessions(), IsEmpty());
}

TEST_F(RedfishMockTest, HttpsVerifiesCertificatesByDefault) {
  RedfishMock mock(tls_options());
  auto c = create(config("https", "127.0.0.1", mock.port(), "  use_session_token: true\n"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to create a Redfish client"));
  EXPECT_EQ(mock.sessions_created(), 0);
}

TEST_F(RedfishMockTest, HttpsBasicAuth) {
  RedfishMock mock(tls_options());
  auto c = must_create(config("https", "127.0.0.1", mock.port(), "  insecure_skip_verify: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(mock.sessions_created(), 0);
  for (const auto& r : mock.requests()) {
    EXPECT_EQ(r.header("Authorization"), "Basic YWRtaW46c2VjcmV0") << r.path;
    EXPECT_FALSE(r.has_header("X-Auth-Token"));
  }
}

TEST_F(RedfishMockTest, ExpiredSessionGivesNothingOnceThenRecovers) {
  RedfishMock mock;
  auto c = must_create(config("http", "127.0.0.1", mock.port(), "  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  mock.expire_sessions();
  EXPECT_EQ(scrape(*c), "");
  EXPECT_EQ(mock.sessions_created(), 2);
  EXPECT_EQ(mock.live_sessions(), std::vector<std::string>{"token2"});
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(mock.sessions_created(), 2);
}

TEST_F(RedfishMockTest, ServerGoneUsesCachedValues) {
  auto mock = std::make_unique<RedfishMock>();
  auto c = must_create(config("http", "127.0.0.1", mock->port(), "  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  mock.reset();
  const auto start = Clock::now();
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_LT(Clock::now() - start, 2 * timeouts.scrape);
}

TEST_F(RedfishMockTest, HungServerBoundedByScrapeBudget) {
  RedfishMock mock;
  auto c = must_create(config("http", "127.0.0.1", mock.port(), "  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  mock.set_hang(true);
  for (int i = 0; i < 2; ++i) {
    const auto start = Clock::now();
    EXPECT_EQ(scrape(*c), kFixtureExposition) << i;
    EXPECT_LT(Clock::now() - start, timeouts.scrape + std::chrono::seconds(1)) << i;
  }
  mock.set_hang(false);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
}

TEST_F(RedfishMockTest, PeerThatNeverAnswers) {
  // A listening socket that is never accepted from: connects succeed, nothing comes back.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  const auto start = Clock::now();
  auto c = create(config("http", "127.0.0.1", port, "  use_session_token: true\n"));
  const auto took = Clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("failed to create a Redfish client"));
  EXPECT_LT(took, timeouts.startup + std::chrono::seconds(1));
  EXPECT_GE(took, timeouts.request - std::chrono::milliseconds(50));
}

TEST_F(RedfishMockTest, ProxyModeHeaders) {
  RedfishMock mock;
  auto c = must_create(
      config("https", "bmc.invalid", 443, "  external_url: " + mock.url() + "\n  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  c->stop();
  const auto requests = mock.requests();
  ASSERT_GE(requests.size(), 6u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.header("X-Redfish-Url"), "https://bmc.invalid:443") << r.method << " " << r.path;
    EXPECT_FALSE(r.has_header("X-Real-IP"));
  }
  EXPECT_EQ(mock.count("DELETE", "/redfish/v1/SessionService/Sessions/token1/"), 1u);
}

TEST_F(RedfishMockTest, ConformanceFixtureConfigDialsLocalhost) {
  // The reference suite's config: `host` is ignored, there is no username (so neither
  // Basic auth nor a session) and the empty host means the local machine.
  RedfishMockOptions open;
  open.require_auth = false;
  RedfishMock mock(open);
  auto c = must_create("---\nredfish_web_config:\n  protocol: http\n  host: localhost\n  port: " +
                       std::to_string(mock.port()) + "\n  use_session_token: true\n");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), kFixtureExposition);
  EXPECT_EQ(mock.sessions_created(), 0);
  EXPECT_EQ(mock.requests().front().header("X-Redfish-Url"), "http://:" + std::to_string(mock.port()));
}

TEST_F(RedfishMockTest, SeveralChassis) {
  RedfishMockOptions o;
  o.chassis = {MockChassis{"System.Embedded.1"}, MockChassis{"Enclosure", false}};
  o.chassis[0].power_json = R"({"PowerControl": [{"PowerConsumedWatts": 123.4}]})";
  RedfishMock mock(o);
  auto c = must_create(config("http", "127.0.0.1", mock.port(), "  use_session_token: true\n"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c),
            "# HELP ceems_redfish_current_watts Current Power consumption in watts\n"
            "# TYPE ceems_redfish_current_watts gauge\n"
            "ceems_redfish_current_watts{chassis=\"System_Embedded_1\",hostname=\"\"} 123.4000015258789\n");
}

}  // namespace
}  // namespace ceems
