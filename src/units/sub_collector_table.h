// The explicit table of the sub-collectors a resource-manager collector can
// carry (perf, eBPF, RDMA): flags, whether the command line enables each, what
// each needs of a unit, and how to create it. Adding a sub-collector is one row
// in sub_collector_table.cpp.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cgroup/mode.h"
#include "core/collector.h"
#include "core/compute_unit.h"
#include "core/flags.h"
#include "core/result.h"
#include "units/sub_collectors.h"

namespace ceems::units {

// What a sub-collector factory receives besides the collector's context.
struct SubCollectorEnv {
  const CollectorContext& ctx;
  std::string manager;  // the `manager` label ("slurm", "libvirt")
  cgroup::Hierarchy hierarchy;
};

struct SubCollectorInfo {
  std::string_view name;
  void (*register_flags)(FlagSet&);
  bool (*enabled)(const FlagSet&);
  UnitNeeds needs;  // walked for every unit of every scrape while it is enabled
  // A required sub-collector that cannot be created is a start-up error (perf,
  // RDMA, as in the original); an optional one is logged and left out (eBPF on
  // a kernel without usable BPF).
  bool optional;
  Result<std::unique_ptr<UnitSubCollector>> (*create)(const SubCollectorEnv&);
};

std::span<const SubCollectorInfo> sub_collector_table();

// Every row's flags; the exporter calls it once.
void register_sub_collector_flags(FlagSet& flags);

// The sub-collectors the command line enables, for one resource manager.
Result<SubCollectors> make_sub_collectors(const SubCollectorEnv& env);

}  // namespace ceems::units
