#include "slurm/job_env.h"

#include "core/process_env.h"
#include "core/strings.h"

namespace ceems::slurm {
namespace {

// The value as the reference reads it: the second field of a split on '=' (so a
// value holding '=' is cut there).
std::string_view env_value(std::string_view entry) {
  size_t eq = entry.find('=');
  if (eq == std::string_view::npos) return {};
  std::string_view rest = entry.substr(eq + 1);
  return rest.substr(0, rest.find('='));
}

std::vector<std::string> split_ordinals(std::string_view value) {
  std::vector<std::string> out;
  for (auto part : split(value, ',')) out.emplace_back(part);
  return out;
}

}  // namespace

bool scan_environ(std::string_view environ, std::string_view job_id, GpuOrdinalScan& scan) {
  bool belongs = false;
  for_each_entry(environ, [&](std::string_view e) {
    if (!belongs && starts_with(e, "SLURM_JOB_ID=") && e.substr(13) == job_id) belongs = true;
  });
  if (!belongs) return false;
  for_each_entry(environ, [&](std::string_view e) {
    if (e.find("SLURM_STEP_GPUS") != std::string_view::npos) scan.step_gpus = split_ordinals(env_value(e));
    if (e.find("SLURM_JOB_GPUS") != std::string_view::npos) scan.job_gpus = split_ordinals(env_value(e));
  });
  return true;
}

}  // namespace ceems::slurm
