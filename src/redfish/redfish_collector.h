// The `redfish` collector: chassis power readings (current/min/max/average watts) from
// the deprecated Redfish Power resource of every chassis, read from the BMC directly
// or through the redfish_proxy.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/collector.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"
#include "http/client.h"
#include "redfish/config.h"
#include "redfish/redfish.h"

namespace ceems {

inline constexpr std::string_view kRedfishWebConfigFlag = "collector.redfish.web-config";

// Time limits; the defaults are the documented constants of redfish/redfish.h. Tests
// shorten them.
struct RedfishTimeouts {
  std::chrono::milliseconds request = redfish::kRequestTimeout;  // one HTTP exchange
  std::chrono::milliseconds scrape = redfish::kScrapeBudget;     // all requests of one update()
  std::chrono::milliseconds startup = redfish::kStartupBudget;   // construction, and stop()
};

// Host name to use when the config has none; empty when it cannot be found. Runs at
// construction, with the exporter's start-up privileges.
using BmcDiscovery = std::function<std::string(const log::Logger&)>;

// The reference's discovery: LAN IP of the local BMC through /dev/ipmi0, then the first
// name of its reverse DNS lookup (with a trailing dot, as the reference reports it), or
// the IP when it has none. Failures are logged at debug level only.
std::string discover_bmc_hostname(const log::Logger& logger);
// The reverse lookup part: first PTR name with a trailing dot, or ip itself.
std::string reverse_lookup_or_ip(const std::string& ip);

class RedfishCollector final : public Collector {
 public:
  // client must be connected; chassis is its first listing.
  RedfishCollector(std::unique_ptr<redfish::RedfishClient> client, std::vector<redfish::Chassis> chassis,
                   std::string hostname, RedfishTimeouts timeouts, log::Logger logger);

  // Never fails (the reference always reports success); failed readings fall back to
  // the chassis' last good Power resource.
  Status update(MetricBatch& out) override;
  // Deletes the session.
  void stop() override;

  const std::vector<redfish::Chassis>& chassis() const { return chassis_; }

 private:
  void reconnect(const redfish::Deadline& deadline);

  std::mutex mu_;
  std::unique_ptr<redfish::RedfishClient> client_;
  std::vector<redfish::Chassis> chassis_;
  std::string hostname_;
  RedfishTimeouts timeouts_;
  log::Logger logger_;
  // Last good reading per sanitised chassis id; nullopt for chassis without Power.
  std::unordered_map<std::string, std::optional<redfish::PowerSums>> cache_;
  bool relist_ = false;  // the last chassis listing failed; retried on the next scrape
  bool stopped_ = false;
};

// Reads the config, discovers the BMC if needed, connects and lists the chassis. Any
// failure is an error (the exporter then refuses to start, as the reference does).
Result<std::unique_ptr<RedfishCollector>> create_redfish_collector(const CollectorContext& ctx,
                                                                   std::shared_ptr<http::HttpClient> http,
                                                                   const BmcDiscovery& discover,
                                                                   RedfishTimeouts timeouts = {});

void register_redfish_flags(FlagSet& flags);
Result<std::unique_ptr<Collector>> make_redfish_collector(const CollectorContext& ctx);

}  // namespace ceems
