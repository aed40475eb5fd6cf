#include "units/discovery.h"

#include <charconv>
#include <deque>
#include <unordered_map>
#include <utility>

#include "cgroup/parsers.h"
#include "core/strings.h"

namespace ceems::units {
namespace {

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

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "/" + name;
}

}  // namespace

Discovery::Discovery(const HostFs& host, Layout layout, cgroup::Hierarchy hierarchy, log::Logger logger,
                     SteadyClock clock)
    : host_(host),
      layout_(std::move(layout)),
      hierarchy_(std::move(hierarchy)),
      logger_(std::move(logger)),
      clock_(clock ? std::move(clock) : SteadyClock([] { return std::chrono::steady_clock::now(); })) {
  base_ = cgroup::is_v2(hierarchy_.mode) ? host_.cgroupfs_root() : host_.cgroup(hierarchy_.active_subsystem);
  while (base_.size() > 1 && base_.back() == '/') base_.pop_back();
  auto u = cgroup::unescape_path(base_);
  base_unescaped_ = u ? std::move(*u) : base_;
}

std::string Discovery::description() const {
  std::vector<std::string> tried;
  (void)roots(tried);
  return layout_.name + " compute units: mode " + std::string(cgroup::mode_name(hierarchy_.mode)) +
         (cgroup::is_v2(hierarchy_.mode) ? " (cgroups v2)"
                                         : " (cgroups v1, subsystem " + hierarchy_.active_subsystem + ")") +
         ", roots " + join_list(tried);
}

std::vector<std::string> Discovery::roots(std::vector<std::string>& tried) const {
  // The parents are listed on every call: cheap, and the multi-slurmd layouts
  // need no node name that way.
  std::vector<std::string> out;
  std::vector<std::string> names;
  tried.clear();
  for (const auto& set : layout_.roots) {
    for (const auto& p : set.patterns) tried.push_back(base_ + "/" + p);
    std::string parent = set.parent.empty() ? base_ : base_ + "/" + set.parent;
    if (!host_.fs().list_subdirs(parent, names)) continue;
    for (const auto& n : names) {
      if (set.is_root(n)) out.push_back(child_path(set.parent, n));
    }
  }
  return out;
}

Result<std::vector<ComputeUnit>> Discovery::discover() {
  std::vector<std::string> tried;
  const std::vector<std::string> root_list = roots(tried);
  if (root_list.empty()) {
    return Error(ErrorKind::kNotFound,
                 "no " + layout_.name + " cgroup hierarchy found (tried " + join_list(tried) + ")");
  }
  const Filesystem& fs = host_.fs();
  const auto now = clock_();
  std::vector<ComputeUnit> units;
  std::vector<DirEntry> entries;
  std::string srel, unescaped;
  std::string unexpected;  // the first entry the layout does not know, for the warning

  // One entry of a root (depth 1) or of a descended directory (depth 2); root
  // is the root's directory, held open while its entries are looked at.
  auto consider = [&](const std::string& parent_rel, const DirHandle& root, size_t root_len,
                      const DirEntry& e, int depth, auto&& self) -> void {
    srel.assign("/").append(parent_rel).append("/").append(e.name);
    if (auto st = cgroup::unescape_path_into(srel, unescaped); !st) {
      logger_.debug("skipping cgroup whose path cannot be unescaped",
                    {{"path", base_ + srel}, {"err", st.error()}});
      return;
    }
    if (auto id = layout_.unit_id(unescaped); id && !layout_.is_child(srel)) {
      std::string_view trimmed = trim(*id);
      if (trimmed.empty()) {
        logger_.error("empty compute unit id", {{"path", base_ + srel}});
        return;
      }
      ComputeUnit u;
      u.id = std::string(trimmed);
      u.uuid = u.id;
      u.path = CgroupPath{base_unescaped_ + unescaped, srel.substr(1)};
      u.inode = e.inode;
      // The unit's path below its root: srel is "/<root>/<that>".
      if (populated(u, root, srel.substr(root_len + 2), now)) {
        units.push_back(std::move(u));
      } else {
        logger_.debug("Compute unit has no process left, not reported", {{"path", base_ + srel}});
      }
      return;
    }
    if (depth == 1 && layout_.descend != nullptr && layout_.descend(e.name)) {
      const std::string rel = parent_rel + "/" + e.name;
      std::vector<DirEntry> sub;
      if (Status st = fs.list_subdir_entries(base_ + "/" + rel, sub); !st) {
        logger_.debug("skipping cgroup that vanished or cannot be read", {{"path", base_ + "/" + rel}});
        return;
      }
      for (const auto& s : sub) self(rel, root, root_len, s, 2, self);
      return;
    }
    if (layout_.warn_unexpected && unexpected.empty() &&
        (layout_.expected_other == nullptr || !layout_.expected_other(e.name))) {
      unexpected = base_ + srel;
    }
  };

  for (const auto& root : root_list) {
    if (Status st = fs.list_subdir_entries(base_ + "/" + root, entries); !st) {
      logger_.debug("skipping cgroup root that vanished or cannot be read",
                    {{"path", base_ + "/" + root}, {"err", st.error()}});
      continue;
    }
    const DirHandle root_dir = fs.open_dir(base_ + "/" + root);
    for (const auto& e : entries) consider(root, root_dir, root.size(), e, 1, consider);
  }

  if (!unexpected.empty() && !warned_unexpected_) {
    warned_unexpected_ = true;
    logger_.warn("Directories under the " + layout_.name +
                     " cgroup roots that are not compute units were found and are ignored (logged once); "
                     "if the resource manager names its unit directories differently, no unit is reported",
                 {{"example", unexpected}, {"roots", join_list(tried)}});
  }
  if (!cgroup::is_v2(hierarchy_.mode)) {
    for (auto it = v1_checks_.begin(); it != v1_checks_.end();) {
      if (!it->second.seen) {
        it = v1_checks_.erase(it);
      } else {
        it->second.seen = false;
        ++it;
      }
    }
  }
  return units;
}

