// Which cgroup hierarchy the host has (spec 10 §1-2): unified (v2), legacy or
// hybrid (v1 paths), and the flags that force or steer it.
#pragma once

#include <string>
#include <string_view>

#include "core/filesystem.h"
#include "core/flags.h"

namespace ceems::cgroup {

enum class Mode { kUnified, kLegacy, kHybrid, kUnavailable };

// Only unified hosts use the v2 code paths; legacy, hybrid and unavailable use v1.
constexpr bool is_v2(Mode m) { return m == Mode::kUnified; }
std::string_view mode_name(Mode m);

// Shared flags: --collector.cgroups.force-version (hidden, v1|v2) and
// --collector.cgroup.active-subsystem. Registered once by the exporter.
void register_cgroup_flags(FlagSet& flags);

// forced: "", "v1" or "v2". Unset: probes the cgroupfs root given on the command
// line (unlike the original, which always probed /sys/fs/cgroup) through fs.
Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root,
                  const Filesystem& fs = real_filesystem());

// The hierarchy as the flags give it: --collector.cgroups.force-version and
// --collector.cgroup.active-subsystem.
struct Hierarchy {
  Mode mode = Mode::kLegacy;
  std::string active_subsystem = "cpuacct";  // v1 only
};
// The cgroupfs root and the filesystem are the host's.
Hierarchy hierarchy_from_flags(const FlagSet& flags, const HostFs& host);

}  // namespace ceems::cgroup
