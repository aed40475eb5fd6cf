#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "redfish/redfish.h"
#include "redfish/testing/fake_bmc.h"

namespace ceems::redfish {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message();
}

// ---- service root ----

TEST(RedfishParseServiceRoot, Fixture) {
  auto r = parse_service_root(R"({
    "@odata.id": "/redfish/v1/ServiceRoot", "Id": "ServiceRoot-1",
    "AccountService": {"@odata.id": "/redfish/v1/Accounts"},
    "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
    "Links": {"Sessions": {"@odata.id": "/redfish/v1/Sessions"}},
    "ProtocolFeaturesSupported": {"ExpandQuery": {"MaxLevels": 21}},
    "RedfishVersion": "1.2.3"})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->chassis, "/redfish/v1/Chassis");
  EXPECT_EQ(r->sessions, "/redfish/v1/Sessions");
}

TEST(RedfishParseServiceRoot, AbsentAndNullFields) {
  auto r = parse_service_root(R"({"Id": "x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chassis, "");
  EXPECT_EQ(r->sessions, "");
  r = parse_service_root(R"({"Chassis": null, "Links": {"Sessions": null}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chassis, "");
  r = parse_service_root(R"({"Chassis": {}, "Links": {}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chassis, "");
  r = parse_service_root("null");
  ASSERT_TRUE(r.ok());
}

TEST(RedfishParseServiceRoot, KeysMatchCaseInsensitively) {
  auto r =
      parse_service_root(R"({"chassis": {"@ODATA.ID": "/c"}, "LINKS": {"sessions": {"@odata.id": "/s"}}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->chassis, "/c");
  EXPECT_EQ(r->sessions, "/s");
  // An exact match wins over a case-folded one.
  r = parse_service_root(R"({"chassis": {"@odata.id": "/folded"}, "Chassis": {"@odata.id": "/exact"}})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chassis, "/exact");
}

TEST(RedfishParseServiceRoot, WrongTypesNameDocumentAndField) {
  std::string e = error_of(parse_service_root(R"({"Chassis": "/redfish/v1/Chassis"})"));
  EXPECT_THAT(e, HasSubstr("service root"));
  EXPECT_THAT(e, HasSubstr("Chassis: expected a link object, got a string"));
  EXPECT_THAT(error_of(parse_service_root(R"({"Links": []})")), HasSubstr("Links: expected an object"));
  EXPECT_THAT(error_of(parse_service_root(R"({"Links": {"Sessions": {"@odata.id": 5}}})")),
              HasSubstr("Links.Sessions.@odata.id: expected a string, got a number"));
  EXPECT_THAT(error_of(parse_service_root("[1, 2]")),
              HasSubstr("service root: expected an object, got an array"));
}

TEST(RedfishParseServiceRoot, MalformedJson) {
  for (const char* doc : {"", "{", "{\"Chassis\": }", "not json", "{\"a\": 1} trailing", "\xff\xfe"}) {
    std::string e = error_of(parse_service_root(doc));
    EXPECT_THAT(e, HasSubstr("service root: malformed JSON")) << doc;
  }
}

// ---- collections ----

TEST(RedfishParseCollection, MembersAndPagination) {
  auto c = parse_collection(R"({"Members": [{"@odata.id": "/a"}, {"@odata.id": "/b"}],
                                "Members@odata.nextLink": "/c?page=2"})");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_THAT(c->members, ElementsAre("/a", "/b"));
  EXPECT_EQ(c->next_link, "/c?page=2");
}

TEST(RedfishParseCollection, LinksMembersWinWhenNonEmpty) {
  auto c =
      parse_collection(R"({"Members": [{"@odata.id": "/a"}], "Links": {"Members": [{"@odata.id": "/l"}]}})");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->members, ElementsAre("/l"));
  c = parse_collection(R"({"Members": [{"@odata.id": "/a"}], "Links": {"Members": []}})");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->members, ElementsAre("/a"));
}

TEST(RedfishParseCollection, EmptyAndNullMembers) {
  auto c = parse_collection(R"({"Name": "Chassis Collection"})");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->members, IsEmpty());
  c = parse_collection(R"({"Members": [null, {}, {"@odata.id": "/x"}]})");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->members, ElementsAre("", "", "/x"));
}

TEST(RedfishParseCollection, WrongTypes) {
  EXPECT_THAT(error_of(parse_collection(R"({"Members": {"@odata.id": "/a"}})")),
              HasSubstr("collection: Members: expected an array, got an object"));
  EXPECT_THAT(error_of(parse_collection(R"({"Members": ["/a"]})")),
              HasSubstr("Members[0]: expected a link object, got a string"));
  EXPECT_THAT(error_of(parse_collection(R"({"Members": [{"@odata.id": "/a"}, {"@odata.id": 1}]})")),
              HasSubstr("Members[1].@odata.id"));
  EXPECT_THAT(error_of(parse_collection(R"({"Members@odata.nextLink": 2})")),
              HasSubstr("Members@odata.nextLink: expected a string"));
  EXPECT_THAT(error_of(parse_collection(R"({"Links": {"Members": 1}})")), HasSubstr("Links.Members"));
  EXPECT_THAT(error_of(parse_collection("{")), HasSubstr("collection: malformed JSON"));
}

