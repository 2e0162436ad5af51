// A Gloo process group with its communication thread: see group.h.
#include "group.h"
#include "shm.h"

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/alltoall.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/gather.h>
#include <gloo/math.h>
#include <gloo/reduce.h>
#include <gloo/scatter.h>
#include <gloo/transport/pair.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/transport/unbound_buffer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sstream>

namespace torchlet {
namespace distributed {

namespace {

using Clock = std::chrono::steady_clock;
using ReduceFn = std::function<void(void*, const void*, const void*, size_t)>;

const char* const kKindNames[] = {"allReduce", "broadcast", "barrier", "allGather", "gather", "scatter",
                                  "reduce", "allToAll", "reduceScatter", "send", "recv"};

using RawFn = void (*)(void*, const void*, const void*, size_t);

template <typename T>
ReduceFn reduce_fn(ReduceOp op) {
  switch (op) {
    case ReduceOp::kProduct: return static_cast<RawFn>(&gloo::product<T>);
    case ReduceOp::kMin: return static_cast<RawFn>(&gloo::min<T>);
    case ReduceOp::kMax: return static_cast<RawFn>(&gloo::max<T>);
    default: return static_cast<RawFn>(&gloo::sum<T>);  // avg divides the sum afterwards
  }
}

ReduceFn reduce_fn(DType d, ReduceOp op) {
  switch (d) {
    case DType::kFloat64: return reduce_fn<double>(op);
    case DType::kInt32: return reduce_fn<int32_t>(op);
    default: return reduce_fn<float>(op);
  }
}

// avg: the sum divided by the world size, in the tensor's own precision (floating dtypes only: JS checks).
void divide(DType d, const Span& s, int n) {
  if (d == DType::kFloat64) {
    double* p = static_cast<double*>(s.data);
    for (size_t i = 0; i < s.count; ++i) p[i] /= n;
  } else if (d == DType::kFloat32) {
    float* p = static_cast<float*>(s.data);
    const float fn = static_cast<float>(n);
    for (size_t i = 0; i < s.count; ++i) p[i] /= fn;
  }
}

// world spans of count elements as one flat buffer: the caller's own when it passed one, else a gathered copy.
class Flat {
 public:
  Flat(const std::vector<Span>& spans, size_t count, int world, size_t elem, bool copy_in)
      : spans_(spans), bytes_(count * elem) {
    if (spans.size() == 1) {
      data_ = spans[0].data;
      return;
    }
    temp_.resize(bytes_ * world);
    data_ = temp_.data();
    if (copy_in) {
      for (size_t i = 0; i < spans.size(); ++i) std::memcpy(temp_.data() + i * bytes_, spans[i].data, bytes_);
    }
  }
  void* data() const { return data_; }
  // Copies a gathered result back into the caller's list.
  void scatter_out() const {
    if (temp_.empty()) return;
    for (size_t i = 0; i < spans_.size(); ++i) std::memcpy(spans_[i].data, temp_.data() + i * bytes_, bytes_);
  }

