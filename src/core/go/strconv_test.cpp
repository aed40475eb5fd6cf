#include "core/go/strconv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace ceems::go {
namespace {

TEST(GoStrconv, ParseUintIsDigitsOnly) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parse_uint("18446744073709551616"));  // ErrRange
  for (const char* bad : {"", "+1", "-1", " 1", "1 ", "1_000", "0x10", "1.0"})
    EXPECT_FALSE(parse_uint(bad)) << bad;
}

TEST(GoStrconv, ParseIntTakesASignAndABitSize) {
  EXPECT_EQ(parse_int("+5"), 5);
  EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parse_int("9223372036854775808"));
  EXPECT_EQ(parse_int("-2147483648", 32), INT32_MIN);
  EXPECT_FALSE(parse_int("2147483648", 32));
  for (const char* bad : {"", "+", "-", "--1", "+-1", " 1", "1e3"}) EXPECT_FALSE(parse_int(bad)) << bad;
}

TEST(GoStrconv, ParseFloat) {
  EXPECT_EQ(parse_float("1.5"), 1.5);
  EXPECT_EQ(parse_float("+1e3"), 1000.0);
  EXPECT_EQ(parse_float("0x1p-2"), 0.25);
  EXPECT_EQ(parse_float("-0X1.8P1"), -3.0);
  EXPECT_EQ(parse_float("1e-400"), 0.0);  // underflow rounds to zero without an error
  EXPECT_FALSE(parse_float("1e309"));     // overflow is ErrRange
  EXPECT_EQ(parse_float("Inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_float("-infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*parse_float("NaN")));
  for (const char* bad : {"", " 1", "1 ", "0x1", "+-1", "1e", "."}) EXPECT_FALSE(parse_float(bad)) << bad;
}

std::string formatted(double v) {
  char buf[32];
  return {buf, format_float(v, buf)};
}

TEST(GoStrconv, FormatFloatShortestG) {
  EXPECT_EQ(formatted(0), "0");
  EXPECT_EQ(formatted(-0.0), "-0");
  EXPECT_EQ(formatted(1.5), "1.5");
  EXPECT_EQ(formatted(123456), "123456");
  EXPECT_EQ(formatted(1e6), "1e+06");
  EXPECT_EQ(formatted(1234567), "1.234567e+06");
  EXPECT_EQ(formatted(1e21), "1e+21");
  EXPECT_EQ(formatted(0.0001), "0.0001");
  EXPECT_EQ(formatted(0.00001), "1e-05");
  EXPECT_EQ(formatted(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(formatted(5e-324), "5e-324");
  EXPECT_EQ(formatted(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(formatted(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatted(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatted(std::nan("")), "NaN");
}

std::string unescaped(std::string_view body) {
  std::string out;
  auto st = unescape_string_body(body, out);
  return st ? out : "error: " + st.error().message();
}

TEST(GoStrconv, UnescapeStringLiteralBody) {
  EXPECT_EQ(unescaped(R"(a\x2db)"), "a-b");
  EXPECT_EQ(unescaped(R"(\a\b\f\n\r\t\v\\\")"), "\a\b\f\n\r\t\v\\\"");
  EXPECT_EQ(unescaped(R"(\u00e9\U0001F600)"), "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(unescaped(R"(\101\377)"), "A\xFF");
  EXPECT_EQ(unescaped(R"(\xff)"), "\xFF");  // \x is a byte, kept even when not UTF-8
  EXPECT_EQ(unescaped("a\xFF"), "a\xEF\xBF\xBD");
  EXPECT_EQ(unescaped(R"(\')"), "error: unknown escape \\'");
  EXPECT_EQ(unescaped(R"(\400)"), "error: octal escape above \\377");
  EXPECT_EQ(unescaped(R"(\uD800)"), "error: invalid code point");
  EXPECT_EQ(unescaped(R"(\U00110000)"), "error: invalid code point");
  EXPECT_EQ(unescaped(R"(\x4)"), "error: truncated \\x escape");
  EXPECT_EQ(unescaped(R"(\xg0)"), "error: invalid hex digit in \\x escape");
  EXPECT_EQ(unescaped(R"(\189)"), "error: invalid octal escape");
  EXPECT_EQ(unescaped(R"(\18)"), "error: truncated octal escape");
  EXPECT_EQ(unescaped("a\\"), "error: trailing backslash");
  EXPECT_EQ(unescaped("a\"b"), "error: raw '\"'");
  EXPECT_EQ(unescaped("a\nb"), "error: raw newline");
}

}  // namespace
}  // namespace ceems::go
