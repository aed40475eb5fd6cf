#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/exposition.h"
#include "core/strings.h"
#include "emissions/emissions.h"
#include "emissions/testing/test_util.h"

namespace ceems::emissions {
namespace {

using test::FakeClient;
using test::response;
using test::transport_error;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string render(const MetricBatch& batch) {
  const MetricBatch* batches[] = {&batch};
  std::string out;
  write_text(batches, out);
  return out;
}

Result<http::ClientResponse> apis(const http::ClientRequest& req) {
  if (ends_with(req.url, "/zones")) return response(R"({"DE": {"zoneName": "Germany"}})");
  if (req.url.find("carbon-intensity") != std::string::npos) return response(R"({"carbonIntensity": 380})");
  if (req.url.find("rte.test") != std::string::npos) return response(R"({"results": [{"taux_co2": 27}]})");
  return transport_error(req.url);
}

ProviderOptions test_options(std::shared_ptr<http::HttpClient> client) {
  ProviderOptions o;
  o.client = std::move(client);
  o.emaps_token = "t";
  o.emaps_base_url = "https://emaps.test/v3";
  o.emaps_zones_base_url = "https://emaps.test/v3";
  o.rte_url = "https://rte.test/records";
  return o;
}

std::vector<std::string> keys(const EmissionsCollector& c) {
  std::vector<std::string> out;
  for (const auto& s : c.sources()) out.push_back(s.key);
  return out;
}

// ---- flags ----

TEST(EmissionsFlags, ProviderIsARepeatableEnum) {
  FlagSet flags("test");
  register_emissions_flags(flags);
  ASSERT_TRUE(
      flags.parse({"--collector.emissions.provider=owid", "--collector.emissions.provider", "rte"}).ok());
  EXPECT_EQ(flags.get_list(kEmissionsProviderFlag), (std::vector<std::string>{"owid", "rte"}));

  FlagSet wt("test");
  register_emissions_flags(wt);
  ASSERT_TRUE(wt.parse({"--collector.emissions.provider=wt"}).ok());
  EXPECT_EQ(wt.get_list(kEmissionsProviderFlag), (std::vector<std::string>{"wt"}));

  FlagSet defaults("test");
  register_emissions_flags(defaults);
  ASSERT_TRUE(defaults.parse({}).ok());
  EXPECT_TRUE(defaults.get_list(kEmissionsProviderFlag).empty());

  for (const char* bad : {"global", "watttime", "OWID", ""}) {
    FlagSet f("test");
    register_emissions_flags(f);
    EXPECT_FALSE(f.parse({std::string("--collector.emissions.provider=") + bad}).ok()) << bad;
  }
}

TEST(EmissionsFlags, HelpTextIsVerbatim) {
  FlagSet flags("test");
  register_emissions_flags(flags);
  EXPECT_THAT(flags.usage(), HasSubstr("Exports emission factors from these providers (default: all).\n"));
  EXPECT_THAT(flags.usage(),
              HasSubstr("\t- \"owid\": Our World In Data "
                        "(https://ourworldindata.org/grapher/carbon-intensity-electricity?tab=table)\n"));
  EXPECT_THAT(flags.usage(),
              HasSubstr("\t- \"emaps\": Electricity Maps (https://app.electricitymaps.com/)\n"));
  EXPECT_THAT(flags.usage(), HasSubstr("\t- \"rte\": RTE eCO2 Mix (Only for France) "
                                       "(https://www.rte-france.com/en/eco2mix/co2-emissions)\n"));
  EXPECT_THAT(flags.usage(), HasSubstr("\t- \"wt\": Watt Time (https://docs.watttime.org/#tag/Introduction) "
                                       "(only when named; needs WT_USERNAME, WT_PASSWORD and WT_REGION)"));
}

// ---- provider selection ----

TEST(EmissionsCollector, NoSelectionMeansEveryProviderIncludingGlobal) {
  auto client = std::make_shared<FakeClient>(apis);
  auto c = make_emissions_collector({}, test_options(client), log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(keys(**c), (std::vector<std::string>{"global", "owid", "emaps", "rte"}));
  EXPECT_EQ((*c)->sources()[2].display_name, "Electricity Maps");
}

TEST(EmissionsCollector, NamingProvidersExcludesGlobal) {
  auto client = std::make_shared<FakeClient>(apis);
  auto c = make_emissions_collector({"rte", "owid", "owid"}, test_options(client), log::Logger());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(keys(**c), (std::vector<std::string>{"owid", "rte"}));
  EXPECT_EQ(client->count(), 0u);
}

TEST(EmissionsCollector, MissingTokenFailsTheDefaultSelection) {
  auto client = std::make_shared<FakeClient>(apis);
  ProviderOptions o = test_options(client);
  o.emaps_token.reset();
  auto c = make_emissions_collector({}, o, log::Logger());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(), "api token missing for Electricity Maps");
  auto without_emaps = make_emissions_collector({"owid", "rte"}, o, log::Logger());
  EXPECT_TRUE(without_emaps.ok());
}

TEST(EmissionsCollector, MalformedTokenFailsTheCollector) {
  auto client = std::make_shared<FakeClient>(apis);
  ProviderOptions o = test_options(client);
  o.emaps_token = "token\r";
  auto c = make_emissions_collector({"owid", "emaps"}, o, log::Logger());
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message(), HasSubstr("malformed Electricity Maps API token"));
}

// An unreachable API is no configuration error: the collector is built without any
// request, serves the other providers, and leaves the unreachable one out.
TEST(EmissionsCollector, UnreachableZonesLeaveOnlyThatProviderOut) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (req.url.find("rte.test") != std::string::npos)
          return response(R"({"results": [{"taux_co2": 27}]})");
        return transport_error(req.url);
      });
  auto c = make_emissions_collector({}, test_options(client), log::Logger());
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(client->count(), 0u);
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok()) << "the collector succeeds while one provider fails";
  const std::string page = render(batch);
  EXPECT_THAT(page, HasSubstr("provider=\"global\""));
  EXPECT_THAT(page, HasSubstr("provider=\"owid\""));
  EXPECT_THAT(page, HasSubstr("provider=\"rte\""));
  EXPECT_THAT(page, Not(HasSubstr("provider=\"emaps\"")));
  EXPECT_EQ(client->count("/zones"), 1u);
  (*c)->stop();
}

