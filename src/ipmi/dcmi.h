// Encoding of the two in-band IPMI requests the exporter sends (DCMI Get Power Reading
// and Get LAN Configuration Parameters / IP Address) and decoding of their responses.
// Pure functions on byte spans so that they can be unit tested and fuzzed without a BMC.
//
// Response spans follow the Linux OpenIPMI driver convention: byte 0 is the IPMI
// completion code, the command's response data follows.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"

namespace ceems::ipmi {

inline constexpr uint8_t kNetFnGroupExtension = 0x2C;
inline constexpr uint8_t kNetFnTransport = 0x0C;
inline constexpr uint8_t kCmdGetPowerReading = 0x02;
inline constexpr uint8_t kCmdGetLanConfigParams = 0x02;
inline constexpr uint8_t kDcmiGroupExtensionId = 0xDC;
// Byte 18 of the power reading response: bit 6 set while the BMC is measuring.
inline constexpr uint8_t kPowerMeasurementActiveBit = 0x40;

struct IpmiRequest {
  uint8_t netfn = 0;
  uint8_t cmd = 0;
  std::array<uint8_t, 4> data{};
};

// netfn 0x2C, cmd 0x02, data DC 01 00 00 (system power statistics mode).
IpmiRequest power_reading_request();
// netfn 0x0C, cmd 0x02, data <channel> 03 00 00 (parameter 3: IP address). The
// reference always asks channel 1.
IpmiRequest lan_ip_request(uint8_t channel = 1);

struct DcmiPowerReading {
  double current = 0;
  double min = 0;
  double max = 0;
  double avg = 0;
  // Absent when the response stops before the field (some BMCs answer only the
  // 10 bytes holding the four readings).
  std::optional<uint32_t> timestamp;
  std::optional<uint32_t> period_ms;
  // Bit 6 of byte 18; absent when the response is too short to carry it.
  std::optional<bool> measurement_active;
};

// Fails on an empty response, a non-zero completion code (the error names it in hex)
// or a response shorter than the 10 bytes that carry the four readings. The group
// extension id in byte 1 is not checked: the reference never did, and a BMC that
// echoes something else still places the readings at the same offsets.
Result<DcmiPowerReading> decode_power_reading(std::span<const uint8_t> response);

// Dotted-quad IPv4 address from a Get LAN Configuration Parameters (IP address)
// response: completion code, parameter revision, four address bytes.
Result<std::string> decode_lan_ip(std::span<const uint8_t> response);

}  // namespace ceems::ipmi
