#include "ebpf/proc_cgroups.h"

#include "core/strings.h"

namespace ceems::ebpf {

ProcCgroups parse_proc_cgroups(std::string_view content) {
  ProcCgroups out;
  bool header = true;
  size_t index = 0;
  for (std::string_view line : split(content, '\n')) {
    if (trim(line).empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    if (index >= kMaxSubsystems) {
      out.truncated = true;
      break;
    }
    const auto f = fields(line);
    if (f.size() >= 2) {
      if (auto h = parse_u64(f[1])) out.controllers.push_back({std::string(f[0]), *h, index});
    }
    ++index;
  }
  return out;
}

size_t subsystem_index(const ProcCgroups& cgroups, std::string_view active_subsystem) {
  const std::string_view want = trim(active_subsystem);
  for (const auto& c : cgroups.controllers) {
    if (c.name == want) return c.index;
  }
  return 0;
}

}  // namespace ceems::ebpf
