// The exporter's own process_* and promhttp_* metrics (unless --web.disable-exporter-metrics).
#pragma once

#include <atomic>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

struct SelfStat {
  double cpu_seconds = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double start_ticks = 0;  // since boot, in clock ticks
};

// Parsers over /proc/self/{stat,limits,net/dev} and the btime line of /proc/stat.
Result<SelfStat> parse_self_stat(std::string_view content, long ticks_per_second, long page_size);
// Soft limit of a /proc/<pid>/limits row ("Max open files"); -1 for unlimited.
Result<double> parse_limit(std::string_view content, std::string_view row);
// Sum of receive and transmit bytes over all interfaces of a net/dev file.
Result<std::pair<double, double>> parse_net_dev_totals(std::string_view content);
Result<double> parse_boot_time(std::string_view proc_stat);

// Counters of the metrics handler, shared with the HTTP layer.
struct HandlerMetrics {
  std::atomic<uint64_t> code_200{0};
  std::atomic<uint64_t> code_500{0};
  std::atomic<uint64_t> code_503{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> errors_encoding{0};
  std::atomic<uint64_t> errors_gathering{0};
};

// Fills out with process_* (from the real /proc/self, whatever --path.procfs says:
// these describe the exporter itself) and promhttp_* samples.
void collect_process_metrics(MetricBatch& out, const HandlerMetrics& handler);

}  // namespace ceems
