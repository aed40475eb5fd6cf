#include "core/go/runes.h"

#include <gtest/gtest.h>

namespace ceems::go {
namespace {

TEST(GoRunes, LengthFollowsDecodeRune) {
  EXPECT_EQ(rune_length("a", 0), 1u);
  EXPECT_EQ(rune_length("\xC3\xA9", 0), 2u);
  EXPECT_EQ(rune_length("\xE2\x82\xAC", 0), 3u);
  EXPECT_EQ(rune_length("\xF0\x9F\x98\x80", 0), 4u);
  EXPECT_EQ(rune_length("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF, the last rune
  EXPECT_EQ(rune_length("\xC0\xAF", 0), 0u);          // overlong '/'
  EXPECT_EQ(rune_length("\xE0\x80\xAF", 0), 0u);      // overlong in three bytes
  EXPECT_EQ(rune_length("\xED\xA0\x80", 0), 0u);      // surrogate U+D800
  EXPECT_EQ(rune_length("\xF4\x90\x80\x80", 0), 0u);  // above U+10FFFF
  EXPECT_EQ(rune_length("\xE2\x82", 0), 0u);          // truncated
  EXPECT_EQ(rune_length("\x80", 0), 0u);              // lone continuation byte
  EXPECT_EQ(rune_length("\xFF", 0), 0u);
}

TEST(GoRunes, DecodeGivesReplacementForMalformedBytes) {
  size_t len = 0;
  EXPECT_EQ(decode_rune("\xE2\x82\xAC", 0, len), U'\u20AC');
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(decode_rune("\xE2\x82", 0, len), kReplacementRune);
  EXPECT_EQ(len, 1u);
}

TEST(GoRunes, AppendReplacesSurrogatesAndOutOfRange) {
  std::string out;
  append_rune(out, U'\u00E9');
  append_rune(out, 0x1F600);
  append_rune(out, 0xD800);
  append_rune(out, 0x110000);
  EXPECT_EQ(out, "\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(GoRunes, ValidString) {
  EXPECT_TRUE(valid_string(""));
  EXPECT_TRUE(valid_string("plain ASCII longer than eight bytes"));
  EXPECT_TRUE(valid_string("\xC3\xA9t\xC3\xA9"));
  EXPECT_FALSE(valid_string("\xC3"));
  EXPECT_FALSE(valid_string("\xC0\xAF"));
  EXPECT_FALSE(valid_string("\xED\xA0\x80"));
  EXPECT_FALSE(valid_string("eight ok\xFF"));  // the bad byte after the fast ASCII stretch
}

TEST(GoRunes, ReplacesEveryMalformedByteSeparately) {
  EXPECT_EQ(replace_malformed_bytes("a\xFF\xFE"
                                    "b"),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "b");
  // A truncated sequence is two malformed bytes, not one.
  EXPECT_EQ(replace_malformed_bytes("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(replace_malformed_bytes("\xE2\x82\xAC"), "\xE2\x82\xAC");
}

}  // namespace
}  // namespace ceems::go
