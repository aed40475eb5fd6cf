// Pure helpers over /proc/<pid>/environ and cmdline contents: the GPU ordinals a
// Slurm job was given, the helper processes Slurm starts around a job, and the
// environment-variable gate of the Alloy discoverer (and perf).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ceems::slurm {

// Calls fn for every NUL-separated entry of an environ/cmdline file (empty
// entries, e.g. the trailing one, are skipped).
template <typename Fn>
void for_each_entry(std::string_view raw, Fn&& fn) {
  while (!raw.empty()) {
    size_t end = raw.find('\0');
    std::string_view entry = raw.substr(0, end);
    if (!entry.empty()) fn(entry);
    if (end == std::string_view::npos) break;
    raw.remove_prefix(end + 1);
  }
}

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

// cmdline arguments joined by single spaces ("a\0b\0" -> "a b").
std::string join_cmdline(std::string_view raw);

// slurmstepd, the batch script's bash and `sleep N` placeholders: the search
// `slurmstepd:(.*)|sleep ([0-9]+)|/bin/bash (.*)/slurm_script` anywhere in the
// joined command line.
bool is_slurm_helper(std::string_view cmdline);

// True when some environment entry starts with one of names (value ignored).
bool has_env_prefix(std::string_view environ, std::span<const std::string> names);

}  // namespace ceems::slurm
