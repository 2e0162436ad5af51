// The process's memory policy for tensor storage: glibc keeps freed blocks for the next result, and storage sits on
// transparent huge pages where the kernel gives them on request.
#pragma once
#include <cstddef>

namespace torchlet {
namespace binding {

struct MallocTuning {
  bool kept = false;  // glibc keeps freed memory in the process (mallopt)
  bool huge = false;  // fresh storage is advised onto transparent huge pages (madvise)
};

// Once per process, at load. TORCHLET_MALLOC_TUNING=0 turns both off, TORCHLET_HUGE_PAGES=0 the huge pages only.
MallocTuning tune_malloc();

// Called for each fresh storage block of `bytes` at `p`, before anything but the allocator has touched it. Also
// remembers it as this thread's latest fresh block (take_fresh).
void advise_storage(const void* p, size_t bytes);

// Whether p lies in this thread's latest fresh block (advise_storage), which is then forgotten: true for the output of
// the kernel call that follows the output's allocation, whose memory is not in cache (kernels.h, FreshResult).
bool take_fresh(const void* p);

}  // namespace binding
}  // namespace torchlet
