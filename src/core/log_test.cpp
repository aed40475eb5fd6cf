#include "core/log.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "core/testing/test_support.h"

namespace ceems::log {
namespace {

TEST(CoreLog, LogfmtQuotesAndEscapes) {
  auto line = format_line(Level::kInfo, "hello world", {{"k", "v"}, {"q", "a \"b\""}, {"n", 42}},
                          SourceLocation::current(), Format::kLogfmt);
  EXPECT_NE(line.find("level=INFO"), std::string::npos);
  EXPECT_NE(line.find("msg=\"hello world\""), std::string::npos);
  EXPECT_NE(line.find(" k=v"), std::string::npos);
  EXPECT_NE(line.find("q=\"a \\\"b\\\"\""), std::string::npos);
  EXPECT_NE(line.find("n=42"), std::string::npos);
  EXPECT_NE(line.find("source=log_test.cpp:"), std::string::npos);
  EXPECT_EQ(line.back(), '\n');
}

TEST(CoreLog, Json) {
  auto line = format_line(Level::kError, "x\ny", {{"err", "bad"}}, SourceLocation::current(), Format::kJson);
  EXPECT_EQ(line.front(), '{');
  EXPECT_NE(line.find("\"level\":\"ERROR\""), std::string::npos);
  EXPECT_NE(line.find("\"msg\":\"x\\ny\""), std::string::npos);
  EXPECT_NE(line.find("\"err\":\"bad\"}"), std::string::npos);
}

TEST(CoreLog, LevelsAndParsing) {
  EXPECT_EQ(*parse_level("warn"), Level::kWarn);
  EXPECT_FALSE(parse_level("verbose").ok());
  EXPECT_EQ(*parse_format("json"), Format::kJson);
  EXPECT_FALSE(parse_format("xml").ok());
  configure(Level::kWarn, Format::kLogfmt);
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  configure(Level::kInfo, Format::kLogfmt);
}

TEST(CoreLog, RawBytesAreEscaped) {
  const std::string raw = std::string("bad \xff\xfe byte, caf\xc3\xa9, del \x7f, nul ") + '\0';
  auto logfmt = format_line(Level::kError, "m", {{"value", raw}}, SourceLocation::current(), Format::kLogfmt);
  EXPECT_NE(logfmt.find(R"(value="bad \xff\xfe byte, caf)"
                        "\xc3\xa9"
                        R"(, del \u007f, nul \u0000")"),
            std::string::npos)
      << logfmt;
  auto json = format_line(Level::kError, "m", {{"value", raw}}, SourceLocation::current(), Format::kJson);
  EXPECT_NE(json.find(R"("value":"bad \ufffd\ufffd byte, caf)"
                      "\xc3\xa9"
                      R"(, del \u007f, nul \u0000")"),
            std::string::npos)
      << json;
  // Well-formed non-ASCII text needs no quotes.
  auto plain =
      format_line(Level::kInfo, "m", {{"v", "caf\xc3\xa9"}}, SourceLocation::current(), Format::kLogfmt);
  EXPECT_NE(plain.find(" v=caf\xc3\xa9\n"), std::string::npos) << plain;
  // A truncated sequence at the end is malformed too.
  auto cut = format_line(Level::kInfo, "m", {{"v", "a\xc3"}}, SourceLocation::current(), Format::kLogfmt);
  EXPECT_NE(cut.find(R"( v="a\xc3")"), std::string::npos) << cut;
}

size_t count(const std::string& text, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

void fail_from_one_place(const Logger& logger, std::string_view name, int i) {
  logger.error(
      "reading failed",
      {{"name", name}, {"duration_seconds", 0.001 * i}, {"err", "corrupt file " + std::to_string(i)}});
}

TEST(CoreLog, RepeatedErrorsFromOneSourceAreCounted) {
  test_support::LogCapture cap(Level::kDebug);
  Logger logger("collector", "cgroup");
  for (int i = 0; i < 1000; ++i) fail_from_one_place(logger, "a", i);
  // Another identity, another logger context and a DEBUG line are not limited.
  fail_from_one_place(logger, "b", 0);
  fail_from_one_place(logger.with("collector", "other"), "a", 0);
  for (int i = 0; i < 3; ++i) logger.debug("detail");
  const std::string text = cap.text();
  EXPECT_EQ(count(text, "msg=\"reading failed\""), 3U) << text;
  EXPECT_EQ(count(text, "corrupt file 0\""), 3U) << text;
  EXPECT_EQ(count(text, "msg=detail"), 3U) << text;
  EXPECT_EQ(text.find("suppressed="), std::string::npos) << text;
}

TEST(CoreLog, FirstRepeatAfterTheWindowCarriesTheCount) {
  test_support::LogCapture cap;
  set_repeat_window(std::chrono::milliseconds(30));
  Logger logger;
  for (int i = 0; i < 5; ++i) fail_from_one_place(logger, "a", i);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  fail_from_one_place(logger, "a", 5);
  set_repeat_window(kDefaultRepeatWindow);
  const std::string text = cap.text();
  EXPECT_EQ(count(text, "msg=\"reading failed\""), 2U) << text;
  EXPECT_NE(text.find("corrupt file 5\" suppressed=4\n"), std::string::npos) << text;
}

TEST(CoreLog, ZeroWindowTurnsTheLimitOff) {
  test_support::LogCapture cap;
  set_repeat_window(std::chrono::milliseconds(0));
  Logger logger;
  for (int i = 0; i < 4; ++i) fail_from_one_place(logger, "a", i);
  set_repeat_window(kDefaultRepeatWindow);
  EXPECT_EQ(count(cap.text(), "msg=\"reading failed\""), 4U);
}

}  // namespace
}  // namespace ceems::log
