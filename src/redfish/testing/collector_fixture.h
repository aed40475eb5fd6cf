// The redfish collector over a FakeBmc: a test fixture that writes the web config
// into an in-memory filesystem and creates the collector with short time limits.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/privileges.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/fake_runner.h"
#include "redfish/redfish_collector.h"
#include "redfish/testing/fake_bmc.h"

namespace ceems::redfish::testing {

// Samples of a batch as "name{chassis,hostname}" -> value.
inline std::map<std::string, double> samples(const MetricBatch& batch) {
  std::map<std::string, double> out;
  for (const auto& f : batch.families()) {
    EXPECT_EQ(f->desc().labels, (std::vector<std::string>{"hostname", "chassis"}));
    for (size_t i = 0; i < f->size(); ++i) {
      out[f->desc().name + "{" + std::string(f->label_value(i, 1)) + "," + std::string(f->label_value(i, 0)) +
          "}"] = f->value(i);
    }
  }
  return out;
}

inline std::map<std::string, double> fixture_samples(const std::string& hostname = "") {
  return {{"ceems_redfish_current_watts{Chassis_1," + hostname + "}", 397},
          {"ceems_redfish_min_watts{Chassis_1," + hostname + "}", 326},
          {"ceems_redfish_max_watts{Chassis_1," + hostname + "}", 609},
          {"ceems_redfish_avg_watts{Chassis_1," + hostname + "}", 365}};
}

class RedfishCollectorTest : public ::testing::Test {
 protected:
  RedfishCollectorTest() : flags_("ceems_exporter"), host_("/proc", "/sys", "/sys/fs/cgroup", &fs_) {
    register_redfish_flags(flags_);
    EXPECT_TRUE(flags_.parse({"--collector.redfish.web-config=" + std::string(kConfigPath)}).ok());
  }

  void write_config(const std::string& yaml) { fs_.add_file(kConfigPath, yaml); }

  Result<std::unique_ptr<RedfishCollector>> create(const std::string& yaml) {
    write_config(yaml);
    CollectorContext ctx{flags_, host_, runner_, privileges_, hostname, empty_hostname_label, log::Logger()};
    BmcDiscovery discover = [this](const log::Logger&) {
      ++discoveries;
      return discovered;
    };
    return create_redfish_collector(ctx, bmc, discover, timeouts);
  }

  std::unique_ptr<RedfishCollector> must_create(const std::string& yaml) {
    auto c = create(yaml);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(*c) : nullptr;
  }

  std::map<std::string, double> scrape(RedfishCollector& c) {
    MetricBatch batch;
    EXPECT_TRUE(c.update(batch).ok());
    return samples(batch);
  }

  static constexpr const char* kConfigPath = "/etc/ceems_exporter/redfish.yml";
  static constexpr const char* kSessionConfig =
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  username: admin\n"
      "  password: secret\n  insecure_skip_verify: true\n  use_session_token: true\n";
  static constexpr const char* kBasicConfig =
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  username: admin\n"
      "  password: secret\n  use_session_token: false\n";

  std::shared_ptr<FakeBmc> bmc = std::make_shared<FakeBmc>("https://bmc:443");
  std::string hostname;
  bool empty_hostname_label = false;
  std::string discovered;
  int discoveries = 0;
  RedfishTimeouts timeouts{std::chrono::milliseconds(500), std::chrono::milliseconds(2000),
                           std::chrono::milliseconds(3000)};

 private:
  FlagSet flags_;
  test_support::FakeFilesystem fs_;
  HostFs host_;
  test_support::NoCommands runner_;
  NoPrivileges privileges_;
};

}  // namespace ceems::redfish::testing
