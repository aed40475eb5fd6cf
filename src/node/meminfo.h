// The `meminfo` collector: fields of /proc/meminfo as ceems_meminfo_<key> gauges.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/collector.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

// Parses /proc/meminfo text into (key, value) pairs in file order. Keys are rewritten as
// the original does: "Active(anon):" -> "Active_anon"; a value with a unit (kB) is
// multiplied by 1024 and its key gets "_bytes". A repeated key keeps its first position
// and its last value. Any malformed line fails the whole parse.
Result<std::vector<std::pair<std::string, double>>> parse_meminfo(std::string_view text);

class MeminfoCollector final : public Collector {
 public:
  MeminfoCollector(const HostFs& host, std::string hostname, bool all_stats, log::Logger logger);

  Status update(MetricBatch& out) override;

 private:
  HostFs host_;
  std::string hostname_;
  bool all_stats_;
  log::Logger logger_;
};

// --collector.meminfo.all-stats and its hidden deprecated alias --collector.meminfo.all.stats.
void register_meminfo_flags(FlagSet& flags);
Result<std::unique_ptr<Collector>> make_meminfo_collector(const CollectorContext& ctx);

}  // namespace ceems
