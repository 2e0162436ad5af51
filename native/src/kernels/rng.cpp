// PyTorch's CPU random streams (torch.manual_seed): MT19937 and the transformations of
// aten/src/ATen/core/TransformationHelper.h and native/cpu/DistributionTemplates.h, reproduced so that a seeded
// torchlet program draws the same numbers as the same PyTorch program.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels.h"

namespace torchlet {

namespace rng_detail {
namespace {

constexpr int kN = 624;
constexpr int kM = 397;
// Word positions of the generator state after the 624 MT words.
constexpr int kIndex = 624;
constexpr int kHasNormal = 625;
constexpr int kNormalLo = 626;
constexpr int kSeedLo = 628;
constexpr double kPi = 3.14159265358979323846;

constexpr uint32_t kMatrixA = 0x9908b0dfu;
constexpr uint32_t kUpper = 0x80000000u;
// Words drawn per chunk by the bulk paths: 8 KiB of stack.
constexpr int64_t kChunkWords = 2048;

// The MT19937 recurrence for one word: the top bit of cur, the low 31 of next, mixed into the word kM ahead.
inline uint32_t twist_word(uint32_t cur, uint32_t next, uint32_t ahead) {
  const uint32_t y = (cur & kUpper) | (next & ~kUpper);
  return ahead ^ (y >> 1) ^ ((0u - (y & 1u)) & kMatrixA);
}

// The next 624 words in place, in three loops without wrap-around indices so that the first two vectorise (the
// second reads words the first has already replaced, 227 positions back).
TORCHLET_SIMD_CLONES void twist(uint32_t* mt) {
  for (int i = 0; i < kN - kM; ++i) mt[i] = twist_word(mt[i], mt[i + 1], mt[i + kM]);
  for (int i = kN - kM; i < kN - 1; ++i) mt[i] = twist_word(mt[i], mt[i + 1], mt[i + kM - kN]);
  mt[kN - 1] = twist_word(mt[kN - 1], mt[0], mt[kM - 1]);
}

inline uint32_t temper(uint32_t y) {
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

TORCHLET_SIMD_CLONES void temper_run(const uint32_t* __restrict__ mt, uint32_t* __restrict__ out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = temper(mt[i]);
}

// The next n outputs of the generator, exactly as n calls of rng_random: whole runs of the current 624-word block
// are tempered at once, and the index word is left where the single draws expect it.
void random_fill(uint32_t* state, uint32_t* out, int64_t n) {
  while (n > 0) {
    if (state[kIndex] >= uint32_t(kN)) {
      twist(state);
      state[kIndex] = 0;
    }
    const uint32_t at = state[kIndex];
    const int64_t k = std::min<int64_t>(n, int64_t(kN - at));
    temper_run(state + at, out, k);
    state[kIndex] = at + uint32_t(k);
    out += k;
    n -= k;
  }
}

// Calls f(words, first, count) for consecutive runs [first, first + count) of n items that take `per` 32-bit
// draws each, words holding the run's count * per draws in stream order.
template <typename F>
void draw_chunks(uint32_t* state, int64_t n, int per, F f) {
  uint32_t words[kChunkWords];
  const int64_t step = kChunkWords / per;
  for (int64_t first = 0; first < n; first += step) {
    const int64_t count = std::min(step, n - first);
    random_fill(state, words, count * per);
    f(words, first, count);
  }
}

uint64_t random64(uint32_t* state) {
  const uint64_t hi = rng_random(state);
  const uint64_t lo = rng_random(state);
  return (hi << 32) | lo;
}

// The 53 low bits of the 64-bit draw (hi, lo), as an exact double; built from signed 32-bit conversions, which
// vectorise (2^32 * hi21 + lo < 2^53, so the sum is exact).
inline double bits53(uint32_t hi, uint32_t lo) {
  const double l = double(int32_t(lo ^ kUpper)) + 2147483648.0;
  return double(int32_t(hi & 0x1fffffu)) * 4294967296.0 + l;
}

constexpr double kTwoPow53 = 9007199254740992.0;

// A double in [0, 1) from 53 random bits, as at::uniform_real_distribution<double>.
double uniform53(uint32_t* state) {
  return double(random64(state) & ((uint64_t(1) << 53) - 1)) * (1.0 / kTwoPow53);
}

bool take_cached_normal(uint32_t* state, double* out) {
  if (!state[kHasNormal]) return false;
  std::memcpy(out, state + kNormalLo, sizeof(double));
  state[kHasNormal] = 0;
  return true;
}

void cache_normal(uint32_t* state, double v) {
  std::memcpy(state + kNormalLo, &v, sizeof(double));
  state[kHasNormal] = 1;
}

// One standard normal sample in double, with PyTorch's cached second Box-Muller value (shared by every dtype).
double normal_double(uint32_t* state) {
  double cached;
  if (take_cached_normal(state, &cached)) return cached;
  const double u1 = uniform53(state);
  const double u2 = uniform53(state);
  const double r = std::sqrt(-2.0 * std::log1p(-u2));
  const double theta = 2.0 * kPi * u1;
  cache_normal(state, r * std::sin(theta));
  return r * std::cos(theta);
}

// Box-Muller on a block of 16 uniforms in place, in T's precision, as PyTorch's normal_fill_16 (float32: its AVX2
// version): theta is the product T(2 pi) * u2 and the last step one fused multiply-add, as there (PyTorch's AVX2
// build fuses the double version's multiply-add too).
template <typename T>
inline void normal_fill_16(T* d, T mean, T std) {
  const T two_pi = T(2.0 * kPi);
  for (int j = 0; j < 8; ++j) {
    const T u1 = T(1) - d[j];
    const T u2 = d[j + 8];
    const T radius = std::sqrt(T(-2) * std::log(u1));
    const T theta = two_pi * u2;
    d[j] = std::fma(radius * std::cos(theta), std, mean);
    d[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

// out[i] = fma(u_i, span, lo) for the uniforms u_i in [0, 1) with T's precision made from the draws w: one draw
// per float (its low 24 bits, as at::uniform_real_distribution<float>), two (high, low) per double (53 bits).
// PyTorch's AVX2 build fuses u * span + lo into one FMA; so does std::fma.
template <typename T>
TORCHLET_SIMD_CLONES void uniform_run(const uint32_t* __restrict__ w, T* __restrict__ out, int64_t n, T span, T lo) {
  for (int64_t i = 0; i < n; ++i) {
    T u;
    if constexpr (std::is_same<T, float>::value) u = float(int32_t(w[i] & 0xffffffu)) * (1.0f / 16777216.0f);
    else u = bits53(w[2 * i], w[2 * i + 1]) * (1.0 / kTwoPow53);
    out[i] = std::fma(u, span, lo);
  }
}

// n uniforms of T's precision from the bulk generator, mapped by fma(u, span, lo) (exactly u for span 1, lo 0).
template <typename T>
void uniform_fill(uint32_t* state, T* out, int64_t n, T span, T lo) {
  draw_chunks(state, n, sizeof(T) / sizeof(uint32_t),
              [&](const uint32_t* w, int64_t first, int64_t count) { uniform_run(w, out + first, count, span, lo); });
}

template <typename T>
void uniform(uint32_t* state, T* out, int64_t n, double from, double to) {
  uniform_fill(state, out, n, T(to) - T(from), T(from));
}

// normal_fill_16 on each whole block of 16 in out[0, n), built for AVX2 too so that std::fma is one instruction
// rather than a libm call (the same bits either way: fma rounds once). The log and sincos calls stay scalar libm.
template <typename T>
TORCHLET_SIMD_CLONES void normal_fill_blocks(T* out, int64_t n, T mean, T std) {
  for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16(out + i, mean, std);
}

template <typename T>
void normal(uint32_t* state, T* out, int64_t n, double mean, double std) {
  if (n < 16) {
    // PyTorch's AVX2 build fuses x * std + mean in double; for float64 the fused result is needed to match, for
    // float32 rounding the unfused one to float has given the same bits in every case checked.
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_same<T, float>::value) out[i] = float(normal_double(state) * std + mean);
      else out[i] = std::fma(normal_double(state), std, mean);
    }
    return;
  }
  const T m = T(mean), s = T(std);
  uniform_fill(state, out, n, T(1), T(0));
  normal_fill_blocks(out, n, m, s);
  if (n % 16 != 0) {
    // The tail: redraw the last 16 slots and transform them again, as PyTorch does.
    T* last = out + n - 16;
    uniform_fill(state, last, 16, T(1), T(0));
    normal_fill_16(last, m, s);
  }
}

// out[i] = (u_i < p) for the 53-bit uniforms u_i made from the draw pairs in w. u_i = v / 2^53 with v an exact
// 53-bit integer, so u_i < p is exactly v < p * 2^53 (scaling by a power of two is exact in double), compared in
// double: no per-element division, and the loop vectorises.
template <typename T>
TORCHLET_SIMD_CLONES void bernoulli_run(const uint32_t* __restrict__ w, T* __restrict__ out, int64_t n, double scaled) {
  for (int64_t i = 0; i < n; ++i) out[i] = bits53(w[2 * i], w[2 * i + 1]) < scaled ? T(1) : T(0);
}

template <typename T>
void bernoulli(uint32_t* state, T* out, int64_t n, double p) {
  // Every dtype draws a 53-bit uniform, as at::bernoulli_distribution<double>.
  const double scaled = p * kTwoPow53;
  draw_chunks(state, n, 2, [&](const uint32_t* w, int64_t first, int64_t count) {
    bernoulli_run(w, out + first, count, scaled);
  });
}

}  // namespace
}  // namespace rng_detail

void rng_seed(uint32_t* state, uint64_t seed) {
  using namespace rng_detail;
  state[0] = uint32_t(seed & 0xffffffffu);
  for (int i = 1; i < kN; ++i) state[i] = 1812433253u * (state[i - 1] ^ (state[i - 1] >> 30)) + uint32_t(i);
  state[kIndex] = kN;
  state[kHasNormal] = 0;
  state[kNormalLo] = state[kNormalLo + 1] = 0;
  state[kSeedLo] = uint32_t(seed & 0xffffffffu);
  state[kSeedLo + 1] = uint32_t(seed >> 32);
}

uint32_t rng_random(uint32_t* state) {
  using namespace rng_detail;
  if (state[kIndex] >= uint32_t(kN)) {
    twist(state);
    state[kIndex] = 0;
  }
  return temper(state[state[kIndex]++]);
}

void rng_random_fill(uint32_t* state, uint32_t* out, int64_t n) { rng_detail::random_fill(state, out, n); }

bool rng_uniform(uint32_t* state, DType t, void* out, int64_t n, double from, double to) {
  return dispatch_float(t, [&](auto tag) {
    rng_detail::uniform(state, static_cast<typename decltype(tag)::type*>(out), n, from, to);
  });
}

bool rng_normal(uint32_t* state, DType t, void* out, int64_t n, double mean, double std) {
  return dispatch_float(t, [&](auto tag) {
    rng_detail::normal(state, static_cast<typename decltype(tag)::type*>(out), n, mean, std);
  });
}

bool rng_bernoulli(uint32_t* state, DType t, void* out, int64_t n, double p) {
  return dispatch_float(t, [&](auto tag) {
    rng_detail::bernoulli(state, static_cast<typename decltype(tag)::type*>(out), n, p);
  });
}

void rng_randint(uint32_t* state, int32_t* out, int64_t n, int64_t low, int64_t high) {
  using namespace rng_detail;
  const uint64_t range = uint64_t(high - low);
  if (range >= (uint64_t(1) << 32)) {
    // Two draws (high word first) per value, as random64.
    draw_chunks(state, n, 2, [&](const uint32_t* w, int64_t first, int64_t count) {
      for (int64_t i = 0; i < count; ++i) {
        const uint64_t v = (uint64_t(w[2 * i]) << 32) | w[2 * i + 1];
        out[first + i] = int32_t(int64_t(v % range) + low);
      }
    });
  } else {
    const uint32_t range32 = uint32_t(range);
    draw_chunks(state, n, 1, [&](const uint32_t* w, int64_t first, int64_t count) {
      for (int64_t i = 0; i < count; ++i) out[first + i] = int32_t(int64_t(w[i] % range32) + low);
    });
  }
}

void rng_randperm(uint32_t* state, int32_t* out, int64_t n) {
  using namespace rng_detail;
  for (int64_t i = 0; i < n; ++i) out[i] = int32_t(i);
  // One draw per swap, for positions 0 .. n - 2.
  draw_chunks(state, std::max<int64_t>(n - 1, 0), 1, [&](const uint32_t* w, int64_t first, int64_t count) {
    for (int64_t i = first; i < first + count; ++i) {
      const int64_t z = int64_t(w[i - first] % uint64_t(n - i));
      const int32_t t = out[i];
      out[i] = out[z + i];
      out[z + i] = t;
    }
  });
}

}  // namespace torchlet
