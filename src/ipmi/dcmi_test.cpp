#include "ipmi/dcmi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "ipmi/testing/fake_transport.h"

namespace ceems::ipmi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(IpmiDcmiRequests, PowerReading) {
  IpmiRequest r = power_reading_request();
  EXPECT_EQ(r.netfn, 0x2C);
  EXPECT_EQ(r.cmd, 0x02);
  EXPECT_THAT(r.data, ElementsAre(0xDC, 0x01, 0x00, 0x00));
}

TEST(IpmiDcmiRequests, LanIp) {
  IpmiRequest r = lan_ip_request();
  EXPECT_EQ(r.netfn, 0x0C);
  EXPECT_EQ(r.cmd, 0x02);
  EXPECT_THAT(r.data, ElementsAre(0x01, 0x03, 0x00, 0x00));
  EXPECT_THAT(lan_ip_request(8).data, ElementsAre(0x08, 0x03, 0x00, 0x00));
}

TEST(IpmiDecodePowerReading, LittleEndianWattsAndState) {
  auto r = decode_power_reading(power_response(0x0102, 68, 504, 348));
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->current, 258);
  EXPECT_EQ(r->min, 68);
  EXPECT_EQ(r->max, 504);
  EXPECT_EQ(r->avg, 348);
  EXPECT_EQ(r->timestamp, 0x12345678u);
  EXPECT_EQ(r->period_ms, 1000u);
  EXPECT_EQ(r->measurement_active, true);
}

TEST(IpmiDecodePowerReading, MeasurementActiveIsBit6Only) {
  EXPECT_EQ(decode_power_reading(power_response(1, 1, 1, 1, 0x00))->measurement_active, false);
  EXPECT_EQ(decode_power_reading(power_response(1, 1, 1, 1, 0x41))->measurement_active, true);
  EXPECT_EQ(decode_power_reading(power_response(1, 1, 1, 1, 0xBF))->measurement_active, false);
}

TEST(IpmiDecodePowerReading, MaximumValues) {
  auto r = decode_power_reading(power_response(0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->current, 65535);
}

TEST(IpmiDecodePowerReading, NonZeroCompletionCodeIsNamedInHex) {
  auto resp = power_response(250, 230, 280, 250);
  resp[0] = 0xC1;
  auto r = decode_power_reading(resp);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "received non zero completion code 0xC1 for IPMI power readings response");
  // The short form BMCs send with an error code.
  std::vector<uint8_t> short_error{0xD4};
  EXPECT_THAT(decode_power_reading(short_error).error().message(), HasSubstr("0xD4"));
}

TEST(IpmiDecodePowerReading, ShortResponses) {
  EXPECT_THAT(decode_power_reading({}).error().message(), HasSubstr("empty"));
  std::vector<uint8_t> nine{0x00, 0xDC, 1, 0, 2, 0, 3, 0, 4};
  EXPECT_THAT(decode_power_reading(nine).error().message(), HasSubstr("too short: 9 bytes"));
  // Ten bytes carry the readings but no state.
  std::vector<uint8_t> ten{0x00, 0xDC, 1, 0, 2, 0, 3, 0, 4, 0};
  auto r = decode_power_reading(ten);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->avg, 4);
  EXPECT_FALSE(r->timestamp);
  EXPECT_FALSE(r->measurement_active);
  // Eighteen: everything but the state byte.
  auto full = power_response(1, 2, 3, 4);
  full.pop_back();
  r = decode_power_reading(full);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->period_ms, 1000u);
  EXPECT_FALSE(r->measurement_active);
}

TEST(IpmiDecodePowerReading, LongerResponsesAreAccepted) {
  auto resp = power_response(5, 6, 7, 8);
  resp.resize(40, 0xAA);
  EXPECT_EQ(decode_power_reading(resp)->max, 7);
}

TEST(IpmiDecodeLanIp, DottedQuad) {
  std::vector<uint8_t> resp{0x00, 0x11, 192, 168, 0, 254};
  EXPECT_EQ(*decode_lan_ip(resp), "192.168.0.254");
}

TEST(IpmiDecodeLanIp, Errors) {
  std::vector<uint8_t> rejected{0xCC};
  EXPECT_EQ(decode_lan_ip(rejected).error().message(),
            "received non zero completion code 0xCC for IPMI LAN IP response");
  std::vector<uint8_t> truncated{0x00, 0x11, 10, 0, 0};
  EXPECT_THAT(decode_lan_ip(truncated).error().message(), HasSubstr("too short"));
  EXPECT_FALSE(decode_lan_ip({}).ok());
}

}  // namespace
}  // namespace ceems::ipmi
