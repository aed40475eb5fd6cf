#include "core/reading_hold.h"

#include <utility>

#include "core/duration.h"

namespace ceems {

ReadingHold::ReadingHold(std::chrono::milliseconds max_age, Clock clock)
    : max_age_(max_age), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point ReadingHold::now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

int ReadingHold::good() {
  last_good_ = now();
  return episode_.succeeded();
}

ReadingHold::Verdict ReadingHold::bad() {
  Verdict v{false, episode_.failed()};
  if (last_good_ && max_age_.count() > 0 && now() - *last_good_ <= max_age_) {
    v.hold = true;
    ++held_total_;
  }
  return v;
}

void register_hold_duration_flag(FlagSet& flags, std::string name) {
  flags.add_string(std::move(name),
                   "How long the last good power reading stands in for a reading of 0 W or a failed read "
                   "before the collector reports failure (0 disables).",
                   std::string(kDefaultHoldDuration));
}

Result<std::chrono::milliseconds> hold_duration_flag(const FlagSet& flags, std::string_view name) {
  const std::string text = flags.get_string(std::string(name));
  auto d = parse_duration(text);
  if (!d) return d.error().wrap("--" + std::string(name));
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

const MetricDesc& held_readings_desc() {
  static const MetricDesc desc{"ceems_exporter_held_power_readings_total",
                               "Power readings of 0 W or failed reads answered with the last good reading",
                               MetricType::kCounter,
                               {"collector"}};
  return desc;
}

}  // namespace ceems
