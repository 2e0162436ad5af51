// torchlet's own worker threads, for kernels that split work themselves (OpenBLAS keeps its own pool for GEMMs).
// One process-wide pool: the caller runs tasks too (each thread its own share first, see drain); between regions
// workers spin for about 100 us, then sleep on a condition variable (so they do not hold a core that OpenBLAS's
// threads need for long), and a worker that finds itself on its caller's CPU moves off it before it looks for work
// (see move_off). The caller takes the tasks of workers that have not started yet, and does not wait for a worker
// that never entered the region (enter). A region started while another is running (two Node workers converging on
// a kernel at once) runs serially on its caller instead.
#if defined(__linux__)
#include <sched.h>
#include <unistd.h>
#endif
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "kernels.h"

namespace torchlet {

namespace parallel_detail {
namespace {

// Spins until done() holds or about 100 us have passed; returns whether done() held. Regions tend to follow each
// other within microseconds (one per op in a training step), so a short spin saves most futex wake-ups, whose
// latency on a loaded VM can exceed a whole small op.
// The spin yields the core now and then: on a VM the other thread may share this core, and must get to run.
template <typename F>
bool spin_until(F done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
  for (int i = 0;; ++i) {
    if (done()) return true;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((i & 63) == 63) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
  }
}

// A region's participants (the caller and its helpers) and tasks at most (a range of tasks packs in one word).
constexpr int64_t kMaxParticipants = 256;
constexpr int64_t kMaxTasks = 0xffffffff;

class Pool {
 public:
  void run(int64_t tasks, int threads, const TaskFn& fn) {
    std::unique_lock<std::mutex> region(region_, std::try_to_lock);
    if (!region.owns_lock() || threads <= 1 || tasks <= 1 || tasks > kMaxTasks) {
      for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
      return;
    }
    int helpers = int(std::min<int64_t>({threads, tasks, kMaxParticipants})) - 1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A thread that cannot start (out of memory, a process limit) leaves the region to the threads there are.
      try {
        while (int(workers_.size()) < helpers) {
          const int id = int(workers_.size()) + 1;
          workers_.emplace_back([this, id] { work(id); });
        }
      } catch (const std::exception&) {
        helpers = int(workers_.size());
      }
      fn_ = &fn;
      caller_cpu_ = current_cpu();
      tasks_ = tasks;
      // Participant p (0 the caller, then the helpers) owns tasks [tasks p / n, tasks (p + 1) / n).
      const int n = helpers + 1;
      for (int p = 0; p < n; ++p) ranges_[size_t(p)].store(pack(tasks * p / n, tasks * (p + 1) / n));
      helpers_ = helpers;
      left_.store(0);
      const uint64_t generation = generation_.load() + 1;
      entry_.store(generation << 32);
      generation_.store(generation, std::memory_order_release);
    }
    wake_.notify_all();
    drain(0);
    // Every task is taken. The region closes: a helper that has not entered it by now finds it closed and never
    // reads fn_, so the caller waits only for the helpers inside, not for one the scheduler has not run yet (on a
    // busy machine, a time slice: 2-thread ops of 1M floats took 3-4 ms beside a process using the other core).
    const uint64_t entered = entry_.fetch_or(kClosed, std::memory_order_acq_rel) & kEnteredMask;
    const auto all_left = [this, entered] { return uint64_t(left_.load(std::memory_order_acquire)) == entered; };
    if (!spin_until(all_left)) {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait(lock, all_left);
    }
    fn_ = nullptr;
    // A task's exception reaches the caller (a worker's would end the process); the region's other tasks were
    // skipped.
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  // Each participant runs its own range of tasks from the front, then takes what is left of the others' from
  // their backs. Tasks are ranges of elements in order, so a thread gets the same elements in every region while
  // the threads keep pace, and they stay in its core's L2 (a shared counter handed tasks out in arrival order). On
  // 2 threads, medians of alternating processes: sum over the rows of [1024, 1024] 93-101 us -> 85-91, sum of all
  // 74-82 -> 67-74; elementwise ops and the convolution unchanged within noise. A late thread's tasks still get
  // done, by the others.
  void drain(int id) {
    const int n = helpers_ + 1;
    for (int k = 0; k < n; ++k) {
      const int p = (id + k) % n;
      for (int64_t t = take(p, k == 0); t >= 0; t = take(p, k == 0)) {
        try {
          (*fn_)(t, id);
        } catch (...) {
          std::lock_guard<std::mutex> lock(mu_);
          if (!error_) error_ = std::current_exception();
          for (int q = 0; q < n; ++q) ranges_[size_t(q)].store(0);
        }
      }
    }
  }

