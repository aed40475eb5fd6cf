// One failing source, one WARN: the first failure of an episode is logged at WARN,
// the following ones at DEBUG, and the first success after them at INFO (the caller
// logs, with the count this returns). Used by the emissions providers and the power
// readings a ReadingHold bridges.
#pragma once

#include <utility>

#include "core/log.h"

namespace ceems {

class FailureEpisode {
 public:
  // Counts a failure and returns the level to log it at.
  log::Level failed() { return ++failures_ == 1 ? log::Level::kWarn : log::Level::kDebug; }
  // Ends the episode; returns how many failures it had (0: there was none to report).
  int succeeded() { return std::exchange(failures_, 0); }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

}  // namespace ceems
