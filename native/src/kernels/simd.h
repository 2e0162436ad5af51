// Eight lanes as one value (GCC/Clang vector extensions): lowered to one AVX register in functions built for
// x86-64-v3 (TORCHLET_SIMD_CLONES), to two SSE registers otherwise. Loads and stores go through memcpy, which
// compiles to unaligned vector moves.
#pragma once
#include <cstring>

namespace torchlet {

typedef float f8 __attribute__((vector_size(32)));
typedef int i8 __attribute__((vector_size(32)));

#define TORCHLET_INLINE inline __attribute__((always_inline))

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

}  // namespace torchlet
