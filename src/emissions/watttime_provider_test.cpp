// The WattTime provider against a scripted client: configuration checks, the login
// token's life, the retry after a 401, the shared time budget and the cache.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "core/testing/test_support.h"
#include "emissions/testing/provider_helpers.h"
#include "emissions/testing/test_util.h"
#include "emissions/watttime.h"

namespace ceems::emissions {
namespace {

using test::count_lines;
using test::FakeClient;
using test::ManualClock;
using test::response;
using test::transport_error;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kPassword = "pa55-w0rd!";
// base64("user@example.org:pa55-w0rd!")
constexpr const char* kBasic = "Basic dXNlckBleGFtcGxlLm9yZzpwYTU1LXcwcmQh";
constexpr const char* kData =
    R"({"data": [{"point_time": "2025-01-15T09:55:00+00:00", "value": 1000}],)"
    R"( "meta": {"region": "CAISO_NORTH", "units": "lbs_co2_per_mwh", "warnings": []}})";

ProviderOptions wt_options(std::shared_ptr<http::HttpClient> client, ManualClock* clock = nullptr) {
  ProviderOptions o;
  o.client = std::move(client);
  o.wt_username = "user@example.org";
  o.wt_password = kPassword;
  o.wt_region = "CAISO_NORTH";
  o.wt_base_url = "https://wt.test";
  o.wall_clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1736935200)); };
  if (clock != nullptr) o.clock = clock->fn();
  return o;
}

bool is_login(const http::ClientRequest& req) { return req.url == "https://wt.test/login"; }

std::string authorization(const http::ClientRequest& req) {
  auto it = req.headers.find("Authorization");
  return it == req.headers.end() ? "" : it->second;
}

// Issues token-<n> per login; the data endpoint accepts only the tokens in `valid`.
struct WattTimeApi {
  std::atomic<int> logins{0};
  std::atomic<int> refuse_next_data{0};  // that many data requests answer 401
  Result<http::ClientResponse> operator()(const http::ClientRequest& req) {
    if (is_login(req)) {
      if (authorization(req) != kBasic) return response(R"({"error": "unauthorized"})", 403);
      return response(R"({"token": "token-)" + std::to_string(++logins) + R"("})");
    }
    if (refuse_next_data > 0) {
      --refuse_next_data;
      return response("Unauthorized", 401);
    }
    if (!authorization(req).starts_with("Bearer token-")) return response("Unauthorized", 401);
    return response(kData);
  }
};

std::shared_ptr<FakeClient> client_for(WattTimeApi& api) {
  return std::make_shared<FakeClient>([&api](const http::ClientRequest& req) { return api(req); });
}

// ---- configuration ----

TEST(EmissionsWattTimeConfig, EachMissingVariableIsNamed) {
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) { return response("{}"); });
  const std::pair<const char*, std::optional<std::string> ProviderOptions::*> vars[] = {
      {"WT_USERNAME", &ProviderOptions::wt_username},
      {"WT_PASSWORD", &ProviderOptions::wt_password},
      {"WT_REGION", &ProviderOptions::wt_region},
  };
  for (const auto& [name, member] : vars) {
    ProviderOptions o = wt_options(client);
    o.*member = std::nullopt;
    auto p = WattTimeProvider::create(o, log::Logger());
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_EQ(p.error().message(),
              std::string("missing username/password/region for Watt Time: ") + name + " is not set");
    o.*member = "";
    p = WattTimeProvider::create(o, log::Logger());
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_EQ(p.error().message(),
              std::string("missing username/password/region for Watt Time: ") + name + " is empty");
  }
  EXPECT_EQ(client->count(), 0u);
}

TEST(EmissionsWattTimeConfig, MalformedValuesAreRefusedWithoutEchoingThem) {
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) { return response("{}"); });
  struct Case {
    std::optional<std::string> ProviderOptions::*member;
    std::string value;
    std::string expected;
  };
  const Case cases[] = {
      {&ProviderOptions::wt_username, "secret-user\r",
       "in WT_USERNAME: byte 12 of 12 is a control character"},
      {&ProviderOptions::wt_username, "secret:user", "in WT_USERNAME: byte 7 of 11 is ':'"},
      {&ProviderOptions::wt_password, "secret-pass\n",
       "in WT_PASSWORD: byte 12 of 12 is a control character"},
      {&ProviderOptions::wt_region, "secret region", "in WT_REGION: byte 7 of 13 is white space"},
  };
  for (const Case& c : cases) {
    ProviderOptions o = wt_options(client);
    o.*c.member = c.value;
    auto p = WattTimeProvider::create(o, log::Logger());
    ASSERT_FALSE(p.ok()) << c.value;
    EXPECT_THAT(p.error().message(), StartsWith("malformed Watt Time credentials " + c.expected));
    EXPECT_THAT(p.error().message(), Not(HasSubstr("secret")));
  }
  // White space inside a password is legitimate.
  ProviderOptions o = wt_options(client);
  o.wt_password = "correct horse battery staple";
  EXPECT_TRUE(WattTimeProvider::create(o, log::Logger()).ok());
  o.client.reset();
  EXPECT_FALSE(WattTimeProvider::create(o, log::Logger()).ok());
}

