// What every resource-manager collector is built on: the discovery of its
// units, the cgroup stats reader and the sub-collectors the command line
// enables, and one scrape of them that does only the work enabled metrics need.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "cgroup/mode.h"
#include "cgroup/stats.h"
#include "core/collector.h"
#include "core/compute_unit.h"
#include "core/result.h"
#include "units/discovery.h"
#include "units/layout.h"
#include "units/sub_collectors.h"

namespace ceems::units {

using LayoutFactory = Layout (*)(cgroup::Mode);

struct UnitPipeline {
  Discovery discovery;
  std::unique_ptr<cgroup::Stats> stats;
  SubCollectors subs;

  // This scrape's units, with the processes and child cgroups the
  // sub-collectors need (nothing below the unit directories when none is on).
  Result<std::vector<ComputeUnit>> units();

  // The sub-collectors, each on a thread of its own, beside the cgroup stats
  // and own_work (the collector's own families) on the calling thread.
  void report(std::span<const ComputeUnit> units, MetricBatch& out, const std::function<void()>& own_work,
              const log::Logger& logger);
};

// stats: the collector's swap/psi/blkio choices. clock: for tests (discovery's
// v1 re-checks); nullptr is the steady clock.
Result<UnitPipeline> make_unit_pipeline(const CollectorContext& ctx, LayoutFactory layout,
                                        cgroup::StatsOptions stats, SteadyClock clock = nullptr);

}  // namespace ceems::units
