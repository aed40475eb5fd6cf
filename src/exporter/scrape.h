// Runs the enabled collectors of one scrape concurrently and renders the page.
// Collectors run on kept threads (creating two threads per scrape cost more CPU than
// reading every file of the default collectors).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/collector.h"
#include "core/log.h"
#include "core/task_pool.h"
#include "exporter/process_metrics.h"

namespace ceems {

struct NamedCollector {
  std::string name;
  std::unique_ptr<Collector> impl;
};

class ScrapeEngine {
 public:
  ScrapeEngine(std::vector<NamedCollector> collectors, log::Logger logger, bool exporter_metrics,
               std::shared_ptr<HandlerMetrics> handler = std::make_shared<HandlerMetrics>());
  ScrapeEngine(const ScrapeEngine&) = delete;
  ScrapeEngine& operator=(const ScrapeEngine&) = delete;

  // One full text page: build info, every collector's samples, scrape metrics and
  // (when enabled) the exporter's own metrics.
  std::string scrape();

  // Calls stop() on every collector; errors are the collectors' to log.
  void stop();

  HandlerMetrics& handler_metrics() { return *handler_; }

 private:
  struct Slot {
    std::string name;
    std::unique_ptr<Collector> impl;
    // Serialises updates of one collector across concurrent scrapes: collectors keep
    // state between scrapes (cpu smoothing, caches) that must not race.
    std::mutex mu;
    // A collector without data on this host (no powercap, no pm_counters) says so once
    // at INFO, so that its ceems_scrape_collector_success 0 has a visible reason.
    bool no_data_reported = false;  // guarded by mu
  };
  struct Outcome {
    MetricBatch batch;
    MetricBatch own;  // the collector's part of the exporter's own metrics
    double seconds = 0;
    bool success = false;
  };
  void run_one(Slot& slot, Outcome& out) const;

  std::vector<std::unique_ptr<Slot>> slots_;
  // Threads for every collector but the last of a scrape (which runs on the caller's
  // thread); kept for minutes, so that scrapes at any usual interval reuse them.
  std::unique_ptr<TaskPool> workers_;
  log::Logger logger_;
  bool exporter_metrics_;
  std::shared_ptr<HandlerMetrics> handler_;
  // The size of the last page: the next one is reserved at once, rather than
  // grown by doubling (which holds the old and the new buffer at the peak).
  std::atomic<size_t> last_page_size_{0};
};

}  // namespace ceems
