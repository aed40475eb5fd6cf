// Compute units (Slurm jobs, VMs) as found in the cgroup tree, and the narrow
// interface of the sub-collectors (RDMA, perf, eBPF) that attach to a manager.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace ceems::cgroup {

struct CgroupPath {
  std::string abs;  // unescaped absolute path (what the id regex was applied to)
  std::string rel;  // raw (escaped) path relative to the manager's base, no leading '/'
};

struct ComputeUnit {
  std::string id;    // job id / instance name
  std::string uuid;  // label value: job id for Slurm, domain UUID for libvirt
  CgroupPath path;   // the unit's root cgroup
  // PIDs listed in cgroup.procs of the root and of every child cgroup, in walk
  // order, kept only when <procfs>/<pid> exists.
  std::vector<pid_t> procs;
  // The root cgroup first, then child cgroups (steps, tasks, vcpus) in walk order.
  // Only `rel` is set for these (abs is empty), to keep big nodes' scrapes small.
  std::vector<CgroupPath> children;
};

// A component that reports per-unit metrics given the units of one scrape.
class UnitSubCollector {
 public:
  virtual ~UnitSubCollector() = default;
  UnitSubCollector() = default;
  UnitSubCollector(const UnitSubCollector&) = delete;
  UnitSubCollector& operator=(const UnitSubCollector&) = delete;

  // Errors are logged by the owning collector; they never fail its scrape.
  virtual Status update(std::span<const ComputeUnit> units, MetricBatch& out) = 0;
  virtual void stop() {}
  virtual std::vector<std::string> capabilities() const { return {}; }
};

}  // namespace ceems::cgroup
