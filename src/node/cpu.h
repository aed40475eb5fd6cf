// The `cpu` collector: CPU counts from /proc/cpuinfo (read once) and the aggregate
// CPU times of /proc/stat, smoothed so that the exported counters never decrease.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

struct CpuTopology {
  size_t logical_cores = 0;   // processor entries
  size_t physical_cores = 0;  // sum of "cpu cores" over distinct "physical id"s; 0 when absent
};

// Logical CPUs per physical core as the original computes it: integer division, at least 1.
// A physical count of 0 (no package information, e.g. ARM) means "same as logical".
int64_t cpus_per_core(const CpuTopology& topology);

// Aggregate CPU times in seconds (USER_HZ ticks / 100).
struct CpuTimes {
  double user = 0;
  double nice = 0;
  double system = 0;
  double idle = 0;
  double iowait = 0;
  double irq = 0;
  double softirq = 0;
  double steal = 0;
  double guest = 0;
  double guest_nice = 0;
};

struct ProcStat {
  CpuTimes total;        // the aggregate "cpu" line
  size_t cpu_count = 0;  // distinct "cpuN" lines
};

Result<CpuTopology> parse_cpuinfo(std::string_view text);
Result<ProcStat> parse_proc_stat(std::string_view text);

// What smooth_cpu_times did, for debug logging.
struct CpuSmoothing {
  bool reset = false;                       // idle went back by >= 3 s: cache zeroed first
  std::vector<std::string_view> backwards;  // modes whose new value was below the cache
};

// Idle falling back by this much is taken as a CPU hot-unplug rather than jitter.
inline constexpr double kCpuJumpBackSeconds = 3.0;

// Returns the next cached value: every mode takes the fresh value unless it is below the
// cached one (per-CPU counters summed by the kernel can dip when CPUs go offline).
CpuTimes smooth_cpu_times(const CpuTimes& cached, const CpuTimes& fresh, CpuSmoothing* what = nullptr);

class CpuCollector final : public Collector {
 public:
  // Reads <procfs>/cpuinfo once; fails when procfs or cpuinfo is unusable.
  // force_four_cores is the e2e fixture hack tied to --collector.empty-hostname-label.
  static Result<std::unique_ptr<CpuCollector>> create(const HostFs& host, std::string hostname,
                                                      bool force_four_cores, log::Logger logger);

  CpuCollector(const HostFs& host, CpuTopology topology, std::string hostname, log::Logger logger);

  Status update(MetricBatch& out) override;

  const CpuTopology& topology() const { return topology_; }

 private:
  HostFs host_;
  CpuTopology topology_;
  std::string hostname_;
  log::Logger logger_;

  std::mutex mu_;
  CpuTimes cached_;  // guarded by mu_
};

Result<std::unique_ptr<Collector>> make_cpu_collector(const CollectorContext& ctx);

}  // namespace ceems
