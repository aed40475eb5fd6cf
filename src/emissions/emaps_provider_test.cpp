// The Electricity Maps provider: construction, zones, fetching, caching, failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/strings.h"
#include "core/testing/test_support.h"
#include "emissions/providers.h"
#include "emissions/testing/provider_helpers.h"
#include "emissions/testing/test_util.h"

namespace ceems::emissions {
namespace {

using test::count_lines;
using test::emaps_api;
using test::FakeClient;
using test::kZones;
using test::ManualClock;
using test::options_with;
using test::response;
using test::transport_error;
using test::zone_of;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

// ---- emaps construction and zones ----

TEST(EmissionsEmapsProvider, MissingTokenFailsWithoutAnyRequest) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  ProviderOptions o = options_with(client);
  o.emaps_token.reset();
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "api token missing for Electricity Maps");
  EXPECT_EQ(client->count(), 0u);
}

TEST(EmissionsEmapsProvider, MalformedTokenIsAConfigurationError) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  ProviderOptions o = options_with(client);
  o.emaps_token = "secret-token\r";
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), HasSubstr("malformed Electricity Maps API token"));
  EXPECT_THAT(p.error().message(), Not(HasSubstr("secret")));
  EXPECT_EQ(client->count(), 0u);
}

TEST(EmissionsEmapsProvider, ConstructionMakesNoRequest) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(client->count(), 0u);
  EXPECT_FALSE((*p)->zones().has_value());
}

TEST(EmissionsEmapsProvider, ZonesAreFetchedWithoutTheTokenOnTheFirstScrape) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ((*p)->zones(),
            (std::map<std::string, std::string>{
                {"DE", "Germany"}, {"FR", "France"}, {"PL", ""}, {"US-CAL-CISO", "USA CAISO"}}));
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].url, "https://zones.test/v3/zones");
  EXPECT_TRUE(reqs[0].headers.empty());
  EXPECT_EQ(reqs[0].timeout, 5000ms);
  EXPECT_LE(reqs[0].connect_timeout, reqs[0].timeout);
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(client->count("/zones"), 1u) << "the zone list is fetched once";
}

TEST(EmissionsEmapsProvider, EmptyTokenIsEnoughToConstruct) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  ProviderOptions o = options_with(client);
  o.emaps_token = "";
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE((*p)->update().ok());
  for (const auto& r : client->requests()) EXPECT_EQ(r.headers.count("auth-token"), 0u) << r.url;
}

TEST(EmissionsEmapsProvider, ZonesAreRetriedWithBackoffUntilTheyDecode) {
  ManualClock clock;
  std::atomic<int> calls{0};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (!ends_with(req.url, "/zones")) return response(R"({"carbonIntensity": 56})");
        switch (++calls) {
          case 1:
            return transport_error(req.url);
          case 2:
            return response("<html>503</html>", 503);
          case 3:
            return response(R"({"FR": {"zoneName": 1}})");  // a non-string value fails the decode
          default:
            return response(R"({"FR": {"zoneName": "France"}})", 500);  // the status is not checked
        }
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto first = (*p)->update();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind(), ErrorKind::kNoData);
  EXPECT_THAT(first.error().message(), HasSubstr("Connection refused"));
  // Attempts at +0, +60 s, +180 s (60 + 120), +420 s (+ 240); scrapes in between do not ask.
  for (const auto step : {59s, 1s, 119s, 1s, 239s, 1s}) {
    clock.advance(step);
    (void)(*p)->update();
  }
  EXPECT_EQ(client->count("/zones"), 4u);
  EXPECT_EQ((*p)->zones()->at("FR"), "France");
  auto served = (*p)->update();
  ASSERT_TRUE(served.ok()) << served.error().message();
  EXPECT_EQ(served->at("FR"), (EmissionFactor{"France", 56}));
}

TEST(EmissionsEmapsProvider, ZoneRequestsBackOffUpToFiveMinutes) {
  ManualClock clock;
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        return transport_error(req.url);
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok());
  std::vector<int> attempts_at;  // seconds after the first scrape
  for (int t = 0; t <= 1200; t += 10) {
    const size_t before = client->count();
    EXPECT_FALSE((*p)->update().ok());
    if (client->count() > before) attempts_at.push_back(t);
    clock.advance(10s);
  }
  EXPECT_EQ(attempts_at, (std::vector<int>{0, 60, 180, 420, 720, 1020}));
}

