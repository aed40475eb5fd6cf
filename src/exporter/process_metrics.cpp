#include "exporter/process_metrics.h"

#include <unistd.h>

#include "core/filesystem.h"
#include "core/strings.h"

namespace ceems {
namespace {

const MetricDesc kCpu{"process_cpu_seconds_total",
                      "Total user and system CPU time spent in seconds.",
                      MetricType::kCounter,
                      {}};
const MetricDesc kOpenFds{"process_open_fds", "Number of open file descriptors.", MetricType::kGauge, {}};
const MetricDesc kMaxFds{
    "process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge, {}};
const MetricDesc kVirt{
    "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge, {}};
const MetricDesc kVirtMax{"process_virtual_memory_max_bytes",
                          "Maximum amount of virtual memory available in bytes.",
                          MetricType::kGauge,
                          {}};
const MetricDesc kRss{
    "process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge, {}};
const MetricDesc kStart{"process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.",
                        MetricType::kGauge,
                        {}};
const MetricDesc kRx{"process_network_receive_bytes_total",
                     "Number of bytes received by the process over the network.",
                     MetricType::kCounter,
                     {}};
const MetricDesc kTx{"process_network_transmit_bytes_total",
                     "Number of bytes sent by the process over the network.",
                     MetricType::kCounter,
                     {}};
const MetricDesc kRequests{"promhttp_metric_handler_requests_total",
                           "Total number of scrapes by HTTP status code.",
                           MetricType::kCounter,
                           {"code"}};
const MetricDesc kInFlight{"promhttp_metric_handler_requests_in_flight",
                           "Current number of scrapes being served.",
                           MetricType::kGauge,
                           {}};
const MetricDesc kErrors{"promhttp_metric_handler_errors_total",
                         "Total number of internal errors encountered by the promhttp metric handler.",
                         MetricType::kCounter,
                         {"cause"}};

// Go reports an unlimited rlimit as the maximum uint64.
constexpr double kUnlimited = 18446744073709551615.0;

}  // namespace

Result<SelfStat> parse_self_stat(std::string_view content, long ticks_per_second, long page_size) {
  // The command name may contain spaces and parentheses; fields start after the last ')'.
  auto close = content.rfind(')');
  if (close == std::string_view::npos) return invalid("stat: no command name in " + quote_for_error(content));
  auto f = fields(content.substr(close + 1));
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
  if (f.size() < 22) return invalid("stat: too few fields in " + quote_for_error(content));
  auto utime = parse_u64(f[11]);
  auto stime = parse_u64(f[12]);
  auto start = parse_u64(f[19]);
  auto vsize = parse_u64(f[20]);
  auto rss = parse_i64(f[21]);
  if (!utime || !stime || !start || !vsize || !rss)
    return invalid("stat: non-numeric field in " + quote_for_error(content));
  SelfStat s;
  s.cpu_seconds = static_cast<double>(*utime + *stime) / static_cast<double>(ticks_per_second);
  s.virtual_bytes = static_cast<double>(*vsize);
  s.resident_bytes = static_cast<double>(*rss) * static_cast<double>(page_size);
  s.start_ticks = static_cast<double>(*start);
  return s;
}

Result<double> parse_limit(std::string_view content, std::string_view row) {
  for (auto line : split(content, '\n')) {
    if (!starts_with(line, row)) continue;
    auto f = fields(line.substr(row.size()));
    if (f.empty()) break;
    if (f[0] == "unlimited") return kUnlimited;
    auto v = parse_u64(f[0]);
    if (!v) return invalid("limits: bad value " + quote_for_error(f[0]) + " for " + std::string(row));
    return static_cast<double>(*v);
  }
  return invalid("limits: no row " + quote_for_error(row));
}

Result<std::pair<double, double>> parse_net_dev_totals(std::string_view content) {
  double rx = 0;
  double tx = 0;
  for (auto line : split(content, '\n')) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos || line.find('|') != std::string_view::npos) continue;
    auto f = fields(line.substr(colon + 1));
    if (f.size() < 16) return invalid("net/dev: short line " + quote_for_error(line));
    auto r = parse_u64(f[0]);
    auto t = parse_u64(f[8]);
    if (!r || !t) return invalid("net/dev: non-numeric counter in " + quote_for_error(line));
    rx += static_cast<double>(*r);
    tx += static_cast<double>(*t);
  }
  return std::make_pair(rx, tx);
}

Result<double> parse_boot_time(std::string_view proc_stat) {
  for (auto line : split(proc_stat, '\n')) {
    if (!starts_with(line, "btime ")) continue;
    auto v = parse_u64(line.substr(6));
    if (!v) return invalid("stat: bad btime line " + quote_for_error(line));
    return static_cast<double>(*v);
  }
  return invalid("stat: no btime line");
}

void collect_process_metrics(MetricBatch& out, const HandlerMetrics& h) {
  const Filesystem& fs = real_filesystem();
  long ticks = ::sysconf(_SC_CLK_TCK);
  long page = ::sysconf(_SC_PAGESIZE);
  if (auto stat = fs.read_file("/proc/self/stat"); stat) {
    if (auto s = parse_self_stat(*stat, ticks, page); s) {
      out.add(kCpu, {}, s->cpu_seconds);
      out.add(kVirt, {}, s->virtual_bytes);
      out.add(kRss, {}, s->resident_bytes);
      // Boot time and our start time never change: /proc/stat is read once per process.
      static const double start_seconds = [&] {
        auto proc_stat = fs.read_file("/proc/stat");
        if (!proc_stat) return -1.0;
        auto btime = parse_boot_time(*proc_stat);
        return btime ? *btime + s->start_ticks / static_cast<double>(ticks) : -1.0;
      }();
      if (start_seconds >= 0) out.add(kStart, {}, start_seconds);
    }
  }
  if (auto fds = fs.list_dir("/proc/self/fd"); fds) out.add(kOpenFds, {}, static_cast<double>(fds->size()));
  if (auto limits = fs.read_file("/proc/self/limits"); limits) {
    if (auto v = parse_limit(*limits, "Max open files"); v) out.add(kMaxFds, {}, *v);
    if (auto v = parse_limit(*limits, "Max address space"); v) out.add(kVirtMax, {}, *v);
  }
  if (auto dev = fs.read_file("/proc/self/net/dev"); dev) {
    if (auto t = parse_net_dev_totals(*dev); t) {
      out.add(kRx, {}, t->first);
      out.add(kTx, {}, t->second);
    }
  }
  auto& req = out.family(kRequests);
  req.add({"200"}, static_cast<double>(h.code_200.load()));
  req.add({"500"}, static_cast<double>(h.code_500.load()));
  req.add({"503"}, static_cast<double>(h.code_503.load()));
  out.add(kInFlight, {}, static_cast<double>(h.in_flight.load()));
  auto& err = out.family(kErrors);
  err.add({"encoding"}, static_cast<double>(h.errors_encoding.load()));
  err.add({"gathering"}, static_cast<double>(h.errors_gathering.load()));
}

}  // namespace ceems
