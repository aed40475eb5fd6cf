#include "core/failure_episode.h"

#include <gtest/gtest.h>

namespace ceems {
namespace {

TEST(CoreFailureEpisode, WarnsOnceThenDebugUntilTheNextSuccess) {
  FailureEpisode e;
  EXPECT_EQ(e.succeeded(), 0) << "a success outside an episode reports nothing";
  EXPECT_EQ(e.failed(), log::Level::kWarn);
  EXPECT_EQ(e.failed(), log::Level::kDebug);
  EXPECT_EQ(e.failed(), log::Level::kDebug);
  EXPECT_EQ(e.failures(), 3);
  EXPECT_EQ(e.succeeded(), 3);
  EXPECT_EQ(e.failures(), 0);
  EXPECT_EQ(e.failed(), log::Level::kWarn) << "a new episode warns again";
}

}  // namespace
}  // namespace ceems
