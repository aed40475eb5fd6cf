#include "power/hwmon_chips.h"

#include <gtest/gtest.h>

#include <string>

#include "core/testing/fake_filesystem.h"

namespace ceems {
namespace {

const std::string kHwmonData = std::string(CEEMS_TEST_DATA_DIR) + "/hwmon";

TEST(PowerHwmonNames, SensorFilesByTypeIndexAndProperty) {
  auto avg = parse_hwmon_sensor_file_name("power1_average");
  ASSERT_TRUE(avg.has_value());
  EXPECT_EQ(avg->reading, HwmonReading::kPowerAverage);
  EXPECT_EQ(avg->prefix, "power1");
  EXPECT_EQ(avg->type, "power");
  EXPECT_EQ(avg->number, 1);
  EXPECT_EQ(parse_hwmon_sensor_file_name("power12_input")->reading, HwmonReading::kPowerCurrent);
  EXPECT_EQ(parse_hwmon_sensor_file_name("power2_input_highest")->reading, HwmonReading::kPowerMax);
  EXPECT_EQ(parse_hwmon_sensor_file_name("power2_input_lowest")->reading, HwmonReading::kPowerMin);
  EXPECT_EQ(parse_hwmon_sensor_file_name("power3_cap")->reading, HwmonReading::kPowerCap);
  auto energy = parse_hwmon_sensor_file_name("energy17_input");
  ASSERT_TRUE(energy.has_value());
  EXPECT_EQ(energy->reading, HwmonReading::kEnergy);
  EXPECT_EQ(energy->number, 17);
  // The index is a number: leading zeros do not make another sensor name.
  auto padded = parse_hwmon_sensor_file_name("power01_input");
  ASSERT_TRUE(padded.has_value());
  EXPECT_EQ(padded->prefix, "power01");
  EXPECT_EQ(padded->number, 1);
}

TEST(PowerHwmonNames, OtherFilesAreNotSensors) {
  for (const char* name : {"power1_average_interval",
                           "power1_label",
                           "power1_oem_info",
                           "power1_max",
                           "power1_is_battery",
                           "energy1_label",
                           "temp1_input",
                           "in0_input",
                           "curr1_input",
                           "power_input",
                           "power1",
                           "power1_",
                           "_input",
                           "name",
                           "device",
                           "uevent",
                           "power1input",
                           "energy1_average",
                           "Power1_input",
                           "power99999999999999999999_input"}) {
    EXPECT_FALSE(parse_hwmon_sensor_file_name(name).has_value()) << name;
  }
}

TEST(PowerHwmonNames, CleanNameKeepsLowerCaseAlnumColonAndUnderscore) {
  EXPECT_EQ(clean_hwmon_name("ACPI000D:00"), "acpi000d:00");
  EXPECT_EQ(clean_hwmon_name("power_meter\n"), "power_meter");
  EXPECT_EQ(clean_hwmon_name("0000:00:02.0"), "0000:00:02_0");
  EXPECT_EQ(clean_hwmon_name("--amd energy--"), "amd_energy");
  EXPECT_EQ(clean_hwmon_name("__"), "");
  // One '_' per character, whatever its length in bytes; one per malformed byte.
  EXPECT_EQ(clean_hwmon_name("a\xC3\xA9z"), "a_z");
  EXPECT_EQ(clean_hwmon_name(std::string("a\xFF") + "\xFFz"), "a__z");
}

TEST(PowerHwmonNames, ChipLabelFromDevicePath) {
  EXPECT_EQ(hwmon_chip_label_from_device("/sys/devices/platform/amd_energy.0"), "platform_amd_energy_0");
  EXPECT_EQ(hwmon_chip_label_from_device("/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00"),
            "lnxsybus:00_acpi000d:00");
  EXPECT_EQ(hwmon_chip_label_from_device("/sys/devices/pci0000:00/0000:00:1f.4/i2c-0/0-0058"),
            "i2c_0_0_0058");
  EXPECT_EQ(hwmon_chip_label_from_device("device0"), "device0");
  EXPECT_EQ(hwmon_chip_label_from_device("/---/x"), "x");
  EXPECT_EQ(hwmon_chip_label_from_device("/"), "");
}

TEST(PowerHwmonValues, MicroUnitsAsGoParseFloatReadsThem) {
  EXPECT_EQ(*parse_hwmon_value("245000000\n"), 245000000.0);
  EXPECT_EQ(*parse_hwmon_value("\n12.5\n\n"), 12.5);
  EXPECT_EQ(*parse_hwmon_value("0"), 0.0);
  EXPECT_EQ(*parse_hwmon_value("1e3"), 1000.0);
  for (const char* bad : {"", "\n", " 12", "12 ", "12W", "N/A\n", "0x10"}) {
    auto v = parse_hwmon_value(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.error().kind(), ErrorKind::kInvalid);
    EXPECT_NE(v.error().message().find("invalid hwmon sensor value"), std::string::npos);
  }
}

TEST(PowerHwmonValues, LabelTextIsTrimmedAndValidUtf8) {
  EXPECT_EQ(hwmon_sensor_label_text("Module Power Socket 0\n"), "Module Power Socket 0");
  EXPECT_EQ(hwmon_sensor_label_text(" \n"), "");
  EXPECT_EQ(hwmon_sensor_label_text("pin\xFF"), "pin\xEF\xBF\xBD");
}

TEST(PowerHwmonDiscovery, AcpiPowerMeterAndPmbusSupply) {
  HostFs host("/proc", kHwmonData + "/acpi_power_meter/sys", "/sys/fs/cgroup");
  auto chips = discover_hwmon_chips(host);
  ASSERT_TRUE(chips.ok()) << chips.error().message();
  ASSERT_EQ(chips->size(), 2u);  // the two temperature-only chips are left out
  const HwmonChip& meter = (*chips)[0];
  EXPECT_EQ(meter.chip, "lnxsybus:00_acpi000d:00");
  EXPECT_EQ(meter.chip_name, "power_meter");
  ASSERT_EQ(meter.sensors.size(), 2u);  // power1_average and power1_cap, in the device directory
  EXPECT_EQ(meter.sensors[0].sensor, "power1");
  EXPECT_NE(meter.sensors[0].file.find("/hwmon1/device/power1_"), std::string::npos);
  const HwmonChip& psu = (*chips)[1];
  EXPECT_EQ(psu.chip, "i2c_0_0_0058");
  EXPECT_EQ(psu.chip_name, "pmbus");
  std::vector<std::string> sensors;
  for (const HwmonSensor& s : psu.sensors) sensors.push_back(s.sensor);
  EXPECT_EQ(sensors, (std::vector<std::string>{"pin", "pin", "pin", "pout1"}));
}

TEST(PowerHwmonDiscovery, GraceRailsAreNamedByOemInfo) {
  HostFs host("/proc", kHwmonData + "/grace/sys", "/sys/fs/cgroup");
  auto chips = discover_hwmon_chips(host);
  ASSERT_TRUE(chips.ok());
  ASSERT_EQ(chips->size(), 4u);
  std::vector<std::string> names;
  for (const HwmonChip& c : *chips) {
    ASSERT_EQ(c.sensors.size(), 1u);
    names.push_back(c.chip + "/" + c.sensors[0].sensor);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"lnxsybus:00_acpi000d:00/Module Power Socket 0",
                                             "lnxsybus:00_acpi000d:01/Grace Power Socket 0",
                                             "lnxsybus:00_acpi000d:02/CPU Power Socket 0",
                                             "lnxsybus:00_acpi000d:03/SysIO Power Socket 0"}));
}

