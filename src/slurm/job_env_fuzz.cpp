// The environ/cmdline helpers and the GPU job map builder on arbitrary bytes.
#include <string>

#include "core/fuzz_harness.h"
#include "core/process_env.h"
#include "slurm/gpu_job_map.h"
#include "slurm/job_env.h"

namespace {
void fuzz(std::string_view in) {
  using namespace ceems::slurm;
  GpuOrdinalScan scan;
  scan_environ(in, "42", scan);
  (void)scan.ordinals();
  std::string joined = ceems::join_cmdline(in);
  (void)ceems::is_slurm_helper(joined);
  std::vector<std::string> names = {"A", "SLURM"};
  (void)ceems::has_env_prefix(in, names);
  size_t half = in.size() / 2;
  (void)build_gpu_job_map({{std::string(in.substr(0, half)), std::string(in.substr(half))}});
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
