// RDMA sub-collector (spec 17): InfiniBand port counters from sysfs and per-unit
// QP/CQ/MR counts from the iproute2 `rdma` tool.
#pragma once

#include <memory>
#include <string>

#include "core/command_runner.h"
#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "core/result.h"

namespace ceems::rdma {

// --collector.rdma.stats, --collector.rdma.cmd (hidden).
void register_rdma_flags(FlagSet& flags);

struct Options {
  std::string manager;   // "slurm" | "libvirt"
  std::string hostname;  // label value
  std::string rdma_cmd;  // empty: `rdma` on PATH
};

// Missing RDMA devices is not an error: the collector then reports no data.
Result<std::unique_ptr<UnitSubCollector>> make_collector(const HostFs& host, CommandRunner& runner,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger);

}  // namespace ceems::rdma
