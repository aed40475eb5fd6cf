#include "perf/event_opener.h"

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

namespace ceems::perf {
namespace {

perf_event_attr make_attr(const EventDef& event) {
  perf_event_attr attr;
  std::memset(&attr, 0, sizeof attr);
  attr.size = sizeof attr;
  attr.type = event.type;
  attr.config = event.config;
  attr.disabled = 1;
  attr.inherit = 1;
  attr.exclude_hv = 1;
  attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
  return attr;
}

// CLOEXEC (the original passes no flags) keeps counter fds out of the helper
// commands other collectors spawn; counting is unaffected.
Result<int> perf_event_open(perf_event_attr& attr, pid_t pid, const EventDef& event) {
  long fd = ::syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Error e = Error::from_errno(
        err, "perf_event_open " + std::string(event.profiler) + " for pid " + std::to_string(pid));
    // No PMU (virtual machines) or an event the CPU lacks: the platform does not
    // have this source, which callers treat differently from a refusal.
    if (err == EOPNOTSUPP) return Error(ErrorKind::kNotFound, e.message());
    return e;
  }
  return static_cast<int>(fd);
}

}  // namespace

Result<int> KernelEventOpener::open(pid_t pid, const EventDef& event) {
  perf_event_attr attr = make_attr(event);
  return perf_event_open(attr, pid, event);
}

Status KernelEventOpener::enable(int fd) {
  if (::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) != 0) return Error::from_errno(errno, "enable perf event");
  return Status::Ok();
}

Status KernelEventOpener::disable(int fd) {
  if (::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) != 0) return Error::from_errno(errno, "disable perf event");
  return Status::Ok();
}

Result<CounterReading> KernelEventOpener::read(int fd) {
  uint64_t buf[3] = {0, 0, 0};
  ssize_t n = 0;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno(errno, "read perf event");
  if (n != static_cast<ssize_t>(sizeof buf)) {
    return Error(ErrorKind::kIo, "read perf event: short read of " + std::to_string(n) + " bytes");
  }
  return CounterReading{buf[0], buf[1], buf[2]};
}

void KernelEventOpener::close(int fd) { ::close(fd); }

Status KernelEventOpener::probe(const EventDef& event) {
  perf_event_attr attr = make_attr(event);
  attr.inherit = 0;
  // User space only: allowed for an unprivileged process up to perf_event_paranoid=2.
  attr.exclude_kernel = 1;
  auto fd = perf_event_open(attr, 0, event);
  if (!fd.ok()) return fd.error();
  ::close(*fd);
  return Status::Ok();
}

double scaled_delta(const CounterReading& last, const CounterReading& cur) {
  uint64_t d_enabled = cur.time_enabled - last.time_enabled;
  uint64_t d_running = cur.time_running - last.time_running;
  uint64_t d_value = cur.value >= last.value ? cur.value - last.value : last.value + cur.value;
  if (cur.time_running > last.time_running) {
    return std::round(static_cast<double>(d_enabled) / static_cast<double>(d_running) *
                      static_cast<double>(d_value));
  }
  return static_cast<double>(d_value);
}

}  // namespace ceems::perf
