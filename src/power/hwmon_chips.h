// The power and energy sensors of the kernel's hwmon chips under
// <sysfs>/class/hwmon: which files are sensors, how a chip is named so that the
// name survives reboots, and how a sensor's label is chosen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/filesystem.h"
#include "core/result.h"

namespace ceems {

// The metric families a sensor file feeds.
enum class HwmonReading {
  kPowerCurrent,  // power<N>_input
  kPowerMin,      // power<N>_input_lowest
  kPowerMax,      // power<N>_input_highest
  kPowerAverage,  // power<N>_average
  kPowerCap,      // power<N>_cap
  kEnergy,        // energy<N>_input
};
inline constexpr size_t kHwmonReadingCount = 6;

// "<type><N>_<property>" of a sensor file the collector reads; nullopt for any other
// file (temperatures, intervals, alarms, labels...). N is the decimal index as
// written ("power01_input" has prefix "power01" and number 1).
struct HwmonSensorFile {
  HwmonReading reading;
  std::string prefix;  // "power1": the file name before the property, for _label
  std::string type;    // "power" or "energy"
  int64_t number = 0;
};
std::optional<HwmonSensorFile> parse_hwmon_sensor_file_name(std::string_view file_name);

// Lower case, every character outside [a-z0-9:_] replaced by '_', leading and
// trailing '_' removed: "ACPI000D:00" -> "acpi000d:00", "power meter\n" -> "power_meter".
std::string clean_hwmon_name(std::string_view name);

// The `chip` label from the resolved path of a chip's `device` link: the cleaned
// parent and device names joined by '_' ("/sys/devices/platform/amd_energy.0" ->
// "platform_amd_energy_0"), or the device name alone; "" when neither is usable.
std::string hwmon_chip_label_from_device(std::string_view resolved_device_path);

// A sensor file's value in micro-units (µW, µJ) as Go's ParseFloat reads it after
// trimming newlines.
Result<double> parse_hwmon_value(std::string_view content);

// The text of a <prefix>_label or <prefix>_oem_info file as a label value: white
// space trimmed, malformed UTF-8 replaced; "" when nothing is left.
std::string hwmon_sensor_label_text(std::string_view content);

struct HwmonSensor {
  HwmonReading reading;
  std::string sensor;  // the `sensor` label
  std::string file;    // absolute path of the value file
};

struct HwmonChip {
  std::string chip;       // the `chip` label, unique among the chips found
  std::string chip_name;  // the `chip_name` label (cleaned `name` file, may be "")
  std::vector<HwmonSensor> sensors;
};

// Every chip with at least one power or energy sensor, in directory order. Sensors
// are read from the chip directory and from its `device` directory, where older
// drivers (acpi_power_meter) keep them. A sensor is labelled by its _label file, else
// its _oem_info file (ACPI power meters), else "<type><N>"; labels that two sensors of
// one family and chip would share fall back to "<type><N>". Entries that cannot be
// read are skipped; only an unreadable class/hwmon directory is an error.
Result<std::vector<HwmonChip>> discover_hwmon_chips(const HostFs& host);

}  // namespace ceems