// ---- exposition ----

TEST(EmissionsCollector, ExposesEveryProvider) {
  auto client = std::make_shared<FakeClient>(apis);
  auto c = make_emissions_collector({}, test_options(client), log::Logger());
  ASSERT_TRUE(c.ok());
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  const std::string page = render(batch);
  EXPECT_THAT(page,
              HasSubstr("# HELP ceems_emissions_gCo2_kWh Current emission factor in CO2eq grams per kWh\n"
                        "# TYPE ceems_emissions_gCo2_kWh gauge\n"));
  EXPECT_THAT(page,
              HasSubstr("ceems_emissions_gCo2_kWh{country=\"World\",country_code=\"ZZ\",provider=\"global\","
                        "provider_name=\"World Average\"} 475\n"));
  EXPECT_THAT(page,
              HasSubstr("ceems_emissions_gCo2_kWh{country=\"France\",country_code=\"FR\",provider=\"owid\","
                        "provider_name=\"OWID\"} 56.03859\n"));
  EXPECT_THAT(page,
              HasSubstr("ceems_emissions_gCo2_kWh{country=\"Germany\",country_code=\"DE\",provider=\"emaps\","
                        "provider_name=\"Electricity Maps\"} 380\n"));
  EXPECT_THAT(page,
              HasSubstr("ceems_emissions_gCo2_kWh{country=\"France\",country_code=\"FR\",provider=\"rte\","
                        "provider_name=\"RTE eCO2 Mix\"} 27\n"));
  EXPECT_THAT(page, HasSubstr("country=\"Cote d'Ivoire\",country_code=\"CI\",provider=\"owid\""));
  EXPECT_THAT(page, Not(HasSubstr("country_code=\"CF\"")));  // factor 0 is never exported
  EXPECT_EQ(batch.sample_count(), 1u + 212u + 1u + 1u);
}

