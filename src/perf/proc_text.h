// Pure helpers over procfs text the perf collector reads: the perf_event_paranoid
// sysctl. (cmdline/environ helpers for the env-var gate are in core/process_env.h.)
#pragma once

#include <cstdint>
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

}  // namespace ceems::perf
