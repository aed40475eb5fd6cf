// Creates the sub-collectors a resource-manager collector asks for on the command
// line (perf, eBPF, RDMA); shared by slurm and libvirt.
#pragma once

#include <string>

#include "cgroup/manager.h"
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

}  // namespace ceems::cgroup
