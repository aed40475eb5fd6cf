// The hwmon name rules on arbitrary bytes: sensor file names, chip names, device
// paths, values and label texts.
#include <cstdlib>
#include <string>

#include "core/fuzz_harness.h"
#include "core/go/runes.h"
#include "power/hwmon_chips.h"

namespace {
void fuzz(std::string_view in) {
  if (auto f = ceems::parse_hwmon_sensor_file_name(in)) {
    if (in.substr(0, f->prefix.size()) != f->prefix || f->number < 0) std::abort();
  }
  const std::string cleaned = ceems::clean_hwmon_name(in);
  for (char c : cleaned) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ':' || c == '_';
    if (!ok) std::abort();
  }
  if (ceems::clean_hwmon_name(cleaned) != cleaned) std::abort();
  (void)ceems::hwmon_chip_label_from_device(in);
  (void)ceems::parse_hwmon_value(in);
  if (!ceems::go::valid_string(ceems::hwmon_sensor_label_text(in))) std::abort();
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
