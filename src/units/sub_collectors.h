// The sub-collectors attached to one resource-manager collector (RDMA, perf,
// eBPF), run concurrently with the parent's own cgroup reading.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/compute_unit.h"
#include "core/log.h"
#include "core/metrics.h"

namespace ceems::units {

class SubCollectors {
 public:
  void add(std::string name, std::unique_ptr<UnitSubCollector> sub, UnitNeeds needs = {});
  bool empty() const { return subs_.empty(); }
  // What the sub-collectors need of every unit, together.
  UnitNeeds needs() const { return needs_; }

  // Runs every sub-collector on its own thread, each into a batch of its own,
  // while `own_work` runs on the calling thread; then merges the batches into out.
  // Sub-collector errors are logged (kNoData at debug) and never returned.
  void update(std::span<const ComputeUnit> units, MetricBatch& out, const std::function<void()>& own_work,
              const log::Logger& logger);

  void stop();
  std::vector<std::string> capabilities() const;

 private:
  struct Named {
    std::string name;
    std::unique_ptr<UnitSubCollector> sub;
  };
  std::vector<Named> subs_;
  UnitNeeds needs_;
};

}  // namespace ceems::units
