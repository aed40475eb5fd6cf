#include "emissions/parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace ceems::emissions {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// ---- Electricity Maps zones ----

TEST(EmissionsEmapsZones, DisplayNameJoinsCountryAndZoneName) {
  auto zones = parse_emaps_zones(R"({
    "FR": {"zoneName": "France"},
    "US-CAL-CISO": {"countryName": "USA", "zoneName": "CAISO"},
    "XX": {"countryName": "Nowhere"},
    "YY": {},
    "ZZ": {"displayName": "ignored"}
  })");
  ASSERT_TRUE(zones.ok()) << zones.error().message();
  EXPECT_EQ(*zones,
            (std::map<std::string, std::string>{
                {"FR", "France"}, {"US-CAL-CISO", "USA CAISO"}, {"XX", "Nowhere"}, {"YY", ""}, {"ZZ", ""}}));
}

TEST(EmissionsEmapsZones, NamesAreTrimmedLikeGoTrimSpace) {
  // Leading/trailing Unicode spaces go, inner ones stay.
  auto zones = parse_emaps_zones(R"({"A": {"countryName": "", "zoneName": "Zone\u00a0 "},)"
                                 R"( "B": {"countryName": " X ", "zoneName": "Y"}})");
  ASSERT_TRUE(zones.ok()) << zones.error().message();
  EXPECT_EQ(zones->at("A"), "Zone");
  EXPECT_EQ(zones->at("B"), "X  Y");
}

TEST(EmissionsEmapsZones, NullsAreEmpty) {
  auto zones = parse_emaps_zones(R"({"A": null, "B": {"countryName": null, "zoneName": "Z"}})");
  ASSERT_TRUE(zones.ok()) << zones.error().message();
  EXPECT_EQ(zones->at("A"), "");
  EXPECT_EQ(zones->at("B"), "Z");
  auto top_null = parse_emaps_zones("null");
  ASSERT_TRUE(top_null.ok());
  EXPECT_TRUE(top_null->empty());
  auto empty_object = parse_emaps_zones(" {} \n");
  ASSERT_TRUE(empty_object.ok());
  EXPECT_TRUE(empty_object->empty());
}

TEST(EmissionsEmapsZones, AnyNonStringInnerValueFailsTheWholeResponse) {
  for (const char* body :
       {R"({"FR": {"zoneName": "France"}, "DE": {"zoneName": 1}})", R"({"FR": {"zoneName": true}})",
        R"({"FR": {"zoneName": ["a"]}})", R"({"FR": {"zoneName": {"x": "y"}}})", R"({"FR": "France"})",
        R"({"FR": 3})", R"({"FR": []})", R"([])", R"("zones")", R"(42)"}) {
    EXPECT_FALSE(parse_emaps_zones(body).ok()) << body;
  }
}

TEST(EmissionsEmapsZones, MalformedJsonFails) {
  for (const char* body : {"", "{", R"({"FR": {"zoneName": "France"})", R"({"FR": {}} trailing)", "<html>",
                           R"({"FR": {"zoneName": "Fr)", "{'FR': {}}", "\xEF\xBB\xBF{}"}) {
    EXPECT_FALSE(parse_emaps_zones(body).ok()) << body;
  }
}

TEST(EmissionsEmapsZones, DuplicateKeysLastWins) {
  auto zones = parse_emaps_zones(R"({"FR": {"zoneName": "A"}, "FR": {"countryName": "B"}})");
  ASSERT_TRUE(zones.ok());
  EXPECT_EQ(zones->at("FR"), "B");
}

TEST(EmissionsEmapsZones, InvalidUtf8BecomesReplacementCharacter) {
  auto zones = parse_emaps_zones(
      "{\"FR\": {\"zoneName\": \"Fr\xFF"
      "ance\"}}");
  ASSERT_TRUE(zones.ok()) << zones.error().message();
  EXPECT_EQ(zones->at("FR"),
            "Fr\xEF\xBF\xBD"
            "ance");
  // Outside strings an invalid byte is still a syntax error.
  EXPECT_FALSE(parse_emaps_zones("{\"FR\": {}\xFF}").ok());
}