 private:
  const std::vector<Span>& spans_;
  size_t bytes_;
  std::vector<char> temp_;
  void* data_;
};

template <typename Options>
void set_common(Options& o, uint32_t tag, std::chrono::milliseconds timeout) {
  o.setTag(tag);
  o.setTimeout(timeout);
}

template <typename T>
void run_typed(const std::shared_ptr<gloo::Context>& ctx, Collective& c, uint32_t tag, std::chrono::milliseconds timeout) {
  const int n = ctx->size;
  const int r = ctx->rank;
  switch (c.kind) {
    case Kind::kAllReduce: {
      gloo::AllreduceOptions o(ctx);
      set_common(o, tag, timeout);
      o.setOutput(static_cast<T*>(c.out[0].data), c.out[0].count);
      o.setReduceFunction(reduce_fn(c.dtype, c.op));
      gloo::allreduce(o);
      if (c.op == ReduceOp::kAvg) divide(c.dtype, c.out[0], n);
      break;
    }
    case Kind::kBroadcast: {
      gloo::BroadcastOptions o(ctx);
      set_common(o, tag, timeout);
      o.setRoot(c.root);
      o.setOutput(static_cast<T*>(c.out[0].data), c.out[0].count);
      gloo::broadcast(o);
      break;
    }
    case Kind::kBarrier: {
      gloo::BarrierOptions o(ctx);
      set_common(o, tag, timeout);
      gloo::barrier(o);
      break;
    }
    case Kind::kAllGather: {
      const size_t count = c.in[0].count;
      Flat out(c.out, count, n, sizeof(T), false);
      gloo::AllgatherOptions o(ctx);
      set_common(o, tag, timeout);
      o.setInput(static_cast<T*>(c.in[0].data), count);
      o.setOutput(static_cast<T*>(out.data()), count * n);
      gloo::allgather(o);
      out.scatter_out();
      break;
    }
    case Kind::kGather: {
      const size_t count = c.in[0].count;
      gloo::GatherOptions o(ctx);
      set_common(o, tag, timeout);
      o.setRoot(c.root);
      o.setInput(static_cast<T*>(c.in[0].data), count);
      if (r == c.root) {
        Flat out(c.out, count, n, sizeof(T), false);
        o.setOutput(static_cast<T*>(out.data()), count * n);
        gloo::gather(o);
        out.scatter_out();
      } else {
        gloo::gather(o);
      }
      break;
    }
    case Kind::kScatter: {
      const size_t count = c.out[0].count;
      gloo::ScatterOptions o(ctx);
      set_common(o, tag, timeout);
      o.setRoot(c.root);
      std::vector<T*> ins;
      if (r == c.root) {
        for (int i = 0; i < n; ++i) {
          ins.push_back(c.in.size() == 1 ? static_cast<T*>(c.in[0].data) + i * count : static_cast<T*>(c.in[i].data));
        }
        o.setInputs(ins, count);
      }
      o.setOutput(static_cast<T*>(c.out[0].data), count);
      gloo::scatter(o);
      break;
    }
    case Kind::kReduce: {
      gloo::ReduceOptions o(ctx);
      set_common(o, tag, timeout);
      o.setRoot(c.root);
      o.setOutput(static_cast<T*>(c.out[0].data), c.out[0].count);
      o.setReduceFunction(reduce_fn(c.dtype, c.op));
      gloo::reduce(o);
      if (c.op == ReduceOp::kAvg && r == c.root) divide(c.dtype, c.out[0], n);
      break;
    }
    case Kind::kAllToAll: {
      const size_t count = (c.out.size() == 1 ? c.out[0].count / n : c.out[0].count);
      Flat in(c.in, count, n, sizeof(T), true);
      Flat out(c.out, count, n, sizeof(T), false);
      gloo::AlltoallOptions o(ctx);
      set_common(o, tag, timeout);
      o.setInput(static_cast<T*>(in.data()), count * n);
      o.setOutput(static_cast<T*>(out.data()), count * n);
      gloo::alltoall(o);
      out.scatter_out();
      break;
    }
    case Kind::kReduceScatter: {
      // Gloo's reduce-scatter classes need power-of-two worlds; PyTorch's Gloo backend has none. An allreduce of
      // the whole input, of which each rank keeps its chunk, gives the same numbers.
      const size_t count = c.out[0].count;
      std::vector<T> all(count * n);
      for (int i = 0; i < n; ++i) {
        const T* src = c.in.size() == 1 ? static_cast<const T*>(c.in[0].data) + i * count : static_cast<const T*>(c.in[i].data);
        std::memcpy(all.data() + i * count, src, count * sizeof(T));
      }
      gloo::AllreduceOptions o(ctx);
      set_common(o, tag, timeout);
      o.setOutput(all.data(), all.size());
      o.setReduceFunction(reduce_fn(c.dtype, c.op));
      gloo::allreduce(o);
      std::memcpy(c.out[0].data, all.data() + r * count, count * sizeof(T));
      if (c.op == ReduceOp::kAvg) divide(c.dtype, c.out[0], n);
      break;
    }
    case Kind::kSend:
    case Kind::kRecv:
      break;  // posted by ProcessGroup::post, not run in the queue
  }
}

// An address as Gloo prints one: "[127.0.0.1]:5507".
std::string address_string(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  } else {
    return "";
  }
  return "[" + std::string(host) + "]:" + std::to_string(port);
}

// A listening socket on host, any port (the kernel completes connections to it without accept()); -1 if none.
int listen_on(const std::string& host, std::string& where) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), "0", &hints, &res) != 0) return -1;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0)) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  where = address_string(ss);
  return fd;
}

