// A chassis whose BMC answers 0 W or fails: the last good reading stands in for
// --collector.redfish.hold-duration, once-per-episode WARN, then failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "core/testing/test_support.h"
#include "redfish/redfish_collector.h"
#include "redfish/testing/collector_fixture.h"

namespace ceems {
namespace {

using redfish::testing::fixture_samples;
using redfish::testing::RedfishCollectorTest;
using redfish::testing::samples;
using ::testing::HasSubstr;

constexpr const char* kZeroPower = R"({
  "@odata.id": "/redfish/v1/Chassis/Chassis-1/Power",
  "Id": "Power",
  "PowerControl": [{"PowerConsumedWatts": 0}]
})";
constexpr const char* kPowerPath = "/redfish/v1/Chassis/Chassis-1/Power";

TEST_F(RedfishCollectorTest, ZeroWattsAndFailuresAreBridgedThenReported) {
  test_support::LogCapture capture(log::Level::kInfo);
  std::chrono::steady_clock::time_point now{};
  timeouts.clock = [&] { return now; };
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(scrape(*c), fixture_samples());

  // 0 W within the hold: the last good reading, success.
  bmc->docs[kPowerPath] = kZeroPower;
  now += std::chrono::minutes(1);
  EXPECT_EQ(scrape(*c), fixture_samples());
  // A failed read too.
  bmc->status[kPowerPath] = 500;
  now += std::chrono::minutes(2);
  EXPECT_EQ(scrape(*c), fixture_samples());
  MetricBatch own;
  c->own_metrics(own);
  EXPECT_THAT(test_support::render(own),
              HasSubstr("ceems_exporter_held_power_readings_total{collector=\"redfish\"} 2\n"));
  std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("reason=\"the BMC reported 0 W\""));
  EXPECT_EQ(text.find("serving the last good reading"), text.rfind("serving the last good reading"));

  // Past the default hold (5 minutes): no samples and a failed update naming the chassis.
  now += std::chrono::minutes(3);
  MetricBatch expired;
  Status st = c->update(expired);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr("--collector.redfish.hold-duration"));
  EXPECT_THAT(st.error().message(), HasSubstr("Chassis_1"));
  EXPECT_EQ(expired.sample_count(), 0u);

  // Recovery.
  bmc->status.erase(kPowerPath);
  bmc->docs[kPowerPath] = redfish::testing::kFixturePower;
  EXPECT_EQ(scrape(*c), fixture_samples());
  EXPECT_THAT(capture.text(), HasSubstr("Redfish power readings are good again"));
}

TEST_F(RedfishCollectorTest, BeforeAnyGoodReadingZeroWattsIsServedAsTheReferenceDoes) {
  bmc->docs[kPowerPath] = kZeroPower;
  auto c = must_create(kSessionConfig);
  ASSERT_NE(c, nullptr);
  MetricBatch batch;
  ASSERT_TRUE(c->update(batch).ok());
  EXPECT_TRUE(samples(batch).empty());  // 0 means "not reported": no sample
  MetricBatch own;
  c->own_metrics(own);
  EXPECT_THAT(test_support::render(own),
              HasSubstr("ceems_exporter_held_power_readings_total{collector=\"redfish\"} 0\n"));
}

}  // namespace
}  // namespace ceems
