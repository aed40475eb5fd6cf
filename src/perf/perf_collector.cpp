#include "perf/perf_collector.h"

#include <algorithm>
#include <string_view>

#include "core/process_env.h"
#include "core/strings.h"
#include "perf/proc_text.h"

namespace ceems::perf {
namespace {

const std::vector<std::string> kOpenCaps = {"cap_perfmon"};
const std::vector<std::string> kFilterCaps = {"cap_sys_ptrace", "cap_dac_read_search"};

size_t slot(EventClass cls) { return static_cast<size_t>(cls); }

bool accumulates(EventClass cls) { return cls != EventClass::kSoftware; }

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out.append(sep);
    out.append(p);
  }
  return out;
}

}  // namespace

PerfCollector::PerfCollector(CollectorConfig config, const HostFs& host, Privileges& privileges,
                             std::unique_ptr<EventOpener> opener, log::Logger logger)
    : opts_(std::move(config.opts)),
      events_(std::move(config.events)),
      env_vars_(std::move(config.env_vars)),
      host_(host),
      privileges_(&privileges),
      opener_(std::move(opener)),
      logger_(std::move(logger)) {
  for (const EventDef& e : all_events()) {
    descs_.push_back(
        {std::string(e.metric), std::string(e.help), MetricType::kCounter, {"manager", "hostname", "uuid"}});
  }

  // One probe for both PMU-backed classes: cache events are counted by the same PMU,
  // and probing a single cache event could fail only because this CPU lacks it.
  bool wants_pmu = class_active(EventClass::kHardware) || class_active(EventClass::kCache);
  if (!wants_pmu) return;
  Status probe = opener_->probe(all_events()[0]);
  if (probe.ok() || probe.error().kind() != ErrorKind::kNotFound) {
    if (!probe.ok()) logger_.debug("perf hardware event probe inconclusive", {{"err", probe.error()}});
    return;
  }
  std::vector<std::string> dropped;
  for (EventClass cls : {EventClass::kHardware, EventClass::kCache}) {
    if (!class_active(cls)) continue;
    dropped.emplace_back(class_name(cls));
    events_[slot(cls)].clear();
  }
  logger_.warn(
      "perf events unavailable on this host (no hardware PMU, e.g. a virtual machine); continuing without "
      "them",
      {{"classes", join(dropped, ",")}, {"err", probe.error()}});
}

PerfCollector::~PerfCollector() { stop(); }

std::vector<std::string> PerfCollector::capabilities() const {
  std::vector<std::string> caps = kOpenCaps;
  if (!env_vars_.empty()) caps.insert(caps.end(), kFilterCaps.begin(), kFilterCaps.end());
  return caps;
}

std::string PerfCollector::cmdline_of(pid_t pid) const {
  auto raw = host_.fs().read_file(host_.proc(std::to_string(pid) + "/cmdline"));
  return raw.ok() ? join_cmdline(*raw) : std::string();
}

bool PerfCollector::keep_process(pid_t pid) const {
  std::string dir = std::to_string(pid);
  auto raw_cmdline = host_.fs().read_file(host_.proc(dir + "/cmdline"));
  if (!raw_cmdline.ok()) return false;
  std::string cmdline = join_cmdline(*raw_cmdline);
  if (cmdline.empty()) return false;
  if (opts_.manager == "slurm" && is_slurm_helper(cmdline)) return false;
  auto environ = host_.fs().read_file(host_.proc(dir + "/environ"));
  return environ.ok() && has_env_prefix(*environ, env_vars_);
}

