// Which cgroup hierarchy to walk and how compute units are recognised in it
// (spec 10 §1-3), for Slurm and libvirt.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/compute_unit.h"
#include "core/filesystem.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/result.h"

namespace ceems::cgroup {

enum class Mode { kUnified, kLegacy, kHybrid, kUnavailable };

// Only unified hosts use the v2 code paths; legacy, hybrid and unavailable use v1.
constexpr bool is_v2(Mode m) { return m == Mode::kUnified; }
std::string_view mode_name(Mode m);

// Shared flags: --collector.cgroups.force-version (hidden, v1|v2) and
// --collector.cgroup.active-subsystem. Registered once by the exporter.
void register_cgroup_flags(FlagSet& flags);

// forced: "", "v1" or "v2". Unset: probes the cgroupfs root given on the command
// line (unlike the original, which always probed /sys/fs/cgroup).
Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root);

// The statfs(2) seam of resolve_mode: the filesystem magic (f_type) of a path, or
// an error. The default probe calls statfs; tests pass a fake.
using FsTypeProbe = std::function<Result<uint64_t>(const std::string& path)>;
Result<uint64_t> statfs_type(const std::string& path);
Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root, const FsTypeProbe& probe);

enum class ManagerKind { kSlurm, kLibvirt };

struct ManagerOptions {
  ManagerKind kind = ManagerKind::kSlurm;
  Mode mode = Mode::kLegacy;
  std::string active_subsystem = "cpuacct";  // v1 only
  // Fill ComputeUnit::children. Only sub-collectors that look at child cgroups
  // (eBPF) need them; without, a 5,000-job scrape holds megabytes less.
  bool keep_children = true;
};

// --collector.cgroups.force-version and --collector.cgroup.active-subsystem applied
// to a manager of this kind.
ManagerOptions manager_options(const FlagSet& flags, const std::string& cgroupfs_root, ManagerKind kind);

class Manager {
 public:
  Manager(const HostFs& host, ManagerOptions opts, log::Logger logger);

  std::string_view name() const;  // "slurm" | "libvirt"
  Mode mode() const { return opts_.mode; }
  // The directory relative cgroup paths are based on: <cg> on v2, <cg>/<ctrl> on v1.
  const std::string& base() const { return base_; }
  std::string description() const;

  // One walk of the hierarchy. Walk roots: Slurm v1 <base>/slurm and every
  // <base>/slurm_<node>; Slurm v2 <cg>/system.slice/slurmstepd.scope and every
  // <cg>/system.slice/<node>_slurmstepd.scope; libvirt machine.slice (and the
  // non-systemd machine/ layout). A cgroup that vanishes during the walk is
  // skipped, never an error. Error only when no walk root exists.
  Result<std::vector<ComputeUnit>> discover() const;

 private:
  // The walk roots present now (listing their parent directories), and the
  // patterns tried, for the error message.
  std::vector<std::string> walk_roots(std::vector<std::string>& tried) const;

  const HostFs& host_;
  ManagerOptions opts_;
  log::Logger logger_;
  std::string base_;
  std::string base_unescaped_;  // base_ unescaped (abs paths are this + the unescaped rel)
};

}  // namespace ceems::cgroup
