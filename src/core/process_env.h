// Pure helpers over /proc/<pid>/cmdline and environ contents, shared by the
// Alloy targets discoverer and the perf sub-collector: the helper processes
// Slurm starts around a job and the environment-variable gate.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace ceems {

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

// cmdline arguments joined by single spaces ("a\0b\0" -> "a b").
std::string join_cmdline(std::string_view raw);

// slurmstepd, the batch script's bash and `sleep N` placeholders: the search
// `slurmstepd:(.*)|sleep ([0-9]+)|/bin/bash (.*)/slurm_script` anywhere in the
// joined command line (`.` does not cross a newline).
bool is_slurm_helper(std::string_view cmdline);

// True when some environment entry starts with one of names (the test is on the
// whole "NAME=value" entry: the value is ignored, "FOO" also matches "FOOBAR=1").
bool has_env_prefix(std::string_view environ, std::span<const std::string> names);

}  // namespace ceems