// A connection to "[host]:port"; -1 if none.
int connect_to(const std::string& where) {
  const size_t close_bracket = where.rfind("]:");
  if (where.empty() || where[0] != '[' || close_bracket == std::string::npos) return -1;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (getaddrinfo(where.substr(1, close_bracket - 1).c_str(), where.substr(close_bracket + 2).c_str(), &hints, &res) != 0) return -1;
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

// Whether the process at the other end of a liveness connection has gone (its kernel closed the connection).
bool gone(int fd, int wait_ms) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (poll(&p, 1, wait_ms) <= 0) return false;
  char c;
  ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Whether a data-moving operation has no elements at all (Gloo divides by the element count: SIGFPE). Every rank
// passes tensors of the same sizes, so every rank skips it alike.
bool empty_operation(const Collective& c) {
  if (c.kind == Kind::kBarrier) return false;
  for (const auto& s : c.in) {
    if (s.count) return false;
  }
  for (const auto& s : c.out) {
    if (s.count) return false;
  }
  return true;
}

std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

}  // namespace

size_t dtype_size(DType d) { return d == DType::kFloat64 ? 8 : 4; }

void Work::finish(std::string err) {
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
    error = std::move(err);
  }
  cv.notify_all();
}

std::string Work::wait() {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [this] { return done; });
  return error;
}

ProcessGroup::ProcessGroup(GroupOptions opts) : opts_(std::move(opts)), ready_(std::make_shared<Work>()) {}

ProcessGroup::~ProcessGroup() {
  close();
  join();
}

void ProcessGroup::start(Done done) {
  thread_ = std::thread([this] { loop(); });
  pthread_setname_np(thread_.native_handle(), "torchlet-gloo");  // how perf and /proc name it
  auto ready = ready_;
  push({[this] { rendezvous(); }, [ready, done](const std::string& error) {
          ready->finish(error);
          done(error);
        }});
}

void ProcessGroup::post(Collective c, Done done) {
  const std::string name = kKindNames[static_cast<int>(c.kind)];
  std::string error = ready_->wait();  // a subgroup's rendezvous may still run
  if (error.empty() && empty_operation(c)) {
    done("");
    return;
  }
  std::shared_ptr<gloo::Context> ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) error = "the process group has been destroyed";
    ctx = context_;
  }
  if (!error.empty() || !ctx) {
    done(name + " failed: " + (error.empty() ? "the process group is not usable: " + failure_ : error));
    return;
  }
  const auto timeout = std::chrono::milliseconds(c.timeout_ms > 0 ? c.timeout_ms : opts_.timeout_ms);
  // Point-to-point messages live in slots of their own (prefix 0xEE, the sender's rank, the user's tag), away
  // from the collectives' numbering, which must stay the same on every rank. The sender's rank keeps the two
  // directions of an exchange apart: Gloo loses a match when both ranks send and receive on one slot at once.
  const int sender = c.kind == Kind::kSend ? opts_.rank : c.root;
  const uint64_t slot = (uint64_t{0xEE} << 56) | (static_cast<uint64_t>(sender) << 32) | static_cast<uint32_t>(c.op);
  std::shared_ptr<gloo::transport::UnboundBuffer> buf;
  try {
    const bool send = c.kind == Kind::kSend;
    const Span& span = send ? c.in[0] : c.out[0];
    buf = ctx->createUnboundBuffer(span.data, span.count * dtype_size(c.dtype));
    if (send) buf->send(c.root, slot);
    else buf->recv(c.root, slot);
  } catch (...) {
    done(describe(name, current_exception_message()));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  p2p_.emplace_back([this, ctx, buf, send = c.kind == Kind::kSend, name, timeout, done]() mutable {
    std::string err;
    try {
      if (send) buf->waitSend(timeout);
      else buf->waitRecv(timeout);
    } catch (...) {
      err = describe(name, current_exception_message());
    }
    buf.reset();
    try {
      done(err);
    } catch (...) {
      // as in loop()
    }
  });
}

void ProcessGroup::push(Task t) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(std::move(t));
      cv_.notify_one();
      return;
    }
  }
  t.done("the process group has been destroyed");
}

void ProcessGroup::enqueue(Collective c, Done done) {
  auto shared = std::make_shared<Collective>(std::move(c));
  push({[this, shared] { run(*shared); }, std::move(done)});
}

void ProcessGroup::close() {
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;
    closing_ = true;
    dropped.swap(queue_);
  }
  cancel_ = true;
  cv_.notify_all();
  for (auto& t : dropped) t.done("the process group was destroyed before this operation ran");
}