// ---- requests ----

TEST(EmissionsWattTimeProvider, LoginThenHistoricalWithTheToken) {
  WattTimeApi api;
  auto client = client_for(api);
  auto p = WattTimeProvider::create(wt_options(client), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(client->count(), 0u) << "construction makes no request";
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ(f->at("CAISO_NORTH").name, "CAISO_NORTH");
  EXPECT_DOUBLE_EQ(f->at("CAISO_NORTH").value, 453.592);
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url, "https://wt.test/login");
  EXPECT_EQ(authorization(reqs[0]), kBasic);
  EXPECT_EQ(reqs[1].url,
            "https://wt.test/v3/historical?end=2025-01-15T10%3A00%3A00Z&region=CAISO_NORTH&"
            "signal_type=co2_moer&start=2025-01-15T09%3A45%3A00Z");
  EXPECT_EQ(authorization(reqs[1]), "Bearer token-1");
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_FALSE(r.follow_redirects) << "credentials never follow a redirect";
    EXPECT_LE(r.timeout, 5000ms);
    EXPECT_GT(r.timeout, 4000ms) << "the budget is shared, not spent by a fast login";
  }
}

TEST(EmissionsWattTimeProvider, TokenIsReusedWithinItsLifetime) {
  WattTimeApi api;
  ManualClock clock;
  auto client = client_for(api);
  ProviderOptions o = wt_options(client, &clock);
  o.cache_duration = 10min;
  auto p = WattTimeProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  clock.advance(11min);
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(api.logins, 1) << "the 25-minute token is still good";
  EXPECT_EQ(client->count(), 3u);
  clock.advance(11min);
  ASSERT_TRUE((*p)->update().ok());
  clock.advance(11min);  // 33 minutes after the login
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(api.logins, 2);
  EXPECT_EQ(authorization(client->requests().back()), "Bearer token-2");
}

TEST(EmissionsWattTimeProvider, SecondScrapeWithinThirtyMinutesMakesNoRequest) {
  WattTimeApi api;
  ManualClock clock;
  auto client = client_for(api);
  auto p = WattTimeProvider::create(wt_options(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  clock.advance(29min);
  auto cached = (*p)->update();
  ASSERT_TRUE(cached.ok());
  EXPECT_DOUBLE_EQ(cached->at("CAISO_NORTH").value, 453.592);
  EXPECT_EQ(client->count(), 2u);
  clock.advance(2min);
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(client->count(), 4u) << "after 30 minutes: a new login (the token is 31 minutes old) and data";
}

TEST(EmissionsWattTimeProvider, A401MeansOneNewLoginAndOneRetry) {
  WattTimeApi api;
  ManualClock clock;
  auto client = client_for(api);
  ProviderOptions o = wt_options(client, &clock);
  o.cache_duration = 1min;
  auto p = WattTimeProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  clock.advance(2min);
  api.refuse_next_data = 1;  // the cached token was revoked
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(api.logins, 2);
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(authorization(reqs[2]), "Bearer token-1");
  EXPECT_TRUE(is_login(reqs[3]));
  EXPECT_EQ(authorization(reqs[4]), "Bearer token-2");
}

TEST(EmissionsWattTimeProvider, A401AfterTheNewLoginFailsTheFetch) {
  WattTimeApi api;
  ManualClock clock;
  auto client = client_for(api);
  auto p = WattTimeProvider::create(wt_options(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok());
  api.refuse_next_data = 100;
  auto f = (*p)->update();
  ASSERT_FALSE(f.ok());
  EXPECT_THAT(f.error().message(),
              HasSubstr("unexpected HTTP status 401 from https://wt.test/v3/historical"));
  EXPECT_THAT(f.error().message(), Not(HasSubstr("region=")));
  EXPECT_EQ(api.logins, 2) << "one login, one more after the 401, no loop";
  EXPECT_EQ(client->count(), 4u);
  clock.advance(30s);
  EXPECT_FALSE((*p)->update().ok());
  EXPECT_EQ(client->count(), 4u) << "the retry waits for the backoff";
  clock.advance(31s);
  api.refuse_next_data = 0;
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(api.logins, 3) << "the refused token is not reused";
}

TEST(EmissionsWattTimeProvider, RefusedLoginFailsCleanlyAndNeverLogsTheSecret) {
  test_support::LogCapture capture(log::Level::kDebug);
  WattTimeApi api;
  auto client = client_for(api);
  ProviderOptions o = wt_options(client);
  o.wt_password = "wrong-Pa55word";
  auto p = WattTimeProvider::create(o, log::Logger("provider", "wt"));
  ASSERT_TRUE(p.ok());
  auto f = (*p)->update();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message(),
            "failed to update api token of watt time provider: Watt Time refused the login (HTTP 403): "
            "check WT_USERNAME and WT_PASSWORD");
  EXPECT_EQ(client->count(), 1u) << "no data request without a token";
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to retrieve emission factor from Watt Time provider"), 1u)
      << log;
  EXPECT_THAT(log, HasSubstr("provider=wt"));
  EXPECT_THAT(log, Not(HasSubstr("wrong-Pa55word")));
  EXPECT_THAT(log, Not(HasSubstr("Basic ")));
}

TEST(EmissionsWattTimeProvider, TokenNeverReachesTheLog) {
  test_support::LogCapture capture(log::Level::kDebug);
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (is_login(req)) return response(R"({"token": "tok-SECRET-123"})");
        return transport_error(req.url);
      });
  auto p = WattTimeProvider::create(wt_options(client), log::Logger("provider", "wt"));
  ASSERT_TRUE(p.ok());
  ASSERT_FALSE((*p)->update().ok());
  const std::string log = capture.text();
  EXPECT_THAT(log, HasSubstr("https://wt.test/v3/historical:")) << log;
  EXPECT_THAT(log, Not(HasSubstr("tok-SECRET-123")));
  EXPECT_THAT(log, Not(HasSubstr(kPassword)));
  EXPECT_THAT(log, Not(HasSubstr("signal_type"))) << "no query string in the log";
}

