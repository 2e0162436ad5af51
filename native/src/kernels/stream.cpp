// Streaming stores for results in memory that is not in cache (kernels.h, FreshResult and stream_result).
//
// A fresh result block is one the garbage collector freed in bulk with tens of megabytes of other dead results
// (every ~32 MB of them), so it was last written long ago. An ordinary store to it first reads each line in from
// wherever the line is (a write-allocate) and evicts it later. Where the last-level cache holds that rotation (Intel's
// shared L3 on the machines measured), the lines come from L3 and streaming stores gain nothing: a C loop adding
// 1M floats into 8 rotating results took 418 us with plain stores and 409-417 with streaming ones, and an add then
// relu chain got slower (720 -> 800 us), because the relu then read the add's result from memory. AMD's L3 is 32 MB
// per core complex, which the rotation overflows, so there the lines come from memory: the same loop (Zen 5, 1
// thread) took 152-174 us with plain stores and 119-121 with streaming stores, the add-relu chain 374-449 -> 265-313,
// and on 2 threads 71-80 -> 62-64 and 134-142 -> 131-141. Results of 512K floats: 83 -> 61 us, chain 147 -> 135 (1
// thread); 256K floats (which fit a core's 1 MiB L2): 43 -> 31 us, but the chain 62 -> 72, so small results keep
// plain stores.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "kernels.h"

namespace torchlet {
namespace stream_detail {
namespace {

// Results smaller than this keep plain stores: twice the L2 of the cores measured (Zen 4 and 5: 1 MiB).
constexpr int64_t kMinBytes = int64_t(2) << 20;

thread_local bool fresh_result = false;

// Whether fresh results go out with streaming stores: TORCHLET_STREAMING_STORES=1 or 0 forces it; by default on AMD
// x86-64 CPUs only (see above).
bool streaming_pays() {
  const char* v = std::getenv("TORCHLET_STREAMING_STORES");
  if (v && std::string(v) == "1") return true;
  if (v && std::string(v) == "0") return false;
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_is("amd");
#else
  return false;
#endif
}

#if defined(__x86_64__) && defined(__GNUC__)
// rows rows of `bytes` (a multiple of 64) from src (rows back to back) to dst (rows ldd bytes apart), all on
// 64-byte lines.
__attribute__((target("avx512f"))) void stream_avx512(char* dst, int64_t ldd, const char* src, int64_t bytes,
                                                       int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, dst += ldd, src += bytes)
    for (int64_t k = 0; k < bytes; k += 64)
      _mm512_stream_si512(reinterpret_cast<__m512i*>(dst + k), _mm512_load_si512(src + k));
}
__attribute__((target("avx"))) void stream_avx(char* dst, int64_t ldd, const char* src, int64_t bytes, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, dst += ldd, src += bytes)
    for (int64_t k = 0; k < bytes; k += 32)
      _mm256_stream_si256(reinterpret_cast<__m256i*>(dst + k),
                          _mm256_load_si256(reinterpret_cast<const __m256i*>(src + k)));
}
void stream_sse2(char* dst, int64_t ldd, const char* src, int64_t bytes, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, dst += ldd, src += bytes)
    for (int64_t k = 0; k < bytes; k += 16)
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + k),
                       _mm_load_si128(reinterpret_cast<const __m128i*>(src + k)));
}
using StreamFn = void (*)(char*, int64_t, const char*, int64_t, int64_t);
StreamFn pick_stream() {
  if (__builtin_cpu_supports("avx512f")) return stream_avx512;
  if (__builtin_cpu_supports("avx")) return stream_avx;
  return stream_sse2;
}
#endif

}  // namespace
}  // namespace stream_detail

FreshResult::FreshResult(bool fresh) : saved_(stream_detail::fresh_result) { stream_detail::fresh_result = fresh; }
FreshResult::~FreshResult() { stream_detail::fresh_result = saved_; }

bool streaming_stores() {
  static const bool pays = stream_detail::streaming_pays();
  return pays;
}

bool stream_result(int64_t bytes) {
  return stream_detail::fresh_result && bytes >= stream_detail::kMinBytes && streaming_stores();
}

void stream_rows(void* dst, int64_t ldd, const void* src, int64_t bytes, int64_t rows) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const stream_detail::StreamFn fn = stream_detail::pick_stream();
  fn(static_cast<char*>(dst), ldd, static_cast<const char*>(src), bytes, rows);
#else
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(static_cast<char*>(dst) + r * ldd, static_cast<const char*>(src) + r * bytes, size_t(bytes));
  }
#endif
}

void stream_fence() {
#if defined(__x86_64__) && defined(__GNUC__)
  _mm_sfence();
#endif
}

}  // namespace torchlet
