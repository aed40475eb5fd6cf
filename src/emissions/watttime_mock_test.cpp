// The WattTime provider against a local mock of its API (GET /login with basic
// authentication, GET /v3/historical with the bearer token), through the real HTTP
// client and the collector.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>

#include "core/exposition.h"
#include "core/testing/test_support.h"
#include "emissions/emissions.h"
#include "emissions/testing/factory.h"
#include "emissions/testing/mock_server.h"
#include "emissions/testing/provider_helpers.h"
#include "emissions/testing/test_util.h"
#include "emissions/watttime.h"

namespace ceems::emissions {
namespace {

using test::count_lines;
using test::make_from_flags;
using test::ManualClock;
using test::MockServer;
using test::ScopedEnv;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kUser = "hpc-centre";
constexpr const char* kPassword = "Corr3ct-Horse";
// base64("hpc-centre:Corr3ct-Horse")
constexpr const char* kBasic = "Basic aHBjLWNlbnRyZTpDb3JyM2N0LUhvcnNl";

// WattTime v3: /login issues mock-token-<n> to the right basic credentials (403
// otherwise); /v3/historical wants the latest token as bearer, and answers 401 to the
// first `expire_next` requests as to an expired token.
class WattTimeMock {
 public:
  WattTimeMock() {
    auto& s = mock_.server();
    s.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++logins_;
      if (req.get_header_value("Authorization") != kBasic) {
        res.status = 403;
        res.set_content(R"({"error": "Forbidden"})", "application/json");
        return;
      }
      token_ = "mock-token-" + std::to_string(logins_);
      res.set_content(R"({"token": ")" + token_ + R"("})", "application/json");
    });
    s.Get("/v3/historical", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      ++data_requests_;
      params_ = {req.params.begin(), req.params.end()};
      if (expire_next_ > 0 || req.get_header_value("Authorization") != "Bearer " + token_) {
        expire_next_ = std::max(expire_next_ - 1, 0);
        res.status = 401;
        res.set_content("Unauthorized", "text/plain");
        return;
      }
      res.set_content(R"({"data": [{"point_time": "2025-01-15T09:50:00+00:00", "value": 950},)"
                      R"( {"point_time": "2025-01-15T09:55:00+00:00", "value": 1000}],)"
                      R"( "meta": {"region": ")" +
                          req.get_param_value("region") +
                          R"(", "signal_type": "co2_moer", "units": "lbs_co2_per_mwh", "warnings": []}})",
                      "application/json");
    });
    mock_.start();
  }

  std::string base() const { return mock_.url(""); }
  void expire_next(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    expire_next_ = n;
  }
  int logins() {
    std::lock_guard<std::mutex> lock(mu_);
    return logins_;
  }
  int data_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return data_requests_;
  }
  std::map<std::string, std::string> params() {
    std::lock_guard<std::mutex> lock(mu_);
    return params_;
  }

 private:
  MockServer mock_;
  std::mutex mu_;
  int logins_ = 0;
  int data_requests_ = 0;
  int expire_next_ = 0;
  std::string token_ = "none issued yet";
  std::map<std::string, std::string> params_;
};

ProviderOptions mock_options(const WattTimeMock& api, ManualClock* clock = nullptr) {
  ProviderOptions o;
  o.client = http::make_http_client();
  o.wt_username = kUser;
  o.wt_password = kPassword;
  o.wt_region = "CAISO_NORTH";
  o.wt_base_url = api.base();
  o.wall_clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1736935200)); };
  if (clock != nullptr) o.clock = clock->fn();
  return o;
}

constexpr const char* kPage =
    "# HELP ceems_emissions_gCo2_kWh Current emission factor in CO2eq grams per kWh\n"
    "# TYPE ceems_emissions_gCo2_kWh gauge\n"
    "ceems_emissions_gCo2_kWh{country=\"CAISO_NORTH\",country_code=\"CAISO_NORTH\",provider=\"wt\","
    "provider_name=\"Watt Time\"} 453.592\n";

TEST(EmissionsWattTimeMockApi, CollectorExportsTheRegionsFactor) {
  WattTimeMock api;
  auto c = make_emissions_collector({"wt"}, mock_options(api), log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(api.logins(), 0) << "construction makes no request";
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(test_support::render(batch), kPage);
  EXPECT_EQ(api.logins(), 1);
  EXPECT_EQ(api.data_requests(), 1);
  EXPECT_EQ(api.params(), (std::map<std::string, std::string>{{"end", "2025-01-15T10:00:00Z"},
                                                              {"region", "CAISO_NORTH"},
                                                              {"signal_type", "co2_moer"},
                                                              {"start", "2025-01-15T09:45:00Z"}}));
}

TEST(EmissionsWattTimeMockApi, ExpiredTokenMeansOneNewLoginInTheSameScrape) {
  test_support::LogCapture capture(log::Level::kDebug);
  WattTimeMock api;
  api.expire_next(1);
  auto p = WattTimeProvider::create(mock_options(api), log::Logger("provider", "wt"));
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_DOUBLE_EQ(f->at("CAISO_NORTH").value, 453.592);
  EXPECT_EQ(api.logins(), 2);
  EXPECT_EQ(api.data_requests(), 2);
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "DEBUG", "Watt Time refused the token; logging in again"), 1u) << log;
  EXPECT_THAT(log, Not(HasSubstr("level=WARN")));
  EXPECT_THAT(log, Not(HasSubstr("mock-token-")));
}

