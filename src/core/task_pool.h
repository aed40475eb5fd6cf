// Threads started on demand up to a cap that end after a quiet spell, with a bounded
// queue beyond the cap (a flood is refused instead of buffered). The HTTP server runs
// request handlers and bcrypt checks on them (never on its event thread); the scrape
// engine runs collectors on them, so a scrape does not pay for creating threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

namespace ceems {

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

}  // namespace ceems
