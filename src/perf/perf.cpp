#include "perf/perf.h"

#include <utility>

#include "perf/perf_collector.h"
#include "perf/proc_text.h"

namespace ceems::perf {
namespace {

constexpr std::string_view kHardwareEvents = "collector.perf.hardware-events";
constexpr std::string_view kHardwareProfilers = "collector.perf.hardware-profilers";
constexpr std::string_view kSoftwareEvents = "collector.perf.software-events";
constexpr std::string_view kSoftwareProfilers = "collector.perf.software-profilers";
constexpr std::string_view kCacheEvents = "collector.perf.hardware-cache-events";
constexpr std::string_view kCacheProfilers = "collector.perf.cache-profilers";
constexpr std::string_view kEnvVar = "collector.perf.env-var";

struct ClassFlags {
  EventClass cls;
  std::string_view enable;
  std::string_view profilers;
};
constexpr ClassFlags kClassFlags[] = {
    {EventClass::kHardware, kHardwareEvents, kHardwareProfilers},
    {EventClass::kSoftware, kSoftwareEvents, kSoftwareProfilers},
    {EventClass::kCache, kCacheEvents, kCacheProfilers},
};

void add_list(FlagSet& flags, std::string_view name, std::string help) {
  flags.add({.name = std::string(name), .kind = FlagKind::kStringList, .help = std::move(help)});
}

}  // namespace

void register_perf_flags(FlagSet& flags) {
  flags.add_bool(std::string(kHardwareEvents),
                 "Enables collection of perf hardware events (default: disabled)");
  add_list(flags, kHardwareProfilers, "perf hardware profilers to collect");
  flags.add_bool(std::string(kSoftwareEvents),
                 "Enables collection of perf software events (default: disabled)");
  add_list(flags, kSoftwareProfilers, "perf software profilers to collect");
  // "harware" is the original's spelling.
  flags.add_bool(std::string(kCacheEvents),
                 "Enables collection of perf harware cache events (default: disabled)");
  add_list(flags, kCacheProfilers, "perf cache profilers to collect");
  add_list(
      flags, kEnvVar,
      "Enable profiling only on the processes having any of these environment variables set. If empty, all "
      "processes will be profiled.");
}

bool enabled(const FlagSet& flags) {
  return flags.get_bool(kHardwareEvents) || flags.get_bool(kSoftwareEvents) || flags.get_bool(kCacheEvents);
}

CollectorConfig config_from_flags(const FlagSet& flags, Options opts, const log::Logger& logger) {
  CollectorConfig config;
  config.opts = std::move(opts);
  for (const ClassFlags& cf : kClassFlags) {
    if (!flags.get_bool(cf.enable)) continue;
    std::vector<std::string> names = flags.get_list(cf.profilers);
    EventSelection sel = select_events(cf.cls, names);
    for (const std::string& unknown : sel.unknown) {
      logger.warn("unknown perf profiler ignored",
                  {{"flag", "--" + std::string(cf.profilers)}, {"name", unknown}});
    }
    config.events[static_cast<size_t>(cf.cls)] = std::move(sel.events);
  }
  config.env_vars = flags.get_list(kEnvVar);
  return config;
}

Status check_paranoid(const HostFs& host) {
  auto content = host.fs().read_file(host.proc("sys/kernel/perf_event_paranoid"));
  if (!content.ok()) return content.error().wrap("error opening /proc/sys/kernel/perf_event_paranoid file");
  return check_perf_event_paranoid(*content);
}

Result<std::unique_ptr<UnitSubCollector>> make_collector(const FlagSet& flags, const HostFs& host,
                                                         Privileges& privileges, Options opts,
                                                         log::Logger logger) {
  if (Status st = check_paranoid(host); !st.ok()) return st.error();
  CollectorConfig config = config_from_flags(flags, std::move(opts), logger);
  return std::unique_ptr<UnitSubCollector>(std::make_unique<PerfCollector>(
      std::move(config), host, privileges, std::make_unique<KernelEventOpener>(), std::move(logger)));
}

}  // namespace ceems::perf
