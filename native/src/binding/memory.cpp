// The process's memory policy for tensor storage (see memory.h).
//
// Tensors are JS typed arrays, which Node allocates with malloc. Left to its defaults, glibc serves large blocks with
// fresh mmap()s and returns them on free, so every large op result pays page faults on first touch (measured at
// about 100x the cost of reusing memory on a small cloud VM). Keeping freed memory in the process makes the next
// result reuse it.
//
// Reused storage is still cold: the collector frees dead results in bulk (every ~32 MB of them), so a result lands
// in a block last written tens of megabytes ago, and with 4 KiB pages each of its pages also misses the TLB (32 MB
// is 8192 pages, the second-level TLB holds about 2000). On 2 MiB pages the same rotation runs at the speed of
// writing one block over and over: adding 1M floats into a rotation of 8 results took 650-675 us on small pages
// and 453-470 on huge ones (one block rewritten: 500-580), 64K floats into 128 results 15.7-18.8 us and 11.5
// (7.2). Where the kernel gives huge pages on request (transparent_hugepage "madvise", Debian's default), the main
// heap grows in steps of kHeapStep and each step is advised before anything touches it; a block outside that heap
// (mmap()ed: 32 MB and more, or a worker thread's arena) is advised on its own when it spans whole huge pages.
// glibc's own glibc.malloc.hugetlb=1 does the same, but only as an environment variable read at process start.
#include "memory.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace torchlet {
namespace binding {

namespace {

constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
constexpr int kHeapStep = 256 << 20;  // M_TOP_PAD: how much more than asked the main heap grows by

std::atomic<bool> huge_pages{false};
// The main heap is advised up to here (all of it below was advised or was touched before the first storage).
std::atomic<uintptr_t> advised_end{0};
std::mutex advising;

bool turned_off(const char* name) {
  const char* v = std::getenv(name);
  return v && std::string(v) == "0";
}

// The first line of a /proc or /sys file ("" when there is none).
std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

// Whether the kernel gives transparent huge pages to memory that asks for them ("always" needs no asking), and
// reserving address space ahead (kHeapStep) costs nothing: under strict overcommit accounting (mode 2) it would
// count against the commit limit.
bool huge_pages_on_request() {
  return first_line("/sys/kernel/mm/transparent_hugepage/enabled").find("[madvise]") != std::string::npos &&
         first_line("/proc/sys/vm/overcommit_memory") != "2";
}

// The whole huge pages inside [from, to). A hint: when it fails, that memory simply stays on small pages.
void advise(uintptr_t from, uintptr_t to) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  from = (from + kHugePage - 1) & ~(kHugePage - 1);
  to &= ~(kHugePage - 1);
  if (to > from) madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
#else
  (void)from;
  (void)to;
#endif
}

}  // namespace

MallocTuning tune_malloc() {
  MallocTuning t;
#if defined(__GLIBC__)
  if (turned_off("TORCHLET_MALLOC_TUNING")) return t;
  const bool a = mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1;  // glibc's maximum on 64-bit
  const bool b = mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024) == 1;
  t.kept = a && b;
  if (t.kept && !turned_off("TORCHLET_HUGE_PAGES") && huge_pages_on_request()) {
    t.huge = mallopt(M_TOP_PAD, kHeapStep) == 1;
    huge_pages.store(t.huge, std::memory_order_relaxed);
  }
#endif
  return t;
}

namespace {
thread_local const char* fresh_begin = nullptr;
thread_local const char* fresh_end = nullptr;
}  // namespace

bool take_fresh(const void* p) {
  const char* c = static_cast<const char*>(p);
  const bool fresh = c >= fresh_begin && c < fresh_end;
  fresh_begin = fresh_end = nullptr;
  return fresh;
}

void advise_storage(const void* p, size_t bytes) {
  fresh_begin = static_cast<const char*>(p);
  fresh_end = fresh_begin + bytes;
#if defined(__linux__)
  if (!huge_pages.load(std::memory_order_relaxed)) return;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p);
  const uintptr_t end = begin + bytes;
  if (end <= advised_end.load(std::memory_order_acquire)) return;  // the main heap's advised part: most calls
  std::lock_guard<std::mutex> lock(advising);
  const uintptr_t done = advised_end.load(std::memory_order_relaxed);
  if (end <= done) return;
  const uintptr_t brk = reinterpret_cast<uintptr_t>(sbrk(0));  // glibc's cached break: no system call
  if (end <= brk) {
    // The main heap grew since the last advice (or this is the first storage): everything from here or from the
    // last advised address up to the break is untouched but for this block's header and the top chunk's. The huge
    // page that held the old break is advised too (a page of it may already be touched: then it stays on small pages
    // until the kernel's khugepaged merges it).
    advise(done ? done & ~(kHugePage - 1) : begin, brk);
    advised_end.store(brk, std::memory_order_release);
  } else if (bytes >= 2 * kHugePage) {
    advise(begin, end);
  }
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace binding
}  // namespace torchlet
