// A Gloo process group with its communication thread (plain C++, no Node headers).
//
// Every rendezvous and collective of a group runs on the group's one thread, first in first out, so every rank
// issues its collectives in the same order whatever the caller does meanwhile. Every exception (Gloo's included)
// is caught on that thread and becomes the error string of the task's completion: nothing reaches std::terminate.
#pragma once

#include <gloo/rendezvous/context.h>
#include <gloo/transport/device.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store.h"

namespace torchlet {
namespace distributed {

enum class DType : int { kFloat32 = 0, kFloat64 = 1, kInt32 = 2 };
enum class ReduceOp : int { kSum = 0, kAvg = 1, kProduct = 2, kMin = 3, kMax = 4 };
// The JS side names these in lib/distributed/native.ts (COLLECTIVES); keep both lists in the same order.
enum class Kind : int {
  kAllReduce = 0, kBroadcast, kBarrier, kAllGather, kGather, kScatter, kReduce, kAllToAll, kReduceScatter, kSend, kRecv,
};

size_t dtype_size(DType d);

// A span of elements in a caller's buffer (kept alive by the caller until the task completes).
struct Span {
  void* data;
  size_t count;
};

// One collective: what to run and on which buffers. Lists of per-rank spans (allGather into a list, scatter,
// reduceScatter, allToAll) may also be one flat span of world * count elements.
struct Collective {
  Kind kind;
  ReduceOp op = ReduceOp::kSum;
  int root = 0;  // broadcast, gather, scatter, reduce; the peer of send and recv (whose tag is in op)
  DType dtype = DType::kFloat32;
  std::vector<Span> in, out;
  int64_t timeout_ms = 0;  // 0: the group's timeout
};

struct GroupOptions {
  std::string store;  // "file" or "tcp"
  std::string path;   // file: the directory
  std::string host;   // tcp: rank 0's store
  int port = 0;
  std::string prefix;  // keys of this group in the store
  int rank = 0;
  int size = 1;
  int64_t timeout_ms = 1800000;
  std::string hostname;  // the address this process's Gloo device listens on
  std::string iface;     // or the interface (GLOO_SOCKET_IFNAME)
  std::vector<int> global_ranks;  // the members' ranks in the default group, for messages
  bool shm = false;  // allReduce through shared memory when every member runs on this host (shm.h)
};

class SharedMemory;  // shm.h

// The completion of one task: done once, with an empty error on success.
struct Work {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  void finish(std::string err);
  // Blocks until done; returns the error ("" on success).
  std::string wait();
};

class ProcessGroup : public std::enable_shared_from_this<ProcessGroup> {
 public:
  using Done = std::function<void(const std::string& error)>;
  explicit ProcessGroup(GroupOptions opts);
  ~ProcessGroup();

  // Starts the thread and queues the rendezvous first; done reports its outcome.
  void start(Done done);
  // Queues a collective; done runs on the communication thread when it has finished or failed.
  void enqueue(Collective c, Done done);
  // Posts a send or a receive (Kind::kSend / kRecv; root: the peer, op: the tag) at once on the calling thread, so
  // that messages between two ranks never wait on each other behind the queue; a thread of its own waits for it
  // and runs done. Waits for the group's rendezvous first.
  void post(Collective c, Done done);
  // Fails what is queued and lets the thread end after the running task; join() waits for it.
  void close();
  // close(), and closes the connections too, so that what runs fails at once (at environment teardown: a process
  // that exits with a collective pending does not wait for its timeout).
  void abort();
  void join();
  int rank() const { return opts_.rank; }
  int size() const { return opts_.size; }
  // Whether allReduce runs through shared memory (after the rendezvous; false before).
  bool uses_shared_memory();

 private:
  struct Task {
    std::function<void()> run;
    Done done;
  };
  void push(Task t);
  void loop();
  void rendezvous();
  void run(Collective& c);
  // The user's message for an exception from a task: Gloo's words plus the member that failed, when known.
  std::string describe(const std::string& op, const std::string& what) const;
  // Throws when member `peer` (a group rank) has exited or the group is being aborted: the shared-memory
  // allreduce's check while it waits for peer.
  void check_peer(int peer) const;

  GroupOptions opts_;
  std::shared_ptr<Store> store_;
  std::shared_ptr<gloo::transport::Device> device_;
  std::shared_ptr<gloo::rendezvous::Context> context_;
  std::vector<int> live_;  // a liveness connection to each member (see rendezvous), -1 for none
  int live_listener_ = -1;
  std::string failure_;  // set once the group cannot run collectives any more
  uint32_t tag_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool closing_ = false;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> aborting_{false};  // abort(): a shared-memory wait gives up (close() lets it finish)
  std::unique_ptr<SharedMemory> shm_;  // set by the rendezvous, used and dropped on the communication thread
  std::thread thread_;
  std::shared_ptr<Work> ready_;  // the rendezvous
  std::vector<std::thread> p2p_;  // point-to-point waits, joined by the communication thread at its end
};

}  // namespace distributed
}  // namespace torchlet
