// The one narrow interface every collector implements, and what a factory receives.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

class CommandRunner;
class Privileges;

class Collector {
 public:
  virtual ~Collector() = default;
  Collector() = default;
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Fills out with this scrape's samples. An error turns ceems_scrape_collector_success
  // to 0; ErrorKind::kNoData is logged at debug level only. Never called concurrently
  // for one collector (the framework serialises updates).
  virtual Status update(MetricBatch& out) = 0;
  // Samples about the collector's own work that belong with the exporter's own
  // metrics, so --web.disable-exporter-metrics leaves them out. Called after each
  // update, under the same serialisation.
  virtual void own_metrics(MetricBatch& /*out*/) const {}
  // Releases resources (perf fds, BPF links...) at shutdown.
  virtual void stop() {}
  // Linux capabilities (libcap names, e.g. "cap_dac_read_search") this collector needs
  // at run time, decided at construction by probing the host.
  virtual std::vector<std::string> capabilities() const { return {}; }
  // True when this collector executes a set-user-ID program (sudo): the process then
  // keeps the right to gain privileges through exec (no NO_NEW_PRIVS).
  virtual bool runs_set_user_id_programs() const { return false; }
};

// Everything a collector factory may use. Host access only through host/runner.
struct CollectorContext {
  const FlagSet& flags;
  const HostFs& host;
  CommandRunner& runner;
  Privileges& privileges;
  std::string hostname;  // value of every `hostname` label
  bool empty_hostname_label = false;
  log::Logger logger;
};

using CollectorFactory = Result<std::unique_ptr<Collector>> (*)(const CollectorContext&);

// One row of the explicit collector registration table.
struct CollectorInfo {
  std::string_view name;
  bool enabled_by_default;
  void (*register_flags)(FlagSet&);  // may be nullptr
  CollectorFactory create;
};

// The table, in src/exporter/collector_table.cpp.
std::span<const CollectorInfo> collector_table();

}  // namespace ceems
