#include "emissions/providers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "core/strings.h"
#include "core/testing/test_support.h"
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

// ---- global and owid ----

TEST(EmissionsGlobalProvider, WorldAverage) {
  GlobalProvider p;
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (EmissionFactors{{"ZZ", {"World", 475}}}));
}

TEST(EmissionsOwidProvider, EmbeddedTableIsTheSpecAppendix) {
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
TEST(EmissionsOwidProvider, TableMatchesTheDataFile) {
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

TEST(EmissionsOwidProvider, AcceptsAParsedDataSet) {
  OwidProvider p(EmissionFactors{{"FR", {"France", 1.5}}}, log::Logger());
  auto f = p.update();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 1u);
}

// ---- pure helpers ----

TEST(EmissionsRetryDelay, DoublesFromTheInitialDelayUpToTheMaximum) {
  EXPECT_EQ(retry_delay(1, 60s, 300s), 60s);
  EXPECT_EQ(retry_delay(2, 60s, 300s), 120s);
  EXPECT_EQ(retry_delay(3, 60s, 300s), 240s);
  EXPECT_EQ(retry_delay(4, 60s, 300s), 300s);
  EXPECT_EQ(retry_delay(1000, 60s, 300s), 300s) << "no overflow after many failures";
  EXPECT_EQ(retry_delay(1, 0ms, 300s), 1ms) << "never zero: a failure is never retried in the same instant";
}

TEST(EmissionsUrlWithoutQuery, DropsQueryAndFragment) {
  EXPECT_EQ(url_without_query("https://rte.test/records?where=x&limit=1"), "https://rte.test/records");
  EXPECT_EQ(url_without_query("https://a.test/v3/zones#frag"), "https://a.test/v3/zones");
  EXPECT_EQ(url_without_query("https://a.test/v3/zones"), "https://a.test/v3/zones");
  EXPECT_EQ(url_without_query(""), "");
}

TEST(EmissionsCheckEmapsToken, RejectsWhiteSpaceAndControlCharactersWithoutEchoingTheToken) {
  EXPECT_TRUE(check_emaps_token("").ok());
  EXPECT_TRUE(check_emaps_token("Abc123-_.~+/=").ok());
  const std::vector<std::string> bad_tokens = {"zq3x\r", "zq3x\n", "zq 3x", "\tzq3x", std::string("zq\0x", 5),
                                               "zq\x7f"};
  for (const std::string& bad : bad_tokens) {
    const Status st = check_emaps_token(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().kind(), ErrorKind::kInvalid);
    EXPECT_THAT(st.error().message(),
                StartsWith("malformed Electricity Maps API token in EMAPS_API_TOKEN: byte "));
    EXPECT_THAT(st.error().message(), Not(HasSubstr("zq")));
  }
}

// ---- rte ----

TEST(EmissionsRteProvider, RequestsTodaysLatestValue) {
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

TEST(EmissionsRteProvider, NoValueUntilTheFirstSuccessThenTheCachedOne) {
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
  EXPECT_EQ(
      down.error().message(),
      "failed to make HTTP request: GET https://rte.test/records: Failed to connect to host: Connection "
      "refused")
      << "the URL without its query";
  auto waiting = p.update();
  ASSERT_FALSE(waiting.ok());
  EXPECT_THAT(waiting.error().message(), HasSubstr("(next attempt in 60s)"));
  EXPECT_EQ(client->count(), 1u) << "a failure is retried after the delay, not on every scrape";
  mode = 1;
  clock.advance(60s);
  auto empty = p.update();
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(), "empty response received from RTE server: []");
  EXPECT_EQ(client->count(), 2u);
  mode = 2;
  clock.advance(119s);
  EXPECT_FALSE(p.update().ok()) << "the second delay is 120 s";
  clock.advance(1s);
  auto first = p.update();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->at("FR").value, 31);
  EXPECT_EQ(client->count(), 3u);
  mode = 3;
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 3u) << "cached for 30 minutes";
  clock.advance(31min);
  for (int i = 0; i < 2; ++i) {
    auto stale = p.update();
    ASSERT_TRUE(stale.ok());
    EXPECT_EQ(stale->at("FR").value, 31) << "the last success is served while fetching fails";
  }
  EXPECT_EQ(client->count(), 4u) << "the stale cache is served between retries";
  clock.advance(60s);
  mode = 2;
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 5u);
  clock.advance(29min);
  ASSERT_TRUE(p.update().ok());
  EXPECT_EQ(client->count(), 5u) << "a success restarts the 30 minutes";
}

TEST(EmissionsRteProvider, FailuresAreLoggedOncePerEpisode) {
  test_support::LogCapture capture(log::Level::kDebug);
  ManualClock clock;
  std::atomic<bool> up{false};
  auto client =
      std::make_shared<FakeClient>([&](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (!up) return transport_error(req.url);
        return response(R"({"results": [{"taux_co2": 31}]})");
      });
  RteProvider p(options_with(client, &clock), log::Logger("provider", "rte"));
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(p.update().ok());
    clock.advance(10min);
  }
  up = true;
  ASSERT_TRUE(p.update().ok());
  const std::string log = capture.text();
  EXPECT_EQ(count_lines(log, "WARN", "Failed to retrieve emission factor from RTE provider"), 1u) << log;
  EXPECT_EQ(count_lines(log, "DEBUG", "Failed to retrieve emission factor from RTE provider"), 3u) << log;
  EXPECT_EQ(count_lines(log, "INFO", "Emission factor from RTE provider available again"), 1u) << log;
  EXPECT_THAT(log, HasSubstr("provider=rte"));
  EXPECT_THAT(log, HasSubstr("https://rte.test/records:"));
  EXPECT_THAT(log, Not(HasSubstr("include_app_metas"))) << "no query string in the log";
  EXPECT_THAT(log, Not(HasSubstr("level=ERROR")));
}

TEST(EmissionsRteProvider, ZeroIsCachedButIsAValue) {
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

TEST(EmissionsRteProvider, DateIsTakenPerRequest) {
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

TEST(EmissionsLocalDate, IsIsoFormatted) {
  const std::string d = local_date_today();
  ASSERT_EQ(d.size(), 10u);
  EXPECT_EQ(d[4], '-');
  EXPECT_EQ(d[7], '-');
}

}  // namespace
}  // namespace ceems::emissions
