#include "core/task_pool.h"

#include <thread>

namespace ceems {

struct TaskPool::State {
  Options options;
  std::mutex mu;
  std::condition_variable work_cv;  // a task arrived or the pool is stopping
  std::condition_variable done_cv;  // a task finished or a thread ended
  std::deque<std::function<void()>> queue;
  size_t threads = 0;
  size_t idle = 0;
  size_t running = 0;
  bool stopping = false;
};

TaskPool::TaskPool(Options options) : state_(std::make_shared<State>()) {
  if (options.max_threads == 0) options.max_threads = 1;
  state_->options = options;
}

TaskPool::~TaskPool() { stop(std::chrono::seconds(5)); }

bool TaskPool::submit(std::function<void()> task) {
  bool spawn = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopping) return false;
    // Idle threads take queued work first; only work they cannot absorb counts
    // against the queue bound.
    const size_t waiting = state_->queue.size() + 1;
    if (waiting > state_->idle && state_->threads < state_->options.max_threads) {
      spawn = true;
      ++state_->threads;
    } else if (waiting > state_->idle + state_->options.max_queued) {
      return false;
    }
    state_->queue.push_back(std::move(task));
  }
  if (spawn) {
    try {
      std::thread([s = state_] { worker(s); }).detach();
    } catch (const std::system_error&) {
      // Out of threads: the queued task waits for a running thread, if any.
      std::lock_guard<std::mutex> lock(state_->mu);
      --state_->threads;
      if (state_->threads == 0) {
        state_->queue.pop_back();
        return false;
      }
    }
  }
  state_->work_cv.notify_one();
  return true;
}

void TaskPool::worker(const std::shared_ptr<State>& s) {
  std::unique_lock<std::mutex> lock(s->mu);
  for (;;) {
    if (s->queue.empty()) {
      if (s->stopping) break;
      ++s->idle;
      const bool woke =
          s->work_cv.wait_for(lock, s->options.idle_exit, [&] { return !s->queue.empty() || s->stopping; });
      --s->idle;
      if (!woke) break;
      continue;
    }
    auto task = std::move(s->queue.front());
    s->queue.pop_front();
    ++s->running;
    lock.unlock();
    task();
    task = nullptr;  // captured state is released before the next wait
    lock.lock();
    --s->running;
    s->done_cv.notify_all();
  }
  --s->threads;
  s->done_cv.notify_all();
}

bool TaskPool::stop(std::chrono::milliseconds deadline) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->stopping = true;
  state_->work_cv.notify_all();
  return state_->done_cv.wait_for(lock, deadline,
                                  [&] { return state_->queue.empty() && state_->running == 0; });
}

size_t TaskPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

}  // namespace ceems
