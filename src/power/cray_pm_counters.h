// The `cray_pm_counters` collector: node, CPU, memory and accelerator power counters
// that HPE Cray EX nodes publish under <sysfs>/cray/pm_counters.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

struct PmCounterDomain {
  std::string name;         // "node", "cpu", "cpu0", "memory", "accel0"...
  std::string file_prefix;  // "" for node, else name + "_"
};

// The domains named by one file name, one per non-overlapping leftmost match of the
// original's pattern ((?:cpu|memory|accel)[0-9]*?)*?_*?(energy|power|temp)_*?(cap)*?
// ("" stands for the node domain). Computed by a direct scan: the pattern's alternatives
// start with disjoint characters, so the backtracking engine's choice is unique and
// no backtracking is needed.
std::vector<std::string> pm_counter_domains_in_name(std::string_view file_name);

// Domains of a directory listing in discovery order, each recorded once.
std::vector<PmCounterDomain> discover_pm_counter_domains(std::span<const std::string> file_names);

// "<integer> <unit> [<timestamp> us]" -> the integer (unsigned decimal, 64-bit).
Result<uint64_t> parse_pm_counter_value(std::string_view content);

class CrayPmCountersCollector final : public Collector {
 public:
  CrayPmCountersCollector(const HostFs& host, std::string hostname, log::Logger logger);

  Status update(MetricBatch& out) override;

 private:
  HostFs host_;
  std::string hostname_;
  log::Logger logger_;
};

Result<std::unique_ptr<Collector>> make_cray_pm_counters_collector(const CollectorContext& ctx);

}  // namespace ceems
