// Compute units (Slurm jobs, VMs) as a resource manager's layout finds them in
// the cgroup tree, and the narrow interface of the sub-collectors (perf, eBPF,
// RDMA) that report per-unit metrics.
//
// They sit in core, beside the collector interface, rather than in units/: the
// sub-collector folders implement this interface and units/ tables them, so a
// definition in units/ would make units/ and those folders include each other.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

struct CgroupPath {
  std::string abs;  // unescaped absolute path (what the unit id was matched on)
  std::string rel;  // raw (escaped) path relative to the hierarchy's base, no leading '/'
};

struct ComputeUnit {
  std::string id;    // job id / instance name
  std::string uuid;  // label value: job id for Slurm, domain UUID for libvirt
  CgroupPath path;   // the unit's root cgroup
  // Inode of the unit directory: caches key on (path, inode), so that a
  // directory removed and created again under the same name (a requeued job)
  // is read again.
  uint64_t inode = 0;
  // Filled only when a consumer needs them (units::UnitNeeds), and then only for
  // the units it asks for: a scrape that needs neither lists no cgroup below the
  // unit directories.
  //
  // PIDs listed in cgroup.procs of the root and of every child cgroup, in walk
  // order, kept only when <procfs>/<pid> exists.
  std::vector<pid_t> procs;
  // The root cgroup first, then child cgroups (steps, tasks, vcpus) in walk order.
  // Only `rel` is set for these (abs is empty), to keep big nodes' scrapes small.
  std::vector<CgroupPath> children;
};

// What a consumer of units needs beyond the unit directory itself.
struct UnitNeeds {
  bool procs = false;     // ComputeUnit::procs
  bool children = false;  // ComputeUnit::children
  UnitNeeds& operator|=(const UnitNeeds& o) {
    procs = procs || o.procs;
    children = children || o.children;
    return *this;
  }
  bool any() const { return procs || children; }
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

}  // namespace ceems
