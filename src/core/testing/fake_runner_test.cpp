#include "core/testing/fake_runner.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace ceems::test_support {
namespace {

Command cmd(std::vector<std::string> argv) { return Command{.argv = std::move(argv)}; }

TEST(CoreFakeRunner, ExactThenLongestPrefixThenFallback) {
  FakeRunner r;
  r.answer("statistic qp mode", "link mlx5_0/1 auto off\n");
  r.answer_prefix("statistic", "any statistic\n");
  r.answer_prefix("statistic qp", "qp\n");
  EXPECT_EQ(r.run(cmd({"rdma", "statistic", "qp", "mode"}))->output, "link mlx5_0/1 auto off\n");
  EXPECT_EQ(r.run(cmd({"rdma", "statistic", "qp", "show"}))->output, "qp\n");
  EXPECT_EQ(r.run(cmd({"rdma", "statistic", "mr"}))->output, "any statistic\n");
  // Whole words only.
  auto none = r.run(cmd({"rdma", "statisticx"}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(), "command exited with status 1");

  r.fallback([](const Command& c) { return FakeRunner::ok("fallback for " + c.argv[0]); });
  EXPECT_EQ(r.run(cmd({"tool"}))->output, "fallback for tool");
  r.forget("statistic qp mode");
  EXPECT_EQ(r.run(cmd({"rdma", "statistic", "qp", "mode"}))->output, "qp\n");

  EXPECT_EQ(r.count("statistic qp"), 3U);
  EXPECT_EQ(r.call_args().front(), "statistic qp mode");
  r.clear_calls();
  EXPECT_TRUE(r.calls().empty());
}

TEST(CoreFakeRunner, OnlyOneProgram) {
  FakeRunner r;
  r.only_program("/sbin/rdma");
  r.answer_prefix("", "ok");
  EXPECT_TRUE(r.run(cmd({"/sbin/rdma", "x"})).ok());
  auto other = r.run(cmd({"rdma", "x"}));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(r.calls().size(), 2U);
}

TEST(CoreFakeRunner, RecordsCallsFromManyThreads) {
  FakeRunner r;
  r.answer("a", "1");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) (void)r.run(cmd({"p", "a"}));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.count("a"), 400U);
}

TEST(CoreNoCommands, RefusesEverything) {
  NoCommands r;
  EXPECT_FALSE(r.run(cmd({"true"})).ok());
}

}  // namespace
}  // namespace ceems::test_support