TEST(PowerHwmonDiscovery, SharedLabelsFallBackToTypeAndIndex) {
  test_support::FakeFilesystem fs;
  fs.add_file("/sys/devices/platform/psu.0/hwmon/hwmon0/name", "psu\n");
  fs.add_symlink("/sys/devices/platform/psu.0/hwmon/hwmon0/device", "../../../psu.0");
  fs.add_symlink("/sys/class/hwmon/hwmon0", "../../devices/platform/psu.0/hwmon/hwmon0");
  const std::string d = "/sys/devices/platform/psu.0/hwmon/hwmon0/";
  fs.add_file(d + "power1_input", "100000000\n");
  fs.add_file(d + "power1_label", "PSU\n");
  fs.add_file(d + "power2_input", "200000000\n");
  fs.add_file(d + "power2_label", "PSU\n");
  fs.add_file(d + "power3_input", "300000000\n");
  fs.add_file(d + "power3_label", "Total\n");
  fs.add_file(d + "energy1_input", "5\n");
  fs.add_file(d + "energy1_label", "PSU\n");  // another family: no clash
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto chips = discover_hwmon_chips(host);
  ASSERT_TRUE(chips.ok());
  ASSERT_EQ(chips->size(), 1u);
  std::vector<std::string> sensors;
  for (const HwmonSensor& s : (*chips)[0].sensors) sensors.push_back(s.sensor);
  EXPECT_EQ(sensors, (std::vector<std::string>{"PSU", "power1", "power2", "Total"}));
  EXPECT_EQ((*chips)[0].chip, "platform_psu_0");
}

TEST(PowerHwmonDiscovery, ChipsWithoutDeviceAreNamedByNameThenDirectory) {
  test_support::FakeFilesystem fs;
  fs.add_file("/sys/class/hwmon/hwmon0/name", "virt_meter\n");
  fs.add_file("/sys/class/hwmon/hwmon0/power1_input", "1000000\n");
  fs.add_file("/sys/class/hwmon/hwmon1/name", "virt_meter\n");  // same name: told apart
  fs.add_file("/sys/class/hwmon/hwmon1/power1_input", "2000000\n");
  fs.add_file("/sys/class/hwmon/hwmon2/energy1_input", "3000000\n");  // no name file
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto chips = discover_hwmon_chips(host);
  ASSERT_TRUE(chips.ok());
  ASSERT_EQ(chips->size(), 3u);
  EXPECT_EQ((*chips)[0].chip, "virt_meter");
  EXPECT_EQ((*chips)[1].chip, "virt_meter_hwmon1");
  EXPECT_EQ((*chips)[2].chip, "hwmon2");
  EXPECT_EQ((*chips)[2].chip_name, "");
}

TEST(PowerHwmonDiscovery, MissingClassDirectoryIsNotFound) {
  test_support::FakeFilesystem fs;
  fs.add_dir("/sys/class");
  HostFs host("/proc", "/sys", "/sys/fs/cgroup", &fs);
  auto chips = discover_hwmon_chips(host);
  ASSERT_FALSE(chips.ok());
  EXPECT_EQ(chips.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(chips.error().message().find("class/hwmon"), std::string::npos);
}

}  // namespace
}  // namespace ceems
