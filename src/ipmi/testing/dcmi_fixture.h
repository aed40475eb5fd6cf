// The ipmi_dcmi collector's test scaffolding: a factory call with fakes for the
// host (tool lookup, device, commands, privileges) and recorded tool outputs.
// Shared by the collector's test files.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/exposition.h"
#include "core/testing/fake_runner.h"
#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"
#include "ipmi/ipmi_dcmi.h"
#include "ipmi/testing/fake_transport.h"

namespace ceems::ipmi::testing {

using test_support::FakeRunner;
using test_support::RecordingPrivileges;
using test_support::render;
struct LogCapture : test_support::LogCapture {
  LogCapture() : test_support::LogCapture(log::Level::kDebug) {}
};

using Argv = std::vector<std::string>;

constexpr std::string_view kFreeIpmiOutput =
    "Current Power                        : 332 Watts\n"
    "Minimum Power over sampling duration : 68 watts\n"
    "Maximum Power over sampling duration : 504 watts\n"
    "Average Power over sampling duration : 348 watts\n"
    "Time Stamp                           : 11/03/2023 - 08:36:29\n"
    "Statistics reporting time period     : 2685198000 milliseconds\n"
    "Power Measurement                    : Active\n";

constexpr std::string_view kCapmcOutput =
    "{\n\"start_time\":\"2015-04-01 17:02:10\",\n\"avg\":5942,\n\"min\":5748,\n\"max\":6132,\n"
    "\"window_len\":600,\n\"e\":0,\n\"err_msg\":\"\"\n}\n";

// Everything a factory call needs, with fakes for the host.
class Fixture {
 public:
  explicit Fixture(const Argv& args, std::string hostname = "node1", bool empty_hostname = false)
      : flags_("ceems_exporter"),
        host_("/proc", "/sys", "/sys/fs/cgroup"),
        hostname_(std::move(hostname)),
        empty_hostname_(empty_hostname) {
    register_ipmi_dcmi_flags(flags_);
    auto parsed = flags_.parse(args);
    EXPECT_TRUE(parsed.ok()) << parsed.error().message();
    ipmi_host.find_tool = [this](const std::string& name) {
      looked_up.push_back(name);
      auto it = tools.find(name);
      return it == tools.end() ? std::string() : it->second;
    };
    ipmi_host.open_device = [this](int64_t n) -> Result<std::unique_ptr<ipmi::IpmiTransport>> {
      opened.push_back(n);
      if (!device_error.message().empty()) return device_error;
      auto t = std::make_unique<ipmi::FakeTransport>();
      transport = t.get();
      return std::unique_ptr<ipmi::IpmiTransport>(std::move(t));
    };
  }

  Result<std::unique_ptr<IpmiDcmiCollector>> create() {
    CollectorContext ctx{
        flags_, host_, runner, privileges, hostname_, empty_hostname_, log::Logger("collector", "ipmi_dcmi")};
    return create_ipmi_dcmi_collector(ctx, ipmi_host);
  }
  std::unique_ptr<IpmiDcmiCollector> must_create() {
    auto c = create();
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  FakeRunner runner;
  RecordingPrivileges privileges;
  IpmiDcmiHost ipmi_host;
  std::map<std::string, std::string> tools;
  std::vector<std::string> looked_up;
  std::vector<int64_t> opened;
  Error device_error{ErrorKind::kIo, ""};
  ipmi::FakeTransport* transport = nullptr;

 private:
  FlagSet flags_;
  HostFs host_;
  std::string hostname_;
  bool empty_hostname_;
};

}  // namespace ceems::ipmi::testing
