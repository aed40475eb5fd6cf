// Pure helpers over procfs text the perf collector reads: the perf_event_paranoid
// sysctl, and a process's cmdline and environ for the --collector.perf.env-var gate.
// (src/slurm has equivalents, but slurm depends on perf, so perf keeps its own.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ceems::perf {

// A sysctl file holding whitespace-separated integers (empty content gives none).
Result<std::vector<int64_t>> parse_sysctl_ints(std::string_view content);

// The start-up gate on <procfs>/sys/kernel/perf_event_paranoid content: a single
// value above 2 forbids perf_event_open for the exporter; unparsable content is
// reported like an unreadable file.
Status check_perf_event_paranoid(std::string_view content);

// cmdline arguments (NUL-separated) joined by single spaces; empty arguments dropped.
std::string join_cmdline(std::string_view raw);

// The Slurm helpers never worth profiling: an unanchored search of
// `slurmstepd:(.*)|sleep ([0-9]+)|/bin/bash (.*)/slurm_script` (RE2 syntax, so `.`
// does not cross a newline).
bool is_slurm_helper(std::string_view cmdline);

// True when some NUL-separated environ entry starts with one of names. The test is
// on the whole "NAME=value" entry, so the value is ignored ("FOO=0" enables) and
// "FOO" also matches "FOOBAR=1", as in the original.
bool has_env_prefix(std::string_view environ, std::span<const std::string> names);

}  // namespace ceems::perf
