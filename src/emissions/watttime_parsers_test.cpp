// The WattTime decoders on literal responses: login tokens, signal data, the unit
// conversion and the query of the historical request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "emissions/parsers.h"

namespace ceems::emissions {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- login ----

TEST(EmissionsWattTimeLogin, TokenIsReturned) {
  auto token = parse_wt_login(R"({"token": "eyJhbGciOiJIUzI1NiJ9.e30.abc-_"})");
  ASSERT_TRUE(token.ok()) << token.error().message();
  EXPECT_EQ(*token, "eyJhbGciOiJIUzI1NiJ9.e30.abc-_");
  // Keys match case-insensitively, unknown ones are ignored, like Go.
  auto folded = parse_wt_login(R"({"Token": "t1", "expires": 1800})");
  ASSERT_TRUE(folded.ok());
  EXPECT_EQ(*folded, "t1");
}

TEST(EmissionsWattTimeLogin, NoTokenIsAnError) {
  for (const char* body :
       {R"({})", R"({"token": ""})", R"({"token": null})", "null", R"({"error": "invalid credentials"})"}) {
    auto token = parse_wt_login(body);
    ASSERT_FALSE(token.ok()) << body;
    EXPECT_EQ(token.error().message(), "no token in Watt Time login response") << body;
  }
}

TEST(EmissionsWattTimeLogin, MalformedBodiesAndTypesFail) {
  for (const char* body : {"", "not json", R"({"token": 42})", R"({"token": ["a"]})", R"({"token": {}})",
                           R"(["token"])", R"("token")", "{\"token\": \"abc\"", "\xEF\xBB\xBF{}"}) {
    EXPECT_FALSE(parse_wt_login(body).ok()) << body;
  }
}

TEST(EmissionsWattTimeLogin, TokenThatWouldCorruptTheHeaderIsRefusedWithoutEchoingIt) {
  for (const char* body : {R"({"token": "secret part\r\nX-Injected: 1"})", R"({"token": "secret\u0000"})",
                           R"({"token": "secret token"})"}) {
    auto token = parse_wt_login(body);
    ASSERT_FALSE(token.ok()) << body;
    EXPECT_THAT(token.error().message(), HasSubstr("malformed token in Watt Time login response"));
    EXPECT_THAT(token.error().message(), Not(HasSubstr("secret")));
  }
}

// ---- signal data ----

constexpr const char* kHistorical = R"({
  "data": [
    {"point_time": "2025-01-15T09:50:00+00:00", "value": 950.0},
    {"point_time": "2025-01-15T09:55:00+00:00", "value": 1000}
  ],
  "meta": {
    "data_point_period_seconds": 300,
    "region": "CAISO_NORTH",
    "warnings": [],
    "signal_type": "co2_moer",
    "model": {"date": "2023-03-01", "type": "binned_regression"},
    "units": "lbs_co2_per_mwh",
    "generated_at_period_seconds": 300,
    "generated_at": "2025-01-15T09:55:00+00:00"
  }
})";

TEST(EmissionsWattTimeSignal, LastDataPointUnitsAndWarnings) {
  auto signal = parse_wt_signal(kHistorical);
  ASSERT_TRUE(signal.ok()) << signal.error().message();
  ASSERT_TRUE(signal->latest.has_value());
  EXPECT_EQ(*signal->latest, 1000);
  EXPECT_EQ(signal->units, "lbs_co2_per_mwh");
  EXPECT_TRUE(signal->warnings.empty());

  auto factors = wt_factors(*signal, "CAISO_NORTH");
  ASSERT_TRUE(factors.ok()) << factors.error().message();
  ASSERT_EQ(factors->size(), 1u);
  EXPECT_EQ(factors->at("CAISO_NORTH").name, "CAISO_NORTH");
  EXPECT_DOUBLE_EQ(factors->at("CAISO_NORTH").value, 453.592);
}

TEST(EmissionsWattTimeSignal, OptionalFieldsAndNulls) {
  // Only the value matters; times may carry fractions or be null, meta may be missing.
  auto signal = parse_wt_signal(
      R"({"data": [{"point_time": "2025-01-15T09:55:00.123Z", "value": 2340, "last_updated": null,)"
      R"( "version": "3.0"}]})");
  ASSERT_TRUE(signal.ok()) << signal.error().message();
  EXPECT_EQ(signal->latest, std::optional<double>(2340));
  EXPECT_EQ(signal->units, "");
  auto factors = wt_factors(*signal, "R");
  ASSERT_TRUE(factors.ok());
  EXPECT_DOUBLE_EQ(factors->at("R").value, 2340 * kLbPerMWhInGPerKWh);

  // A point without a value decodes to 0, which the collector leaves out.
  auto no_value = parse_wt_signal(R"({"data": [{"point_time": "2025-01-15T09:55:00Z"}]})");
  ASSERT_TRUE(no_value.ok());
  EXPECT_EQ(no_value->latest, std::optional<double>(0));
}

