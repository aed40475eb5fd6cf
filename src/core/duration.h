// Durations written the way Go's time.ParseDuration reads them ("2s", "500ms",
// "1m30s", "1.5h"), so flags take the same values as the original's.
#pragma once

#include <chrono>
#include <string_view>

#include "core/result.h"

namespace ceems {

// Units ns, us (or µs), ms, s, m, h; a sign is not accepted (no negative durations
// anywhere in the flags); "0" alone is zero. Errors quote the input.
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);

}  // namespace ceems
