// The `emissions` collector: grid carbon intensity (gCO2eq/kWh) per country or zone
// from the selected providers, as ceems_emissions_gCo2_kWh.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"
#include "emissions/providers.h"

namespace ceems {

inline constexpr std::string_view kEmissionsProviderFlag = "collector.emissions.provider";

void register_emissions_flags(FlagSet& flags);
// Providers from --collector.emissions.provider, options from the environment.
Result<std::unique_ptr<Collector>> make_emissions_collector(const CollectorContext& ctx);

namespace emissions {

// Key (`provider` label) and display name (`provider_name` label) of a registered
// provider, in construction order. `global` cannot be named on the command line; `wt`
// is built only when named (it is not part of CEEMS 0.5.1's default set, which must
// keep starting without WattTime credentials).
struct ProviderInfo {
  std::string_view key;
  std::string_view display_name;
  bool selectable;
  bool in_default;  // built when no provider is named
};
std::span<const ProviderInfo> registered_providers();

Result<std::unique_ptr<Provider>> create_provider(std::string_view key, const ProviderOptions& options,
                                                  log::Logger logger);

const MetricDesc& emissions_metric_desc();

class EmissionsCollector final : public Collector {
 public:
  struct Source {
    std::string key;
    std::string display_name;
    std::unique_ptr<Provider> provider;
  };
  EmissionsCollector(std::vector<Source> sources, log::Logger logger);

  // Queries every provider concurrently; a failing one is left out, so the scrape
  // itself always succeeds (as in the reference), even when no provider serves.
  Status update(MetricBatch& out) override;
  void stop() override;

  const std::vector<Source>& sources() const { return sources_; }

 private:
  std::vector<Source> sources_;
  log::Logger logger_;
};

// Builds the providers named in `selected` (when empty: every registered one that is
// in_default, `global` included, `wt` not). Any construction failure fails the collector; construction checks
// the configuration only (a missing or malformed token) and makes no request, so an unreachable API never
// stops the exporter from starting.
Result<std::unique_ptr<EmissionsCollector>> make_emissions_collector(const std::vector<std::string>& selected,
                                                                     const ProviderOptions& options,
                                                                     log::Logger logger);

}  // namespace emissions
}  // namespace ceems
