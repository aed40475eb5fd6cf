#include "core/duration.h"

#include <gtest/gtest.h>

namespace ceems {
namespace {

using std::chrono::nanoseconds;

nanoseconds ok(std::string_view s) {
  auto r = parse_duration(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? *r : nanoseconds(-1);
}

TEST(CoreDuration, GoForms) {
  EXPECT_EQ(ok("0"), nanoseconds(0));
  EXPECT_EQ(ok("2s"), std::chrono::seconds(2));
  EXPECT_EQ(ok("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(ok("1m30s"), std::chrono::seconds(90));
  EXPECT_EQ(ok("1.5h"), std::chrono::minutes(90));
  EXPECT_EQ(ok("10us"), std::chrono::microseconds(10));
  EXPECT_EQ(ok("10\xC2\xB5s"), std::chrono::microseconds(10));
  EXPECT_EQ(ok("7ns"), nanoseconds(7));
  EXPECT_EQ(ok(".5s"), std::chrono::milliseconds(500));
}

TEST(CoreDuration, ErrorsQuoteTheInput) {
  for (std::string_view bad : {"", "2", "s", "-1s", "2x", "1..2s", ".s", "1e3s", "99999999999h", "2s "}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("invalid duration"), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace ceems
