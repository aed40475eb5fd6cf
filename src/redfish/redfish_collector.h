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
#include "core/reading_hold.h"
#include "core/result.h"
#include "http/client.h"
#include "redfish/config.h"
#include "redfish/redfish.h"

namespace ceems {

inline constexpr std::string_view kRedfishWebConfigFlag = "collector.redfish.web-config";
inline constexpr std::string_view kRedfishHoldFlag = "collector.redfish.hold-duration";

// Time limits; the defaults are the documented constants of redfish/redfish.h. Tests
// shorten them.
struct RedfishTimeouts {
  std::chrono::milliseconds request = redfish::kRequestTimeout;  // one HTTP exchange
  std::chrono::milliseconds scrape = redfish::kScrapeBudget;     // all requests of one update()
  std::chrono::milliseconds startup = redfish::kStartupBudget;   // construction, and stop()
  // How long a chassis' last good reading answers for 0 W or failed reads; set from
  // --collector.redfish.hold-duration by create_redfish_collector.
  std::chrono::milliseconds hold = std::chrono::minutes(5);
  ReadingHold::Clock clock;  // what the hold is measured with; steady_clock::now when empty
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

  // A failed read or a reading of 0 W falls back to the chassis' last good reading for
  // timeouts.hold; after that the chassis has no samples and the update fails. Before
  // a chassis' first good reading, the reference's rule: a failure serves its last
  // successful reading, 0 W no current sample.
  Status update(MetricBatch& out) override;
  void own_metrics(MetricBatch& out) const override;
  // Deletes the session.
  void stop() override;

  const std::vector<redfish::Chassis>& chassis() const { return chassis_; }

 private:
  void reconnect(const redfish::Deadline& deadline);

  struct ChassisState {
    explicit ChassisState(const RedfishTimeouts& t) : hold(t.hold, t.clock) {}
    std::optional<redfish::PowerSums> last;       // last successful reading
    std::optional<redfish::PowerSums> last_good;  // last reading above 0 W
    ReadingHold hold;
  };
  // The reading a chassis contributes this scrape; sets expired when its hold ran out.
  std::optional<redfish::PowerSums> reading_for(const std::string& label, const Result<redfish::Power>& power,
                                                bool& expired);

  std::mutex mu_;
  std::unique_ptr<redfish::RedfishClient> client_;
  std::vector<redfish::Chassis> chassis_;
  std::string hostname_;
  RedfishTimeouts timeouts_;
  log::Logger logger_;
  // Per sanitised chassis id.
  std::unordered_map<std::string, ChassisState> state_;
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
