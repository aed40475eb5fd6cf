// A resource manager's layout: where its compute units sit in the cgroup tree
// and how a directory there is recognised as one. Each resource manager writes
// one (slurm/slurm_layout.cpp, libvirt/libvirt_layout.cpp); discovery
// (units/discovery.h) lists only the directories a layout names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::units {

struct Layout {
  // Where to look for the roots: a directory relative to the hierarchy's base
  // ("" for the base itself) and which of its entries are roots.
  struct RootSet {
    std::string parent;
    bool (*is_root)(std::string_view name) = nullptr;
    std::vector<std::string> patterns;  // what is_root accepts, for messages
  };

  std::string name;  // the `manager` label value ("slurm", "libvirt")
  std::vector<RootSet> roots;
  // An entry of a root that is not a unit but holds units one level further
  // down (v1 Slurm `uid_<n>`). nullptr: units sit directly under the roots.
  bool (*descend)(std::string_view name) = nullptr;
  // The unit id of a directory, from its unescaped path relative to the base
  // with a leading '/' (a view into that path), or nullopt.
  std::optional<std::string_view> (*unit_id)(std::string_view unescaped_path) = nullptr;
  // A directory whose raw relative path this accepts is a unit's child, never
  // a unit of its own, even when unit_id matches it.
  bool (*is_child)(std::string_view raw_path) = nullptr;
  // Entries of a root that are neither units nor descended into, and expected
  // there (Slurm's own `system` cgroup): not reported. nullptr: every entry is
  // expected (a libvirt root also holds other machines). Unexpected entries are
  // logged once at WARN, so that a site whose manager names unit directories
  // differently learns why it sees no units.
  bool (*expected_other)(std::string_view name) = nullptr;
  bool warn_unexpected = false;
};

}  // namespace ceems::units
