// perf sub-collector (spec 14): hardware, software and cache perf counters per
// compute unit, opened per process with perf_event_open.
#pragma once

#include <memory>
#include <string>

#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "core/result.h"

namespace ceems::perf {

// --collector.perf.* flags (spec 14).
void register_perf_flags(FlagSet& flags);
// True when any event class is enabled (the parent then creates the collector).
bool enabled(const FlagSet& flags);

struct Options {
  std::string manager;   // "slurm" | "libvirt"
  std::string hostname;  // label value
};

// A kernel without a PMU (virtual machines) is not an error: hardware and cache
// events are reported unavailable once in the log; software events still work.
Result<std::unique_ptr<UnitSubCollector>> make_collector(const FlagSet& flags, const HostFs& host,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger);

}  // namespace ceems::perf
