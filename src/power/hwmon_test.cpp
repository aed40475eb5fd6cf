#include "power/hwmon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "core/strings.h"
#include "core/testing/fake_filesystem.h"
#include "core/testing/fake_runner.h"
#include "core/testing/overlay_filesystem.h"
#include "core/testing/recording_privileges.h"
#include "core/testing/test_support.h"

namespace ceems {
namespace {

using test_support::LogCapture;
using test_support::RecordingPrivileges;
using test_support::render;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kHwmonData = std::string(CEEMS_TEST_DATA_DIR) + "/hwmon";

std::string page(const std::string& scenario, const Filesystem* fs = nullptr) {
  HostFs host("/proc", kHwmonData + "/" + scenario + "/sys", "/sys/fs/cgroup", fs);
  NoPrivileges privileges;
  auto c = HwmonCollector::create(host, privileges, "node", {});
  MetricBatch batch;
  Status st = c->update(batch);
  EXPECT_TRUE(st.ok()) << st.error().message();
  return render(batch);
}

TEST(PowerHwmonCollector, AcpiPowerMeterAndPmbusSupply) {
  EXPECT_EQ(page("acpi_power_meter"),
            "# HELP ceems_hwmon_power_avg_watts Average Power consumption in watts\n"
            "# TYPE ceems_hwmon_power_avg_watts gauge\n"
            "ceems_hwmon_power_avg_watts{chip=\"lnxsybus:00_acpi000d:00\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"power1\"} 245\n"
            "# HELP ceems_hwmon_power_cap_watts Power cap in watts\n"
            "# TYPE ceems_hwmon_power_cap_watts gauge\n"
            "ceems_hwmon_power_cap_watts{chip=\"lnxsybus:00_acpi000d:00\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"power1\"} 550\n"
            "# HELP ceems_hwmon_power_current_watts Current Power consumption in watts\n"
            "# TYPE ceems_hwmon_power_current_watts gauge\n"
            "ceems_hwmon_power_current_watts{chip=\"i2c_0_0_0058\",chip_name=\"pmbus\",hostname=\"node\","
            "sensor=\"pin\"} 310\n"
            "ceems_hwmon_power_current_watts{chip=\"i2c_0_0_0058\",chip_name=\"pmbus\",hostname=\"node\","
            "sensor=\"pout1\"} 282\n"
            "# HELP ceems_hwmon_power_max_watts Maximum Power consumption in watts\n"
            "# TYPE ceems_hwmon_power_max_watts gauge\n"
            "ceems_hwmon_power_max_watts{chip=\"i2c_0_0_0058\",chip_name=\"pmbus\",hostname=\"node\","
            "sensor=\"pin\"} 402\n");
}

TEST(PowerHwmonCollector, GraceRails) {
  EXPECT_EQ(page("grace"),
            "# HELP ceems_hwmon_power_avg_watts Average Power consumption in watts\n"
            "# TYPE ceems_hwmon_power_avg_watts gauge\n"
            "ceems_hwmon_power_avg_watts{chip=\"lnxsybus:00_acpi000d:00\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"Module Power Socket 0\"} 412\n"
            "ceems_hwmon_power_avg_watts{chip=\"lnxsybus:00_acpi000d:01\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"Grace Power Socket 0\"} 168\n"
            "ceems_hwmon_power_avg_watts{chip=\"lnxsybus:00_acpi000d:02\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"CPU Power Socket 0\"} 121.5\n"
            "ceems_hwmon_power_avg_watts{chip=\"lnxsybus:00_acpi000d:03\",chip_name=\"power_meter\","
            "hostname=\"node\",sensor=\"SysIO Power Socket 0\"} 38.25\n");
}

TEST(PowerHwmonCollector, EnergyOnlyChips) {
  EXPECT_EQ(page("energy_only"),
            "# HELP ceems_hwmon_energy_current_joules Current Energy consumption in joules\n"
            "# TYPE ceems_hwmon_energy_current_joules gauge\n"
            "ceems_hwmon_energy_current_joules{chip=\"pci0000:00_0000:00:02_0\",chip_name=\"i915\","
            "hostname=\"node\",sensor=\"energy1\"} 8523\n"
            "ceems_hwmon_energy_current_joules{chip=\"platform_amd_energy_0\",chip_name=\"amd_energy\","
            "hostname=\"node\",sensor=\"Ecore000\"} 151234.56789\n"
            "ceems_hwmon_energy_current_joules{chip=\"platform_amd_energy_0\",chip_name=\"amd_energy\","
            "hostname=\"node\",sensor=\"Ecore001\"} 149876.54321\n"
            "ceems_hwmon_energy_current_joules{chip=\"platform_amd_energy_0\",chip_name=\"amd_energy\","
            "hostname=\"node\",sensor=\"Esocket0\"} 9.812345678901e+06\n");
}

TEST(PowerHwmonCollector, UnreadableSensorIsReportedOnceWithItsCapabilityAndTheRestServed) {
  test_support::OverlayFilesystem fs;
  const std::string denied = "/energy3_input";
  fs.fail_where([&](std::string_view path) { return ends_with(path, denied); }, EACCES);
  HostFs host("/proc", kHwmonData + "/energy_only/sys", "/sys/fs/cgroup", &fs);
  NoPrivileges privileges;
  LogCapture capture;
  auto c = HwmonCollector::create(host, privileges, "node", {});
  MetricBatch first;
  ASSERT_TRUE(c->update(first).ok());
  EXPECT_EQ(first.sample_count(), 3u);
  EXPECT_THAT(render(first), Not(HasSubstr("Esocket0")));
  MetricBatch second;
  ASSERT_TRUE(c->update(second).ok());
  EXPECT_EQ(second.sample_count(), 3u);
  const std::string logs = capture.text();
  EXPECT_THAT(logs, HasSubstr("level=WARN"));
  EXPECT_THAT(logs, HasSubstr("energy3_input"));
  EXPECT_THAT(logs, HasSubstr("capability=cap_dac_read_search"));
  // Once per file, not once per scrape.
  EXPECT_EQ(logs.find("level=WARN"), logs.rfind("level=WARN"));
}

TEST(PowerHwmonCollector, NothingReadableFailsTheScrape) {
  test_support::OverlayFilesystem fs;
  fs.fail_where([](std::string_view path) { return ends_with(path, "_input"); }, EACCES);
  HostFs host("/proc", kHwmonData + "/energy_only/sys", "/sys/fs/cgroup", &fs);
  NoPrivileges privileges;
  LogCapture capture;
  auto c = HwmonCollector::create(host, privileges, "node", {});
  MetricBatch batch;
  Status st = c->update(batch);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kPermissionDenied);
  EXPECT_THAT(st.error().message(), HasSubstr("no hwmon sensor could be read"));
  EXPECT_EQ(batch.sample_count(), 0u);
}

TEST(PowerHwmonCollector, RootOnlySensorsAreReadWithDacReadSearch) {
  test_support::FakeFilesystem fs;
  fs.add_file("/sys/devices/platform/amd_energy.0/hwmon/hwmon0/name", "amd_energy\n");
  fs.add_symlink("/sys/devices/platform/amd_energy.0/hwmon/hwmon0/device", "../../../amd_energy.0");
  fs.add_symlink("/sys/class/hwmon/hwmon0", "../../devices/platform/amd_energy.0/hwmon/hwmon0");
  fs.add_file("/sys/devices/platform/amd_energy.0/hwmon/hwmon0/energy1_input", "2500000\n", 0400);
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  RecordingPrivileges privileges;
  auto c = HwmonCollector::create(host, privileges, "", {});
  EXPECT_EQ(c->capabilities(), std::vector<std::string>{"cap_dac_read_search"});
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 1u);
  EXPECT_EQ(privileges.contexts(), std::vector<std::string>{std::string(kHwmonPrivilegedContext)});
  EXPECT_EQ(privileges.last_caps(), std::vector<std::string>{"cap_dac_read_search"});

