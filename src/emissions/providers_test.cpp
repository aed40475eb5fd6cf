#include "emissions/providers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/strings.h"
#include "emissions/test_util.h"

namespace ceems::emissions {
namespace {

using test::FakeClient;
using test::ManualClock;
using test::response;
using test::transport_error;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kZones =
    R"({"FR": {"zoneName": "France"}, "DE": {"zoneName": "Germany"},
        "US-CAL-CISO": {"countryName": "USA", "zoneName": "CAISO"}, "PL": {}})";

std::string zone_of(const std::string& url) {
  const auto pos = url.find("zone=");
  return pos == std::string::npos ? "" : url.substr(pos + 5);
}

// An Electricity Maps API: zones as above; FR 32, DE 380, US-CAL-CISO 250, PL an error body.
Result<http::ClientResponse> emaps_api(const http::ClientRequest& req) {
  if (ends_with(req.url, "/zones")) return response(kZones);
  const std::string zone = zone_of(req.url);
  if (zone == "FR") return response(R"({"zone": "FR", "carbonIntensity": 32, "isEstimated": false})");
  if (zone == "DE") return response(R"({"zone": "DE", "carbonIntensity": 380})");
  if (zone == "US-CAL-CISO") return response(R"({"zone": "US-CAL-CISO", "carbonIntensity": 250})");
  return response(R"({"error": "Zone is not available with your plan"})", 401);
}

ProviderOptions options_with(std::shared_ptr<http::HttpClient> client, ManualClock* clock = nullptr) {
  ProviderOptions o;
  o.client = std::move(client);
  o.emaps_token = "secret-token";
  o.emaps_base_url = "https://emaps.test/v3";
  o.emaps_zones_base_url = "https://zones.test/v3";
  o.rte_url = "https://rte.test/records";
  o.emaps_zone_retry_sleep = 1ms;
  o.local_date = [] { return std::string("2025-01-15"); };
  if (clock != nullptr) o.clock = clock->fn();
  return o;
}

// ---- global and owid ----

TEST(GlobalProvider, WorldAverage) {
  GlobalProvider p;
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (EmissionFactors{{"ZZ", {"World", 475}}}));
}

TEST(OwidProvider, EmbeddedTableIsTheSpecAppendix) {
  OwidProvider p{log::Logger()};
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 213u);
  EXPECT_EQ(f->at("FR"), (EmissionFactor{"France", 56.03859}));
  EXPECT_EQ(f->at("CI"), (EmissionFactor{"Cote d'Ivoire", 393.8849}));
  EXPECT_EQ(f->at("TM"), (EmissionFactor{"Turkmenistan", 1306.0251}));
  EXPECT_EQ(f->at("CF").value, 0);
  size_t positive = 0;
  for (const auto& [code, factor] : *f) positive += factor.value > 0 ? 1 : 0;
  EXPECT_EQ(positive, 212u);
}

// The generated table holds exactly the rows of the committed CSV, sorted and unique.
TEST(OwidProvider, TableMatchesTheDataFile) {
  std::ifstream in(std::string(CEEMS_EMISSIONS_SOURCE_DIR) + "/owid_factors.csv");
  ASSERT_TRUE(in) << "owid_factors.csv not found";
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "country_code,country,year,gco2_per_kwh");
  const auto table = owid_table();
  size_t i = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(line.find('"'), std::string::npos) << "quoted CSV rows need a real CSV reader here";
    const auto cols = split(line, ',');
    ASSERT_EQ(cols.size(), 4u) << line;
    ASSERT_LT(i, table.size());
    EXPECT_EQ(table[i].code, cols[0]);
    EXPECT_EQ(table[i].country, cols[1]);
    EXPECT_EQ(std::to_string(table[i].year), cols[2]);
    EXPECT_EQ(table[i].value, parse_double(cols[3]).value_or(-1)) << line;
    if (i > 0) {
      EXPECT_LT(table[i - 1].code, table[i].code);
    }
    ++i;
  }
  EXPECT_EQ(i, table.size());
}

