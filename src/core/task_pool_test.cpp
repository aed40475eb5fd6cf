#include "core/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace ceems {
namespace {

TEST(CoreTaskPool, RunsEveryTaskAndReusesThreads) {
  TaskPool pool(TaskPool::Options{2, 100, std::chrono::seconds(5)});
  std::atomic<int> ran{0};
  for (int round = 0; round < 3; ++round) {
    std::promise<void> done;
    std::atomic<int> left{10};
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(pool.submit([&] {
        ++ran;
        if (--left == 0) done.set_value();
      }));
    }
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  }
  EXPECT_EQ(ran.load(), 30);
  EXPECT_LE(pool.threads(), 2u);
}

TEST(CoreTaskPool, FullQueueRefuses) {
  TaskPool pool(TaskPool::Options{1, 1, std::chrono::seconds(5)});
  std::promise<void> gate;
  auto open = gate.get_future().share();
  std::promise<void> entered;
  ASSERT_TRUE(pool.submit([open, &entered] {
    entered.set_value();
    open.wait();
  }));
  entered.get_future().wait();
  EXPECT_TRUE(pool.submit([] {}));   // queued
  EXPECT_FALSE(pool.submit([] {}));  // beyond the queue bound
  gate.set_value();
  EXPECT_TRUE(pool.stop(std::chrono::seconds(10)));
  EXPECT_FALSE(pool.submit([] {}));  // stopping
}

TEST(CoreTaskPool, IdleThreadsEnd) {
  TaskPool pool(TaskPool::Options{4, 10, std::chrono::milliseconds(50)});
  std::promise<void> done;
  ASSERT_TRUE(pool.submit([&] { done.set_value(); }));
  done.get_future().wait();
  for (int i = 0; i < 200 && pool.threads() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pool.threads(), 0u);
}

TEST(CoreTaskPool, StopWaitsWithADeadline) {
  TaskPool pool(TaskPool::Options{1, 10, std::chrono::seconds(5)});
  auto gate = std::make_shared<std::promise<void>>();
  auto open = gate->get_future().share();
  ASSERT_TRUE(pool.submit([open] { open.wait(); }));
  EXPECT_FALSE(pool.stop(std::chrono::milliseconds(50)));
  gate->set_value();
}

}  // namespace
}  // namespace ceems
