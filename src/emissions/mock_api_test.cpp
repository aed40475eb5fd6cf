// The providers against local mocks of the Electricity Maps and RTE APIs, through the
// real HTTP client, and the time budget when an API does not answer.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/exposition.h"
#include "emissions/emissions.h"
#include "emissions/testing/factory.h"
#include "emissions/testing/mock_server.h"

namespace ceems::emissions {
namespace {

using test::make_from_flags;
using test::MockServer;
using test::ScopedEnv;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kToken = "mock-token-123";

// Electricity Maps v3: public /zones; /carbon-intensity/latest needs the token and
// knows FR and DE only, like a free-tier account would not.
class EmapsMock {
 public:
  EmapsMock() {
    auto& s = mock_.server();
    s.Get("/v3/zones", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(R"({"FR": {"zoneName": "France"}, "DE": {"zoneName": "Germany"},
                          "US-CAL-CISO": {"countryName": "USA", "zoneName": "CAISO"}})",
                      "application/json");
    });
    s.Get("/v3/carbon-intensity/latest", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      if (req.get_header_value("auth-token") != kToken) {
        res.status = 401;
        res.set_content(R"({"error": "Invalid authentication token"})", "application/json");
        return;
      }
      const std::string zone = req.get_param_value("zone");
      if (zone == "FR") {
        res.set_content(R"({"zone": "FR", "carbonIntensity": 33, "datetime": "2025-01-15T10:00:00.000Z",
                            "updatedAt": "2025-01-15T09:52:03.431Z", "emissionFactorType": "lifecycle",
                            "isEstimated": true, "estimationMethod": "TIME_SLICER_AVERAGE"})",
                        "application/json");
      } else if (zone == "DE") {
        res.set_content(R"({"zone": "DE", "carbonIntensity": 412, "isEstimated": false})",
                        "application/json");
      } else {
        res.status = 403;
        res.set_content(R"({"error": "Zone ')" + zone + R"(' is not available with your plan"})",
                        "application/json");
      }
    });
    mock_.start();
  }

  std::string base() const { return mock_.url("/v3"); }
  std::vector<std::pair<std::string, std::string>> seen() {  // (path?query, auth-token)
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  void record(const httplib::Request& req) {
    std::string target = req.path;
    if (req.has_param("zone")) target += "?zone=" + req.get_param_value("zone");
    std::lock_guard<std::mutex> lock(mu_);
    seen_.emplace_back(target, req.has_header("auth-token") ? req.get_header_value("auth-token") : "<none>");
  }

  MockServer mock_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_;
};

class RteMock {
 public:
  static constexpr const char* kPath = "/api/explore/v2.1/catalog/datasets/eco2mix-national-tr/records";

  RteMock() {
    mock_.server().Get(kPath, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      params_ = req.params;
      res.set_content(body_, "application/json; charset=utf-8");
    });
    mock_.start();
  }
  std::string url() const { return mock_.url(kPath); }
  void set_body(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
  }
  std::multimap<std::string, std::string> params() {
    std::lock_guard<std::mutex> lock(mu_);
    return {params_.begin(), params_.end()};
  }

 private:
  MockServer mock_;
  std::mutex mu_;
  std::string body_ =
      R"({"total_count": 1, "results": [{"taux_co2": 21, "date_heure": "2025-01-15T10:45:00+01:00"}]})";
  std::multimap<std::string, std::string> params_;
};

// A listening socket that never accepts: connections succeed, answers never come.
class BlackHole {
 public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
      ADD_FAILURE() << "cannot set up the black hole socket";
    }
    port_ = ntohs(sa.sin_port);
  }
  ~BlackHole() { ::close(fd_); }
  BlackHole(const BlackHole&) = delete;
  BlackHole& operator=(const BlackHole&) = delete;
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nobody listens on: connections are refused at once.
std::string closed_port_url(const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return "http://127.0.0.1:1" + path;  // port 1: refused as well
  }
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(sa.sin_port)) + path;
}

ProviderOptions client_options() {
  ProviderOptions o;
  o.client = http::make_http_client();
  o.emaps_token = kToken;
  o.local_date = [] { return std::string("2025-01-15"); };
  return o;
}

// ---- against the mocks ----

