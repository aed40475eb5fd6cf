#include "ipmi/dcmi.h"

#include <cstdio>

namespace ceems::ipmi {
namespace {

constexpr size_t kPowerReadingMinLen = 10;  // completion code, group id, 4 x u16
constexpr size_t kPowerReadingStateOffset = 18;
constexpr size_t kLanIpLen = 6;  // completion code, revision, 4 address bytes

uint16_t le16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}

uint32_t le32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}

std::string hex_byte(uint8_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v);
  return buf;
}

// Shared head check: a completion code must be present and zero.
Status check_completion(std::span<const uint8_t> response, const char* what) {
  if (response.empty()) return invalid(std::string("empty IPMI ") + what + " response");
  if (response[0] != 0) {
    return invalid("received non zero completion code " + hex_byte(response[0]) + " for IPMI " + what +
                   " response");
  }
  return Status::Ok();
}

}  // namespace

IpmiRequest power_reading_request() {
  return {kNetFnGroupExtension, kCmdGetPowerReading, {kDcmiGroupExtensionId, 0x01, 0x00, 0x00}};
}

IpmiRequest lan_ip_request(uint8_t channel) {
  // Bit 7 of the channel byte clear: return the parameter data, not only its revision.
  return {kNetFnTransport, kCmdGetLanConfigParams, {static_cast<uint8_t>(channel & 0x0F), 0x03, 0x00, 0x00}};
}

Result<DcmiPowerReading> decode_power_reading(std::span<const uint8_t> response) {
  if (auto st = check_completion(response, "power readings"); !st) return st.error();
  if (response.size() < kPowerReadingMinLen) {
    return invalid("IPMI power readings response too short: " + std::to_string(response.size()) +
                   " bytes, want at least " + std::to_string(kPowerReadingMinLen));
  }
  DcmiPowerReading r;
  r.current = le16(response, 2);
  r.min = le16(response, 4);
  r.max = le16(response, 6);
  r.avg = le16(response, 8);
  if (response.size() >= 14) r.timestamp = le32(response, 10);
  if (response.size() >= 18) r.period_ms = le32(response, 14);
  if (response.size() > kPowerReadingStateOffset) {
    r.measurement_active = (response[kPowerReadingStateOffset] & kPowerMeasurementActiveBit) != 0;
  }
  return r;
}

Result<std::string> decode_lan_ip(std::span<const uint8_t> response) {
  if (auto st = check_completion(response, "LAN IP"); !st) return st.error();
  if (response.size() < kLanIpLen) {
    return invalid("IPMI LAN IP response too short: " + std::to_string(response.size()) + " bytes, want " +
                   std::to_string(kLanIpLen));
  }
  return std::to_string(response[2]) + "." + std::to_string(response[3]) + "." + std::to_string(response[4]) +
         "." + std::to_string(response[5]);
}

}  // namespace ceems::ipmi