// ---- Electricity Maps carbon intensity ----

TEST(EmissionsEmapsCarbonIntensity, ParsesTheDocumentedFields) {
  auto r = parse_emaps_carbon_intensity(R"({
    "zone": "DE", "carbonIntensity": 302, "datetime": "2024-05-01T10:00:00.000Z",
    "updatedAt": "2024-05-01T09:50:12.123Z", "emissionFactorType": "lifecycle",
    "isEstimated": true, "estimationMethod": "TIME_SLICER_AVERAGE", "extra": [1, {"a": null}]
  })");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->zone, "DE");
  EXPECT_EQ(r->carbon_intensity, 302);
  EXPECT_EQ(r->datetime, "2024-05-01T10:00:00.000Z");
  EXPECT_EQ(r->updated_at, "2024-05-01T09:50:12.123Z");
  EXPECT_EQ(r->emission_factor_type, "lifecycle");
  EXPECT_TRUE(r->is_estimated);
  EXPECT_EQ(r->estimation_method, "TIME_SLICER_AVERAGE");
}

TEST(EmissionsEmapsCarbonIntensity, MissingOrNullFieldsKeepZero) {
  for (const char* body : {R"({"zone": "DE"})", R"({"carbonIntensity": null})", "{}", "null",
                           R"({"error": "Zone 'DE' is not available with your plan"})"}) {
    auto r = parse_emaps_carbon_intensity(body);
    ASSERT_TRUE(r.ok()) << body << ": " << r.error().message();
    EXPECT_EQ(r->carbon_intensity, 0) << body;
  }
}

TEST(EmissionsEmapsCarbonIntensity, CarbonIntensityMustBeAnInteger) {
  for (const char* body :
       {R"({"carbonIntensity": 302.5})", R"({"carbonIntensity": 302.0})", R"({"carbonIntensity": 3e2})",
        R"({"carbonIntensity": "302"})", R"({"carbonIntensity": true})", R"({"carbonIntensity": [302]})",
        R"({"carbonIntensity": {"v": 302}})", R"({"carbonIntensity": 9223372036854775808})",
        R"({"carbonIntensity": -9223372036854775809})"}) {
    auto r = parse_emaps_carbon_intensity(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_THAT(r.error().message(), HasSubstr("carbonIntensity")) << body;
  }
  auto negative = parse_emaps_carbon_intensity(R"({"carbonIntensity": -5})");
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->carbon_intensity, -5);
  auto max = parse_emaps_carbon_intensity(R"({"carbonIntensity": 9223372036854775807})");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max->carbon_intensity, INT64_MAX);
}

TEST(EmissionsEmapsCarbonIntensity, OtherMistypedFieldsFailTheDecode) {
  for (const char* body :
       {R"({"carbonIntensity": 10, "zone": 1})", R"({"carbonIntensity": 10, "isEstimated": "yes"})",
        R"({"carbonIntensity": 10, "datetime": 5})", R"({"carbonIntensity": 10, "updatedAt": {}})",
        R"({"carbonIntensity": 10, "emissionFactorType": false})",
        R"({"carbonIntensity": 10, "estimationMethod": []})", "[]", "\"x\"", "7"}) {
    EXPECT_FALSE(parse_emaps_carbon_intensity(body).ok()) << body;
  }
}

TEST(EmissionsEmapsCarbonIntensity, KeysMatchCaseInsensitivelyLikeGo) {
  auto upper = parse_emaps_carbon_intensity(R"({"CARBONINTENSITY": 12, "Zone": "FR"})");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->carbon_intensity, 12);
  EXPECT_EQ(upper->zone, "FR");
  // U+017F (long s) folds to 's' under Go's rules, so this is isEstimated (and mistyped).
  EXPECT_FALSE(parse_emaps_carbon_intensity("{\"i\xC5\xBF"
                                            "Estimated\": 1}")
                   .ok());
  // A prefix or other spelling is just an unknown key.
  auto other = parse_emaps_carbon_intensity(R"({"carbonIntensit": "x", "carbon_intensity": "y"})");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->carbon_intensity, 0);
}

