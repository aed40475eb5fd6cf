// The narrow seam between the perf collector and the kernel: perf_event_open, the
// enable/disable ioctls, read and close. The collector's per-scrape algorithm runs
// against this interface so that tests can drive it without a PMU or privileges.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "core/result.h"
#include "perf/events.h"

namespace ceems::perf {

// One read of a counter opened with read_format TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING.
struct CounterReading {
  uint64_t value = 0;
  uint64_t time_enabled = 0;
  uint64_t time_running = 0;
};

class EventOpener {
 public:
  virtual ~EventOpener() = default;
  EventOpener() = default;
  EventOpener(const EventOpener&) = delete;
  EventOpener& operator=(const EventOpener&) = delete;

  // Opens a disabled, inherited counter of event for pid on any CPU (kernel and
  // user counted, hypervisor excluded); returns its fd.
  virtual Result<int> open(pid_t pid, const EventDef& event) = 0;
  virtual Status enable(int fd) = 0;
  virtual Status disable(int fd) = 0;
  virtual Result<CounterReading> read(int fd) = 0;
  virtual void close(int fd) = 0;
  // Whether the kernel can count events of this kind at all (opens one for the
  // calling process, user space only so that no privilege is needed, and closes it).
  // kNotFound means no PMU for it (ENOENT/EOPNOTSUPP); other errors are inconclusive.
  virtual Status probe(const EventDef& event) = 0;
};

// perf_event_open(2) and friends.
class KernelEventOpener final : public EventOpener {
 public:
  Result<int> open(pid_t pid, const EventDef& event) override;
  Status enable(int fd) override;
  Status disable(int fd) override;
  Result<CounterReading> read(int fd) override;
  void close(int fd) override;
  Status probe(const EventDef& event) override;
};

// The counter increment between two readings, scaled up for multiplexing:
// round(dEnabled / dRunning * dValue) when the counter ran in between, else dValue.
// A value that went backwards is taken as a wrap and counted as last + cur (the
// original's guess, kept for identical totals).
double scaled_delta(const CounterReading& last, const CounterReading& cur);

}  // namespace ceems::perf