void ProcessGroup::abort() {
  aborting_ = true;
  close();
  std::shared_ptr<gloo::Context> ctx;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ctx = context_;
  }
  if (!ctx) return;
  for (int i = 0; i < ctx->size; ++i) {
    if (i == ctx->rank) continue;
    try {
      ctx->getPair(i)->close();
    } catch (...) {
      // already closed or failed
    }
  }
}

void ProcessGroup::join() {
  if (thread_.joinable()) thread_.join();
  // A point-to-point wait posted while the group was closing may have missed the communication thread's join.
  std::vector<std::thread> p2p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    p2p.swap(p2p_);
  }
  for (auto& t : p2p) t.join();
}

void ProcessGroup::loop() {
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) break;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string error;
    try {
      t.run();
    } catch (...) {
      error = current_exception_message();
    }
    try {
      t.done(error);
    } catch (...) {
      // A completion that cannot reach JS any more (the environment is shutting down) is dropped.
    }
  }
  // Connections close on this thread, after the last task and the last point-to-point wait: never under a running
  // operation (no new one starts once closing_ is set).
  std::vector<std::thread> p2p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    p2p.swap(p2p_);
  }
  for (auto& t : p2p) t.join();
  for (int fd : live_) {
    if (fd >= 0) ::close(fd);
  }
  if (live_listener_ >= 0) ::close(live_listener_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    context_.reset();
    shm_.reset();
  }
  device_.reset();
  store_.reset();
}

