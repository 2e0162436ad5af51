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

// Called for each fresh storage block of `bytes` at `p`, before anything but the allocator has touched it.
void advise_storage(const void* p, size_t bytes);

}  // namespace binding
}  // namespace torchlet