TEST(EmissionsEmapsProvider, ZoneFailuresAreLoggedOncePerEpisode) {
  test_support::LogCapture capture(log::Level::kDebug);
  ManualClock clock;
  std::atomic<bool> up{false};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (!up) return transport_error(req.url);
        if (ends_with(req.url, "/zones")) return response(kZones);
        return response(R"({"carbonIntensity": 10})");
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger("provider", "emaps"));
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE((*p)->update().ok());
    clock.advance(10min);
  }
  up = true;
  ASSERT_TRUE((*p)->update().ok());
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to fetch Electricity Maps zones"), 1u) << log;
  EXPECT_EQ(count_lines(log, "DEBUG", "Failed to fetch Electricity Maps zones"), 2u) << log;
  EXPECT_EQ(count_lines(log, "INFO", "Fetched Electricity Maps zones"), 1u) << log;
  EXPECT_THAT(log, HasSubstr("provider=emaps"));
  EXPECT_THAT(log, HasSubstr("retry_in=60s"));
  EXPECT_THAT(log, HasSubstr("failed_attempts=3"));
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
}

// A zones endpoint that accepts and never answers: the scrape waits zone_wait at most,
// the request goes on in the background, and stop() waits for it to end.
TEST(EmissionsEmapsProvider, SilentZonesEndpointDoesNotHoldTheScrape) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (!ends_with(req.url, "/zones")) return response(R"({"carbonIntensity": 10})");
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, 5s, [&] { return release; });  // a request ends by its timeout at the latest
        return response(kZones);
      });
  ProviderOptions o = options_with(client);
  o.emaps_zone_wait = 100ms;
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok());
  auto start = std::chrono::steady_clock::now();
  auto pending = (*p)->update();
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(pending.ok());
  EXPECT_EQ(pending.error().message(), "Electricity Maps zones are being fetched");
  EXPECT_GE(elapsed, 90ms);
  EXPECT_LT(elapsed, 1s);
  start = std::chrono::steady_clock::now();
  EXPECT_FALSE((*p)->update().ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 50ms)
      << "only the scrape that started the request waits";
  EXPECT_EQ(client->count("/zones"), 1u) << "one request in flight, not one per scrape";
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  (*p)->stop();
  EXPECT_TRUE((*p)->zones().has_value()) << "stop() waited for the request in flight";
}

TEST(EmissionsEmapsProvider, StopDuringASilentZonesRequestIsBoundedByTheRequest) {
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) -> Result<http::ClientResponse> {
    std::this_thread::sleep_for(300ms);  // stands for a request running into its timeout
    return Error(ErrorKind::kTimeout, "GET https://zones.test/v3/zones: Operation timed out");
  });
  ProviderOptions o = options_with(client);
  o.emaps_zone_wait = 10ms;
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE((*p)->update().ok());
  const auto start = std::chrono::steady_clock::now();
  (*p)->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  auto after = (*p)->update();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(client->count(), 1u) << "no request starts after stop()";
}

// The scrape that waited for the zone list gives its factor requests what is left of
// one request timeout.
TEST(EmissionsEmapsProvider, FactorRequestsGetWhatIsLeftOfTheScrapeBudget) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) {
          std::this_thread::sleep_for(200ms);
          return response(kZones);
        }
        return response(R"({"carbonIntensity": 10})");
      });
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  for (const auto& r : client->requests()) {
    if (ends_with(r.url, "/zones")) continue;
    EXPECT_LE(r.timeout, 4850ms) << r.url;
    EXPECT_GE(r.timeout, 3900ms) << r.url;
  }
}

// ---- emaps fetch ----

TEST(EmissionsEmapsProvider, FetchesEveryZoneWithTheToken) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok());
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  // PL answered with an error body (intensity 0) and is silently dropped.
  EXPECT_EQ(*f, (EmissionFactors{
                    {"DE", {"Germany", 380}}, {"FR", {"France", 32}}, {"US-CAL-CISO", {"USA CAISO", 250}}}));
  std::set<std::string> urls;
  for (const auto& r : client->requests()) {
    if (ends_with(r.url, "/zones")) continue;
    urls.insert(r.url);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers.begin()->first, "auth-token");  // byte-exact, lower case
    EXPECT_EQ(r.headers.begin()->second, "secret-token");
    // The scrape that fetched the zone list spent a moment of the 5 s on it.
    EXPECT_LE(r.timeout, 5000ms);
    EXPECT_GT(r.timeout, 4000ms);
  }
  EXPECT_EQ(urls, (std::set<std::string>{"https://emaps.test/v3/carbon-intensity/latest?zone=DE",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=FR",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=PL",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=US-CAL-CISO"}));
}

TEST(EmissionsEmapsProvider, ZoneKeysAreQueryEscaped) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(R"({"A B/C": {"zoneName": "odd"}})");
        return response(R"({"carbonIntensity": 9})");
      });
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok());
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->at("A B/C"), (EmissionFactor{"odd", 9}));
  EXPECT_EQ(client->count("zone=A+B%2FC"), 1u);
}

TEST(EmissionsEmapsProvider, FailedZonesAreSkipped) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        const std::string zone = zone_of(req.url);
        if (zone == "FR") return transport_error(req.url);
        if (zone == "DE") return response(R"({"carbonIntensity": 380.5})");  // not an integer
        if (zone == "PL") return response("not json");
        return response(R"({"carbonIntensity": -3})");  // not positive
      });
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok());
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << "a round where the API answered is a result, even with only failed zones";
  EXPECT_TRUE(f->empty());
}

