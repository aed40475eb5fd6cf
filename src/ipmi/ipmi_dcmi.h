// The `ipmi_dcmi` collector: node power draw as reported by the BMC's DCMI Get Power
// Reading, obtained either by running an IPMI tool (ipmi-dcmi, ipmitool, ipmiutil,
// capmc) and parsing its output, or natively through the OpenIPMI device.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/collector.h"
#include "core/command_runner.h"
#include "core/flags.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/privileges.h"
#include "core/reading_hold.h"
#include "core/result.h"
#include "ipmi/openipmi.h"
#include "ipmi/tool_output.h"

namespace ceems {

inline constexpr std::string_view kIpmiDcmiCmdFlag = "collector.ipmi_dcmi.cmd";
inline constexpr std::string_view kIpmiDcmiDeprecatedCmdFlag = "collector.ipmi.dcmi.cmd";
inline constexpr std::string_view kIpmiDcmiDevNumFlag = "collector.ipmi_dcmi.dev-num";
inline constexpr std::string_view kIpmiDcmiForceNativeFlag = "collector.ipmi_dcmi.force-native-mode";
inline constexpr std::string_view kIpmiDcmiTestModeFlag = "collector.ipmi_dcmi.test-mode";
inline constexpr std::string_view kIpmiDcmiHoldFlag = "collector.ipmi_dcmi.hold-duration";

inline constexpr std::string_view kIpmiExecContext = "ipmi_exec_cmd";
inline constexpr std::string_view kIpmiNativeContext = "open_ipmi";

// Child-process deadlines. The reference probes without any timeout, so a hanging tool
// blocked start-up; every run here has one.
inline constexpr std::chrono::milliseconds kIpmiCommandTimeout{5000};
inline constexpr std::chrono::milliseconds kIpmiSudoTimeout{1000};

// How the power reading is obtained, decided once at construction. kNone: every probe
// of the command failed and each scrape reports "no data".
enum class IpmiExecMode { kNone, kCap, kSudo, kNative, kTest };
std::string_view ipmi_exec_mode_name(IpmiExecMode mode);

// Splits on every single space (no quoting, empty fields kept) and appends an empty
// argument to a one-word command: wrapper scripts in the field rely on receiving it.
std::vector<std::string> split_ipmi_command(std::string_view command);

// The command line for logs, with password and key arguments of the common IPMI tools
// replaced by "<redacted>".
std::string redact_ipmi_command(const std::vector<std::string>& argv);

// Looks a tool up on $PATH, then as a non-directory entry of one of sbin_dirs (the
// executable bit is not checked there, as in the reference). Returns the resolved path
// or "" when not found. The one-argument form searches /sbin, /usr/sbin, /usr/local/sbin.
std::string find_ipmi_tool(const std::string& name, const std::vector<std::string>& sbin_dirs);
std::string find_ipmi_tool(const std::string& name);

// Access to the host that mode selection needs, replaceable in tests.
struct IpmiDcmiHost {
  std::function<std::string(const std::string&)> find_tool;
  std::function<Result<std::unique_ptr<ipmi::IpmiTransport>>(int64_t dev_num)> open_device;
  ReadingHold::Clock clock;  // how old the last good reading is; steady_clock::now when empty
};
IpmiDcmiHost real_ipmi_dcmi_host(const log::Logger& logger);

class IpmiDcmiCollector final : public Collector {
 public:
  struct Config {
    IpmiExecMode mode = IpmiExecMode::kNone;
    std::vector<std::string> command;                // tool modes
    std::unique_ptr<ipmi::IpmiTransport> transport;  // native mode
    std::string hostname;
    // How long the last good reading answers for 0 W or failed reads (0: never).
    std::chrono::milliseconds hold{std::chrono::minutes(5)};
    ReadingHold::Clock clock;  // steady_clock::now when empty (tests set it)
  };

  IpmiDcmiCollector(Config config, CommandRunner& runner, Privileges& privileges, log::Logger logger);

  Status update(MetricBatch& out) override;
  void own_metrics(MetricBatch& out) const override;
  void stop() override;
  std::vector<std::string> capabilities() const override;
  bool runs_set_user_id_programs() const override;

  IpmiExecMode mode() const { return mode_; }
  const std::vector<std::string>& command() const { return command_; }
  // The DCMI "power measurement active" bit of the last native reading (absent in tool
  // modes, where the tools' state line is checked instead).
  std::optional<bool> last_measurement_active() const { return last_measurement_active_; }

 private:
  Result<ipmi::PowerReadings> read();
  Result<ipmi::PowerReadings> read_native();
  Result<ipmi::PowerReadings> read_tool();
  void note_measurement_state(std::optional<bool> active);
  // A reading of 0 W or a failed read: the last good reading while the hold lasts.
  Status serve_held(MetricBatch& out, const Result<ipmi::PowerReadings>& readings);
  void emit(MetricBatch& out, const ipmi::PowerReadings& values, bool update_cache);

  IpmiExecMode mode_;
  std::vector<std::string> command_;
  std::unique_ptr<ipmi::IpmiTransport> transport_;
  std::string hostname_;
  CommandRunner& runner_;
  Privileges& privileges_;
  log::Logger logger_;
  // Last positive value of each reading; stands in for a bad reading while hold_ allows.
  ipmi::PowerReadings cache_;
  ReadingHold hold_;
  std::optional<bool> last_measurement_active_;
};

// Mode selection (flags, tool detection, probes, device opening) with the host seam.
Result<std::unique_ptr<IpmiDcmiCollector>> create_ipmi_dcmi_collector(const CollectorContext& ctx,
                                                                      const IpmiDcmiHost& host);

void register_ipmi_dcmi_flags(FlagSet& flags);
Result<std::unique_ptr<Collector>> make_ipmi_dcmi_collector(const CollectorContext& ctx);

}  // namespace ceems