TEST(EmissionsEmapsCarbonIntensity, MalformedJsonFails) {
  for (const char* body :
       {"", "{", R"({"carbonIntensity": })", R"({"carbonIntensity": 1,})", R"({"carbonIntensity": 01})",
        R"({"carbonIntensity": 1} {})", "nul", "{\"zone\": \"a\x01\"}"}) {
    EXPECT_FALSE(parse_emaps_carbon_intensity(body).ok()) << body;
  }
}

TEST(EmissionsEmapsCarbonIntensity, NumbersBeyondDoubleAreRejectedNotThrown) {
  // Go would ignore such a number in an unknown field; nlohmann refuses to parse it at all.
  for (const char* body :
       {R"({"x": 1e400, "carbonIntensity": 1})", R"({"carbonIntensity": -1e999})", "6e9666"}) {
    auto r = parse_emaps_carbon_intensity(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_THAT(r.error().message(), HasSubstr("number overflow")) << body;
  }
  EXPECT_FALSE(parse_emaps_zones("6e9666").ok());
  EXPECT_FALSE(parse_rte_response(R"({"results": [{"taux_co2": 1e400}]})").ok());
}

TEST(EmissionsEmapsCarbonIntensity, NestingDepthIsLimitedLikeGo) {
  // Go counts the outer object too: 10000 levels in all are fine, 10001 are not.
  auto ok = parse_emaps_carbon_intensity("{\"x\":" + nested_arrays(9999) + ",\"carbonIntensity\":3}");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->carbon_intensity, 3);
  auto deep = parse_emaps_carbon_intensity("{\"x\":" + nested_arrays(10000) + "}");
  ASSERT_FALSE(deep.ok());
  EXPECT_THAT(deep.error().message(), HasSubstr("exceeded max depth"));
}

// ---- RTE eCO2mix ----

TEST(EmissionsRte, FirstResultIsTheFrenchFactor) {
  auto f = parse_rte_response(R"({"total_count": 2, "results": [
      {"taux_co2": 27, "date_heure": "2025-01-15T10:45:00+01:00"},
      {"taux_co2": 30, "date_heure": "2025-01-15T10:30:00+01:00"}]})");
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(*f, (EmissionFactors{{"FR", {"France", 27}}}));
}

TEST(EmissionsRte, EmptyResultsIsAnError) {
  for (const char* body : {R"({"total_count": 0, "results": []})", R"({"total_count": 0})",
                           R"({"results": null})", "{}", "null"}) {
    auto f = parse_rte_response(body);
    ASSERT_FALSE(f.ok()) << body;
    EXPECT_EQ(f.error().message(), "empty response received from RTE server: []") << body;
    EXPECT_EQ(f.error().kind(), ErrorKind::kNoData);
  }
}

TEST(EmissionsRte, MissingOrNullFieldsGiveZero) {
  for (const char* body : {R"({"results": [{}]})", R"({"results": [null]})",
                           R"({"results": [{"taux_co2": null, "date_heure": null}]})"}) {
    auto f = parse_rte_response(body);
    ASSERT_TRUE(f.ok()) << body;
    EXPECT_EQ(f->at("FR").value, 0) << body;
  }
}

TEST(EmissionsRte, WrongTypesFail) {
  for (const char* body :
       {R"({"results": [{"taux_co2": 27.5}]})", R"({"results": [{"taux_co2": "27"}]})",
        R"({"results": [{"taux_co2": 27, "date_heure": 1}]})", R"({"results": {"taux_co2": 27}})",
        R"({"results": [27]})", R"({"results": "none"})",
        R"({"total_count": "2", "results": [{"taux_co2": 27}]})",
        R"({"total_count": 2.5, "results": [{"taux_co2": 27}]})", R"([{"taux_co2": 27}])", "27",
        // A mistyped later element fails the whole decode even though only the first is used.
        R"({"results": [{"taux_co2": 27}, {"taux_co2": "x"}]})"}) {
    auto f = parse_rte_response(body);
    ASSERT_FALSE(f.ok()) << body;
    EXPECT_EQ(f.error().kind(), ErrorKind::kInvalid) << body;
  }
}