  // A region's entry word: its generation (high 32 bits), kClosed once the caller has drained it, and how many
  // helpers entered it (they alone may read fn_).
  static constexpr uint64_t kClosed = uint64_t(1) << 31;
  static constexpr uint64_t kEnteredMask = kClosed - 1;
  // Enters region `generation` unless it is closed or over; returns whether this helper is in.
  bool enter(uint64_t generation) {
    uint64_t e = entry_.load(std::memory_order_acquire);
    while ((e >> 32) == (generation & 0xffffffffu) && !(e & kClosed)) {
      if (entry_.compare_exchange_weak(e, e + 1, std::memory_order_acq_rel)) return true;
    }
    return false;
  }

  // A range of tasks [front, back) in one word, so the owner (taking the front) and thieves (taking the back)
  // agree on each task through one compare-and-swap.
  static uint64_t pack(int64_t front, int64_t back) { return uint64_t(front) << 32 | uint64_t(back); }
  // The next task of range p (from the front for its owner, else from the back), or -1 when it is empty.
  int64_t take(int p, bool own) {
    std::atomic<uint64_t>& r = ranges_[size_t(p)];
    uint64_t v = r.load(std::memory_order_acquire);
    for (;;) {
      const int64_t front = int64_t(v >> 32), back = int64_t(v & 0xffffffffu);
      if (front >= back) return -1;
      const uint64_t next = own ? pack(front + 1, back) : pack(front, back - 1);
      if (r.compare_exchange_weak(v, next, std::memory_order_acq_rel)) return own ? front : back - 1;
    }
  }

  void work(int id) {
    uint64_t seen = 0;
    for (;;) {
      if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; })) {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
      }
      int caller_cpu;
      {
        // The region's parameters, read consistently (run() writes them under the same lock).
        std::lock_guard<std::mutex> lock(mu_);
        seen = generation_.load();
        if (id > helpers_) continue;
        caller_cpu = caller_cpu_;
      }
      // Before entering: a worker on its caller's CPU is mostly late, finds the region drained, and would stay there.
      if (caller_cpu >= 0 && current_cpu() == caller_cpu) move_off(caller_cpu);
      if (!enter(seen)) continue;  // the caller drained the region without this helper
      drain(id);
      left_.fetch_add(1, std::memory_order_acq_rel);
      std::lock_guard<std::mutex> lock(mu_);  // the caller may be about to wait: notify under the lock
      done_.notify_one();
    }
  }

  // The scheduler wakes a sleeping worker on its waker's CPU (wake-affine): the worker and the caller then share one
  // core, the region runs at one core's speed, and the worker's short spin keeps it there (measured: add_ of 1M
  // floats on 2 threads no faster than on 1). A woken worker that finds itself on the caller's CPU leaves it: its
  // affinity becomes the process's CPUs but that one (one system call, only when they collide). The caller can move
  // onto a worker's CPU as well (after a sleep, say), so a worker checks every region it sees, entered or not: one
  // that moved only once inside a region stayed on the caller's CPU as long as the caller drained every region
  // before it ran (2-thread sum(1) of [1024, 1024] in rounds of 15 calls: 55 of 96 rounds at the 1-thread time,
  // 42-57 us instead of 29-35; checking every region: 20 of 96).
  static int current_cpu() {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
  }
  static void move_off(int cpu) {
#if defined(__linux__)
    // The process's CPUs (its main thread's, read now), not this thread's mask, which an earlier move narrowed.
    cpu_set_t mask;
    if (sched_getaffinity(getpid(), sizeof mask, &mask) != 0) return;
    if (!CPU_ISSET(cpu, &mask) || CPU_COUNT(&mask) < 2) return;
    CPU_CLR(cpu, &mask);
    sched_setaffinity(0, sizeof mask, &mask);
#else
    (void)cpu;
#endif
  }

  std::mutex region_;  // one parallel region at a time
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;  // never joined: they sleep until the process exits
  const TaskFn* fn_ = nullptr;
  int64_t tasks_ = 0;
  std::array<std::atomic<uint64_t>, kMaxParticipants> ranges_{};  // participant p's tasks (pack), under run()
  int helpers_ = 0;
  int caller_cpu_ = -1;  // the CPU run() was called on, under mu_
  std::atomic<uint64_t> entry_{0};  // see enter
  std::atomic<int> left_{0};        // helpers that entered the region and finished
  std::atomic<uint64_t> generation_{0};
  std::exception_ptr error_;  // the region's first exception, under mu_
};

Pool& pool() {
  static Pool* p = new Pool();  // leaked on purpose: no joins during process exit
  return *p;
}

std::atomic<int> g_threads{int(std::max(1u, std::thread::hardware_concurrency()))};

}  // namespace
}  // namespace parallel_detail

void set_num_threads(int n) { parallel_detail::g_threads.store(std::max(1, n)); }
int get_num_threads() { return parallel_detail::g_threads.load(); }

void parallel_for(int64_t tasks, int threads, const TaskFn& fn) { parallel_detail::pool().run(tasks, threads, fn); }

}  // namespace torchlet
