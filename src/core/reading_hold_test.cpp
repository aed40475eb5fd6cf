#include "core/reading_hold.h"

#include <gtest/gtest.h>

namespace ceems {
namespace {

using namespace std::chrono_literals;

struct ManualClock {
  std::chrono::steady_clock::time_point t{};
  ReadingHold::Clock fn() {
    return [this] { return t; };
  }
};

TEST(CoreReadingHold, HoldsTheLastGoodReadingForMaxAgeThenExpiresOnce) {
  ManualClock clock;
  ReadingHold hold(5min, clock.fn());
  EXPECT_EQ(hold.good(), 0);

  clock.t += 30s;
  auto first = hold.bad();
  EXPECT_TRUE(first.hold);
  EXPECT_EQ(first.level, log::Level::kWarn);

  clock.t += 4min;
  auto second = hold.bad();
  EXPECT_TRUE(second.hold);
  EXPECT_EQ(second.level, log::Level::kDebug);

  clock.t += 31s;  // 5 min 1 s since the good reading
  auto expired = hold.bad();
  EXPECT_FALSE(expired.hold);
  EXPECT_EQ(expired.level, log::Level::kDebug);
  EXPECT_FALSE(hold.bad().hold);
  EXPECT_EQ(hold.held_total(), 2u);

  EXPECT_EQ(hold.good(), 4);  // the episode had four bad readings
  clock.t += 1s;
  auto again = hold.bad();
  EXPECT_TRUE(again.hold);
  EXPECT_EQ(again.level, log::Level::kWarn);
  EXPECT_EQ(hold.held_total(), 3u);
}

TEST(CoreReadingHold, NothingToHoldBeforeTheFirstGoodReading) {
  ManualClock clock;
  ReadingHold hold(5min, clock.fn());
  auto v = hold.bad();
  EXPECT_FALSE(v.hold);
  EXPECT_EQ(v.level, log::Level::kWarn);
  EXPECT_EQ(hold.held_total(), 0u);
}

TEST(CoreReadingHold, ZeroMaxAgeDisablesHolding) {
  ManualClock clock;
  ReadingHold hold(0ms, clock.fn());
  hold.good();
  auto v = hold.bad();
  EXPECT_FALSE(v.hold);
  EXPECT_EQ(hold.held_total(), 0u);
}

}  // namespace
}  // namespace ceems