bool Discovery::populated(const ComputeUnit& unit, const DirHandle& root, const std::string& rel_to_root,
                          std::chrono::steady_clock::time_point now) {
  if (cgroup::is_v2(hierarchy_.mode)) {
    // A missing or unreadable cgroup.events (a fixture tree, an old kernel) says nothing.
    thread_local std::string buf;
    if (!host_.fs().read_at(root, rel_to_root + "/cgroup.events", buf)) return true;
    return cgroup::parse_populated(buf).value_or(true);
  }
  V1Check& c = v1_checks_[unit.path.rel];
  c.seen = true;
  if (c.at == std::chrono::steady_clock::time_point{} || c.inode != unit.inode || now - c.at >= kV1Recheck) {
    c.inode = unit.inode;
    c.at = now;
    c.populated = v1_populated(unit);
  }
  return c.populated;
}

bool Discovery::each_cgroup(const std::string& rel, const CgroupVisitor& visit) const {
  const Filesystem& fs = host_.fs();
  std::string srel = "/" + rel;  // "/" + the raw path relative to base_
  std::string abs;
  std::deque<std::vector<std::string>> levels;  // sub-directory names per depth (stable references)
  auto step = [&](auto&& self, size_t depth) -> bool {
    abs.assign(base_).append(srel);
    if (levels.size() <= depth) levels.emplace_back();
    std::vector<std::string>& subdirs = levels[depth];
    if (Status st = fs.list_subdirs(abs, subdirs); !st) {
      logger_.debug("skipping cgroup that vanished or cannot be read", {{"path", abs}, {"err", st.error()}});
      return true;
    }
    if (!visit(std::string_view(srel).substr(1), abs)) return false;
    if (depth >= kMaxDepth) {
      logger_.debug("not descending further into the cgroup tree", {{"path", abs}});
      return true;
    }
    const size_t len = srel.size();
    for (const auto& name : subdirs) {
      srel.append("/").append(name);
      const bool go_on = self(self, depth + 1);
      srel.resize(len);
      if (!go_on) return false;
    }
    return true;
  };
  return step(step, 0);
}

bool Discovery::v1_populated(const ComputeUnit& unit) const {
  // v1 has no populated flag: any process listed in a cgroup.procs below the
  // unit (the kernel lists live tasks only) keeps it.
  const Filesystem& fs = host_.fs();
  std::string path, file;
  std::vector<pid_t> pids;
  return !each_cgroup(unit.path.rel, [&](std::string_view, const std::string& abs) {
    pids.clear();
    if (fs.read_into(path.assign(abs).append("/cgroup.procs"), file)) cgroup::append_cgroup_procs(file, pids);
    return pids.empty();
  });
}

void Discovery::walk_one(ComputeUnit& unit, UnitNeeds needs) const {
  const Filesystem& fs = host_.fs();
  std::string path, file;
  std::string pid_path = host_.proc("0");
  pid_path.pop_back();
  const size_t pid_prefix = pid_path.size();
  std::vector<pid_t> pids;
  each_cgroup(unit.path.rel, [&](std::string_view rel, const std::string& abs) {
    if (needs.children) unit.children.push_back(CgroupPath{{}, std::string(rel)});
    if (needs.procs && fs.read_into(path.assign(abs).append("/cgroup.procs"), file)) {
      pids.clear();
      cgroup::append_cgroup_procs(file, pids);
      for (pid_t pid : pids) {
        pid_path.resize(pid_prefix);
        char num[16];
        auto [end, ec] = std::to_chars(num, num + sizeof num, pid);
        pid_path.append(num, end);
        if (fs.exists(pid_path)) unit.procs.push_back(pid);
      }
    }
    return true;
  });
}

void Discovery::walk(std::span<ComputeUnit* const> units, UnitNeeds needs) const {
  if (!needs.any()) return;
  for (ComputeUnit* u : units) {
    u->procs.clear();
    u->children.clear();
    walk_one(*u, needs);
  }
  // Units sharing an id (a job under two roots) share their processes and cgroups.
  std::unordered_map<std::string_view, std::vector<ComputeUnit*>> by_id;
  for (ComputeUnit* u : units) by_id[u->id].push_back(u);
  for (auto& [id, same] : by_id) {
    if (same.size() < 2) continue;
    std::vector<pid_t> procs;
    std::vector<CgroupPath> children;
    for (ComputeUnit* u : same) {
      procs.insert(procs.end(), u->procs.begin(), u->procs.end());
      children.insert(children.end(), u->children.begin(), u->children.end());
    }
    for (ComputeUnit* u : same) {
      u->procs = procs;
      u->children = children;
    }
  }
}

void Discovery::walk(std::span<ComputeUnit> units, UnitNeeds needs) const {
  std::vector<ComputeUnit*> all;
  all.reserve(units.size());
  for (auto& u : units) all.push_back(&u);
  walk(std::span<ComputeUnit* const>(all), needs);
}

}  // namespace ceems::units
