// Fuzzes the procfs text helpers: the input is used as a sysctl file, a cmdline and
// an environ at once (invariants checked: no crash, joined cmdline never longer).
#include <cstdlib>
#include <string>
#include <vector>

#include "core/fuzz_harness.h"
#include "core/process_env.h"
#include "perf/proc_text.h"

namespace {

void fuzz(std::string_view input) {
  auto ints = ceems::perf::parse_sysctl_ints(input);
  ceems::Status st = ceems::perf::check_perf_event_paranoid(input);
  if (!ints.ok() && st.ok()) std::abort();
  std::string joined = ceems::join_cmdline(input);
  if (joined.size() > input.size()) std::abort();
  (void)ceems::is_slurm_helper(joined);
  (void)ceems::is_slurm_helper(input);
  static const std::vector<std::string> kNames = {"CEEMS_ENABLE_PERF", "A", ""};
  (void)ceems::has_env_prefix(input, kNames);
}

}  // namespace

CEEMS_FUZZ_TARGET(fuzz)
