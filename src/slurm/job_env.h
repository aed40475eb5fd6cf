// The GPU ordinals a Slurm job was given, from its processes' environments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ceems::slurm {

// The scan state of one job across its processes (spec 11, "Reading GPU ordinals").
struct GpuOrdinalScan {
  std::vector<std::string> step_gpus;
  std::vector<std::string> job_gpus;
  bool done() const { return !job_gpus.empty(); }
  // SLURM_JOB_GPUS wins over SLURM_STEP_GPUS (some Slurm releases set the latter
  // inconsistently).
  const std::vector<std::string>& ordinals() const { return job_gpus.empty() ? step_gpus : job_gpus; }
};

// Feeds one process environment into the scan. The process counts only when its
// environment holds exactly "SLURM_JOB_ID=<job_id>"; returns whether it did.
bool scan_environ(std::string_view environ, std::string_view job_id, GpuOrdinalScan& scan);

}  // namespace ceems::slurm
