// The same-host allreduce of a process group: a POSIX shared-memory segment the members map at rendezvous (plain
// C++, no Node headers).
//
// Ranks on one machine reduce through memory instead of loopback TCP, as NCCL's and MPI's same-host transports do.
// Each chunk of at most one slot: every rank copies its chunk into its slot; then rank r reduces its share of the
// chunk over the slots in rank order (each element reduced by exactly one rank, so every rank ends with the same
// bits); then every rank copies the reduced chunk back. Two barriers per chunk; two sets of slots, alternating, so
// a set is written again only once every rank has finished reading it. The barriers are sequence numbers
// in the segment: a waiter spins briefly, then sleeps on a futex, waking every few milliseconds to run its caller's
// check (a dead peer, an abort) and to enforce the timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "group.h"

namespace torchlet {
namespace distributed {

class SharedMemory {
 public:
  // Bytes of one rank's slot: a chunk of an allreduce.
  static constexpr size_t kSlotBytes = size_t{1} << 20;

  // Agrees through the store whether every member runs on this host with the same /dev/shm and has not opted out
  // (enabled false: TORCHLET_DISTRIBUTED_SHM=0); if so, rank 0 creates the segment, every member maps it, and once
  // all have it is unlinked (nothing stays in /dev/shm, even if a process is killed later). Every member reaches the
  // same answer: nullptr means Gloo runs the allreduces. Throws StoreError when the store fails.
  // names: the members' ranks in the default group, for messages.
  static std::unique_ptr<SharedMemory> setup(Store& store, int rank, const std::vector<int>& names, bool enabled);
  ~SharedMemory();
  SharedMemory(const SharedMemory&) = delete;
  SharedMemory& operator=(const SharedMemory&) = delete;

  // Called with the rank being waited for every few milliseconds while waiting; throws to give up (the message
  // becomes the collective's error).
  using Check = std::function<void(int peer)>;

  // data[0, count) reduced in place across the members (avg: the sum; the caller divides). Throws
  // std::runtime_error on a timeout or when check throws; after that every call throws at once (the members'
  // sequence numbers no longer agree).
  void allreduce(void* data, size_t count, DType dtype, ReduceOp op, std::chrono::milliseconds timeout, const Check& check);

 private:
  SharedMemory(int rank, std::vector<int> names, void* base, size_t bytes);
  template <typename T>
  void allreduce_typed(T* data, size_t count, ReduceOp op, std::chrono::steady_clock::time_point deadline,
                       std::chrono::milliseconds timeout, const Check& check);
  // Announces this rank's arrival at the next barrier and waits for every other member's.
  void barrier(std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout, const Check& check);
  std::atomic<uint32_t>& arrived(int r) const;
  std::atomic<uint32_t>& sleepers(int r) const;
  char* slot(int set, int r) const;

  int rank_;
  int size_;
  std::vector<int> names_;
  char* base_;
  size_t bytes_;
  size_t header_bytes_;
  uint32_t phase_ = 0;  // the barriers passed
  uint32_t chunk_ = 0;  // the chunks reduced: chunk k uses slot set k % 2
  std::string broken_;  // why the segment cannot be used any more
};

}  // namespace distributed
}  // namespace torchlet
