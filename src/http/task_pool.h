// Threads for work that must not run on the server's event thread: request handlers
// (a scrape blocks for as long as its collectors take) and bcrypt checks (~90 ms of
// CPU each). Threads are started on demand up to a cap and end after a quiet spell,
// so an idle exporter holds no handler threads and their stacks; work beyond the cap
// waits in a queue that is bounded, so a flood is refused instead of buffered.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace ceems::http {

class TaskPool {
 public:
  struct Options {
    size_t max_threads = 64;
    size_t max_queued = 1024;  // tasks waiting for a thread; beyond it submit() refuses
    std::chrono::milliseconds idle_exit{std::chrono::seconds(10)};
  };

  explicit TaskPool(Options options);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // Runs task on a pool thread. False (task dropped) when the queue is full or the
  // pool is stopping.
  bool submit(std::function<void()> task);

  // Refuses new tasks and waits up to deadline for queued and running ones. True when
  // all finished; otherwise the remaining threads are left to finish on their own (they
  // hold only the shared state, never this object).
  bool stop(std::chrono::milliseconds deadline);

  size_t threads() const;

 private:
  struct State;
  static void worker(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

}  // namespace ceems::http
