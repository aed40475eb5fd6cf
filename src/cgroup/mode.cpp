#include "cgroup/mode.h"

#include <cstdint>

namespace ceems::cgroup {
namespace {

constexpr uint64_t kCgroup2SuperMagic = 0x63677270;

}  // namespace

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::kUnified:
      return "unified";
    case Mode::kLegacy:
      return "legacy";
    case Mode::kHybrid:
      return "hybrid";
    case Mode::kUnavailable:
      return "unavailable";
  }
  return "unavailable";
}

void register_cgroup_flags(FlagSet& flags) {
  if (!flags.has("collector.cgroups.force-version")) {
    // An enum whose default is empty: FlagSet validates only values given on the
    // command line (or the environment), never the default, so "" means "detect".
    flags.add(FlagSpec{.name = "collector.cgroups.force-version",
                       .kind = FlagKind::kEnum,
                       .help = "Set cgroups version manually. Used only for testing.",
                       .defaults = {""},
                       .choices = {"v1", "v2"},
                       .hidden = true});
  }
  if (!flags.has("collector.cgroup.active-subsystem")) {
    flags.add_string("collector.cgroup.active-subsystem", "Active cgroup subsystem for cgroups v1.",
                     "cpuacct");
  }
}

Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root, const Filesystem& fs) {
  if (forced == "v1") return Mode::kLegacy;
  if (forced == "v2") return Mode::kUnified;
  // Unlike the original (which always probed /sys/fs/cgroup), the root given on the
  // command line is probed.
  auto root = fs.fs_type(cgroupfs_root);
  if (!root) return Mode::kUnavailable;
  if (*root == kCgroup2SuperMagic) return Mode::kUnified;
  auto unified = fs.fs_type(HostFs::join(cgroupfs_root, "unified"));
  if (unified && *unified == kCgroup2SuperMagic) return Mode::kHybrid;
  // A plain directory standing in for the host (a fixture tree) is neither cgroup2
  // nor the tmpfs of a v1 host. If it carries cgroup.controllers at its root it is
  // a v2 layout: a real v1 cgroupfs root (a tmpfs holding one mount per
  // controller) never has that file.
  if (fs.exists(HostFs::join(cgroupfs_root, "cgroup.controllers"))) return Mode::kUnified;
  return Mode::kLegacy;
}

Hierarchy hierarchy_from_flags(const FlagSet& flags, const HostFs& host) {
  return Hierarchy{.mode = resolve_mode(flags.get_string("collector.cgroups.force-version"),
                                        host.cgroupfs_root(), host.fs()),
                   .active_subsystem = flags.get_string("collector.cgroup.active-subsystem")};
}

}  // namespace ceems::cgroup
