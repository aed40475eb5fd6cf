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
  EXPECT_EQ(hold.good(), 0u);

  clock.t += 30s;
  auto first = hold.bad();
  EXPECT_TRUE(first.hold);
  EXPECT_TRUE(first.episode_start);

  clock.t += 4min;
  auto second = hold.bad();
  EXPECT_TRUE(second.hold);
  EXPECT_FALSE(second.episode_start);

  clock.t += 31s;  // 5 min 1 s since the good reading
  auto expired = hold.bad();
  EXPECT_FALSE(expired.hold);
  EXPECT_FALSE(expired.episode_start);
  EXPECT_FALSE(hold.bad().hold);
  EXPECT_EQ(hold.held_total(), 2u);

  EXPECT_EQ(hold.good(), 4u);  // the episode had four bad readings
  clock.t += 1s;
  auto again = hold.bad();
  EXPECT_TRUE(again.hold);
  EXPECT_TRUE(again.episode_start);
  EXPECT_EQ(hold.held_total(), 3u);
}

TEST(CoreReadingHold, NothingToHoldBeforeTheFirstGoodReading) {
  ManualClock clock;
  ReadingHold hold(5min, clock.fn());
  auto v = hold.bad();
  EXPECT_FALSE(v.hold);
  EXPECT_TRUE(v.episode_start);
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
