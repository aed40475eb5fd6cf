// Creates the sub-collectors a resource-manager collector asks for on the command
// line (perf, eBPF, RDMA); shared by slurm and libvirt.
#pragma once

#include <memory>
#include <string>

#include "cgroup/manager.h"
#include "cgroup/stats.h"
#include "cgroup/sub_collectors.h"
#include "core/collector.h"
#include "core/result.h"

namespace ceems::cgroup {

// perf and RDMA failures are start-up errors (as in the original); a kernel
// without usable BPF is logged and the exporter runs without eBPF.
Result<SubCollectors> make_sub_collectors(const CollectorContext& ctx, const std::string& manager,
                                          const ManagerOptions& mopts);

// Whether the sub-collectors asked for need ComputeUnit::children.
bool sub_collectors_need_children(const FlagSet& flags);

// What every resource-manager collector is built on: the cgroup manager, the
// cgroup stats reader and the sub-collectors, configured from the flags.
struct UnitPipeline {
  Manager manager;
  std::unique_ptr<Stats> stats;
  SubCollectors subs;
};

// manager: "slurm" | "libvirt". stats: the collector's swap/psi/blkio choices.
Result<UnitPipeline> make_unit_pipeline(const CollectorContext& ctx, ManagerKind kind, StatsOptions stats);

}  // namespace ceems::cgroup