TEST(EmissionsWattTimeMockApi, WrongCredentialsFailWithoutTheSecretInTheLog) {
  test_support::LogCapture capture(log::Level::kDebug);
  WattTimeMock api;
  ProviderOptions o = mock_options(api);
  o.wt_password = "Wr0ng-Pa55word";
  auto c = make_emissions_collector({"owid", "wt"}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok()) << "a failing provider leaves the scrape successful";
  EXPECT_THAT(test_support::render(batch), Not(HasSubstr("provider=\"wt\"")));
  EXPECT_EQ(batch.sample_count(), 212u) << "OWID only";
  EXPECT_EQ(api.logins(), 1);
  EXPECT_EQ(api.data_requests(), 0);
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to retrieve emission factor from Watt Time provider"), 1u)
      << log;
  EXPECT_THAT(log, HasSubstr("Watt Time refused the login (HTTP 403): check WT_USERNAME and WT_PASSWORD"));
  EXPECT_THAT(log, Not(HasSubstr("Wr0ng-Pa55word")));
  EXPECT_THAT(log, Not(HasSubstr("Basic ")));
}

TEST(EmissionsWattTimeMockApi, SecondScrapeWithinThirtyMinutesMakesNoRequest) {
  WattTimeMock api;
  ManualClock clock;
  auto c = make_emissions_collector({"wt"}, mock_options(api, &clock), log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch first;
  ASSERT_TRUE((*c)->update(first).ok());
  clock.advance(29min);
  MetricBatch second;
  ASSERT_TRUE((*c)->update(second).ok());
  EXPECT_EQ(test_support::render(second), kPage);
  EXPECT_EQ(api.logins(), 1);
  EXPECT_EQ(api.data_requests(), 1);
  clock.advance(2min);
  MetricBatch third;
  ASSERT_TRUE((*c)->update(third).ok());
  EXPECT_EQ(test_support::render(third), kPage);
  EXPECT_EQ(api.logins(), 2) << "the token is older than its 25 minutes";
  EXPECT_EQ(api.data_requests(), 2);
}

// ---- the production factory ----

TEST(EmissionsWattTimeFactory, EnvironmentAndBaseUrlHook) {
  WattTimeMock api;
  ScopedEnv user("WT_USERNAME", kUser);
  ScopedEnv password("WT_PASSWORD", kPassword);
  ScopedEnv region("WT_REGION", "CAISO_NORTH");
  ScopedEnv base("__WT_BASE_URL", api.base().c_str());
  const ProviderOptions o = provider_options_from_environment();
  EXPECT_EQ(o.wt_username, std::optional<std::string>(kUser));
  EXPECT_EQ(o.wt_password, std::optional<std::string>(kPassword));
  EXPECT_EQ(o.wt_region, std::optional<std::string>("CAISO_NORTH"));
  EXPECT_EQ(o.wt_base_url, api.base());
  auto c = make_from_flags({"--collector.emissions.provider=wt"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(test_support::render(batch), kPage);
}

TEST(EmissionsWattTimeFactory, MissingCredentialStopsStartUpNamingTheVariable) {
  ScopedEnv user("WT_USERNAME", kUser);
  ScopedEnv password("WT_PASSWORD", nullptr);
  ScopedEnv region("WT_REGION", "CAISO_NORTH");
  auto c = make_from_flags({"--collector.emissions.provider=wt"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "missing username/password/region for Watt Time: WT_PASSWORD is not set");
}

TEST(EmissionsWattTimeFactory, NotPartOfTheDefaultSelection) {
  ScopedEnv token("EMAPS_API_TOKEN", "t");
  ScopedEnv user("WT_USERNAME", nullptr);
  ScopedEnv base("__WT_BASE_URL", nullptr);
  const ProviderOptions o = provider_options_from_environment();
  EXPECT_FALSE(o.wt_username.has_value());
  EXPECT_EQ(o.wt_base_url, kWattTimeBaseUrl);
  auto c = make_emissions_collector({}, o, log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  for (const auto& source : (*c)->sources()) EXPECT_NE(source.key, "wt");
  EXPECT_TRUE(make_from_flags({}).ok()) << "CEEMS 0.5.1's default set starts without WattTime credentials";
}

}  // namespace
}  // namespace ceems::emissions
