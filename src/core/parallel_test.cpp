#include "core/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/task_pool.h"

namespace ceems {
namespace {

using namespace std::chrono_literals;

TEST(CoreParallelFor, CallsEveryIndexOnce) {
  for (const ParallelOptions& options :
       {ParallelOptions{}, ParallelOptions{4, 32, nullptr}, ParallelOptions{1, 1, nullptr}}) {
    std::vector<std::atomic<int>> calls(1000);
    parallel_for(
        calls.size(), [&](size_t i) { calls[i].fetch_add(1); }, options);
    for (size_t i = 0; i < calls.size(); ++i) ASSERT_EQ(calls[i].load(), 1) << i;
  }
  parallel_for(0, [](size_t) { FAIL(); });
}

TEST(CoreParallelFor, RunsCallsConcurrently) {
  // Each call waits for all three to have started: only concurrent calls get through.
  std::mutex mu;
  std::condition_variable cv;
  int arrived = 0;
  std::atomic<int> met{0};
  parallel_for(3, [&](size_t) {
    std::unique_lock<std::mutex> lock(mu);
    ++arrived;
    cv.notify_all();
    if (cv.wait_for(lock, 10s, [&] { return arrived == 3; })) met.fetch_add(1);
  });
  EXPECT_EQ(met.load(), 3);
}

TEST(CoreParallelFor, TheLastIndexRunsOnTheCallingThreadFirst) {
  const auto caller = std::this_thread::get_id();
  std::atomic<int> before_last{0};
  std::atomic<bool> last_on_caller{false};
  std::atomic<int> seen_before_last{-1};
  parallel_for(64, [&](size_t i) {
    if (i == 63) {
      last_on_caller = std::this_thread::get_id() == caller;
      seen_before_last = before_last.load();
    } else if (std::this_thread::get_id() == caller) {
      before_last.fetch_add(1);  // the caller helps with the rest only after its own index
    }
  });
  EXPECT_TRUE(last_on_caller.load());
  EXPECT_EQ(seen_before_last.load(), 0);
}

TEST(CoreParallelFor, RethrowsAfterTheOtherCallsFinished) {
  std::atomic<int> finished{0};
  EXPECT_THROW(parallel_for(8,
                            [&](size_t i) {
                              if (i == 2) throw std::runtime_error("boom");
                              finished.fetch_add(1);
                            }),
               std::runtime_error);
  EXPECT_EQ(finished.load(), 7);
}

TEST(CoreParallelFor, DoesNotWaitForHelpersQueuedInABusyPool) {
  TaskPool pool(TaskPool::Options{1, 4, 10s});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.submit([released] { released.wait(); }));  // the pool's only thread is busy

  std::vector<std::atomic<int>> calls(16);
  auto done = std::async(std::launch::async, [&] {
    parallel_for(
        calls.size(), [&](size_t i) { calls[i].fetch_add(1); }, ParallelOptions{4, 1, &pool});
  });
  // The caller does every index itself and returns while its helpers still wait in the queue.
  EXPECT_EQ(done.wait_for(10s), std::future_status::ready);
  release.set_value();
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].load(), 1) << i;
  EXPECT_TRUE(pool.stop(10s));
}

TEST(CoreParallelFor, AFullPoolLeavesTheWorkToTheCaller) {
  TaskPool pool(TaskPool::Options{1, 0, 10s});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ASSERT_TRUE(pool.submit([released] { released.wait(); }));
  std::vector<std::atomic<int>> calls(5);
  parallel_for(
      calls.size(), [&](size_t i) { calls[i].fetch_add(1); }, ParallelOptions{0, 1, &pool});
  release.set_value();
  for (size_t i = 0; i < calls.size(); ++i) EXPECT_EQ(calls[i].load(), 1) << i;
  EXPECT_TRUE(pool.stop(10s));
}

}  // namespace
}  // namespace ceems