void ProcessGroup::rendezvous() {
  const auto timeout = std::chrono::milliseconds(opts_.timeout_ms);
  const std::string where = opts_.store == "file" ? "file://" + opts_.path
                                                  : "env:// store at " + opts_.host + ":" + std::to_string(opts_.port);
  try {
    std::shared_ptr<Store> base;
    if (opts_.store == "file") base = std::make_shared<FileStore>(opts_.path, timeout);
    else base = std::make_shared<TcpStore>(opts_.host, opts_.port, timeout);
    store_ = std::make_shared<PrefixStore>(base, opts_.prefix);

    gloo::transport::tcp::attr attr;
    if (!opts_.iface.empty()) attr.iface = opts_.iface;
    else attr.hostname = opts_.hostname;
    device_ = gloo::transport::tcp::CreateDevice(attr);

    // Every member announces itself, then waits for the others: a member that never comes is named, instead of
    // Gloo's bare "Wait timeout". The first member to give up leaves its reason under "abort" for the others.
    store_->set("arrived." + std::to_string(opts_.rank), {});
    const auto deadline = Clock::now() + timeout;
    std::vector<int> missing;
    for (;;) {
      // Rank 0 serves the env:// store and exits once it gives up: a member polling near the deadline may lose the
      // store before it reads rank 0's "abort". Then it names the missing members itself, from its last poll.
      bool lost = false;
      try {
        std::vector<int> now_missing;
        for (int i = 0; i < opts_.size; ++i) {
          if (i != opts_.rank && !store_->has("arrived." + std::to_string(i))) now_missing.push_back(i);
        }
        missing.swap(now_missing);
        if (missing.empty() || cancel_) break;
        if (store_->has("abort")) {
          auto why = store_->get("abort");
          throw StoreError(std::string(why.begin(), why.end()));
        }
      } catch (const StoreError&) {
        if (missing.empty() || Clock::now() + std::chrono::milliseconds(500) < deadline) throw;
        lost = true;
      }
      if (lost || Clock::now() >= deadline) {
        std::ostringstream m;
        m << "rendezvous timed out after " << opts_.timeout_ms << " ms: " << (missing.size() == 1 ? "rank " : "ranks ");
        for (size_t k = 0; k < missing.size(); ++k) {
          m << (k ? ", " : "") << opts_.global_ranks.at(static_cast<size_t>(missing[k]));
        }
        m << " of " << opts_.size << (missing.size() == 1 ? " has" : " have") << " not joined (" << where << ")";
        const std::string why = m.str();
        try {
          store_->set("abort", std::vector<char>(why.begin(), why.end()));
        } catch (...) {
          // another member gave up first
        }
        throw StoreError(why);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (cancel_) throw StoreError("the process group was destroyed during its rendezvous");
    auto ctx = std::make_shared<gloo::rendezvous::Context>(opts_.rank, opts_.size);
    ctx->setTimeout(timeout);
    ctx->connectFullMesh(*store_, device_);
    // Liveness: each member listens on one more socket (on the address its Gloo pairs use) and every other member
    // connects to it. Nothing is ever sent; when a member's process ends, its kernel closes those connections, so
    // a failed collective can say which member exited (Gloo's own message names only an address).
    std::string pair_address = opts_.size > 1 ? ctx->getPair(opts_.rank == 0 ? 1 : 0)->address().str() : "";
    std::string where;
    const size_t colon = pair_address.rfind("]:");
    live_listener_ = colon == std::string::npos ? -1 : listen_on(pair_address.substr(1, colon - 1), where);
    store_->set("alive." + std::to_string(opts_.rank), std::vector<char>(where.begin(), where.end()));
    live_.assign(static_cast<size_t>(opts_.size), -1);
    for (int i = 0; i < opts_.size; ++i) {
      if (i == opts_.rank) continue;
      auto theirs = store_->get("alive." + std::to_string(i));
      live_[static_cast<size_t>(i)] = connect_to(std::string(theirs.begin(), theirs.end()));
    }
    auto shm = SharedMemory::setup(*store_, opts_.rank, opts_.global_ranks, opts_.shm);
    std::lock_guard<std::mutex> lock(mu_);
    shm_ = std::move(shm);
    context_ = ctx;
  } catch (const StoreError& e) {
    failure_ = e.what();
    throw;
  } catch (...) {
    failure_ = "rendezvous failed (" + where + "): " + current_exception_message();
    throw StoreError(failure_);
  }
}

void ProcessGroup::run(Collective& c) {
  const std::string name = kKindNames[static_cast<int>(c.kind)];
  if (!context_) throw StoreError("the process group is not usable: " + failure_);
  if (cancel_) throw StoreError("the process group has been destroyed");
  const auto timeout = std::chrono::milliseconds(c.timeout_ms > 0 ? c.timeout_ms : opts_.timeout_ms);
  if (empty_operation(c)) return;
  const uint32_t tag = ++tag_;
  std::shared_ptr<gloo::Context> ctx = context_;
  if (c.kind == Kind::kAllReduce && shm_) {
    try {
      shm_->allreduce(c.out[0].data, c.out[0].count, c.dtype, c.op, timeout, [this](int peer) { check_peer(peer); });
    } catch (...) {
      throw StoreError(describe(name, current_exception_message()));
    }
    if (c.op == ReduceOp::kAvg) divide(c.dtype, c.out[0], opts_.size);
    return;
  }
  try {
    switch (c.dtype) {
      case DType::kFloat64: run_typed<double>(ctx, c, tag, timeout); break;
      case DType::kInt32: run_typed<int32_t>(ctx, c, tag, timeout); break;
      default: run_typed<float>(ctx, c, tag, timeout); break;
    }
  } catch (...) {
    throw StoreError(describe(name, current_exception_message()));
  }
}

bool ProcessGroup::uses_shared_memory() {
  std::lock_guard<std::mutex> lock(mu_);
  return shm_ != nullptr;
}

void ProcessGroup::check_peer(int peer) const {
  if (aborting_) throw std::runtime_error("the process group was aborted");
  const int fd = live_.at(static_cast<size_t>(peer));
  if (fd >= 0 && gone(fd, 0)) {
    throw std::runtime_error("rank " + std::to_string(opts_.global_ranks.at(static_cast<size_t>(peer))) +
                             " exited during a same-host shared-memory allreduce");
  }
}

std::string ProcessGroup::describe(const std::string& op, const std::string& what) const {
  // Which members have exited, waiting a little for the closing of their liveness connections to arrive after
  // Gloo's own.
  std::string who;
  for (int waited = 0; who.empty() && waited <= 200; waited += 10) {
    for (size_t i = 0; i < live_.size(); ++i) {
      if (live_[i] >= 0 && gone(live_[i], 0)) who += (who.empty() ? "rank " : ", rank ") + std::to_string(opts_.global_ranks.at(i));
    }
    if (who.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string m = op + " failed on rank " + std::to_string(opts_.global_ranks.at(static_cast<size_t>(opts_.rank)));
  if (!who.empty()) m += ": lost " + who + " (its process exited)";
  return m + ": " + what;
}

}  // namespace distributed
}  // namespace torchlet