Result<std::vector<PerfCollector::ActiveUnit>> PerfCollector::filter_units(
    std::span<const ComputeUnit> units) {
  std::vector<ActiveUnit> out;
  out.reserve(units.size());
  if (env_vars_.empty()) {
    for (const auto& u : units) out.push_back({&u, u.procs});
    return out;
  }
  // Other users' environments need ptrace/read-search rights.
  Status st = privileges_->run_with(kFilterContext, kFilterCaps, [&]() -> Status {
    for (const auto& u : units) {
      ActiveUnit a{&u, {}};
      for (pid_t pid : u.procs) {
        if (keep_process(pid)) a.pids.push_back(pid);
      }
      if (!a.pids.empty()) out.push_back(std::move(a));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st.error().wrap("failed to filter processes by environment variables");
  return out;
}

Status PerfCollector::open_profiler(pid_t pid, EventClass cls, std::vector<std::string>& failures) {
  Profiler profiler;
  for (const EventDef* e : events_[slot(cls)]) {
    auto fd = opener_->open(pid, *e);
    if (fd.ok()) {
      profiler.fds.emplace_back(e, *fd);
    } else {
      failures.push_back(fd.error().message());
    }
  }
  for (const auto& [event, fd] : profiler.fds) {
    Status st = opener_->enable(fd);
    if (st.ok()) continue;
    // The original drops the profiler here but leaves its fds open (a leak that grows
    // every scrape, since the PID is retried); close them all.
    for (const auto& entry : profiler.fds) opener_->close(entry.second);
    return st.error().wrap(std::string(event->profiler));
  }
  // Kept even with no fd at all (like the original) so that a PID whose events cannot
  // be opened is not retried every scrape.
  profilers_[slot(cls)].emplace(pid, std::move(profiler));
  return Status::Ok();
}

std::unordered_set<pid_t> PerfCollector::open_profilers(const std::vector<ActiveUnit>& units) {
  std::unordered_set<pid_t> active;
  std::vector<std::pair<pid_t, EventClass>> missing;
  for (const ActiveUnit& u : units) {
    for (pid_t pid : u.pids) {
      if (!active.insert(pid).second) continue;
      for (size_t c = 0; c < kEventClassCount; ++c) {
        auto cls = static_cast<EventClass>(c);
        if (class_active(cls) && profilers_[c].count(pid) == 0) missing.emplace_back(pid, cls);
      }
    }
  }
  // Raising capabilities costs a thread; steady-state scrapes have nothing to open.
  if (missing.empty()) return active;
  Status st = privileges_->run_with(kOpenContext, kOpenCaps, [&]() -> Status {
    for (const auto& [pid, cls] : missing) {
      std::vector<std::string> failures;
      Status opened = open_profiler(pid, cls, failures);
      if (!opened.ok()) failures.push_back(opened.error().message());
      if (failures.empty()) continue;
      logger_.error("failed to start perf profiler", {{"class", class_name(cls)},
                                                      {"pid", pid},
                                                      {"cmdline", cmdline_of(pid)},
                                                      {"err", join(failures, "; ")}});
    }
    return Status::Ok();
  });
  if (!st.ok()) {
    // As in the original, a failed privileged action leaves no PID active, so the
    // close step below releases every profiler.
    logger_.error("failed to open perf profilers", {{"err", st.error()}});
    active.clear();
  }
  return active;
}

void PerfCollector::close_profiler(Profiler& profiler) {
  for (const auto& [event, fd] : profiler.fds) {
    Status st = opener_->disable(fd);
    if (!st.ok())
      logger_.debug("failed to disable perf event", {{"event", event->profiler}, {"err", st.error()}});
    opener_->close(fd);
  }
  profiler.fds.clear();
}

// Closing an fd needs no capability, so unlike opening this runs unprivileged.
void PerfCollector::close_inactive(const std::unordered_set<pid_t>& active) {
  for (auto& profilers : profilers_) {
    for (auto it = profilers.begin(); it != profilers.end();) {
      if (active.count(it->first) != 0) {
        ++it;
        continue;
      }
      close_profiler(it->second);
      it = profilers.erase(it);
    }
  }
}

void PerfCollector::evict_state(const std::unordered_set<pid_t>& active,
                                const std::vector<ActiveUnit>& units) {
  if (!class_active(EventClass::kHardware) && !class_active(EventClass::kCache)) return;
  std::erase_if(last_, [&](const auto& entry) { return active.count(entry.first) == 0; });
  std::unordered_set<std::string_view> present;
  for (const ActiveUnit& u : units) present.insert(u.unit->uuid);
  std::erase_if(totals_, [&](const auto& entry) { return present.count(entry.first) == 0; });
}

Result<PerfCollector::Profile> PerfCollector::read_profile(pid_t pid, const Profiler& profiler) {
  Profile profile;
  profile.reserve(profiler.fds.size());
  for (const auto& [event, fd] : profiler.fds) {
    auto reading = opener_->read(fd);
    if (!reading.ok()) {
      return reading.error().wrap("pid " + std::to_string(pid) + " event " + std::string(event->profiler));
    }
    profile.emplace_back(event, *reading);
  }
  return profile;
}

void PerfCollector::emit_unit(const ActiveUnit& unit, MetricBatch& out,
                              std::vector<std::string>& read_errors) {
  const std::string& uuid = unit.unit->uuid;
  for (size_t c = 0; c < kEventClassCount; ++c) {
    auto cls = static_cast<EventClass>(c);
    if (!class_active(cls)) continue;
    std::vector<double> software(all_events().size(), 0.0);
    std::vector<double>* totals = nullptr;
    if (accumulates(cls)) {
      totals = &totals_[uuid];
      totals->resize(all_events().size(), 0.0);
    }
    for (pid_t pid : unit.pids) {
      auto it = profilers_[c].find(pid);
      if (it == profilers_[c].end()) continue;
      auto profile = read_profile(pid, it->second);
      if (!profile.ok()) {
        read_errors.push_back(profile.error().message());
        continue;
      }
      if (totals == nullptr) {
        for (const auto& [event, reading] : *profile)
          software[event->index] += static_cast<double>(reading.value);
        continue;
      }
      std::vector<CounterReading>& last = last_[pid];
      last.resize(all_events().size());
      for (const auto& [event, reading] : *profile) {
        (*totals)[event->index] += scaled_delta(last[event->index], reading);
        last[event->index] = reading;
      }
    }
    const std::vector<double>& values = totals != nullptr ? *totals : software;
    for (const EventDef* e : events_[c]) {
      double v = values[e->index];
      if (v > 0) out.family(descs_[e->index]).add({opts_.manager, opts_.hostname, uuid}, v);
    }
  }
}

Status PerfCollector::update(std::span<const ComputeUnit> units, MetricBatch& out) {
  if (!class_active(EventClass::kHardware) && !class_active(EventClass::kSoftware) &&
      !class_active(EventClass::kCache)) {
    return Status::Ok();
  }
  auto filtered = filter_units(units);
  if (!filtered.ok()) return filtered.error();

  // With no unit left the original returns before closing anything, keeping fds of
  // exited processes (and stale profilers on recycled PIDs) until some unit shows up;
  // closing them now changes no output.
  std::unordered_set<pid_t> active;
  if (!filtered->empty()) active = open_profilers(*filtered);
  close_inactive(active);
  evict_state(active, *filtered);

  std::vector<std::string> read_errors;
  for (const ActiveUnit& u : *filtered) emit_unit(u, out, read_errors);
  if (!read_errors.empty()) {
    logger_.error("failed to read perf counters", {{"err", join(read_errors, "; ")}});
  }
  return Status::Ok();
}

void PerfCollector::stop() {
  for (auto& profilers : profilers_) {
    for (auto& entry : profilers) close_profiler(entry.second);
    profilers.clear();
  }
  last_.clear();
  totals_.clear();
}

}  // namespace ceems::perf