TEST(OwidProvider, AcceptsAParsedDataSet) {
  OwidProvider p(EmissionFactors{{"FR", {"France", 1.5}}}, log::Logger());
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 1u);
}

// ---- emaps construction ----

TEST(EmapsProvider, MissingTokenFailsWithoutAnyRequest) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  ProviderOptions o = options_with(client);
  o.emaps_token.reset();
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(), "api token missing for Electricity Maps");
  EXPECT_EQ(client->count(), 0u);
}

TEST(EmapsProvider, ZonesAreFetchedWithoutTheToken) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ((*p)->zones(),
            (std::map<std::string, std::string>{
                {"DE", "Germany"}, {"FR", "France"}, {"PL", ""}, {"US-CAL-CISO", "USA CAISO"}}));
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].url, "https://zones.test/v3/zones");
  EXPECT_TRUE(reqs[0].headers.empty());
  EXPECT_EQ(reqs[0].timeout, 5000ms);
  EXPECT_LE(reqs[0].connect_timeout, reqs[0].timeout);
}

TEST(EmapsProvider, EmptyTokenIsEnoughToConstruct) {
  auto client = std::make_shared<FakeClient>(emaps_api);
  ProviderOptions o = options_with(client);
  o.emaps_token = "";
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE((*p)->update().ok());
  for (const auto& r : client->requests()) EXPECT_EQ(r.headers.count("auth-token"), 0u) << r.url;
}

TEST(EmapsProvider, ZonesAreRetriedUntilTheyDecode) {
  std::atomic<int> calls{0};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
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
  auto p = EmapsProvider::create(options_with(client), log::Logger());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(client->count(), 4u);
  EXPECT_EQ((*p)->zones().at("FR"), "France");
}

TEST(EmapsProvider, GivesUpAfterFiveAttempts) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        return transport_error(req.url);
      });
  ProviderOptions o = options_with(client);
  o.emaps_zone_retry_sleep = 20ms;
  const auto start = std::chrono::steady_clock::now();
  auto p = EmapsProvider::create(o, log::Logger());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(), StartsWith("failed to fetch electricity maps zones: "));
  EXPECT_THAT(p.error().message(), HasSubstr("Connection refused"));
  EXPECT_EQ(client->count(), 5u);
  // Four pauses between five attempts, none after the last.
  EXPECT_GE(elapsed, 80ms);
  EXPECT_LT(elapsed, 1000ms);
}

TEST(EmapsProvider, ZoneAttemptsAreConfigurable) {
  auto client = std::make_shared<FakeClient>(
      [](const http::ClientRequest&) -> Result<http::ClientResponse> { return response("nope"); });
  ProviderOptions o = options_with(client);
  o.emaps_zone_attempts = 2;
  auto p = EmapsProvider::create(o, log::Logger());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message(),
              HasSubstr("failed to unmarshal HTTP response body for url https://zones.test"));
  EXPECT_EQ(client->count(), 2u);
}

// ---- emaps fetch ----

TEST(EmapsProvider, FetchesEveryZoneWithTheToken) {
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
    EXPECT_EQ(r.timeout, 5000ms);
  }
  EXPECT_EQ(urls, (std::set<std::string>{"https://emaps.test/v3/carbon-intensity/latest?zone=DE",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=FR",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=PL",
                                         "https://emaps.test/v3/carbon-intensity/latest?zone=US-CAL-CISO"}));
}

