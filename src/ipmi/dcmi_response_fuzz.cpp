// The DCMI power reading and LAN IP response decoders on arbitrary bytes.
#include <cstdint>
#include <span>

#include "core/fuzz_harness.h"
#include "ipmi/dcmi.h"

namespace {
void fuzz(std::string_view in) {
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(in.data()), in.size());
  auto power = ceems::ipmi::decode_power_reading(bytes);
  (void)power;
  auto ip = ceems::ipmi::decode_lan_ip(bytes);
  (void)ip;
}
}  // namespace
CEEMS_FUZZ_TARGET(fuzz)