TEST(EmissionsEmapsMockApi, ZonesThenOneRequestPerZoneWithTheToken) {
  EmapsMock api;
  ProviderOptions o = client_options();
  o.emaps_base_url = o.emaps_zones_base_url = api.base();
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(api.seen().empty()) << "construction makes no request";
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(*f, (EmissionFactors{{"DE", {"Germany", 412}}, {"FR", {"France", 33}}}));
  const auto seen = api.seen();
  const std::set<std::pair<std::string, std::string>> requests(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(requests, (std::set<std::pair<std::string, std::string>>{
                          {"/v3/zones", "<none>"},
                          {"/v3/carbon-intensity/latest?zone=DE", kToken},
                          {"/v3/carbon-intensity/latest?zone=FR", kToken},
                          {"/v3/carbon-intensity/latest?zone=US-CAL-CISO", kToken}}));
}

TEST(EmissionsEmapsMockApi, WrongTokenGivesAnEmptyButSuccessfulRound) {
  EmapsMock api;
  ProviderOptions o = client_options();
  o.emaps_token = "wrong";
  o.emaps_base_url = o.emaps_zones_base_url = api.base();
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok());
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->empty());
}

TEST(EmissionsRteMockApi, QueryParametersAndResult) {
  RteMock api;
  ProviderOptions o = client_options();
  o.rte_url = api.url();
  RteProvider p(o, log::Logger());
  auto f = p.update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(*f, (EmissionFactors{{"FR", {"France", 21}}}));
  EXPECT_EQ(api.params(),
            (std::multimap<std::string, std::string>{
                {"include_app_metas", "false"},
                {"include_links", "false"},
                {"limit", "1"},
                {"offset", "0"},
                {"order_by", "date_heure desc"},
                {"select", "taux_co2,date_heure"},
                {"timezone", "Europe/Paris"},
                {"where", "date_heure in [date'2025-01-15' TO now()] and taux_co2 is not null"}}));
}

TEST(EmissionsRteMockApi, EmptyResultsBeforeTheFirstSuccess) {
  RteMock api;
  api.set_body(R"({"total_count": 0, "results": []})");
  ProviderOptions o = client_options();
  o.rte_url = api.url();
  RteProvider p(o, log::Logger());
  auto f = p.update();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message(), "empty response received from RTE server: []");
}

TEST(EmissionsMockApi, CollectorPageFromBothMocks) {
  EmapsMock emaps;
  RteMock rte;
  ProviderOptions o = client_options();
  o.emaps_base_url = o.emaps_zones_base_url = emaps.base();
  o.rte_url = rte.url();
  auto c = make_emissions_collector({"emaps", "rte"}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  const MetricBatch* batches[] = {&batch};
  std::string page;
  write_text(batches, page);
  EXPECT_EQ(page,
            "# HELP ceems_emissions_gCo2_kWh Current emission factor in CO2eq grams per kWh\n"
            "# TYPE ceems_emissions_gCo2_kWh gauge\n"
            "ceems_emissions_gCo2_kWh{country=\"France\",country_code=\"FR\",provider=\"emaps\","
            "provider_name=\"Electricity Maps\"} 33\n"
            "ceems_emissions_gCo2_kWh{country=\"France\",country_code=\"FR\",provider=\"rte\","
            "provider_name=\"RTE eCO2 Mix\"} 21\n"
            "ceems_emissions_gCo2_kWh{country=\"Germany\",country_code=\"DE\",provider=\"emaps\","
            "provider_name=\"Electricity Maps\"} 412\n");
}

// ---- unreachable APIs: bounded time, clear errors ----

TEST(EmissionsUnreachableApi, RefusedApisDoNotStopTheCollector) {
  ProviderOptions o = client_options();
  o.emaps_zones_base_url = closed_port_url("/v3");
  o.rte_url = closed_port_url("/records");
  const auto start = std::chrono::steady_clock::now();
  auto c = make_emissions_collector({}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(batch.sample_count(), 1u + 212u) << "global and OWID only";
  (*c)->stop();
}

// The zones endpoint accepts connections and never answers: construction makes no
// request, a scrape waits zone_wait for it, stop() waits for the request's timeout.
TEST(EmissionsUnreachableApi, SilentZonesEndpointHoldsNeitherStartUpNorScrape) {
  BlackHole hole;
  ProviderOptions o = client_options();
  o.emaps_zones_base_url = hole.url("/v3");
  o.rte_url = closed_port_url("/records");
  o.request_timeout = 1500ms;
  o.emaps_zone_wait = 200ms;
  auto start = std::chrono::steady_clock::now();
  auto c = make_emissions_collector({}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 100ms);
  MetricBatch batch;
  start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*c)->update(batch).ok());
  const auto scrape = std::chrono::steady_clock::now() - start;
  EXPECT_GE(scrape, 190ms);
  EXPECT_LT(scrape, 1s);
  EXPECT_EQ(batch.sample_count(), 1u + 212u);
  start = std::chrono::steady_clock::now();
  (*c)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms) << "bounded by the request timeout";
}