TEST(EmapsProvider, ZoneKeysAreQueryEscaped) {
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

TEST(EmapsProvider, FailedZonesAreSkipped) {
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
  ASSERT_TRUE(f.ok()) << "a fetch with only failed zones still succeeds";
  EXPECT_TRUE(f->empty());
}

TEST(EmapsProvider, CachesForThirtyMinutes) {
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

TEST(EmapsProvider, AnEmptyRoundIsCachedToo) {
  ManualClock clock;
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(kZones);
        return transport_error(req.url);
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

TEST(EmapsProvider, ConcurrentScrapesShareOneFetch) {
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

// ---- rte ----

TEST(RteProvider, RequestsTodaysLatestValue) {
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) -> Result<http::ClientResponse> {
    return response(
        R"({"total_count": 1, "results": [{"taux_co2": 27, "date_heure": "2025-01-15T10:45:00+01:00"}]})");
  });
  RteProvider p(options_with(client), log::Logger());
  EXPECT_EQ(client->count(), 0u) << "construction makes no request";
  auto f = p.update();
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(*f, (EmissionFactors{{"FR", {"France", 27}}}));
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].url, "https://rte.test/records?" + rte_query("2025-01-15"));
  EXPECT_TRUE(reqs[0].headers.empty());
  EXPECT_EQ(reqs[0].timeout, 5000ms);
}

TEST(RteProvider, NoValueUntilTheFirstSuccessThenTheCachedOne) {
  ManualClock clock;
  std::atomic<int> mode{0};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        switch (mode.load()) {
          case 0:
            return transport_error(req.url);
          case 1:
            return response(R"({"total_count": 0, "results": []})");
          case 2:
            return response(R"({"results": [{"taux_co2": 31}]})");
          default:
            return response("<html>oops</html>", 502);
        }
      });
  RteProvider p(options_with(client, &clock), log::Logger());
  auto down = p.update();
  ASSERT_FALSE(down.ok());
  EXPECT_THAT(down.error().message(), HasSubstr("Connection refused"));
  mode = 1;
  auto empty = p.update();
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(), "empty response received from RTE server: []");
  EXPECT_EQ(client->count(), 2u) << "failures are not cached";
  mode = 2;
  auto first = p.update();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->at("FR").value, 31);
  mode = 3;
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 3u) << "cached for 30 minutes";
  clock.advance(31min);
  for (int i = 0; i < 2; ++i) {
    auto stale = p.update();
    ASSERT_TRUE(stale.ok());
    EXPECT_EQ(stale->at("FR").value, 31) << "the last success is served while fetching fails";
  }
  EXPECT_EQ(client->count(), 5u) << "every scrape retries while the cache is stale";
  mode = 2;
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 6u);
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 6u) << "a success restarts the 30 minutes";
}

TEST(RteProvider, ZeroIsCachedButIsAValue) {
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) -> Result<http::ClientResponse> {
    return response(R"({"results": [{"taux_co2": 0}]})");
  });
  RteProvider p(options_with(client), log::Logger());
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->at("FR").value, 0);
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 1u);
}

TEST(RteProvider, DateIsTakenPerRequest) {
  ManualClock clock;
  auto client = std::make_shared<FakeClient>([](const http::ClientRequest&) -> Result<http::ClientResponse> {
    return response(R"({"results": [{"taux_co2": 12}]})");
  });
  int day = 15;
  ProviderOptions o = options_with(client, &clock);
  o.local_date = [&] { return "2025-01-" + std::to_string(day); };
  RteProvider p(o, log::Logger());
  ASSERT_TRUE(p.update().ok());
  day = 16;
  clock.advance(31min);
  ASSERT_TRUE(p.update().ok());
  const auto reqs = client->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_THAT(reqs[0].url, HasSubstr("%272025-01-15%27"));
  EXPECT_THAT(reqs[1].url, HasSubstr("%272025-01-16%27"));
}

TEST(LocalDate, IsIsoFormatted) {
  const std::string d = local_date_today();
  ASSERT_EQ(d.size(), 10u);
  EXPECT_EQ(d[4], '-');
  EXPECT_EQ(d[7], '-');
}

TEST(RunConcurrently, RunsEveryIndexInParallel) {
  std::vector<int> seen(64, 0);
  const auto start = std::chrono::steady_clock::now();
  run_concurrently(seen.size(), [&](size_t i) {
    std::this_thread::sleep_for(50ms);
    seen[i] = 1;
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  for (int s : seen) EXPECT_EQ(s, 1);
  run_concurrently(0, [](size_t) { FAIL(); });
}

}  // namespace
}  // namespace ceems::emissions
