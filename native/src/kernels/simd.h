// Eight lanes as one value (GCC/Clang vector extensions): lowered to one AVX register in functions built for
// x86-64-v3 (TORCHLET_SIMD_CLONES), to two SSE registers otherwise. Loads and stores go through memcpy, which
// compiles to unaligned vector moves.
#pragma once
#include <cstring>

namespace torchlet {

typedef float f8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));
// Sixteen lanes: one AVX-512 register in x86-64-v4 code, two AVX ones in x86-64-v3 code.
typedef float f16 __attribute__((vector_size(64)));
typedef int i16 __attribute__((vector_size(64)));

#define TORCHLET_INLINE inline __attribute__((always_inline))

// A fresh result is memory that is not in cache, and the hardware prefetchers fetch it late for stores: a run that
// writes one calls these as it goes, so its output comes in 4 KiB ahead of the stores (elementwise.cpp and
// vmath.cpp measured 8-12% on fresh results of 1M floats; in-place runs are unchanged).
constexpr long kStoreAhead = 4096;
// Fetches for writing the cache line kStoreAhead bytes past p (once per 64 bytes stored).
TORCHLET_INLINE void prefetch_store_line(const void* p) {
  __builtin_prefetch(static_cast<const char*>(p) + kStoreAhead, 1, 3);
}
// Fetches for writing the `bytes` (a multiple of 64) that start kStoreAhead bytes past p.
TORCHLET_INLINE void prefetch_store_block(const void* p, long bytes) {
  for (long k = 0; k < bytes; k += 64) prefetch_store_line(static_cast<const char*>(p) + k);
}

template <typename T>
TORCHLET_INLINE T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
TORCHLET_INLINE void store(void* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

// The even and odd lanes of the 16 floats at p: {p[0], p[2], ..., p[14]} and {p[1], p[3], ..., p[15]}.
TORCHLET_INLINE void deinterleave(const float* p, f8& even, f8& odd) {
  const f8 a = load<f8>(p), b = load<f8>(p + 8);
  even = __builtin_shuffle(a, b, i8{0, 2, 4, 6, 8, 10, 12, 14});
  odd = __builtin_shuffle(a, b, i8{1, 3, 5, 7, 9, 11, 13, 15});
}
// The same for the 32 floats at p.
TORCHLET_INLINE void deinterleave(const float* p, f16& even, f16& odd) {
  const f16 a = load<f16>(p), b = load<f16>(p + 16);
  even = __builtin_shuffle(a, b, i16{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
  odd = __builtin_shuffle(a, b, i16{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31});
}

// Transposes the 8 x 8 block whose rows start at src, lds apart, into dst (rows ldd apart).
TORCHLET_INLINE void transpose8x8(const float* src, int64_t lds, float* dst, int64_t ldd) {
  f8 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = load<f8>(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shuffle(r[i], r[i + 1], i8{0, 8, 1, 9, 4, 12, 5, 13});
    t[i + 1] = __builtin_shuffle(r[i], r[i + 1], i8{2, 10, 3, 11, 6, 14, 7, 15});
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = __builtin_shuffle(t[i], t[i + 2], i8{0, 1, 8, 9, 4, 5, 12, 13});
    u[i + 1] = __builtin_shuffle(t[i], t[i + 2], i8{2, 3, 10, 11, 6, 7, 14, 15});
    u[i + 2] = __builtin_shuffle(t[i + 1], t[i + 3], i8{0, 1, 8, 9, 4, 5, 12, 13});
    u[i + 3] = __builtin_shuffle(t[i + 1], t[i + 3], i8{2, 3, 10, 11, 6, 7, 14, 15});
  }
  for (int i = 0; i < 4; ++i) {
    store(dst + i * ldd, __builtin_shuffle(u[i], u[i + 4], i8{0, 1, 2, 3, 8, 9, 10, 11}));
    store(dst + (i + 4) * ldd, __builtin_shuffle(u[i], u[i + 4], i8{4, 5, 6, 7, 12, 13, 14, 15}));
  }
}

}  // namespace torchlet