TEST(EmissionsEmapsProvider, CachesForThirtyMinutes) {
  ManualClock clock;
  auto client = std::make_shared<FakeClient>(emaps_api);
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(client->count("carbon-intensity"), 4u);
  clock.advance(30min);
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(client->count("carbon-intensity"), 4u) << "exactly 30 minutes is still fresh";
  clock.advance(1ms);
  ASSERT_TRUE((*p)->update().ok());
  EXPECT_EQ(client->count("carbon-intensity"), 8u);
}

// Error bodies (a token not valid for the zones) decode to 0: the API answered, so the
// empty round is a result and is cached like the reference does.
TEST(EmissionsEmapsProvider, AnAnsweredEmptyRoundIsCached) {
  ManualClock clock;
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        return response(R"({"error": "Invalid authentication token"})", 401);
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger());
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 3; ++i) {
    auto f = (*p)->update();
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE(f->empty());
  }
  EXPECT_EQ(client->count("carbon-intensity"), 4u);
}

// When no zone got any HTTP answer the API is unreachable: that is a failed fetch,
// retried with backoff, not an empty result cached for 30 minutes.
TEST(EmissionsEmapsProvider, ARoundWithoutAnyAnswerFailsAndIsRetried) {
  test_support::LogCapture capture(log::Level::kDebug);
  ManualClock clock;
  std::atomic<bool> up{false};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        if (!up) return transport_error(req.url);
        return emaps_api(req);
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger("provider", "emaps"));
  ASSERT_TRUE(p.ok());
  auto down = (*p)->update();
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.error().message(), StartsWith("no Electricity Maps zone answered (4 requests): "));
  EXPECT_THAT(down.error().message(), HasSubstr("Connection refused"));
  EXPECT_THAT(down.error().message(), Not(HasSubstr("?zone="))) << "URLs are logged without their query";
  clock.advance(30s);
  EXPECT_FALSE((*p)->update().ok());
  EXPECT_EQ(client->count("carbon-intensity"), 4u) << "no new round before the retry delay";
  clock.advance(30s);
  EXPECT_FALSE((*p)->update().ok());
  EXPECT_EQ(client->count("carbon-intensity"), 8u);
  up = true;
  clock.advance(120s);
  auto f = (*p)->update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->size(), 3u);
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to retrieve emission factor from Electricity maps provider"), 1u)
      << log;
  EXPECT_EQ(count_lines(log, "DEBUG", "Failed to retrieve emission factor from Electricity maps provider"),
            1u)
      << log;
  EXPECT_EQ(count_lines(log, "INFO", "Emission factor from Electricity maps provider available again"), 1u)
      << log;
}

// A free-tier token answers for one zone and fails the others: one summary line per
// failure episode, not one ERROR per zone per round.
TEST(EmissionsEmapsProvider, FailingZonesAreSummarisedOncePerEpisode) {
  test_support::LogCapture capture(log::Level::kInfo);
  ManualClock clock;
  std::atomic<bool> all_fine{false};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        if (all_fine || zone_of(req.url) == "FR") return response(R"({"carbonIntensity": 30})");
        return transport_error(req.url);
      });
  auto p = EmapsProvider::create(options_with(client, &clock), log::Logger("provider", "emaps"));
  ASSERT_TRUE(p.ok());
  for (int i = 0; i < 3; ++i) {
    auto f = (*p)->update();
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(*f, (EmissionFactors{{"FR", {"France", 30}}}));
    clock.advance(31min);
  }
  EXPECT_EQ(client->count("carbon-intensity"), 12u);
  all_fine = true;
  ASSERT_TRUE((*p)->update().ok());
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to fetch factor for Electricity maps provider"), 1u) << log;
  EXPECT_THAT(log, HasSubstr("failed_zones=3 zones=4"));
  EXPECT_EQ(count_lines(log, "INFO", "Every Electricity Maps zone answered again"), 1u) << log;
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
}

TEST(EmissionsEmapsProvider, ConcurrentScrapesShareOneFetch) {
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        const int now = ++in_flight;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(100ms);
        --in_flight;
        return response(R"({"carbonIntensity": 7})");
      });
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok());
  std::vector<std::thread> scrapes;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    scrapes.emplace_back([&] { ok += (*p)->update().ok() && (*p)->update()->size() == 4 ? 1 : 0; });
  }
  for (auto& t : scrapes) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(client->count("carbon-intensity"), 4u) << "one round of zone requests, not one per scrape";
  EXPECT_EQ(max_in_flight.load(), 4) << "zones are requested concurrently";
}

}  // namespace
}  // namespace ceems::emissions
