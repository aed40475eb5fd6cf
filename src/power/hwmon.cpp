#include "power/hwmon.h"

#include <sys/stat.h>

#include <array>
#include <optional>
#include <utility>

#include "core/strings.h"

namespace ceems {
namespace {

constexpr std::string_view kDacReadSearch = "cap_dac_read_search";
constexpr size_t kMaxValueBytes = 128;

MetricDesc gauge(const char* name, const char* help) {
  // The label order of the original's later releases.
  return {name, help, MetricType::kGauge, {"hostname", "sensor", "chip", "chip_name"}};
}

const MetricDesc& desc_for(HwmonReading reading) {
  // Indexed by HwmonReading; help texts as in the original's later releases.
  static const std::array<MetricDesc, kHwmonReadingCount> descs = {
      gauge("ceems_hwmon_power_current_watts", "Current Power consumption in watts"),
      gauge("ceems_hwmon_power_min_watts", "Minimum Power consumption in watts"),
      gauge("ceems_hwmon_power_max_watts", "Maximum Power consumption in watts"),
      gauge("ceems_hwmon_power_avg_watts", "Average Power consumption in watts"),
      gauge("ceems_hwmon_power_cap_watts", "Power cap in watts"),
      gauge("ceems_hwmon_energy_current_joules", "Current Energy consumption in joules"),
  };
  return descs[static_cast<size_t>(reading)];
}

// Whether a process without root could read every sensor: a file that is not
// world-readable (energy counters of several drivers are root-only, a side channel
// otherwise) needs cap_dac_read_search once privileges are dropped.
bool sensors_need_dac_read_search(const Filesystem& fs, const std::vector<HwmonChip>& chips) {
  for (const HwmonChip& chip : chips) {
    for (const HwmonSensor& sensor : chip.sensors) {
      auto st = fs.stat(sensor.file);
      if (st && (st->mode & S_IROTH) == 0) return true;
    }
  }
  return false;
}

}  // namespace

std::unique_ptr<HwmonCollector> HwmonCollector::create(const HostFs& host, Privileges& privileges,
                                                       std::string hostname, log::Logger logger) {
  std::vector<HwmonChip> chips;
  if (auto found = discover_hwmon_chips(host)) chips = std::move(*found);
  const bool needs_cap = sensors_need_dac_read_search(host.fs(), chips);
  return std::make_unique<HwmonCollector>(host, privileges, std::move(hostname), std::move(chips), needs_cap,
                                          std::move(logger));
}

HwmonCollector::HwmonCollector(const HostFs& host, Privileges& privileges, std::string hostname,
                               std::vector<HwmonChip> chips, bool needs_dac_read_search, log::Logger logger)
    : host_(host),
      privileges_(&privileges),
      hostname_(std::move(hostname)),
      chips_(std::move(chips)),
      needs_dac_read_search_(needs_dac_read_search),
      logger_(std::move(logger)) {
  if (chips_.empty()) {
    logger_.warn("No hwmon chip with power or energy sensors found; looking again at every scrape",
                 {{"path", host_.sys("class/hwmon")}});
  } else {
    size_t sensors = 0;
    for (const HwmonChip& chip : chips_) sensors += chip.sensors.size();
    logger_.debug("hwmon power and energy sensors found",
                  {{"chips", std::to_string(chips_.size())}, {"sensors", std::to_string(sensors)}});
  }
}

std::vector<std::string> HwmonCollector::capabilities() const {
  if (!needs_dac_read_search_) return {};
  return {std::string(kDacReadSearch)};
}

Status HwmonCollector::discover() {
  auto found = discover_hwmon_chips(host_);
  if (!found) {
    if (found.error().kind() == ErrorKind::kNotFound)
      return no_data("no hwmon chips: " + found.error().message());
    return found.error().wrap("failed to discover hwmon chips");
  }
  chips_ = std::move(*found);
  if (chips_.empty()) return no_data("no hwmon chip with power or energy sensors");
  logger_.info("hwmon power or energy sensors appeared", {{"chips", std::to_string(chips_.size())}});
  return Status::Ok();
}

void HwmonCollector::report_unreadable(const std::string& file, const Error& err) {
  const bool denied = err.kind() == ErrorKind::kPermissionDenied;
  if (!reported_files_.insert(file).second) {
    logger_.debug("Failed to read hwmon sensor", {{"file", file}, {"err", err}});
    return;
  }
  if (denied) {
    logger_.warn("Failed to read hwmon sensor; it is left out until readable",
                 {{"file", file}, {"err", err}, {"capability", kDacReadSearch}});
  } else {
    logger_.warn("Failed to read hwmon sensor; it is left out until readable",
                 {{"file", file}, {"err", err}});
  }
}

std::vector<HwmonCollector::Reading> HwmonCollector::read_sensors(std::optional<Error>& first_failure) {
  std::vector<Reading> readings;
  std::vector<std::pair<std::string, Error>> failures;
  auto read_all = [&]() -> Status {
    std::string buf;
    for (const HwmonChip& chip : chips_) {
      for (const HwmonSensor& sensor : chip.sensors) {
        // One read of a small buffer: some drivers answer EAGAIN or ENODATA for a
        // sensor without a fresh value, which must skip it, not retry it.
        Status st = host_.fs().read_into(sensor.file, buf, kMaxValueBytes);
        if (!st) {
          failures.emplace_back(sensor.file, st.error());
          continue;
        }
        auto value = parse_hwmon_value(buf);
        if (!value) {
          failures.emplace_back(sensor.file, value.error().wrap(sensor.file));
          continue;
        }
        readings.push_back({&chip, &sensor, *value});
      }
    }
    return Status::Ok();
  };
  Status st = needs_dac_read_search_
                  ? privileges_->run_with(kHwmonPrivilegedContext, {std::string(kDacReadSearch)}, read_all)
                  : read_all();
  if (!st) failures.emplace_back(host_.sys("class/hwmon"), st.error());
  for (const auto& [file, err] : failures) {
    if (!first_failure) first_failure = err;
    report_unreadable(file, err);
  }
  return readings;
}

Status HwmonCollector::update(MetricBatch& out) {
  if (chips_.empty()) {
    Status found = discover();
    if (!found) return found;
  }
  std::optional<Error> first_failure;
  const std::vector<Reading> readings = read_sensors(first_failure);
  if (readings.empty() && first_failure) return first_failure->wrap("no hwmon sensor could be read");
  for (const Reading& r : readings) {
    // 0 means "no reading" for these sensors (and the original leaves it out).
    if (!(r.value > 0)) continue;
    out.add(desc_for(r.sensor->reading), {hostname_, r.sensor->sensor, r.chip->chip, r.chip->chip_name},
            r.value / 1e6);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Collector>> make_hwmon_collector(const CollectorContext& ctx) {
  if (Status root = ctx.host.check_sysfs_root(); !root) return root.error();
  return std::unique_ptr<Collector>(
      HwmonCollector::create(ctx.host, ctx.privileges, ctx.hostname, ctx.logger));
}

}  // namespace ceems
