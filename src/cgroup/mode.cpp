#include "cgroup/mode.h"

#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>

#include "core/filesystem.h"

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

Result<uint64_t> statfs_type(const std::string& path) {
  struct statfs st {};
  if (::statfs(path.c_str(), &st) != 0) return Error::from_errno(errno, "statfs " + path);
  return static_cast<uint64_t>(st.f_type);
}

Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root) {
  return resolve_mode(forced, cgroupfs_root, statfs_type);
}

Mode resolve_mode(std::string_view forced, const std::string& cgroupfs_root, const FsTypeProbe& probe) {
  if (forced == "v1") return Mode::kLegacy;
  if (forced == "v2") return Mode::kUnified;
  // Unlike the original (which always probed /sys/fs/cgroup), the root given on the
  // command line is probed.
  auto root = probe(cgroupfs_root);
  if (!root) return Mode::kUnavailable;
  if (*root == kCgroup2SuperMagic) return Mode::kUnified;
  auto unified = probe(HostFs::join(cgroupfs_root, "unified"));
  if (unified && *unified == kCgroup2SuperMagic) return Mode::kHybrid;
  // A plain directory standing in for the host (a fixture tree) is neither cgroup2
  // nor the tmpfs of a v1 host. If it carries cgroup.controllers at its root it is
  // a v2 layout: a real v1 cgroupfs root (a tmpfs holding one mount per
  // controller) never has that file.
  if (::access(HostFs::join(cgroupfs_root, "cgroup.controllers").c_str(), F_OK) == 0) return Mode::kUnified;
  return Mode::kLegacy;
}

Hierarchy hierarchy_from_flags(const FlagSet& flags, const std::string& cgroupfs_root) {
  return Hierarchy{.mode = resolve_mode(flags.get_string("collector.cgroups.force-version"), cgroupfs_root),
                   .active_subsystem = flags.get_string("collector.cgroup.active-subsystem")};
}

}  // namespace ceems::cgroup
