// The `hwmon` collector: power and energy sensors of the kernel's hwmon chips
// (ACPI power meters, NVIDIA Grace power telemetry, energy counters of CPU and GPU
// drivers), for nodes where neither IPMI DCMI nor RAPL reports node power.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "core/result.h"
#include "power/hwmon_chips.h"

namespace ceems {

inline constexpr std::string_view kHwmonPrivilegedContext = "hwmon_read_sensors";

class HwmonCollector final : public Collector {
 public:
  // Discovers the chips once (again at each scrape while none is found) and probes
  // whether reading their sensors needs cap_dac_read_search.
  static std::unique_ptr<HwmonCollector> create(const HostFs& host, Privileges& privileges,
                                                std::string hostname, log::Logger logger);

  HwmonCollector(const HostFs& host, Privileges& privileges, std::string hostname,
                 std::vector<HwmonChip> chips, bool needs_dac_read_search, log::Logger logger);

  Status update(MetricBatch& out) override;
  std::vector<std::string> capabilities() const override;

 private:
  struct Reading {
    const HwmonChip* chip;
    const HwmonSensor* sensor;
    double value;
  };
  Status discover();
  std::vector<Reading> read_sensors(std::optional<Error>& first_failure);
  void report_unreadable(const std::string& file, const Error& err);

  HostFs host_;
  Privileges* privileges_;
  std::string hostname_;
  std::vector<HwmonChip> chips_;
  bool needs_dac_read_search_;
  log::Logger logger_;
  // Files already reported at WARN: a sensor that needs root stays unreadable, and
  // one line per file is what an operator needs, not one per scrape.
  std::set<std::string> reported_files_;
};

Result<std::unique_ptr<Collector>> make_hwmon_collector(const CollectorContext& ctx);

}  // namespace ceems
