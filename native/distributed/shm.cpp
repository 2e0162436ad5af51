// The same-host shared-memory allreduce: see shm.h.
#include "shm.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace torchlet {
namespace distributed {

namespace shm_detail {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMagic = 0x6d68732d74656c74ULL;  // "tlet-shm"
constexpr size_t kLine = 64;                        // one barrier word per cache line
constexpr size_t kPage = 4096;
// How long a waiter spins before it sleeps: long enough to catch a peer a few microseconds behind (a futex wake-up
// costs about as much), short enough not to take a core from a rank's own compute (DDP runs its allreduces beside
// backward, two threads per rank). Timed, since a pause instruction lasts from ~10 to ~150 cycles by CPU.
constexpr auto kSpin = std::chrono::microseconds(30);
constexpr int kSliceMs = 5;  // a sleeper wakes this often to check its peer and the deadline

// The segment's first page(s): the identity, then per rank a line holding its barrier count and how many members
// sleep waiting on it.
struct Header {
  uint64_t magic;
  uint64_t nonce;
  uint32_t world;
  uint32_t slot_bytes;
};

struct Line {
  std::atomic<uint32_t> arrived;
  std::atomic<uint32_t> sleepers;
};

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

size_t header_bytes(int world) { return round_up(kLine * (static_cast<size_t>(world) + 1), kPage); }

size_t segment_bytes(int world) { return header_bytes(world) + 2 * static_cast<size_t>(world) * SharedMemory::kSlotBytes; }

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Sleeps while *word == expected, at most ms milliseconds (shared, not private: the word is in another process's
// mapping too).
void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, int ms) {
  timespec ts{0, static_cast<long>(ms) * 1000000L};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

// Whether count a has reached b (wraps after 2^32 barriers).
bool reached(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }

std::string read_line(const char* file) {
  std::ifstream f(file);
  std::string s;
  std::getline(f, s);
  return s;
}

// What makes two processes able to share a segment: the same kernel boot and the same /dev/shm mount (containers
// on one kernel may have their own). "" when it cannot be told.
std::string host_identity() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  const std::string boot = read_line("/proc/sys/kernel/random/boot_id");
  struct stat st {};
  if (boot.empty() || stat("/dev/shm", &st) != 0) return "";
  std::ostringstream s;
  s << host << '/' << boot << '/' << st.st_dev << ':' << st.st_ino;
  return s.str();
}

std::string text(const std::vector<char>& v) { return std::string(v.begin(), v.end()); }
std::vector<char> bytes(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

// Maps a segment of at least `want` bytes; nullptr when it cannot.
void* map_segment(int fd, size_t want) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) < want) return nullptr;
  void* p = mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// acc[i] = f(acc[i], x[i]): the expressions of Gloo's elementwise functions (gloo/math.h: c[i] = a[i] + b[i],
// std::min(a[i], b[i]), ...), so each pair of elements combines exactly as Gloo's allreduce combines them, but
// vectorized (the addon builds at -O2, which leaves Gloo's loops scalar on GCC 12).
template <typename T, typename F>
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("tree-vectorize")))
#endif
void combine_into(T* __restrict acc, const T* __restrict x, size_t n, F f) {
  for (size_t i = 0; i < n; ++i) acc[i] = f(acc[i], x[i]);
}

template <typename T>
void combine(ReduceOp op, T* acc, const T* x, size_t n) {
  switch (op) {
    case ReduceOp::kProduct: return combine_into(acc, x, n, [](T a, T b) { return a * b; });
    case ReduceOp::kMin: return combine_into(acc, x, n, [](T a, T b) { return std::min(a, b); });
    case ReduceOp::kMax: return combine_into(acc, x, n, [](T a, T b) { return std::max(a, b); });
    default: return combine_into(acc, x, n, [](T a, T b) { return a + b; });  // sum, and avg before its division
  }
}

}  // namespace shm_detail

// (No namespace-wide using-directive: the unity build's later files would see these names too.)

