// The Slurm layout (spec 10 §3, spec 11): v1 `<ctrl>/slurm[_<node>]/uid_<u>/job_<id>`,
// v2 `system.slice/[<node>_]slurmstepd.scope/job_<id>`; steps and tasks below a
// job are its children.
#pragma once

#include <optional>
#include <string_view>

#include "cgroup/mode.h"
#include "units/layout.h"

namespace ceems::slurm {

units::Layout slurm_layout(cgroup::Mode mode);

// Hand-written equivalent of the spec's regular expression (leftmost-first
// semantics, '.' not matching '\n', '$' only at the end), applied to an unescaped
// path. Returns the capture (a view into path) or nullopt.
//   ^.*/slurm(?:.*?)/job_([0-9]+)(?:.*$)
// Only when that does not match, the multi-slurmd scope name
// `<node>_slurmstepd.scope` (which has no "/slurm"):
//   ^.*_slurmstepd\.scope(?:.*?)/job_([0-9]+)(?:.*$)
std::optional<std::string_view> match_slurm_job(std::string_view path);

// Child-cgroup rule, applied to the raw (escaped) path: contains "/step_".
bool is_slurm_child(std::string_view raw_path);

}  // namespace ceems::slurm