TEST(EmissionsCollector, FailingProvidersAreLeftOutAndTheScrapeSucceeds) {
  auto client =
      std::make_shared<FakeClient>([](const http::ClientRequest& req) -> Result<http::ClientResponse> {
        if (ends_with(req.url, "/zones")) return response(R"({"DE": {"zoneName": "Germany"}})");
        return transport_error(req.url);
      });
  auto c = make_emissions_collector({"emaps", "rte"}, test_options(client), log::Logger());
  ASSERT_TRUE(c.ok());
  MetricBatch batch;
  ASSERT_TRUE((*c)->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 0u);
  EXPECT_EQ(render(batch), "");
}

class StoppableProvider final : public Provider {
 public:
  explicit StoppableProvider(std::atomic<int>* stops) : stops_(stops) {}
  Result<EmissionFactors> update() override { return EmissionFactors{}; }
  void stop() override { ++*stops_; }

 private:
  std::atomic<int>* stops_;
};

TEST(EmissionsCollector, StopReachesEveryProvider) {
  std::atomic<int> stops{0};
  std::vector<EmissionsCollector::Source> sources;
  for (const char* key : {"a", "b"})
    sources.push_back({key, key, std::make_unique<StoppableProvider>(&stops)});
  EmissionsCollector c(std::move(sources), log::Logger());
  c.stop();
  EXPECT_EQ(stops.load(), 2);
}

class SlowProvider final : public Provider {
 public:
  Result<EmissionFactors> update() override {
    std::this_thread::sleep_for(300ms);
    return EmissionFactors{{"XX", {"Slow", 1}}};
  }
};

class BrokenProvider final : public Provider {
 public:
  Result<EmissionFactors> update() override { return invalid("broken"); }
};

TEST(EmissionsCollector, ProvidersAreQueriedConcurrently) {
  std::vector<EmissionsCollector::Source> sources;
  for (const char* key : {"a", "b", "c"}) sources.push_back({key, key, std::make_unique<SlowProvider>()});
  sources.push_back({"d", "d", std::make_unique<BrokenProvider>()});
  EmissionsCollector c(std::move(sources), log::Logger());
  MetricBatch batch;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 800ms);
  EXPECT_EQ(batch.sample_count(), 3u);
}

TEST(EmissionsCollector, OnlyPositiveFactorsAreExported) {
  class Fixed final : public Provider {
   public:
    Result<EmissionFactors> update() override {
      return EmissionFactors{
          {"A", {"a", 0}}, {"B", {"b", -1}}, {"C", {"c", 0.5}}, {"D", {"d", std::nan("")}}};
    }
  };
  std::vector<EmissionsCollector::Source> sources;
  sources.push_back({"x", "X", std::make_unique<Fixed>()});
  EmissionsCollector c(std::move(sources), log::Logger());
  MetricBatch batch;
  ASSERT_TRUE(c.update(batch).ok());
  EXPECT_EQ(render(batch),
            "# HELP ceems_emissions_gCo2_kWh Current emission factor in CO2eq grams per kWh\n"
            "# TYPE ceems_emissions_gCo2_kWh gauge\n"
            "ceems_emissions_gCo2_kWh{country=\"c\",country_code=\"C\",provider=\"x\","
            "provider_name=\"X\"} 0.5\n");
}

TEST(EmissionsCollector, RegistryMatchesTheSpec) {
  const auto providers = registered_providers();
  ASSERT_EQ(providers.size(), 5u);
  EXPECT_EQ(providers[0].key, "global");
  EXPECT_EQ(providers[0].display_name, "World Average");
  EXPECT_FALSE(providers[0].selectable);
  EXPECT_EQ(providers[1].display_name, "OWID");
  EXPECT_EQ(providers[2].display_name, "Electricity Maps");
  EXPECT_EQ(providers[3].display_name, "RTE eCO2 Mix");
  EXPECT_EQ(providers[4].key, "wt");
  EXPECT_EQ(providers[4].display_name, "Watt Time");
  EXPECT_TRUE(providers[4].selectable);
  EXPECT_FALSE(providers[4].in_default) << "0.5.1's default set must start without WattTime credentials";
  EXPECT_FALSE(create_provider("watttime", ProviderOptions{}, log::Logger()).ok());
  const MetricDesc& d = emissions_metric_desc();
  EXPECT_EQ(d.labels, (std::vector<std::string>{"provider", "provider_name", "country_code", "country"}));
}

}  // namespace
}  // namespace ceems::emissions
