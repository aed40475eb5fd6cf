// eBPF sub-collector (spec 15): per-cgroup VFS IO and TCP/UDP network counters
// from CO-RE BPF programs; the attach method of each program is chosen by
// probing kernel features at start-up.
#pragma once

#include <memory>
#include <string>

#include "cgroup/mode.h"
#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/privileges.h"
#include "core/result.h"

namespace ceems::ebpf {

// --collector.ebpf.* flags (spec 15).
void register_ebpf_flags(FlagSet& flags);
// True when IO or network metrics are enabled.
bool enabled(const FlagSet& flags);

struct Options {
  std::string manager;   // "slurm" | "libvirt"
  std::string hostname;  // label value
  cgroup::Mode mode = cgroup::Mode::kLegacy;
  std::string active_subsystem = "cpuacct";  // v1 controller whose cgroup ids are used
};

// A kernel without BPF/BTF: an error with a clear message (the parent decides).
Result<std::unique_ptr<UnitSubCollector>> make_collector(const FlagSet& flags, const HostFs& host,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger);

}  // namespace ceems::ebpf