// ---- chassis ----

TEST(RedfishParseChassis, IdAndPowerLink) {
  auto c = parse_chassis(testing::kFixtureChassis);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->id, "Chassis-1");
  EXPECT_EQ(c->power, "/redfish/v1/Chassis/Chassis-1/Power");
  c = parse_chassis(R"({"Id": "Enclosure", "Thermal": {"@odata.id": "/t"}})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->power, "");
}

TEST(RedfishParseChassis, WrongTypes) {
  EXPECT_THAT(error_of(parse_chassis(R"({"Id": 1})")),
              HasSubstr("chassis: Id: expected a string, got a number"));
  EXPECT_THAT(error_of(parse_chassis(R"({"Id": "a", "Power": ["/p"]})")),
              HasSubstr("chassis: Power: expected a link object, got an array"));
  EXPECT_THAT(error_of(parse_chassis("{\"Id\": \"a\"")), HasSubstr("chassis: malformed JSON"));
}

// ---- Power ----

TEST(RedfishParsePower, FixtureSums) {
  auto p = parse_power(testing::kFixturePower);
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->power_control.size(), 2u);
  EXPECT_EQ(p->power_control[0].consumed_watts, 344);
  EXPECT_EQ(p->power_control[1].avg_watts, 46);
  PowerSums s = sum_power(*p);
  EXPECT_EQ(s.current, 397);
  EXPECT_EQ(s.min, 326);
  EXPECT_EQ(s.max, 609);
  EXPECT_EQ(s.avg, 365);
}

TEST(RedfishParsePower, ValuesHaveFloatPrecision) {
  auto p = parse_power(R"({"PowerControl": [{"PowerConsumedWatts": 123.4}]})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->power_control[0].consumed_watts, static_cast<double>(123.4f));
  EXPECT_DOUBLE_EQ(p->power_control[0].consumed_watts, 123.40000152587891);
  EXPECT_NE(p->power_control[0].consumed_watts, 123.4);
}

TEST(RedfishParsePower, MissingAndNullReadingsAreZero) {
  auto p = parse_power(R"({"PowerControl": [
      {"PowerConsumedWatts": null, "PowerMetrics": null},
      null,
      {"PowerMetrics": {"MinConsumedWatts": 5}},
      {"PowerConsumedWatts": -3}]})");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->power_control.size(), 4u);
  PowerSums s = sum_power(*p);
  EXPECT_EQ(s.current, -3);
  EXPECT_EQ(s.min, 5);
  EXPECT_EQ(s.max, 0);
  EXPECT_EQ(s.avg, 0);
  EXPECT_THAT(parse_power(R"({"Id": "Power"})")->power_control, IsEmpty());
  EXPECT_THAT(parse_power(R"({"PowerControl": null})")->power_control, IsEmpty());
}

TEST(RedfishParsePower, WrongTypesNameTheField) {
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": [{"PowerConsumedWatts": "344"}]})")),
              HasSubstr("Power: PowerControl[0].PowerConsumedWatts: expected a number, got a string"));
  EXPECT_THAT(
      error_of(parse_power(R"({"PowerControl": [{}, {"PowerMetrics": {"MaxConsumedWatts": true}}]})")),
      HasSubstr("PowerControl[1].PowerMetrics.MaxConsumedWatts: expected a number, got a boolean"));
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": [{"PowerMetrics": [1]}]})")),
              HasSubstr("PowerControl[0].PowerMetrics: expected an object"));
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": {"PowerConsumedWatts": 1}})")),
              HasSubstr("PowerControl: expected an array, got an object"));
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": [5]})")),
              HasSubstr("PowerControl[0]: expected an object"));
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": [{"PowerConsumedWatts": 1e39}]})")),
              HasSubstr("out of float range"));
  EXPECT_TRUE(parse_power(R"({"PowerControl": [{"PowerConsumedWatts": 3.4e38}]})").ok());
  EXPECT_THAT(error_of(parse_power(R"({"PowerControl": [)")), HasSubstr("Power: malformed JSON"));
  EXPECT_THAT(error_of(parse_power("\"text\"")), HasSubstr("Power: expected an object, got a string"));
}

TEST(RedfishSessionPath, FromLocation) {
  EXPECT_EQ(session_path("https://bmc:443/redfish/v1/SessionService/Sessions/abc/"),
            "/redfish/v1/SessionService/Sessions/abc/");
  EXPECT_EQ(session_path("/redfish/v1/Sessions/1"), "/redfish/v1/Sessions/1");
  EXPECT_EQ(session_path("http://bmc/redfish/v1/Sessions/1?x=y#frag"), "/redfish/v1/Sessions/1?x=y");
  EXPECT_EQ(session_path("//bmc:443/redfish/v1/Sessions/2"), "/redfish/v1/Sessions/2");
  EXPECT_EQ(session_path("http://bmc"), "");
  EXPECT_EQ(session_path(""), "");
}

}  // namespace
}  // namespace ceems::redfish
