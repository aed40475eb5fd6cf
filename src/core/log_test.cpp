#include "core/log.h"

#include <gtest/gtest.h>

namespace ceems::log {
namespace {

TEST(Log, LogfmtQuotesAndEscapes) {
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

TEST(Log, Json) {
  auto line = format_line(Level::kError, "x\ny", {{"err", "bad"}}, SourceLocation::current(), Format::kJson);
  EXPECT_EQ(line.front(), '{');
  EXPECT_NE(line.find("\"level\":\"ERROR\""), std::string::npos);
  EXPECT_NE(line.find("\"msg\":\"x\\ny\""), std::string::npos);
  EXPECT_NE(line.find("\"err\":\"bad\"}"), std::string::npos);
}

TEST(Log, LevelsAndParsing) {
  EXPECT_EQ(*parse_level("warn"), Level::kWarn);
  EXPECT_FALSE(parse_level("verbose").ok());
  EXPECT_EQ(*parse_format("json"), Format::kJson);
  EXPECT_FALSE(parse_format("xml").ok());
  configure(Level::kWarn, Format::kLogfmt);
  EXPECT_FALSE(enabled(Level::kInfo));
  EXPECT_TRUE(enabled(Level::kError));
  configure(Level::kInfo, Format::kLogfmt);
}

}  // namespace
}  // namespace ceems::log