TEST(EmissionsRte, MalformedJsonFails) {
  for (const char* body : {"", "{\"results\": [", "<html><body>502 Bad Gateway</body></html>",
                           "{\"results\": [{\"taux_co2\": 27}]}}"}) {
    EXPECT_FALSE(parse_rte_response(body).ok()) << body;
  }
}

TEST(EmissionsRte, QueryIsEncodedLikeGoUrlValues) {
  EXPECT_EQ(rte_query("2025-01-15"),
            "include_app_metas=false&include_links=false&limit=1&offset=0&order_by=date_heure+desc&"
            "select=taux_co2%2Cdate_heure&timezone=Europe%2FParis&"
            "where=date_heure+in+%5Bdate%272025-01-15%27+TO+now%28%29%5D+and+taux_co2+is+not+null");
}

// ---- helpers ----

TEST(EmissionsQueryEscape, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(query_escape("US-CAL-CISO"), "US-CAL-CISO");
  EXPECT_EQ(query_escape("a_b.c~d"), "a_b.c~d");
  EXPECT_EQ(query_escape("a b/c&d=e?"), "a+b%2Fc%26d%3De%3F");
  EXPECT_EQ(query_escape("\xC3\xA9+%"), "%C3%A9%2B%25");
  EXPECT_EQ(query_escape(""), "");
}

// ---- ISO 3166-1 and OWID CSV ----

constexpr const char* kIsoJson = R"({"3166-1": [
  {"alpha_2": "AF", "alpha_3": "AFG", "name": "Afghanistan", "numeric": "004"},
  {"alpha_2": "AL", "alpha_3": "ALB", "name": "Albania", "numeric": "008"},
  {"alpha_2": "DZ", "alpha_3": "DZA", "name": "Algeria", "numeric": "012",
   "official_name": "People's Democratic Republic of Algeria"},
  {"alpha_2": "FR", "alpha_3": "FRA", "name": "France", "numeric": "250"}
]})";

std::map<std::string, std::string> iso_codes() {
  auto codes = parse_iso3166_alpha3_to_alpha2(kIsoJson);
  EXPECT_TRUE(codes.ok());
  return codes.ok() ? *codes : std::map<std::string, std::string>{};
}

TEST(EmissionsIso3166, MapsAlpha3ToAlpha2) {
  EXPECT_EQ(iso_codes(),
            (std::map<std::string, std::string>{{"AFG", "AF"}, {"ALB", "AL"}, {"DZA", "DZ"}, {"FRA", "FR"}}));
}