  // World-readable sensors need nothing.
  RecordingPrivileges unused;
  auto plain = HwmonCollector::create(HostFs("/proc", kHwmonData + "/grace/sys", "/c"), unused, "", {});
  EXPECT_TRUE(plain->capabilities().empty());
  MetricBatch grace;
  ASSERT_TRUE(plain->update(grace).ok());
  EXPECT_TRUE(unused.calls().empty());
}

TEST(PowerHwmonCollector, ChipsThatAppearLaterAreFound) {
  test_support::FakeFilesystem fs;
  fs.add_dir("/sys/class/hwmon");
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  NoPrivileges privileges;
  LogCapture capture;
  auto c = HwmonCollector::create(host, privileges, "n", {});
  EXPECT_THAT(capture.text(), HasSubstr("No hwmon chip with power or energy sensors found"));
  MetricBatch none;
  Status st = c->update(none);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kNoData);

  // The driver is loaded after the exporter started.
  fs.add_file("/sys/class/hwmon/hwmon0/name", "power_meter\n");
  fs.add_file("/sys/class/hwmon/hwmon0/power1_average", "0\n");  // no reading yet: left out
  fs.add_file("/sys/class/hwmon/hwmon0/power1_input", "150000000\n");
  MetricBatch later;
  ASSERT_TRUE(c->update(later).ok());
  EXPECT_EQ(render(later),
            "# HELP ceems_hwmon_power_current_watts Current Power consumption in watts\n"
            "# TYPE ceems_hwmon_power_current_watts gauge\n"
            "ceems_hwmon_power_current_watts{chip=\"power_meter\",chip_name=\"power_meter\",hostname=\"n\","
            "sensor=\"power1\"} 150\n");
}

TEST(PowerHwmonCollector, MalformedValueIsReportedAndSkipped) {
  test_support::FakeFilesystem fs;
  fs.add_file("/sys/class/hwmon/hwmon0/name", "meter\n");
  fs.add_file("/sys/class/hwmon/hwmon0/power1_input", "N/A\n");
  fs.add_file("/sys/class/hwmon/hwmon0/power2_input", "2000000\n");
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  NoPrivileges privileges;
  LogCapture capture;
  auto c = HwmonCollector::create(host, privileges, "n", {});
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_EQ(batch.sample_count(), 1u);
  EXPECT_THAT(capture.text(), HasSubstr("\\\"N/A\\\""));
  EXPECT_THAT(capture.text(), HasSubstr("power1_input"));
}

TEST(PowerHwmonCollector, SysfsRootMustBeADirectory) {
  test_support::FakeFilesystem fs;
  fs.add_file("/sysfile", "x");
  for (const char* root : {"/missing", "/sysfile"}) {
    HostFs host("/proc", root, "/c", &fs);
    FlagSet flags("ceems_exporter");
    test_support::NoCommands runner;
    NoPrivileges privileges;
    auto made = make_hwmon_collector(CollectorContext{flags, host, runner, privileges, "", false, {}});
    ASSERT_FALSE(made.ok()) << root;
    EXPECT_THAT(made.error().message(), HasSubstr("failed to open sysfs"));
  }
}

}  // namespace
}  // namespace ceems
