// The `rapl` collector: energy counters and power limits of the powercap RAPL zones
// listed at the top level of <sysfs>/class/powercap.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/collector.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "core/result.h"

namespace ceems {

// The content of a zone's `name` file split as "<base>-<int>" (exactly one '-', a
// 32-bit decimal suffix); otherwise base is the whole trimmed content and index is empty.
struct RaplZoneName {
  std::string base;
  std::optional<int64_t> index;
};
RaplZoneName parse_rapl_zone_name(std::string_view name_file);

// Gives zones without a numeric suffix an index: the number of earlier zones of that
// name in the scan ("dram", "dram" -> 0, 1). A suffixed zone resets the count to index+1.
class RaplZoneIndexer {
 public:
  int64_t assign(const RaplZoneName& name);

 private:
  std::unordered_map<std::string, int64_t> next_;
};

struct RaplZone {
  std::string name;  // unsanitised, e.g. "package", "dram", "psys"
  int64_t index = 0;
  std::string path;  // <sysfs>/class/powercap/<entry>, cleaned like Go's filepath.Join (go::clean_path),
                     // so the `path` label matches the original for roots such as "./sys" or "/sys/"
  uint64_t max_microjoules = 0;
};

// Lists the zones in name order. Fails when the directory cannot be listed or any zone
// lacks a readable, numeric max_energy_range_uj (error kinds follow the failing file).
Result<std::vector<RaplZone>> discover_rapl_zones(const HostFs& host);

// Power limit chosen by the original: of constraints 0 and 1 the one with the strictly
// largest readable time window (constraint 0 when none), in microwatts.
Result<uint64_t> read_rapl_power_limit(const Filesystem& fs, const RaplZone& zone);

class RaplCollector final : public Collector {
 public:
  // Probes the zones once to decide whether energy_uj needs cap_dac_read_search.
  static Result<std::unique_ptr<RaplCollector>> create(const HostFs& host, Privileges& privileges,
                                                       std::string hostname, bool zone_label,
                                                       log::Logger logger);

  RaplCollector(const HostFs& host, Privileges& privileges, std::string hostname, bool zone_label,
                bool needs_dac_read_search, log::Logger logger);

  Status update(MetricBatch& out) override;
  std::vector<std::string> capabilities() const override;

 private:
  struct Reading {
    const RaplZone* zone;
    double value;
  };
  std::vector<Reading> read_energy(const std::vector<RaplZone>& zones);
  std::vector<Reading> read_power_limits(const std::vector<RaplZone>& zones);
  void emit(MetricBatch& out, const std::vector<Reading>& energy, const std::vector<Reading>& limits) const;

  HostFs host_;
  Privileges* privileges_;
  std::string hostname_;
  bool zone_label_;
  bool needs_dac_read_search_;
  log::Logger logger_;
  // Unreadable counters are a deployment problem that persists: say so loudly once,
  // then only at debug level so that every scrape does not repeat it.
  bool energy_failure_logged_ = false;
  bool limit_failure_logged_ = false;
};

inline constexpr std::string_view kRaplZoneLabelFlag = "collector.rapl.enable-zone-label";
inline constexpr std::string_view kRaplPrivilegedContext = "rapl_read_energy_counters";

void register_rapl_flags(FlagSet& flags);
Result<std::unique_ptr<Collector>> make_rapl_collector(const CollectorContext& ctx);

}  // namespace ceems