TEST(EmissionsIso3166, RejectsMistypedEntries) {
  EXPECT_FALSE(parse_iso3166_alpha3_to_alpha2(R"({"3166-1": [{"alpha_2": 1}]})").ok());
  EXPECT_FALSE(parse_iso3166_alpha3_to_alpha2(R"({"3166-1": {}})").ok());
  EXPECT_FALSE(parse_iso3166_alpha3_to_alpha2("[").ok());
  auto empty = parse_iso3166_alpha3_to_alpha2(R"({"3166-2": []})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// The excerpt the reference's unit test uses, in shape: region rows without a code,
// several years per country, the most recent one last.
constexpr const char* kOwidExcerpt =
    "Entity,Code,Year,Carbon intensity of electricity - gCO2/kWh\n"
    "ASEAN (Ember),,2000,570.6289\n"
    "ASEAN (Ember),,2001,567.6732\n"
    "Afghanistan,AFG,2000,255.31914\n"
    "Afghanistan,AFG,2001,119.047615\n"
    "Afghanistan,AFG,2002,144.92754\n"
    "Albania,ALB,2020,22.14022\n"
    "Albania,ALB,2021,23.437498\n"
    "Algeria,DZA,2000,488.43216\n"
    "Algeria,DZA,2001,494.60645\n"
    "World,OWID_WRL,2001,495.0\n"
    "Kosovo,OWID_KOS,2001,900.0\n";

TEST(EmissionsOwidCsv, LastRowPerCountryWins) {
  auto f = parse_owid_csv(kOwidExcerpt, iso_codes());
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(*f, (EmissionFactors{{"AF", {"Afghanistan", 144.92754}},
                                 {"AL", {"Albania", 23.437498}},
                                 {"DZ", {"Algeria", 494.60645}}}));
}

TEST(EmissionsOwidCsv, UnparsableValueKeepsThePreviousYear) {
  auto f = parse_owid_csv(
      "Entity,Code,Year,v\n"
      "France,FRA,2021,58.1\n"
      "France,FRA,2022,n/a\n"
      "France,FRA,2023, 56.0\n"
      "France,FRA,2024,\n",
      iso_codes());
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->at("FR"), (EmissionFactor{"France", 58.1}));
}

TEST(EmissionsOwidCsv, GoFloatSyntax) {
  auto value = [](const std::string& v) -> std::optional<double> {
    auto f = parse_owid_csv("France,FRA,2023," + v + "\n", iso_codes());
    if (!f.ok() || f->empty()) return std::nullopt;
    return f->at("FR").value;
  };
  EXPECT_EQ(value("+1.5"), 1.5);
  EXPECT_EQ(value("-2"), -2);
  EXPECT_EQ(value("1e3"), 1000);
  EXPECT_EQ(value(".5"), 0.5);
  EXPECT_EQ(value("0x1p-2"), 0.25);
  EXPECT_EQ(value("1e-400"), 0);  // underflow rounds, as in Go
  EXPECT_EQ(value("1e400"), std::nullopt);
  EXPECT_EQ(value("0x10"), std::nullopt);  // hex needs an exponent
  EXPECT_EQ(value("--1"), std::nullopt);
  EXPECT_EQ(value(""), std::nullopt);
}

TEST(EmissionsOwidCsv, QuotedFieldsFollowEncodingCsv) {
  auto f = parse_owid_csv(
      "Entity,Code,Year,v\r\n"
      "\r\n"
      "\"Korea, \"\"South\"\"\",\"FRA\",2023,\"12.5\"\r\n"
      "\"Multi\nline\",ALB,2023,7\n"
      "Algeria,DZA,2023,8",
      iso_codes());
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->at("FR"), (EmissionFactor{"Korea, \"South\"", 12.5}));
  EXPECT_EQ(f->at("AL"), (EmissionFactor{"Multi\nline", 7}));
  EXPECT_EQ(f->at("DZ"), (EmissionFactor{"Algeria", 8}));
}

TEST(EmissionsOwidCsv, MalformedCsvIsRejected) {
  for (const char* csv : {"Entity,Code,Year,v\nFrance,FRA,2023\n",         // ragged
                          "Entity,Code,Year,v\nFrance,FRA,2023,1,2\n",     // ragged
                          "Entity,Code,Year,v\nFr\"ance,FRA,2023,1\n",     // bare quote
                          "Entity,Code,Year,v\n\"France\"x,FRA,2023,1\n",  // text after quote
                          "Entity,Code,Year,v\n\"France,FRA,2023,1\n"}) {  // unterminated
    auto f = parse_owid_csv(csv, iso_codes());
    ASSERT_FALSE(f.ok()) << csv;
    EXPECT_THAT(f.error().message(), StartsWith("unable to parse file as OWID CSV file: ")) << csv;
  }
}

TEST(EmissionsOwidCsv, NarrowOrEmptyFilesGiveNothing) {
  auto narrow = parse_owid_csv("Entity,Code,Year\nFrance,FRA,2023\n", iso_codes());
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(narrow->empty());
  auto empty = parse_owid_csv("", iso_codes());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace ceems::emissions
