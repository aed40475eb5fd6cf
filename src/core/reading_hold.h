// Bridging a power source's bad readings: some BMCs intermittently answer 0 W or
// fail a request, and a gap in node power is a gap in every job's power series.
// A ReadingHold says whether the last good reading may stand in for a bad one
// (for at most max_age), and when to tell the operator.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/failure_episode.h"
#include "core/flags.h"
#include "core/metrics.h"
#include "core/result.h"

namespace ceems {

class ReadingHold {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // max_age 0 disables holding: every bad reading is a failure. clock: steady_clock::now when empty.
  explicit ReadingHold(std::chrono::milliseconds max_age, Clock clock = {});

  // A good reading now. Returns how many bad readings the episode it ends had
  // (0: there was none), for one INFO line saying the source recovered.
  int good();

  struct Verdict {
    bool hold = false;  // serve the last good reading
    log::Level level;   // WARN for the first bad reading since a good one, then DEBUG
  };
  // A bad reading (0 W or a failed read) now.
  Verdict bad();

  // Bad readings answered with the last good one, over the hold's lifetime.
  uint64_t held_total() const { return held_total_; }
  std::chrono::milliseconds max_age() const { return max_age_; }

 private:
  std::chrono::steady_clock::time_point now() const;

  std::chrono::milliseconds max_age_;
  Clock clock_;
  std::optional<std::chrono::steady_clock::time_point> last_good_;
  FailureEpisode episode_;
  uint64_t held_total_ = 0;
};

inline constexpr std::string_view kDefaultHoldDuration = "5m";

// --<name> (a duration, default 5m; 0 disables holding) for a power collector.
void register_hold_duration_flag(FlagSet& flags, std::string name);
// Its value; a malformed duration is an error that names the flag and the value.
Result<std::chrono::milliseconds> hold_duration_flag(const FlagSet& flags, std::string_view name);

// ceems_exporter_held_power_readings_total{collector}: how often a collector served
// the last good reading in place of a bad one. Each power collector adds its sample
// to the exporter's own metrics (Collector::own_metrics) from the first scrape on,
// at 0 until a reading is held, so that rate() and increase() work from the start.
const MetricDesc& held_readings_desc();

}  // namespace ceems
