// Decoding of `rocm-smi --showproductname --showserial --showbus --csv`.
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "gpu/gpu.h"

namespace ceems::gpu {

Result<std::vector<Device>> parse_rocm_smi_csv(std::string_view csv) {
  std::vector<Device> devices;
  bool header = false;
  for (std::string_view line : split(trim(csv), '\n')) {
    line = trim(line);
    if (line.empty()) continue;
    if (starts_with(line, "device")) {
      header = true;
      continue;
    }
    std::vector<std::string_view> f = split(line, ',');
    // Fewer columns means a warning or a truncated row, not a device.
    if (f.size() < 7) continue;
    std::string_view index = trim(f[0]);
    if (starts_with(index, "card")) index.remove_prefix(4);
    Device d;
    d.local_index = std::string(index);
    d.global_index = d.local_index;
    d.uuid = std::string(trim(f[1]));
    if (auto bus = parse_bus_id(trim(f[2])); bus.ok()) d.bus_id = *bus;
    d.name = std::string(trim(f[3]));
    devices.push_back(std::move(d));
  }
  // Text that is neither the table nor empty is a message from a tool that did not
  // work (driver not loaded, wrong version); an empty list would hide it.
  if (!header && devices.empty() && !trim(csv).empty()) {
    return invalid("rocm-smi output holds no CSV table: " + quote_for_error(trim(csv), 200));
  }
  return devices;
}

}  // namespace ceems::gpu
