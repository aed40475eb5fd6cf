// The perf sub-collector behind perf.h: per-process counters opened through an
// EventOpener and aggregated per compute unit (spec 14, "Per-scrape algorithm").
#pragma once

#include <sys/types.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "core/result.h"
#include "perf/event_opener.h"
#include "perf/events.h"
#include "perf/perf.h"

namespace ceems::perf {

inline constexpr std::string_view kOpenContext = "perf_open_profilers";
inline constexpr std::string_view kFilterContext = "perf_filter_procs";

struct CollectorConfig {
  Options opts;
  // Events to open per class; an empty list leaves the class disabled.
  std::array<std::vector<const EventDef*>, kEventClassCount> events;
  // --collector.perf.env-var: when non-empty only processes with one of these
  // environment variables are profiled.
  std::vector<std::string> env_vars;
};

// The flags as a configuration. Unknown profiler names are logged (once, here) and
// otherwise ignored like the original does.
CollectorConfig config_from_flags(const FlagSet& flags, Options opts, const log::Logger& logger);

// Reads <procfs>/sys/kernel/perf_event_paranoid; an unreadable file or a single
// value above 2 aborts start-up.
Status check_paranoid(const HostFs& host);

class PerfCollector final : public UnitSubCollector {
 public:
  // Probes once whether hardware counters exist; without a PMU the hardware and
  // cache classes are dropped with one warning and software events continue.
  PerfCollector(CollectorConfig config, const HostFs& host, Privileges& privileges,
                std::unique_ptr<EventOpener> opener, log::Logger logger);
  ~PerfCollector() override;
  PerfCollector(const PerfCollector&) = delete;
  PerfCollector& operator=(const PerfCollector&) = delete;

  Status update(std::span<const ComputeUnit> units, MetricBatch& out) override;
  void stop() override;
  std::vector<std::string> capabilities() const override;

  // Whether the class is requested and usable on this host.
  bool class_active(EventClass cls) const { return !events_[static_cast<size_t>(cls)].empty(); }
  // Number of PIDs holding a profiler of this class.
  size_t profiler_count(EventClass cls) const { return profilers_[static_cast<size_t>(cls)].size(); }

 private:
  struct Profiler {
    std::vector<std::pair<const EventDef*, int>> fds;
  };
  using Profile = std::vector<std::pair<const EventDef*, CounterReading>>;
  struct ActiveUnit {
    const ComputeUnit* unit;
    std::vector<pid_t> pids;
  };

  Result<std::vector<ActiveUnit>> filter_units(std::span<const ComputeUnit> units);
  bool keep_process(pid_t pid) const;
  std::unordered_set<pid_t> open_profilers(const std::vector<ActiveUnit>& units);
  Status open_profiler(pid_t pid, EventClass cls, std::vector<std::string>& failures);
  void close_profiler(Profiler& profiler);
  void close_inactive(const std::unordered_set<pid_t>& active);
  void evict_state(const std::unordered_set<pid_t>& active, const std::vector<ActiveUnit>& units);
  Result<Profile> read_profile(pid_t pid, const Profiler& profiler);
  void emit_unit(const ActiveUnit& unit, MetricBatch& out, std::vector<std::string>& read_errors);
  std::string cmdline_of(pid_t pid) const;

  Options opts_;
  std::array<std::vector<const EventDef*>, kEventClassCount> events_;
  std::vector<std::string> env_vars_;
  HostFs host_;
  Privileges* privileges_;
  std::unique_ptr<EventOpener> opener_;
  log::Logger logger_;
  std::vector<MetricDesc> descs_;  // by EventDef::index

  std::array<std::unordered_map<pid_t, Profiler>, kEventClassCount> profilers_;
  // Hardware and cache counters accumulate: the last raw reading per PID and event,
  // and the scaled running total per unit uuid and event (indexed by EventDef::index).
  std::unordered_map<pid_t, std::vector<CounterReading>> last_;
  std::unordered_map<std::string, std::vector<double>> totals_;
};

}  // namespace ceems::perf
