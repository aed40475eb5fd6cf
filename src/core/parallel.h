// One way to spread work over threads: parallel_for. The calling thread always
// works too, so a refused pool task or a failed thread creation only makes a run
// slower, never incomplete; helper threads that start after every index was taken
// return without touching the caller's state, so the caller never waits for a
// helper stuck in a busy pool's queue.
#pragma once

#include <cstddef>
#include <functional>

namespace ceems {

class TaskPool;

struct ParallelOptions {
  // Threads working at once, the caller included; 0: one per block.
  size_t max_threads = 0;
  // Consecutive indices a thread takes at a time: more than 1 for many small items
  // (the shared counter and the results' cache lines then rarely move between cores).
  size_t block = 1;
  // Helpers run on this pool when given (no thread creation per call), else on new threads.
  TaskPool* pool = nullptr;
};

// Calls fn(i) once for every i in [0, n) and returns when all calls have returned.
// The last index runs on the calling thread, before it helps with the others: work
// that belongs there (a scrape's last collector, a pipeline's own reading) stays
// there. The first exception thrown by a call is rethrown here after the others
// finished.
void parallel_for(size_t n, const std::function<void(size_t)>& fn, const ParallelOptions& options = {});

}  // namespace ceems