TEST(EmissionsUnreachableApi, SilentApisBoundTheScrape) {
  EmapsMock zones_only;  // zones come from the mock, the intensities from a black hole
  BlackHole hole;
  ProviderOptions o = client_options();
  o.emaps_zones_base_url = zones_only.base();
  o.emaps_base_url = hole.url("/v3");
  o.rte_url = hole.url("/records");
  o.request_timeout = 400ms;
  auto c = make_emissions_collector({"emaps", "rte", "owid"}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE((*c)->update(batch).ok());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // All requests run concurrently: one timeout, not one per zone or provider.
  EXPECT_GE(elapsed, 350ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(batch.sample_count(), 212u) << "only the static OWID factors";
}

// ---- the production factory ----

TEST(EmissionsFactory, DefaultSelectionWithoutTokenFailsStartUp) {
  ScopedEnv token("EMAPS_API_TOKEN", nullptr);
  auto c = make_from_flags({});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "api token missing for Electricity Maps");
}

TEST(EmissionsFactory, ExplicitProvidersNeedNoToken) {
  ScopedEnv token("EMAPS_API_TOKEN", nullptr);
  auto c = make_from_flags({"--collector.emissions.provider=owid", "--collector.emissions.provider=rte"});
  ASSERT_TRUE(c.ok()) << c.error().message();
}

TEST(EmissionsFactory, MalformedTokenFailsStartUp) {
  ScopedEnv token("EMAPS_API_TOKEN", "abc\r");
  auto c = make_from_flags({"--collector.emissions.provider=emaps"});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), StartsWith("malformed Electricity Maps API token in EMAPS_API_TOKEN"));
}

TEST(EmissionsFactory, TokenAndUrlHooksFromTheEnvironment) {
  {
    ScopedEnv token("EMAPS_API_TOKEN", nullptr);
    ScopedEnv base("__EMAPS_BASE_URL", nullptr);
    ScopedEnv rte("__RTE_URL", nullptr);
    const ProviderOptions o = provider_options_from_environment();
    EXPECT_FALSE(o.emaps_token.has_value());
    EXPECT_EQ(o.emaps_zones_base_url, kEmapsBaseUrl);
    EXPECT_EQ(o.rte_url, kRteUrl);
  }
  ScopedEnv token("EMAPS_API_TOKEN", "");  // present but empty still enables the provider
  ScopedEnv base("__EMAPS_BASE_URL", "http://127.0.0.1:9/v3");
  ScopedEnv rte("__RTE_URL", "http://127.0.0.1:9/records");
  const ProviderOptions o = provider_options_from_environment();
  EXPECT_EQ(o.emaps_token, std::optional<std::string>(""));
  EXPECT_EQ(o.emaps_zones_base_url, "http://127.0.0.1:9/v3");
  EXPECT_EQ(o.emaps_base_url, kEmapsBaseUrl) << "the zones hook leaves the factor requests alone";
  EXPECT_EQ(o.rte_url, "http://127.0.0.1:9/records");
  EXPECT_NE(o.client, nullptr);
}

TEST(EmissionsFactory, RteHookServesFromTheMock) {
  RteMock api;
  ScopedEnv rte("__RTE_URL", api.url().c_str());
  auto c = make_from_flags({"--collector.emissions.provider=rte"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 1u);
  EXPECT_EQ(api.params().count("where"), 1u);
}

}  // namespace
}  // namespace ceems::emissions
