// The /proc/cgroups controller index (spec 10 §7): on cgroup v1 the BPF programs
// read current->cgroups->subsys[index] of the active subsystem, and the line
// order of /proc/cgroups is the kernel's subsystem id order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::ebpf {

struct CgroupController {
  std::string name;
  uint64_t hierarchy = 0;
  size_t index = 0;  // line index after the header
};

struct ProcCgroups {
  std::vector<CgroupController> controllers;
  // The original gives up at line index 15 (its subsystem array size); the lines
  // before it are kept.
  bool truncated = false;
};

inline constexpr size_t kMaxSubsystems = 15;

// Skips the header line and blank lines; a line whose hierarchy field is not a
// number is not recorded but still takes an index.
ProcCgroups parse_proc_cgroups(std::string_view content);

// The index of the controller named like the (trimmed) active subsystem, 0 when
// none matches (the original's fallback).
size_t subsystem_index(const ProcCgroups& cgroups, std::string_view active_subsystem);

}  // namespace ceems::ebpf
