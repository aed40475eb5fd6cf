#include "core/go/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace ceems::go {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

TEST(GoJson, ReplacesMalformedBytesInsideStrings) {
  auto doc = decode_json<json>("{\"zone\": \"a\xFF\"}");
  ASSERT_TRUE(doc.ok()) << doc.error().message();
  EXPECT_EQ((*doc)["zone"], "a\xEF\xBF\xBD");
  EXPECT_FALSE(decode_json<json>("{\"a\": 1}\xFF").ok());  // outside a string it is a syntax error
}

TEST(GoJson, RejectsAByteOrderMark) {
  auto doc = decode_json<ordered_json>("\xEF\xBB\xBF{}");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().message(), "invalid character 'ï' looking for beginning of value");
}

TEST(GoJson, NestingLimit) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(decode_json<json>(nested(kJsonMaxDepth)).ok());
  auto deep = decode_json<json>(nested(kJsonMaxDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message(), "exceeded max depth");
}

TEST(GoJson, SyntaxErrorsCarryTheParserMessage) {
  auto doc = decode_json<json>("{\"a\": }");
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(doc.error().message(), testing::HasSubstr("syntax error"));
}

TEST(GoJson, KeysMatchFieldsUnderGoCaseFolding) {
  EXPECT_TRUE(json_key_matches("Chassis", "Chassis"));
  EXPECT_TRUE(json_key_matches("CHASSIS", "chassis"));
  EXPECT_TRUE(json_key_matches("\xC5\xBFize", "size"));  // U+017F long s
  EXPECT_TRUE(
      json_key_matches("\xE2\x84\xAA"
                       "ey",
                       "KEY"));  // U+212A Kelvin sign
  EXPECT_FALSE(json_key_matches("keys", "key"));
  EXPECT_FALSE(json_key_matches("ke", "key"));
  EXPECT_FALSE(json_key_matches("k\xC3\xA9y", "key"));
  EXPECT_FALSE(json_key_matches("\xE2\x84\xAA", "k\xE2\x84\xAA"));  // fields are ASCII
}

TEST(GoJson, LastMatchingNonNullKeyWins) {
  auto doc = decode_json<ordered_json>(R"({"chassis": 1, "Chassis": 2, "CHASSIS": null, "other": 3})");
  ASSERT_TRUE(doc.ok());
  ASSERT_NE(json_field(*doc, "Chassis"), nullptr);
  EXPECT_EQ(*json_field(*doc, "Chassis"), 2);
  EXPECT_EQ(json_field(*doc, "Missing"), nullptr);

  // Document order decides, not which key is spelled exactly like the field.
  auto reversed = decode_json<ordered_json>(R"({"Chassis": 2, "chassis": 1})");
  ASSERT_TRUE(reversed.ok());
  EXPECT_EQ(*json_field(*reversed, "Chassis"), 1);

  auto only_null = decode_json<json>(R"({"Chassis": null})");
  ASSERT_TRUE(only_null.ok());
  EXPECT_EQ(json_field(*only_null, "Chassis"), nullptr);
}

}  // namespace
}  // namespace ceems::go
