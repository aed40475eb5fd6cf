#include "core/strings.h"

#include <gtest/gtest.h>

namespace ceems {
namespace {

TEST(CoreStrings, TrimAndFields) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(trim(""), "");
  auto f = fields("  cpu  1 2\t3\n");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], "cpu");
  EXPECT_EQ(f[3], "3");
  EXPECT_TRUE(fields("   ").empty());
}

TEST(CoreStrings, SplitKeepsEmptyFields) {
  auto s = split("a,,b,", ',');
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[1], "");
  EXPECT_EQ(s[3], "");
}

TEST(CoreStrings, StrictNumbers) {
  EXPECT_EQ(parse_u64(" 42\n"), 42u);
  EXPECT_FALSE(parse_u64("42x"));
  EXPECT_FALSE(parse_u64("-1"));
  EXPECT_FALSE(parse_u64(""));
  EXPECT_EQ(parse_i64("-7"), -7);
  EXPECT_DOUBLE_EQ(*parse_double("+1.5"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_double("1e3"), 1000);
  EXPECT_FALSE(parse_double("1.5.2"));
  EXPECT_FALSE(parse_double("+"));
  EXPECT_FALSE(parse_double("abc"));
}

TEST(CoreStrings, SanitizeMetricName) {
  EXPECT_EQ(sanitize_metric_name("package"), "package");
  EXPECT_EQ(sanitize_metric_name("a-b"), "a_b");
  EXPECT_EQ(sanitize_metric_name("a_-_b"), "a_b");
  EXPECT_EQ(sanitize_metric_name("a__b"), "a__b");
  EXPECT_EQ(sanitize_metric_name("x.y z"), "x_y_z");
}

TEST(CoreStrings, QuoteForError) {
  EXPECT_EQ(quote_for_error("a\"b\n"), "\"a\\\"b\\n\"");
  EXPECT_EQ(quote_for_error("abcdef", 3), "\"abc...\"");
}

TEST(CorePrintableExcerpt, OneLineOfAsciiCut) {
  EXPECT_EQ(printable_excerpt("", 10), "");
  EXPECT_EQ(printable_excerpt("  \r\n", 10), "");
  EXPECT_EQ(printable_excerpt("TLS handshake failed\n", 100), "TLS handshake failed");
  EXPECT_EQ(printable_excerpt(" a\r\n\tb  c \n", 100), "a b c");
  EXPECT_EQ(printable_excerpt("a\x01\x7f\xc3\xa9z", 100), "a????z");
  EXPECT_EQ(printable_excerpt("abcdef", 6), "abcdef");
  EXPECT_EQ(printable_excerpt("abcdefg", 6), "abcdef...");
  EXPECT_EQ(printable_excerpt("abcdef   ", 6), "abcdef");
  EXPECT_EQ(printable_excerpt(std::string(10000, 'x'), 256), std::string(256, 'x') + "...");
}

TEST(CoreStrings, EqualsIgnoringCaseIsAsciiOnly) {
  EXPECT_TRUE(equals_ignoring_case("Content-Length", "content-LENGTH"));
  EXPECT_TRUE(equals_ignoring_case("", ""));
  EXPECT_FALSE(equals_ignoring_case("gzip", "gzi"));
  EXPECT_FALSE(equals_ignoring_case("\xC3\xA9", "\xC3\x89"));  // é and É differ outside ASCII
  EXPECT_FALSE(equals_ignoring_case("[", "{"));                // no folding beyond letters
}

}  // namespace
}  // namespace ceems
