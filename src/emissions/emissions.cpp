#include "emissions/emissions.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/parallel.h"
#include "emissions/watttime.h"

namespace ceems {
namespace emissions {
namespace {

constexpr ProviderInfo kProviders[] = {
    {"global", "World Average", false, true},  {"owid", "OWID", true, true},
    {"emaps", "Electricity Maps", true, true}, {"rte", "RTE eCO2 Mix", true, true},
    {"wt", "Watt Time", true, false},
};

constexpr std::string_view kProviderHelp =
    "Exports emission factors from these providers (default: all).\n"
    "Supported providers:\n"
    "\t- \"owid\": Our World In Data "
    "(https://ourworldindata.org/grapher/carbon-intensity-electricity?tab=table)\n"
    "\t- \"emaps\": Electricity Maps (https://app.electricitymaps.com/)\n"
    "\t- \"rte\": RTE eCO2 Mix (Only for France) (https://www.rte-france.com/en/eco2mix/co2-emissions)\n"
    "\t- \"wt\": Watt Time (https://docs.watttime.org/#tag/Introduction) (only when named; needs "
    "WT_USERNAME, WT_PASSWORD and WT_REGION)";

}  // namespace

std::span<const ProviderInfo> registered_providers() { return kProviders; }

const MetricDesc& emissions_metric_desc() {
  static const MetricDesc desc{"ceems_emissions_gCo2_kWh",
                               "Current emission factor in CO2eq grams per kWh",
                               MetricType::kGauge,
                               {"provider", "provider_name", "country_code", "country"}};
  return desc;
}

Result<std::unique_ptr<Provider>> create_provider(std::string_view key, const ProviderOptions& options,
                                                  log::Logger logger) {
  if (key == "global") return std::unique_ptr<Provider>(std::make_unique<GlobalProvider>());
  if (key == "owid") return std::unique_ptr<Provider>(std::make_unique<OwidProvider>(std::move(logger)));
  if (key == "rte")
    return std::unique_ptr<Provider>(std::make_unique<RteProvider>(options, std::move(logger)));
  if (key == "emaps") {
    auto p = EmapsProvider::create(options, std::move(logger));
    if (!p) return p.error();
    return std::unique_ptr<Provider>(std::move(*p));
  }
  if (key == "wt") {
    auto p = WattTimeProvider::create(options, std::move(logger));
    if (!p) return p.error();
    return std::unique_ptr<Provider>(std::move(*p));
  }
  return invalid("unknown emission factor provider " + std::string(key));
}

EmissionsCollector::EmissionsCollector(std::vector<Source> sources, log::Logger logger)
    : sources_(std::move(sources)), logger_(std::move(logger)) {}

Status EmissionsCollector::update(MetricBatch& out) {
  std::vector<std::optional<Result<EmissionFactors>>> results(sources_.size());
  parallel_for(sources_.size(), [&](size_t i) { results[i] = sources_[i].provider->update(); });
  for (size_t i = 0; i < sources_.size(); ++i) {
    const Source& source = sources_[i];
    const Result<EmissionFactors>& result = *results[i];
    if (!result) {
      // The provider logged the failure itself, once per episode.
      logger_.debug("Failed to fetch emission factor", {{"provider", source.key}, {"err", result.error()}});
      continue;
    }
    for (const auto& [code, factor] : *result) {
      // Zero means "no data" for every provider (OWID's CF, emaps error bodies).
      if (!(factor.value > 0)) continue;
      out.add(emissions_metric_desc(), {source.key, source.display_name, code, factor.name}, factor.value);
    }
  }
  return Status::Ok();
}

void EmissionsCollector::stop() {
  for (Source& source : sources_) source.provider->stop();
}

Result<std::unique_ptr<EmissionsCollector>> make_emissions_collector(const std::vector<std::string>& selected,
                                                                     const ProviderOptions& options,
                                                                     log::Logger logger) {
  std::vector<EmissionsCollector::Source> sources;
  for (const ProviderInfo& info : kProviders) {
    if (selected.empty() ? !info.in_default
                         : std::find(selected.begin(), selected.end(), info.key) == selected.end())
      continue;
    auto provider = create_provider(info.key, options, logger.with("provider", info.key));
    if (!provider) {
      logger.error("Failed to create emission data provider",
                   {{"provider", info.key}, {"err", provider.error()}});
      logger.error("Failed to create new EmissionCollector", {{"err", provider.error()}});
      return provider.error();
    }
    sources.push_back({std::string(info.key), std::string(info.display_name), std::move(*provider)});
  }
  return std::make_unique<EmissionsCollector>(std::move(sources), std::move(logger));
}

}  // namespace emissions

void register_emissions_flags(FlagSet& flags) {
  std::vector<std::string> choices;
  for (const auto& p : emissions::registered_providers()) {
    if (p.selectable) choices.emplace_back(p.key);
  }
  flags.add(FlagSpec{.name = std::string(kEmissionsProviderFlag),
                     .kind = FlagKind::kEnumList,
                     .help = std::string(emissions::kProviderHelp),
                     .choices = std::move(choices)});
}

Result<std::unique_ptr<Collector>> make_emissions_collector(const CollectorContext& ctx) {
  auto c = emissions::make_emissions_collector(ctx.flags.get_list(kEmissionsProviderFlag),
                                               emissions::provider_options_from_environment(), ctx.logger);
  if (!c) return c.error();
  return std::unique_ptr<Collector>(std::move(*c));
}

}  // namespace ceems