std::unique_ptr<SharedMemory> SharedMemory::setup(Store& store, int rank, const std::vector<int>& names, bool enabled) {
  using namespace shm_detail;
  const int size = static_cast<int>(names.size());
  if (size < 2) return nullptr;
  // 1. Every member says where it runs; all must agree (any "off" or difference: Gloo for everyone).
  const std::string me = enabled ? host_identity() : "";
  store.set("shm.host." + std::to_string(rank), bytes(me.empty() ? "off" : me));
  bool same = !me.empty();
  for (int i = 0; i < size; ++i) {
    if (i == rank) continue;
    if (text(store.get("shm.host." + std::to_string(i))) != me) same = false;
  }
  if (!same) return nullptr;

  // 2. Rank 0 creates the segment and publishes its name and nonce; the others map it and check the nonce.
  const size_t want = segment_bytes(size);
  void* base = nullptr;
  std::string name;
  if (rank == 0) {
    std::random_device rd;
    const uint64_t nonce = (uint64_t{rd()} << 32) ^ rd() ^ static_cast<uint64_t>(getpid());
    std::ostringstream n;
    n << "/torchlet-" << getpid() << '-' << std::hex << nonce;
    name = n.str();
    int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      // posix_fallocate reserves every page now: a full /dev/shm fails here, not with SIGBUS at first touch.
      if (ftruncate(fd, static_cast<off_t>(want)) == 0 && posix_fallocate(fd, 0, static_cast<off_t>(want)) == 0) {
        base = map_segment(fd, want);
      }
      ::close(fd);
      if (!base) shm_unlink(name.c_str());
    }
    if (!base) name.clear();  // published as "": every member falls back to Gloo
    if (base) {
      auto* h = static_cast<Header*>(base);
      h->nonce = nonce;
      h->world = static_cast<uint32_t>(size);
      h->slot_bytes = static_cast<uint32_t>(kSlotBytes);
      std::atomic_thread_fence(std::memory_order_release);
      h->magic = kMagic;
    }
    std::ostringstream v;
    if (base) v << name << ' ' << std::hex << nonce;
    store.set("shm.name", bytes(v.str()));
  } else {
    std::istringstream v(text(store.get("shm.name")));
    uint64_t nonce = 0;
    v >> name >> std::hex >> nonce;
    if (!name.empty()) {
      int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0600);
      if (fd >= 0) {
        base = map_segment(fd, want);
        ::close(fd);
      }
      const auto* h = static_cast<const Header*>(base);
      if (base && (h->magic != kMagic || h->nonce != nonce || h->world != static_cast<uint32_t>(size) || h->slot_bytes != kSlotBytes)) {
        munmap(base, want);
        base = nullptr;
      }
    }
  }
  if (name.empty()) return nullptr;  // rank 0 could not create it: everyone knows from "shm.name"

  // 3. Every member says whether it mapped the segment; once all have answered, nobody needs the name any more.
  std::unique_ptr<SharedMemory> out(base ? new SharedMemory(rank, names, base, want) : nullptr);
  store.set("shm.ok." + std::to_string(rank), bytes(base ? "1" : "0"));
  bool all = base != nullptr;
  try {
    for (int i = 0; i < size; ++i) {
      if (i != rank && text(store.get("shm.ok." + std::to_string(i))) != "1") all = false;
    }
  } catch (...) {
    shm_unlink(name.c_str());
    throw;
  }
  shm_unlink(name.c_str());  // every member, so that the name goes even if rank 0 dies now (ENOENT: done already)
  if (!all) return nullptr;
  return out;
}

SharedMemory::SharedMemory(int rank, std::vector<int> names, void* base, size_t bytes)
    : rank_(rank), size_(static_cast<int>(names.size())), names_(std::move(names)), base_(static_cast<char*>(base)),
      bytes_(bytes), header_bytes_(shm_detail::header_bytes(size_)) {}

SharedMemory::~SharedMemory() { munmap(base_, bytes_); }

std::atomic<uint32_t>& SharedMemory::arrived(int r) const {
  using namespace shm_detail;
  return reinterpret_cast<Line*>(base_ + kLine * (static_cast<size_t>(r) + 1))->arrived;
}

std::atomic<uint32_t>& SharedMemory::sleepers(int r) const {
  using namespace shm_detail;
  return reinterpret_cast<Line*>(base_ + kLine * (static_cast<size_t>(r) + 1))->sleepers;
}

