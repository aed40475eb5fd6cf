// Finding a resource manager's compute units in the cgroup tree (spec 10 §3) by
// listing only the directories its layout names, and, for the units a consumer
// asks about, the processes and child cgroups below them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cgroup/mode.h"
#include "core/compute_unit.h"
#include "core/filesystem.h"
#include "core/log.h"
#include "core/result.h"
#include "units/layout.h"

namespace ceems::units {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

class Discovery {
 public:
  Discovery(const HostFs& host, Layout layout, cgroup::Hierarchy hierarchy, log::Logger logger,
            SteadyClock clock = nullptr);

  std::string_view name() const { return layout_.name; }
  cgroup::Mode mode() const { return hierarchy_.mode; }
  const cgroup::Hierarchy& hierarchy() const { return hierarchy_; }
  // The directory relative cgroup paths are based on: <cg> on v2, <cg>/<ctrl> on v1.
  const std::string& base() const { return base_; }
  std::string description() const;

  // The units present now, in lexical order of their paths. Lists the parents
  // of the layout's roots, the roots, and the levels the layout descends into;
  // nothing below a unit directory. procs and children are left empty (walk
  // fills them). A unit whose cgroup holds no live process is left out: v2 reads
  // `populated` from its cgroup.events; v1, which has no such flag, looks for a
  // process in the unit's cgroup.procs files when it first sees the unit and
  // then every v1_recheck. Error only when no root exists.
  Result<std::vector<ComputeUnit>> discover();

  // Fills procs and/or children of these units by walking the cgroups below
  // them (pre-order, lexical, symlinks not followed). Units sharing an id share
  // what was found below each. A cgroup that vanishes meanwhile is skipped.
  void walk(std::span<ComputeUnit> units, UnitNeeds needs) const;
  void walk(std::span<ComputeUnit* const> units, UnitNeeds needs) const;

  static constexpr std::chrono::minutes kV1Recheck{5};

 private:
  std::vector<std::string> roots(std::vector<std::string>& tried) const;
  void walk_one(ComputeUnit& unit, UnitNeeds needs) const;
  // Pre-order, lexical, symlinks not followed: visit(rel, abs) for the cgroup at
  // rel and each one below it (a cgroup that cannot be listed is skipped with
  // its subtree). A visit returning false ends the walk; so does the result.
  using CgroupVisitor = std::function<bool(std::string_view rel, const std::string& abs)>;
  bool each_cgroup(const std::string& rel, const CgroupVisitor& visit) const;
  bool v1_populated(const ComputeUnit& unit) const;
  // root: the unit's root directory, held open; rel_to_root: the unit's path below it.
  bool populated(const ComputeUnit& unit, const DirHandle& root, const std::string& rel_to_root,
                 std::chrono::steady_clock::time_point now);

  const HostFs& host_;
  Layout layout_;
  cgroup::Hierarchy hierarchy_;
  log::Logger logger_;
  SteadyClock clock_;
  std::string base_;
  std::string base_unescaped_;  // base_ unescaped (abs paths are this + the unescaped rel)
  bool warned_unexpected_ = false;

  struct V1Check {
    uint64_t inode = 0;
    std::chrono::steady_clock::time_point at;
    bool populated = true;
    bool seen = false;
  };
  std::unordered_map<std::string, V1Check> v1_checks_;  // by unit rel path
};

}  // namespace ceems::units
