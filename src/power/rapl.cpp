#include "power/rapl.h"

#include <sys/stat.h>

#include <utility>

#include "core/go/filepath.h"
#include "core/go/strconv.h"
#include "core/strings.h"

namespace ceems {
namespace {

constexpr std::string_view kDacReadSearch = "cap_dac_read_search";
constexpr std::string_view kZoneLabelHelp = "Enables RAPL zone labels (default: disabled)";
constexpr std::string_view kCapabilityHint =
    "the exporter needs CAP_DAC_READ_SEARCH (or root) to read RAPL energy counters";

// Reads a file holding one unsigned decimal integer (surrounding whitespace allowed).
Result<uint64_t> read_u64(const Filesystem& fs, const std::string& path) {
  auto text = fs.read_file(path, 4096);
  if (!text) return text.error();
  auto v = parse_u64(*text);
  if (!v) return invalid("invalid value " + quote_for_error(trim(*text)) + " in " + path);
  return *v;
}

std::string constraint_file(const RaplZone& zone, int constraint, std::string_view suffix) {
  return zone.path + "/constraint_" + std::to_string(constraint) + "_" + std::string(suffix);
}

}  // namespace

RaplZoneName parse_rapl_zone_name(std::string_view name_file) {
  std::string_view name = trim(name_file);
  size_t dash = name.find('-');
  if (dash != std::string_view::npos && name.find('-', dash + 1) == std::string_view::npos) {
    if (auto index = go::parse_int(name.substr(dash + 1), 32)) {
      return {std::string(name.substr(0, dash)), *index};
    }
  }
  return {std::string(name), std::nullopt};
}

int64_t RaplZoneIndexer::assign(const RaplZoneName& name) {
  int64_t index = 0;
  if (name.index) {
    index = *name.index;
  } else if (auto it = next_.find(name.base); it != next_.end()) {
    index = it->second;
  }
  next_[name.base] = index + 1;
  return index;
}

Result<std::vector<RaplZone>> discover_rapl_zones(const HostFs& host) {
  const std::string dir = host.sys("class/powercap");
  auto entries = host.fs().list_dir(dir);
  if (!entries) return entries.error().wrap("unable to read class/powercap");
  std::vector<RaplZone> zones;
  RaplZoneIndexer indexer;
  for (const DirEntry& entry : *entries) {
    const std::string zone_dir = HostFs::join(dir, entry.name);
    // Only directories with a `name` file are zones (the `intel-rapl` control type has none).
    auto name_file = host.fs().read_file(zone_dir + "/name", 4096);
    if (!name_file) continue;
    RaplZoneName name = parse_rapl_zone_name(*name_file);
    RaplZone zone;
    zone.index = indexer.assign(name);
    zone.name = std::move(name.base);
    zone.path = go::clean_path(zone_dir);
    auto max = read_u64(host.fs(), zone.path + "/max_energy_range_uj");
    if (!max) return max.error();
    zone.max_microjoules = *max;
    zones.push_back(std::move(zone));
  }
  return zones;
}

Result<uint64_t> read_rapl_power_limit(const Filesystem& fs, const RaplZone& zone) {
  int chosen = 0;
  uint64_t longest = 0;
  for (int c : {0, 1}) {
    auto window = read_u64(fs, constraint_file(zone, c, "time_window_us"));
    if (window && *window > longest) {
      longest = *window;
      chosen = c;
    }
  }
  return read_u64(fs, constraint_file(zone, chosen, "power_limit_uw"));
}

Result<std::unique_ptr<RaplCollector>> RaplCollector::create(const HostFs& host, Privileges& privileges,
                                                             std::string hostname, bool zone_label,
                                                             log::Logger logger) {
  if (Status root = host.check_sysfs_root(); !root) return root.error();
  // Since Linux 5.10 energy_uj is readable by root only (a side channel otherwise).
  // Probing the files instead of comparing kernel versions also covers backports.
  bool needs_cap = false;
  if (auto zones = discover_rapl_zones(host)) {
    for (const RaplZone& zone : *zones) {
      const std::string path = zone.path + "/energy_uj";
      auto st = host.fs().stat(path);
      if (!st) continue;
      // Not world-readable: fine for root now, unreadable once privileges are dropped.
      needs_cap = (st->mode & S_IROTH) == 0;
      if (!needs_cap) {
        auto probe = host.fs().read_file(path, 64);
        needs_cap = !probe && probe.error().kind() == ErrorKind::kPermissionDenied;
      }
      if (needs_cap) {
        logger.debug("RAPL energy counters are not world-readable",
                     {{"file", path}, {"capability", kDacReadSearch}});
        break;
      }
    }
  }
  return std::make_unique<RaplCollector>(host, privileges, std::move(hostname), zone_label, needs_cap,
                                         std::move(logger));
}

RaplCollector::RaplCollector(const HostFs& host, Privileges& privileges, std::string hostname,
                             bool zone_label, bool needs_dac_read_search, log::Logger logger)
    : host_(host),
      privileges_(&privileges),
      hostname_(std::move(hostname)),
      zone_label_(zone_label),
      needs_dac_read_search_(needs_dac_read_search),
      logger_(std::move(logger)) {}

std::vector<std::string> RaplCollector::capabilities() const {
  if (!needs_dac_read_search_) return {};
  return {std::string(kDacReadSearch)};
}

std::vector<RaplCollector::Reading> RaplCollector::read_energy(const std::vector<RaplZone>& zones) {
  std::vector<Reading> readings;
  std::optional<Error> first_failure;
  auto read_all = [&]() -> Status {
    for (const RaplZone& zone : zones) {
      auto uj = read_u64(host_.fs(), zone.path + "/energy_uj");
      if (uj) {
        readings.push_back({&zone, static_cast<double>(*uj) / 1e6});
      } else if (!first_failure) {
        first_failure = uj.error();
      }
    }
    return Status::Ok();
  };
  Status st = needs_dac_read_search_
                  ? privileges_->run_with(kRaplPrivilegedContext, {std::string(kDacReadSearch)}, read_all)
                  : read_all();
  if (!st && !first_failure) first_failure = st.error();

  if (readings.empty() && !zones.empty()) {
    const Error cause = first_failure.value_or(invalid("no RAPL energy counters found"));
    const bool denied = cause.kind() == ErrorKind::kPermissionDenied;
    if (!energy_failure_logged_) {
      energy_failure_logged_ = true;
      if (denied) {
        logger_.error("Failed to update RAPL energy counters", {{"err", cause}, {"hint", kCapabilityHint}});
      } else {
        logger_.error("Failed to update RAPL energy counters", {{"err", cause}});
      }
    } else {
      logger_.debug("Failed to update RAPL energy counters", {{"err", cause}});
    }
  }
  return readings;
}

std::vector<RaplCollector::Reading> RaplCollector::read_power_limits(const std::vector<RaplZone>& zones) {
  std::vector<Reading> readings;
  std::optional<Error> failure;  // the first failure other than an absent file
  for (const RaplZone& zone : zones) {
    auto uw = read_rapl_power_limit(host_.fs(), zone);
    if (uw) {
      readings.push_back({&zone, static_cast<double>(*uw) / 1e6});
    } else if (uw.error().kind() != ErrorKind::kNotFound && !failure) {
      failure = uw.error();
    }
  }
  if (readings.empty() && !zones.empty()) {
    // Zones without constraint_* files are normal (AMD processors expose no power
    // limits through powercap): nothing an operator must act on.
    if (!failure) {
      logger_.debug("No RAPL power limits: the zones have no constraint files");
    } else if (!limit_failure_logged_) {
      limit_failure_logged_ = true;
      logger_.error("Failed to update RAPL power limits", {{"err", *failure}});
    } else {
      logger_.debug("Failed to update RAPL power limits", {{"err", *failure}});
    }
  }
  return readings;
}

void RaplCollector::emit(MetricBatch& out, const std::vector<Reading>& energy,
                         const std::vector<Reading>& limits) const {
  if (zone_label_) {
    static const MetricDesc joules{"ceems_rapl_joules_total",
                                   "Current RAPL value in joules",
                                   MetricType::kCounter,
                                   {"hostname", "index", "path", "rapl_zone"}};
    static const MetricDesc watts{"ceems_rapl_power_limit_watts_total",
                                  "Current RAPL power Limit value in watts",
                                  MetricType::kCounter,
                                  {"hostname", "index", "path", "rapl_zone"}};
    for (const Reading& r : energy) {
      out.add(joules, {hostname_, std::to_string(r.zone->index), r.zone->path, r.zone->name}, r.value);
    }
    for (const Reading& r : limits) {
      out.add(watts, {hostname_, std::to_string(r.zone->index), r.zone->path, r.zone->name}, r.value);
    }
    return;
  }
  // One family per zone name; the name itself is sanitised, the help text is not.
  for (const Reading& r : energy) {
    MetricDesc desc{"ceems_rapl_" + sanitize_metric_name(r.zone->name) + "_joules_total",
                    "Current RAPL " + r.zone->name + " value in joules",
                    MetricType::kCounter,
                    {"hostname", "index", "path"}};
    out.add(desc, {hostname_, std::to_string(r.zone->index), r.zone->path}, r.value);
  }
  for (const Reading& r : limits) {
    MetricDesc desc{"ceems_rapl_" + sanitize_metric_name(r.zone->name) + "_power_limit_watts_total",
                    "Current RAPL " + r.zone->name + " power limit in watts",
                    MetricType::kCounter,
                    {"hostname", "index", "path"}};
    out.add(desc, {hostname_, std::to_string(r.zone->index), r.zone->path}, r.value);
  }
}

Status RaplCollector::update(MetricBatch& out) {
  auto zones = discover_rapl_zones(host_);
  if (!zones) {
    switch (zones.error().kind()) {
      case ErrorKind::kNotFound:
        logger_.debug("Platform doesn't have powercap files present", {{"err", zones.error()}});
        return no_data("no powercap files: " + zones.error().message());
      case ErrorKind::kPermissionDenied:
        logger_.debug("Can't access powercap files", {{"err", zones.error()}});
        return no_data("powercap files not accessible: " + zones.error().message());
      default:
        return zones.error().wrap("failed to fetch rapl stats");
    }
  }
  const auto energy = read_energy(*zones);
  const auto limits = read_power_limits(*zones);
  emit(out, energy, limits);
  return Status::Ok();
}

void register_rapl_flags(FlagSet& flags) {
  flags.add_bool(std::string(kRaplZoneLabelFlag), std::string(kZoneLabelHelp), false);
}

Result<std::unique_ptr<Collector>> make_rapl_collector(const CollectorContext& ctx) {
  auto c = RaplCollector::create(ctx.host, ctx.privileges, ctx.hostname,
                                 ctx.flags.get_bool(kRaplZoneLabelFlag), ctx.logger);
  if (!c) return c.error();
  return std::unique_ptr<Collector>(std::move(*c));
}

}  // namespace ceems
