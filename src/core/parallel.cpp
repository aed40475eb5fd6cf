#include "core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/task_pool.h"

namespace ceems {
namespace {

// Shared with the helpers, which may outlive the call when they start late.
struct Run {
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable idle;
  size_t active = 0;    // helpers inside work()
  bool closed = false;  // every index taken and the caller waiting: late helpers leave
  std::exception_ptr error;
};

void work(Run& run, size_t n, size_t block, const std::function<void(size_t)>& fn) {
  for (size_t b = run.next.fetch_add(block); b < n; b = run.next.fetch_add(block)) {
    const size_t end = std::min(n, b + block);
    for (size_t i = b; i < end; ++i) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(run.mu);
        if (!run.error) run.error = std::current_exception();
      }
    }
  }
}

}  // namespace

void parallel_for(size_t n, const std::function<void(size_t)>& fn, const ParallelOptions& options) {
  if (n == 0) return;
  const size_t block = std::max<size_t>(1, options.block);
  const size_t blocks = (n + block - 1) / block;
  const size_t workers = options.max_threads == 0 ? blocks : std::min(blocks, options.max_threads);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }

  // Helpers share the indices before the last, which is the caller's.
  const size_t shared = n - 1;
  auto run = std::make_shared<Run>();
  // fn is the caller's: a helper touches it only between registering as active
  // (refused once the run is closed) and deregistering, both under the lock.
  auto helper = [run, shared, block, &fn] {
    {
      std::lock_guard<std::mutex> lock(run->mu);
      if (run->closed) return;
      ++run->active;
    }
    work(*run, shared, block, fn);
    std::lock_guard<std::mutex> lock(run->mu);
    if (--run->active == 0) run->idle.notify_all();
  };

  std::vector<std::thread> threads;
  for (size_t h = 1; h < workers; ++h) {
    if (options.pool != nullptr) {
      if (options.pool->submit(helper)) continue;
      break;  // the pool is full: the threads already working finish the rest
    }
    try {
      threads.emplace_back(helper);
    } catch (const std::system_error&) {
      break;  // the thread limit: the same
    }
  }
  try {
    fn(n - 1);
  } catch (...) {
    std::lock_guard<std::mutex> lock(run->mu);
    if (!run->error) run->error = std::current_exception();
  }
  work(*run, shared, block, fn);
  {
    std::unique_lock<std::mutex> lock(run->mu);
    run->closed = true;
    run->idle.wait(lock, [&] { return run->active == 0; });
  }
  for (std::thread& t : threads) t.join();
  if (run->error) std::rethrow_exception(run->error);
}

}  // namespace ceems
