#include "cgroup/manager.h"

#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <deque>
#include <unordered_map>
#include <utility>

#include "cgroup/parsers.h"
#include "core/strings.h"

namespace ceems::cgroup {
namespace {

constexpr uint64_t kCgroup2SuperMagic = 0x63677270;
// Deeper nesting than this is not a cgroup layout any manager creates.
constexpr size_t kMaxDepth = 128;

std::string join_list(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ", ";
    out += v[i];
  }
  return out;
}

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

Manager::Manager(const HostFs& host, ManagerOptions opts, log::Logger logger)
    : host_(host), opts_(std::move(opts)), logger_(std::move(logger)) {
  base_ = is_v2(opts_.mode) ? host_.cgroupfs_root() : host_.cgroup(opts_.active_subsystem);
  while (base_.size() > 1 && base_.back() == '/') base_.pop_back();
  auto u = unescape_path(base_);
  base_unescaped_ = u ? std::move(*u) : base_;
}

std::string_view Manager::name() const { return opts_.kind == ManagerKind::kSlurm ? "slurm" : "libvirt"; }

std::string Manager::description() const {
  std::vector<std::string> tried;
  (void)walk_roots(tried);
  return std::string(name()) + " cgroup manager: mode " + std::string(mode_name(opts_.mode)) +
         (is_v2(opts_.mode) ? " (cgroups v2)" : " (cgroups v1, subsystem " + opts_.active_subsystem + ")") +
         ", walk roots " + join_list(tried);
}

std::vector<std::string> Manager::walk_roots(std::vector<std::string>& tried) const {
  // Roots are returned relative to base_. Their parent directory is listed on
  // every call: cheap, and it needs no node name for the multi-slurmd layouts.
  std::string parent_rel;
  std::vector<std::string> roots;
  auto list_parent = [&](const std::string& rel, auto&& accept) {
    std::string parent = rel.empty() ? base_ : base_ + "/" + rel;
    std::vector<std::string> names;
    if (!host_.fs().list_subdirs(parent, names)) return;
    for (const auto& n : names) {
      if (accept(n)) roots.push_back(rel.empty() ? n : rel + "/" + n);
    }
  };
  if (opts_.kind == ManagerKind::kSlurm) {
    if (is_v2(opts_.mode)) {
      // <cg>/system.slice/slurmstepd.scope and <cg>/system.slice/<node>_slurmstepd.scope.
      tried = {base_ + "/system.slice/slurmstepd.scope", base_ + "/system.slice/*_slurmstepd.scope"};
      list_parent("system.slice", [](const std::string& n) {
        return n == "slurmstepd.scope" || ends_with(n, "_slurmstepd.scope");
      });
    } else {
      // <cg>/<ctrl>/slurm and, for multi-slurmd builds (Debian), <cg>/<ctrl>/slurm_<node>.
      tried = {base_ + "/slurm", base_ + "/slurm_*"};
      list_parent("", [](const std::string& n) { return n == "slurm" || starts_with(n, "slurm_"); });
    }
  } else {
    // The systemd layout (machine.slice) and libvirt's own one (machine/).
    tried = {base_ + "/machine.slice", base_ + "/machine"};
    list_parent("", [](const std::string& n) { return n == "machine.slice" || n == "machine"; });
  }
  return roots;
}

ManagerOptions manager_options(const FlagSet& flags, const std::string& cgroupfs_root, ManagerKind kind) {
  ManagerOptions o;
  o.kind = kind;
  o.mode = resolve_mode(flags.get_string("collector.cgroups.force-version"), cgroupfs_root);
  o.active_subsystem = flags.get_string("collector.cgroup.active-subsystem");
  return o;
}

Result<std::vector<ComputeUnit>> Manager::discover() const {
  std::vector<std::string> tried;
  std::vector<std::string> roots = walk_roots(tried);
  if (roots.empty()) {
    return Error(ErrorKind::kNotFound,
                 "no " + std::string(name()) + " cgroup hierarchy found (tried " + join_list(tried) + ")");
  }

  const Filesystem& fs = host_.fs();
  const bool slurm = opts_.kind == ManagerKind::kSlurm;

  // Processes and cgroups accumulated per unit id (a child is attached to its id,
  // even when two root cgroups share it).
  struct Acc {
    std::vector<pid_t> procs;
    std::vector<CgroupPath> children;
    int units = 0;
  };
  std::deque<Acc> accs;
  std::unordered_map<std::string, Acc*> by_id;
  std::vector<ComputeUnit> units;
  std::vector<Acc*> unit_acc;

  // Buffers reused across the walk.
  std::string srel;  // "/" + the raw path relative to base_
  std::string abs;   // base_ + srel
  std::string unescaped;
  std::string file;
  std::string pid_path = host_.proc("0");
  pid_path.pop_back();
  const size_t pid_prefix = pid_path.size();
  std::vector<pid_t> pids;
  std::deque<std::vector<std::string>> levels;  // sub-directory names per depth

  auto process = [&]() {
    if (auto s = unescape_path_into(srel, unescaped); !s) {
      logger_.debug("skipping cgroup whose path cannot be unescaped", {{"path", abs}, {"err", s.error()}});
      return;
    }
    auto match = slurm ? match_slurm_job(unescaped) : match_libvirt_instance(unescaped);
    if (!match) return;
    std::string_view id = trim(*match);
    if (id.empty()) {
      logger_.error("empty compute unit id", {{"path", abs}});
      return;
    }
    auto it = by_id.find(std::string(id));
    Acc* acc = nullptr;
    if (it == by_id.end()) {
      acc = &accs.emplace_back();
      by_id.emplace(std::string(id), acc);
    } else {
      acc = it->second;
    }
    size_t abs_len = abs.size();
    abs += "/cgroup.procs";
    if (fs.read_into(abs, file)) {
      pids.clear();
      append_cgroup_procs(file, pids);
      for (pid_t pid : pids) {
        pid_path.resize(pid_prefix);
        char num[16];
        auto [end, ec] = std::to_chars(num, num + sizeof num, pid);
        pid_path.append(num, end);
        if (fs.exists(pid_path)) acc->procs.push_back(pid);
      }
    }
    abs.resize(abs_len);
    bool child = slurm ? is_slurm_child(srel) : is_libvirt_child(srel);
    if (!child) {
      ComputeUnit u;
      u.id = std::string(id);
      u.uuid = u.id;
      u.path = CgroupPath{base_unescaped_ + unescaped, srel.substr(1)};
      units.push_back(std::move(u));
      unit_acc.push_back(acc);
      ++acc->units;
    }
    // Children keep only the relative path: tens of thousands of steps and tasks
    // per scrape on big nodes, and nothing needs their unescaped absolute path.
    if (opts_.keep_children) acc->children.push_back(CgroupPath{{}, srel.substr(1)});
  };

  // Pre-order, lexical, symlinks not followed. A directory that cannot be listed
  // (it vanished, e.g. a job ended, or is unreadable) is skipped with its subtree.
  auto visit = [&](auto&& self, size_t depth) -> void {
    abs.assign(base_).append(srel);
    if (levels.size() <= depth) levels.emplace_back();
    std::vector<std::string>& subdirs = levels[depth];
    if (Status st = fs.list_subdirs(abs, subdirs); !st) {
      logger_.debug("skipping cgroup that vanished or cannot be read", {{"path", abs}, {"err", st.error()}});
      return;
    }
    process();
    if (depth >= kMaxDepth) {
      logger_.debug("not descending further into the cgroup tree", {{"path", abs}});
      return;
    }
    const size_t len = srel.size();
    for (size_t i = 0; i < subdirs.size(); ++i) {
      srel.append("/").append(subdirs[i]);
      self(self, depth + 1);
      srel.resize(len);
    }
  };

  for (const auto& root : roots) {
    srel.assign("/").append(root);
    visit(visit, 0);
  }

  for (size_t i = 0; i < units.size(); ++i) {
    Acc* acc = unit_acc[i];
    if (--acc->units == 0) {
      units[i].procs = std::move(acc->procs);
      units[i].children = std::move(acc->children);
    } else {
      units[i].procs = acc->procs;
      units[i].children = acc->children;
    }
  }
  return units;
}

}  // namespace ceems::cgroup