TEST(EmissionsWattTimeSignal, EmptyDataIsNoDataWithTheWarnings) {
  for (const char* body :
       {R"({"data": [], "meta": {"warnings": [{"type": "a", "message": "first"},)"
        R"( {"message": "second"}]}})",
        R"({"data": null, "meta": {"warnings": [{"message": "first"}, {"message": "second"}]}})"}) {
    auto signal = parse_wt_signal(body);
    ASSERT_TRUE(signal.ok()) << signal.error().message();
    EXPECT_FALSE(signal->latest.has_value());
    auto factors = wt_factors(*signal, "R");
    ASSERT_FALSE(factors.ok());
    EXPECT_EQ(factors.error().kind(), ErrorKind::kNoData);
    EXPECT_EQ(factors.error().message(), "missing data in Watt Time response. warnings: first,second");
  }
  for (const char* body : {"{}", "null", R"({"meta": {}})"}) {
    auto signal = parse_wt_signal(body);
    ASSERT_TRUE(signal.ok()) << body;
    auto factors = wt_factors(*signal, "R");
    ASSERT_FALSE(factors.ok()) << body;
    EXPECT_EQ(factors.error().message(), "missing data in Watt Time response. warnings: ");
  }
}

TEST(EmissionsWattTimeSignal, OtherUnitsAreRefused) {
  auto signal = parse_wt_signal(R"({"data": [{"value": 1}], "meta": {"units": "percentile"}})");
  ASSERT_TRUE(signal.ok());
  auto factors = wt_factors(*signal, "R");
  ASSERT_FALSE(factors.ok());
  EXPECT_THAT(factors.error().message(), HasSubstr("unexpected units in Watt Time response: percentile"));
}

TEST(EmissionsWattTimeSignal, NonNumericValueAndWrongTypesFail) {
  for (const char* body : {
           R"({"data": [{"value": "1000"}]})",
           R"({"data": [{"value": true}]})",
           R"({"data": [{"value": [1]}]})",
           R"({"data": [{"value": 1}, {"value": "x"}]})",
           R"({"data": {"value": 1}})",
           R"({"data": "none"})",
           R"({"data": [1000]})",
           R"({"data": [{"value": 1, "point_time": 1736935200}]})",
           R"({"data": [{"value": 1, "point_time": "2025-01-15 09:55:00"}]})",
           R"({"data": [{"value": 1, "point_time": "2025-02-30T09:55:00Z"}]})",
           R"({"data": [{"value": 1, "point_time": "2025-01-15T24:00:00Z"}]})",
           R"({"data": [{"value": 1, "point_time": "2025-01-15T09:55:00"}]})",
           R"({"data": [{"value": 1, "last_updated": "yesterday"}]})",
           R"({"data": [{"value": 1}], "meta": {"units": 1}})",
           R"({"data": [{"value": 1}], "meta": {"warnings": "none"}})",
           R"({"data": [{"value": 1}], "meta": {"warnings": [{"message": 3}]}})",
           R"({"data": [{"value": 1}], "meta": []})",
           R"([])",
           R"("data")",
           "",
           "{\"data\": [",
           "{\"data\": [{\"value\": 1e400}]}",
       }) {
    EXPECT_FALSE(parse_wt_signal(body).ok()) << body;
  }
}

TEST(EmissionsWattTimeSignal, TimeFormatsGoAccepts) {
  for (const char* t : {"2025-01-15T09:55:00Z", "2025-01-15T09:55:00+05:30", "2025-01-15T09:55:00-08:00",
                        "2024-02-29T00:00:00.5Z", "2025-12-31T23:59:59.999999999+00:00"}) {
    const std::string body = std::string(R"({"data": [{"value": 1, "point_time": ")") + t + R"("}]})";
    EXPECT_TRUE(parse_wt_signal(body).ok()) << t;
  }
  for (const char* t : {"2025-02-29T00:00:00Z", "2025-01-15t09:55:00Z", "2025-01-15T09:55:00z",
                        "2025-01-15T09:55:00.Z", "2025-01-15T09:55:00+0530", "2025-01-15T09:55:60Z",
                        "2025-13-15T09:55:00Z", "2025-01-15T09:55:00+24:00", "25-01-15T09:55:00Z"}) {
    const std::string body = std::string(R"({"data": [{"value": 1, "point_time": ")") + t + R"("}]})";
    EXPECT_FALSE(parse_wt_signal(body).ok()) << t;
  }
}

// ---- request ----

TEST(EmissionsWattTimeQuery, FifteenMinutesUpToNowInUtc) {
  // 2025-01-15T10:00:00Z
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1736935200));
  EXPECT_EQ(wt_historical_query("CAISO_NORTH", now),
            "end=2025-01-15T10%3A00%3A00Z&region=CAISO_NORTH&signal_type=co2_moer&"
            "start=2025-01-15T09%3A45%3A00Z");
  EXPECT_EQ(wt_historical_query("A&B=C", now + std::chrono::milliseconds(999)),
            "end=2025-01-15T10%3A00%3A00Z&region=A%26B%3DC&signal_type=co2_moer&"
            "start=2025-01-15T09%3A45%3A00Z");
}

}  // namespace
}  // namespace ceems::emissions
