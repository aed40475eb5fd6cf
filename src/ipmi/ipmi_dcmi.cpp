#include "ipmi/ipmi_dcmi.h"

#include <sys/stat.h>

#include <array>
#include <utility>

#include "core/exposition.h"
#include "core/strings.h"

namespace ceems {
namespace {

constexpr std::string_view kCmdHelp =
    "IPMI DCMI command to get system power statistics. Use full path to executables.";
constexpr std::string_view kDevNumHelp =
    "Device number used by OpenIPMI driver. For e.g. if device is found at /dev/ipmi0, device number is 0";
constexpr std::string_view kForceNativeHelp = "Force native mode using OpenIPMI driver.";
constexpr std::string_view kTestModeHelp =
    "Enables IPMI DCMI collector in test mode. Only used in unit and e2e tests.";

const std::vector<std::string> kCapModeCaps = {"cap_setuid", "cap_setgid"};
const std::vector<std::string> kNativeModeCaps = {"cap_dac_override"};

struct ToolCandidate {
  const char* program;
  std::vector<std::string> args;
};

// The reference's detection order; the first tool found wins.
const ToolCandidate kCandidates[] = {
    {"ipmi-dcmi", {"--get-system-power-statistics"}},
    {"ipmitool", {"dcmi", "power", "reading"}},
    {"ipmiutil", {"dcmi", "power"}},
    {"capmc", {"get_system_power", "-w", "600"}},
};

MetricDesc gauge(const char* name, const char* help) {
  return {name, help, MetricType::kGauge, {"hostname"}};
}

const MetricDesc& current_desc() {
  static const MetricDesc d = gauge("ceems_ipmi_dcmi_current_watts", "Current Power consumption in watts");
  return d;
}
const MetricDesc& min_desc() {
  static const MetricDesc d = gauge("ceems_ipmi_dcmi_min_watts", "Minimum Power consumption in watts");
  return d;
}
const MetricDesc& max_desc() {
  static const MetricDesc d = gauge("ceems_ipmi_dcmi_max_watts", "Maximum Power consumption in watts");
  return d;
}
const MetricDesc& avg_desc() {
  static const MetricDesc d = gauge("ceems_ipmi_dcmi_avg_watts", "Average Power consumption in watts");
  return d;
}

// A reading that says what the node draws: a current value above 0 W or, from a tool
// that prints no current value, any value above 0.
bool is_good_reading(const ipmi::PowerReadings& r) {
  if (r.current) return *r.current > 0;
  return (r.min && *r.min > 0) || (r.max && *r.max > 0) || (r.avg && *r.avg > 0);
}

std::string describe(const ipmi::PowerReadings& r) {
  std::string out;
  auto add = [&](const char* key, const std::optional<double>& v) {
    if (!v) return;
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    out += format_value(*v);
  };
  add("current", r.current);
  add("min", r.min);
  add("max", r.max);
  add("avg", r.avg);
  return out;
}

std::vector<std::string> detect_command(const IpmiDcmiHost& host) {
  for (const auto& c : kCandidates) {
    std::string path = host.find_tool(c.program);
    if (path.empty()) continue;
    std::vector<std::string> argv{std::move(path)};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    return argv;
  }
  return {};
}

// Steps 6-8 of the reference's selection, run while the exporter still has its
// start-up privileges. When every attempt fails, `why` holds each attempt's error.
IpmiExecMode probe_mode(const std::vector<std::string>& command, CommandRunner& runner,
                        const log::Logger& logger, std::string& why) {
  Command direct{command, kIpmiCommandTimeout};
  auto r = runner.run(direct);
  if (r) return IpmiExecMode::kCap;
  logger.debug("IPMI command failed when run directly", {{"err", r.error()}});
  why = "directly: " + r.error().message();

  if (command.front() != "sudo") {
    Command sudo{{"sudo"}, kIpmiSudoTimeout};
    sudo.argv.insert(sudo.argv.end(), command.begin(), command.end());
    r = runner.run(sudo);
    if (r) return IpmiExecMode::kSudo;
    logger.debug("IPMI command failed with sudo", {{"err", r.error()}});
    why += "; with sudo: " + r.error().message();
  }

  Command as_root{command, kIpmiCommandTimeout};
  as_root.uid = 0;
  as_root.gid = 0;
  r = runner.run(as_root);
  if (r) return IpmiExecMode::kCap;
  logger.debug("IPMI command failed as uid 0", {{"err", r.error()}});
  why += "; as uid 0: " + r.error().message();
  return IpmiExecMode::kNone;
}

bool takes_secret_value(std::string_view arg) {
  // ipmitool/ipmiutil -P <password>, -k/-y <key>; FreeIPMI -p/--password, -k/--k-g.
  // ipmitool's -p is the port: redacting it too costs nothing.
  static constexpr std::string_view kFlags[] = {"-P", "-p", "-k", "-y", "--password", "--k-g"};
  for (auto f : kFlags) {
    if (arg == f) return true;
  }
  return false;
}

}  // namespace

std::string_view ipmi_exec_mode_name(IpmiExecMode mode) {
  switch (mode) {
    case IpmiExecMode::kCap:
      return "cap";
    case IpmiExecMode::kSudo:
      return "sudo";
    case IpmiExecMode::kNative:
      return "native";
    case IpmiExecMode::kTest:
      return "test";
    case IpmiExecMode::kNone:
      break;
  }
  return "";
}

std::vector<std::string> split_ipmi_command(std::string_view command) {
  std::vector<std::string> argv;
  for (std::string_view part : split(command, ' ')) argv.emplace_back(part);
  if (argv.size() == 1) argv.emplace_back();
  return argv;
}

std::string redact_ipmi_command(const std::vector<std::string>& argv) {
  std::string out;
  bool redact_next = false;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    if (redact_next) {
      out += "<redacted>";
      redact_next = false;
      continue;
    }
    if (takes_secret_value(arg)) {
      out += arg;
      redact_next = true;
    } else if (starts_with(arg, "--password=") || starts_with(arg, "--k-g=")) {
      out.append(arg, 0, arg.find('=') + 1);
      out += "<redacted>";
    } else if (arg.size() > 2 &&
               (starts_with(arg, "-P") || starts_with(arg, "-k") || starts_with(arg, "-y"))) {
      // Short option with its value glued on (getopt style).
      out.append(arg, 0, 2);
      out += "<redacted>";
    } else {
      out += arg;
    }
  }
  return out;
}

