// --collector.slurm.gpu-job-map-path: a directory that a Slurm prolog fills with
// one file per GPU ordinal holding the id of the job that was given that GPU
// (docs/slurm-gpu-prolog.md). It replaces reading job environments from /proc,
// so the exporter needs no ptrace/read-search capability.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/result.h"

namespace ceems::slurm {

// job id -> GPU ordinals (file names), ordinals in numeric order. Files whose
// content is not a job id are reported in `skipped` and ignored.
struct GpuJobMap {
  std::map<std::string, std::vector<std::string>, std::less<>> by_job;
  std::vector<std::string> skipped;
};

// Pure: builds the map from (file name, content) pairs.
GpuJobMap build_gpu_job_map(const std::vector<std::pair<std::string, std::string>>& files);

Result<GpuJobMap> read_gpu_job_map(const Filesystem& fs, const std::string& dir);

}  // namespace ceems::slurm