char* SharedMemory::slot(int set, int r) const {
  return base_ + header_bytes_ + (static_cast<size_t>(set) * static_cast<size_t>(size_) + static_cast<size_t>(r)) * kSlotBytes;
}

void SharedMemory::barrier(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout, const Check& check) {
  using namespace shm_detail;
  const uint32_t target = ++phase_;
  // Sequentially consistent store then load of sleepers, against the sleeper's increment then load of arrived:
  // one of the two sees the other, so no wake-up is lost (and FUTEX_WAIT rechecks the word itself).
  arrived(rank_).store(target, std::memory_order_seq_cst);
  if (sleepers(rank_).load(std::memory_order_seq_cst) != 0) futex_wake(&arrived(rank_));
  for (int peer = 0; peer < size_; ++peer) {
    if (peer == rank_) continue;
    std::atomic<uint32_t>& word = arrived(peer);
    const auto spin_end = Clock::now() + kSpin;
    for (int spins = 1; !reached(word.load(std::memory_order_acquire), target); ++spins) {
      cpu_relax();
      if (spins % 64 == 0 && Clock::now() >= spin_end) break;
    }
    if (reached(word.load(std::memory_order_acquire), target)) continue;
    for (;;) {
      sleepers(peer).fetch_add(1, std::memory_order_seq_cst);
      const uint32_t seen = word.load(std::memory_order_seq_cst);
      if (!reached(seen, target)) futex_wait(&word, seen, kSliceMs);
      sleepers(peer).fetch_sub(1, std::memory_order_seq_cst);
      if (reached(word.load(std::memory_order_acquire), target)) break;
      check(peer);
      if (Clock::now() >= deadline) {
        throw std::runtime_error("timed out after " + std::to_string(timeout.count()) + " ms waiting for rank " +
                                 std::to_string(names_.at(static_cast<size_t>(peer))) + " in a same-host shared-memory allreduce");
      }
    }
  }
}

template <typename T>
void SharedMemory::allreduce_typed(T* data, size_t count, ReduceOp op, std::chrono::steady_clock::time_point deadline,
                                   std::chrono::milliseconds timeout, const Check& check) {
  using namespace shm_detail;
  const size_t per_chunk = kSlotBytes / sizeof(T);
  const size_t align = kLine / sizeof(T);  // shares start on cache lines: no two ranks write one line
  for (size_t off = 0; off < count; off += per_chunk) {
    const size_t len = std::min(per_chunk, count - off);
    const int set = static_cast<int>(chunk_ & 1);
    std::memcpy(slot(set, rank_), data + off, len * sizeof(T));
    barrier(deadline, timeout, check);
    // This rank's share, reduced in rank order into slot 0 (which only this rank touches there now).
    const size_t share = round_up((len + static_cast<size_t>(size_) - 1) / static_cast<size_t>(size_), align);
    const size_t lo = std::min(len, share * static_cast<size_t>(rank_));
    const size_t hi = std::min(len, lo + share);
    if (hi > lo) {
      T* acc = reinterpret_cast<T*>(slot(set, 0)) + lo;
      for (int j = 1; j < size_; ++j) combine(op, acc, reinterpret_cast<const T*>(slot(set, j)) + lo, hi - lo);
    }
    barrier(deadline, timeout, check);
    std::memcpy(data + off, slot(set, 0), len * sizeof(T));
    ++chunk_;
  }
}

void SharedMemory::allreduce(void* data, size_t count, DType dtype, ReduceOp op, std::chrono::milliseconds timeout,
                             const Check& check) {
  if (!broken_.empty()) throw std::runtime_error(broken_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    switch (dtype) {
      case DType::kFloat64: allreduce_typed(static_cast<double*>(data), count, op, deadline, timeout, check); break;
      case DType::kInt32: allreduce_typed(static_cast<int32_t*>(data), count, op, deadline, timeout, check); break;
      default: allreduce_typed(static_cast<float*>(data), count, op, deadline, timeout, check); break;
    }
  } catch (const std::exception& e) {
    broken_ = std::string("the same-host shared-memory allreduce failed before: ") + e.what();
    throw;
  }
}

}  // namespace distributed
}  // namespace torchlet