std::string find_ipmi_tool(const std::string& name, const std::vector<std::string>& sbin_dirs) {
  std::string path = find_executable(name);
  if (!path.empty()) return path;
  for (const auto& dir : sbin_dirs) {
    std::string candidate = dir + "/" + name;
    struct stat st = {};
    if (::stat(candidate.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return candidate;
  }
  return {};
}

std::string find_ipmi_tool(const std::string& name) {
  return find_ipmi_tool(name, {"/sbin", "/usr/sbin", "/usr/local/sbin"});
}

IpmiDcmiHost real_ipmi_dcmi_host(const log::Logger& logger) {
  IpmiDcmiHost host;
  host.find_tool = [](const std::string& name) { return find_ipmi_tool(name); };
  host.open_device = [logger](int64_t dev_num) -> Result<std::unique_ptr<ipmi::IpmiTransport>> {
    auto dev = ipmi::OpenIpmiDevice::open(dev_num, logger);
    if (!dev) return dev.error();
    return std::unique_ptr<ipmi::IpmiTransport>(std::move(*dev));
  };
  return host;
}

IpmiDcmiCollector::IpmiDcmiCollector(Config config, CommandRunner& runner, Privileges& privileges,
                                     log::Logger logger)
    : mode_(config.mode),
      command_(std::move(config.command)),
      transport_(std::move(config.transport)),
      hostname_(std::move(config.hostname)),
      runner_(runner),
      privileges_(privileges),
      logger_(std::move(logger)),
      hold_(config.hold, std::move(config.clock)) {}

std::vector<std::string> IpmiDcmiCollector::capabilities() const {
  switch (mode_) {
    case IpmiExecMode::kCap:
      return kCapModeCaps;
    case IpmiExecMode::kNative:
      return kNativeModeCaps;
    default:
      return {};
  }
}

bool IpmiDcmiCollector::runs_set_user_id_programs() const {
  if (mode_ == IpmiExecMode::kSudo) return true;
  // A configured command may itself start with sudo (cap and test modes run it as is).
  return mode_ != IpmiExecMode::kNative && !command_.empty() && command_.front() == "sudo";
}

void IpmiDcmiCollector::stop() {
  if (!transport_) return;
  if (auto st = transport_->close(); !st) logger_.error("Failed to close IPMI device", {{"err", st.error()}});
}

void IpmiDcmiCollector::note_measurement_state(std::optional<bool> active) {
  // Native mode exports the numbers whatever the state bit says, as the reference does
  // (some OpenBMC firmware reports valid numbers while "deactivated"). The state is
  // only reported: loudly when it changes to inactive, quietly on every scrape.
  if (active == false && last_measurement_active_ != false) {
    logger_.warn("BMC reports power measurement not active; exporting its readings anyway");
  } else if (active == false) {
    logger_.debug("BMC reports power measurement not active");
  }
  last_measurement_active_ = active;
}

Result<ipmi::PowerReadings> IpmiDcmiCollector::read_native() {
  if (!transport_) return Error(ErrorKind::kIo, "IPMI device not open");
  std::optional<ipmi::DcmiPowerReading> reading;
  Status st = privileges_.run_with(kIpmiNativeContext, kNativeModeCaps, [&]() -> Status {
    auto r = ipmi::read_power(*transport_);
    if (!r) return r.error();
    reading = *r;
    return Status::Ok();
  });
  if (!st) return st.error();
  if (!reading) return Error(ErrorKind::kIo, "no IPMI power reading");
  note_measurement_state(reading->measurement_active);
  ipmi::PowerReadings out;
  out.current = reading->current;
  out.min = reading->min;
  out.max = reading->max;
  out.avg = reading->avg;
  return out;
}

Result<ipmi::PowerReadings> IpmiDcmiCollector::read_tool() {
  if (command_.empty()) return Error(ErrorKind::kNoData, "no IPMI command configured");
  std::optional<Result<CommandOutput>> result;
  switch (mode_) {
    case IpmiExecMode::kCap: {
      Command cmd{command_, kIpmiCommandTimeout};
      cmd.uid = 0;
      cmd.gid = 0;
      // The fork happens on the privileged thread, so the child can switch to root.
      Status st = privileges_.run_with(kIpmiExecContext, kCapModeCaps, [&]() -> Status {
        result.emplace(runner_.run(cmd));
        return result->ok() ? Status::Ok() : Status(result->error());
      });
      if (!result) return st.ok() ? Error(ErrorKind::kIo, "IPMI command not run") : st.error();
      break;
    }
    case IpmiExecMode::kSudo: {
      Command cmd{{"sudo"}, kIpmiSudoTimeout};
      cmd.argv.insert(cmd.argv.end(), command_.begin(), command_.end());
      result.emplace(runner_.run(cmd));
      break;
    }
    case IpmiExecMode::kTest:
      result.emplace(runner_.run(Command{command_, kIpmiCommandTimeout}));
      break;
    default:
      return Error(ErrorKind::kNoData, "no usable IPMI execution mode");
  }
  if (!result->ok()) return result->error().wrap("failed to execute IPMI command");
  return ipmi::parse_power_output(command_.front(), (*result)->output);
}

Result<ipmi::PowerReadings> IpmiDcmiCollector::read() {
  switch (mode_) {
    case IpmiExecMode::kNative:
      return read_native();
    case IpmiExecMode::kCap:
    case IpmiExecMode::kSudo:
    case IpmiExecMode::kTest:
      return read_tool();
    case IpmiExecMode::kNone:
      break;
  }
  return Error(ErrorKind::kNoData, "no usable IPMI execution mode: every probe of the IPMI command failed");
}

Status IpmiDcmiCollector::update(MetricBatch& out) {
  auto readings = read();
  if (readings && is_good_reading(*readings)) {
    if (const int bad = hold_.good(); bad > 0) {
      logger_.info("IPMI DCMI power readings are good again", {{"bad_readings", bad}});
    }
    emit(out, *readings, /*update_cache=*/true);
    return Status::Ok();
  }
  return serve_held(out, readings);
}

Status IpmiDcmiCollector::serve_held(MetricBatch& out, const Result<ipmi::PowerReadings>& readings) {
  const std::string why = readings ? std::string("the BMC reported 0 W") : readings.error().message();
  const ReadingHold::Verdict verdict = hold_.bad();
  if (verdict.hold && !cache_.empty()) {
    // A gap in node power is a gap in every job's power series: bridge it.
    logger_.write(
        verdict.level, "IPMI DCMI power reading failed or was 0 W; serving the last good reading",
        {{"reason", why}, {"cache", describe(cache_)}, {"hold_seconds", hold_.max_age().count() / 1000}},
        log::SourceLocation::current());
    emit(out, cache_, /*update_cache=*/false);
    return Status::Ok();
  }
  if (cache_.empty()) {
    // No good reading yet: a failure is "no data" and 0 W no sample, as in the reference.
    if (!readings) return Error(ErrorKind::kNoData, "no data: " + readings.error().message());
    return Status::Ok();
  }
  return Error(
      readings ? ErrorKind::kNoData : readings.error().kind(),
      "no good IPMI DCMI power reading for longer than --" + std::string(kIpmiDcmiHoldFlag) + ": " + why);
}

void IpmiDcmiCollector::emit(MetricBatch& out, const ipmi::PowerReadings& values, bool update_cache) {
  auto one = [&](const MetricDesc& desc, const std::optional<double>& value, std::optional<double>& cached) {
    // 0 means "not available": no sample, and it never replaces a cached value.
    if (!value || !(*value > 0)) return;
    out.add(desc, {hostname_}, *value);
    if (update_cache) cached = *value;
  };
  one(current_desc(), values.current, cache_.current);
  one(min_desc(), values.min, cache_.min);
  one(max_desc(), values.max, cache_.max);
  one(avg_desc(), values.avg, cache_.avg);
}

void IpmiDcmiCollector::own_metrics(MetricBatch& out) const {
  out.add(held_readings_desc(), {"ipmi_dcmi"}, static_cast<double>(hold_.held_total()));
}

Result<std::unique_ptr<IpmiDcmiCollector>> create_ipmi_dcmi_collector(const CollectorContext& ctx,
                                                                      const IpmiDcmiHost& host) {
  const log::Logger& logger = ctx.logger;
  const std::string deprecated_cmd = ctx.flags.get_string(kIpmiDcmiDeprecatedCmdFlag);
  const std::string cmd = ctx.flags.get_string(kIpmiDcmiCmdFlag);

  if (!deprecated_cmd.empty()) {
    logger.warn(
        "flag --collector.ipmi.dcmi.cmd has been deprecated. Use native mode by OpenIPMI driver using "
        "--collector.ipmi_dcmi.force-native-mode");
  }

  IpmiDcmiCollector::Config config;
  config.hostname = ctx.empty_hostname_label ? std::string() : ctx.hostname;
  auto hold = hold_duration_flag(ctx.flags, kIpmiDcmiHoldFlag);
  if (!hold) return hold.error();
  config.hold = *hold;
  config.clock = host.clock;
  if (ctx.flags.get_bool(kIpmiDcmiForceNativeFlag)) {
    config.mode = IpmiExecMode::kNative;
  } else {
    if (deprecated_cmd.empty() && cmd.empty()) {
      config.command = detect_command(host);
      if (config.command.empty()) {
        logger.info(
            "None of ipmitool,ipmiutil,ipmi-dcmi commands found. Using native implementation using OpenIPMI "
            "interface");
        config.mode = IpmiExecMode::kNative;
      }
    } else {
      // The deprecated spelling wins when both are given (reference behaviour).
      config.command = split_ipmi_command(!deprecated_cmd.empty() ? deprecated_cmd : cmd);
    }
    if (config.mode != IpmiExecMode::kNative) {
      if (config.command.size() == 1) config.command.emplace_back();
      logger.debug("Using IPMI command", {{"command", redact_ipmi_command(config.command)}});
      if (ctx.flags.get_bool(kIpmiDcmiTestModeFlag)) {
        config.mode = IpmiExecMode::kTest;
      } else {
        std::string why;
        config.mode = probe_mode(config.command, ctx.runner, logger, why);
        if (config.mode == IpmiExecMode::kNone) {
          // The reference stays silent here; an operator needs to know why no data ever comes.
          logger.warn(
              "IPMI command failed directly, with sudo and as root; the collector will report no data",
              {{"command", redact_ipmi_command(config.command)}, {"err", why}});
        }
      }
    }
  }
  logger.debug("IPMI DCMI command", {{"execution_mode", ipmi_exec_mode_name(config.mode)}});

  if (config.mode == IpmiExecMode::kNative) {
    config.command.clear();
    int64_t dev_num = ctx.flags.get_int(kIpmiDcmiDevNumFlag);
    if (dev_num < 0) {
      return invalid("--collector.ipmi_dcmi.dev-num=" + std::to_string(dev_num) +
                     ": the IPMI device number must be 0 or more (/dev/ipmi0 is 0)");
    }
    auto dev = host.open_device(dev_num);
    if (!dev) return dev.error();
    config.transport = std::move(*dev);
  }
  return std::make_unique<IpmiDcmiCollector>(std::move(config), ctx.runner, ctx.privileges, ctx.logger);
}

void register_ipmi_dcmi_flags(FlagSet& flags) {
  flags.add_string(std::string(kIpmiDcmiCmdFlag), std::string(kCmdHelp));
  // Not an alias: a non-empty deprecated value must take precedence, which the flag
  // set's alias mechanism cannot express for strings. Resolved in the factory.
  flags.add_string(std::string(kIpmiDcmiDeprecatedCmdFlag), std::string(kCmdHelp), {}, /*hidden=*/true);
  flags.add_int(std::string(kIpmiDcmiDevNumFlag), std::string(kDevNumHelp), 0);
  flags.add_bool(std::string(kIpmiDcmiForceNativeFlag), std::string(kForceNativeHelp), false);
  flags.add_bool(std::string(kIpmiDcmiTestModeFlag), std::string(kTestModeHelp), false, /*hidden=*/true);
  register_hold_duration_flag(flags, std::string(kIpmiDcmiHoldFlag));
}

Result<std::unique_ptr<Collector>> make_ipmi_dcmi_collector(const CollectorContext& ctx) {
  auto c = create_ipmi_dcmi_collector(ctx, real_ipmi_dcmi_host(ctx.logger));
  if (!c) return c.error();
  return std::unique_ptr<Collector>(std::move(*c));
}

}  // namespace ceems
