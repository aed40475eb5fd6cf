#include "core/go/text.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ceems::go {
namespace {

TEST(GoText, TrimSpaceTrimsUnicodeWhiteSpace) {
  EXPECT_EQ(trim_space(" \t\r\n x y \v\f"), "x y");
  EXPECT_EQ(trim_space("\xC2\xA0x\xE3\x80\x80"), "x");              // U+00A0, U+3000
  EXPECT_EQ(trim_space("\xC2\x85x\xE2\x80\x8A\xE2\x80\xA8"), "x");  // U+0085, U+200A, U+2028
  EXPECT_EQ(trim_space("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");          // U+200B is no space
  EXPECT_EQ(trim_space("\xFF x \xFF"), "\xFF x \xFF");              // malformed bytes stay
  EXPECT_EQ(trim_space(" x\xE3\x80"), "x\xE3\x80");                 // a truncated rune is no space
  EXPECT_EQ(trim_space("   "), "");
  EXPECT_EQ(trim_space(""), "");
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  for_each_line(text, [&](std::string_view line) {
    out.emplace_back(line);
    return true;
  });
  return out;
}

TEST(GoText, LinesAsBufioScanLines) {
  EXPECT_EQ(lines_of("a\r\nb\n"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(lines_of("a\n\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(lines_of("a\r\r\n"), (std::vector<std::string>{"a\r"}));  // only one '\r' is dropped
  EXPECT_EQ(lines_of("\r"), (std::vector<std::string>{""}));
  EXPECT_TRUE(lines_of("").empty());
  EXPECT_EQ(lines_of("\n"), (std::vector<std::string>{""}));
}

TEST(GoText, LinesStopWhenAsked) {
  int seen = 0;
  EXPECT_FALSE(for_each_line("a\nb\nc", [&](std::string_view) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace ceems::go