TEST(EmissionsWattTimeProvider, FailuresServeTheCacheAndLogOncePerEpisode) {
  test_support::LogCapture capture(log::Level::kDebug);
  ManualClock clock;
  std::atomic<bool> up{true};
  WattTimeApi api;
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (!up) return transport_error(req.url);
        return api(req);
      });
  auto p = WattTimeProvider::create(wt_options(client, &clock), log::Logger("provider", "wt"));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  up = false;
  for (int i = 0; i < 4; ++i) {
    clock.advance(31min);
    auto stale = (*p)->update();
    ASSERT_TRUE(stale.ok());
    EXPECT_DOUBLE_EQ(stale->at("CAISO_NORTH").value, 453.592);
  }
  up = true;
  clock.advance(31min);
  ASSERT_TRUE((*p)->update().ok());
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to retrieve emission factor from Watt Time provider"), 1u)
      << log;
  EXPECT_EQ(count_lines(log, "DEBUG", "Failed to retrieve emission factor from Watt Time provider"), 3u)
      << log;
  EXPECT_EQ(count_lines(log, "INFO", "Emission factor from Watt Time provider available again"), 1u) << log;
}

TEST(EmissionsWattTimeProvider, ErrorStatusesAndBodies) {
  struct Case {
    int status;
    std::string body;
    std::string expected;
  };
  const Case cases[] = {
      {500, "oops", "unexpected HTTP status 500 from https://wt.test/v3/historical"},
      {403, R"({"error": "region not in subscription"})", "unexpected HTTP status 403"},
      {200, R"({"data": [], "meta": {"warnings": [{"message": "no data"}]}})",
       "missing data in Watt Time response. warnings: no data"},
      {200, R"({"data": [{"value": "x"}]})",
       "failed to unmarshal HTTP response body for url "
       "https://wt.test/v3/historical: json: cannot unmarshal"},
  };
  for (const Case& c : cases) {
    auto client =
        std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
          if (is_login(req)) return response(R"({"token": "t"})");
          return response(c.body, c.status);
        });
    auto p = WattTimeProvider::create(wt_options(client), log::Logger());
    ASSERT_TRUE(p.ok());
    auto f = (*p)->update();
    ASSERT_FALSE(f.ok()) << c.body;
    EXPECT_THAT(f.error().message(), HasSubstr(c.expected));
  }
  for (const char* login : {"{}", R"({"token": 1})", "<html>"}) {
    auto client = std::make_shared<FakeClient>([&](const http::ClientRequest&) { return response(login); });
    auto p = WattTimeProvider::create(wt_options(client), log::Logger());
    ASSERT_TRUE(p.ok());
    auto f = (*p)->update();
    ASSERT_FALSE(f.ok()) << login;
    EXPECT_THAT(f.error().message(), StartsWith("failed to update api token of watt time provider: "
                                                "unexpected response from https://wt.test/login: "));
    EXPECT_EQ(client->count(), 1u);
  }
}

}  // namespace
}  // namespace ceems::emissions
