// Fuzzes the /proc/cgroups parser: no crash, indices stay below the limit.
#include <cstdlib>
#include <string_view>

#include "core/fuzz_harness.h"
#include "ebpf/proc_cgroups.h"

namespace {

void fuzz(std::string_view input) {
  const auto parsed = ceems::ebpf::parse_proc_cgroups(input);
  for (const auto& c : parsed.controllers) {
    if (c.index >= ceems::ebpf::kMaxSubsystems) std::abort();
  }
  const size_t idx = ceems::ebpf::subsystem_index(parsed, input.substr(0, 8));
  if (idx >= ceems::ebpf::kMaxSubsystems) std::abort();
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
