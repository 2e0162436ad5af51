// PyTorch's CPU random streams (torch.manual_seed): MT19937 and the transformations of
// aten/src/ATen/core/TransformationHelper.h and native/cpu/DistributionTemplates.h, reproduced so that a seeded
// torchlet program draws the same numbers as the same PyTorch program.
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

void twist(uint32_t* mt) {
  for (int i = 0; i < kN; ++i) {
    const uint32_t y = (mt[i] & 0x80000000u) | (mt[(i + 1) % kN] & 0x7fffffffu);
    mt[i] = mt[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
}

uint64_t random64(uint32_t* state) {
  const uint64_t hi = rng_random(state);
  const uint64_t lo = rng_random(state);
  return (hi << 32) | lo;
}

// A double in [0, 1) from 53 random bits, as at::uniform_real_distribution<double>.
double uniform53(uint32_t* state) {
  return double(random64(state) & ((uint64_t(1) << 53) - 1)) * (1.0 / double(uint64_t(1) << 53));
}

// A float in [0, 1) from 24 random bits, as at::uniform_real_distribution<float>.
float uniform24(uint32_t* state) { return float(rng_random(state) & 0xffffffu) * (1.0f / 16777216.0f); }

// A uniform in [0, 1) with T's precision: float takes one 32-bit draw, double two.
template <typename T>
T uniform01(uint32_t* state) {
  if constexpr (std::is_same<T, float>::value) return uniform24(state);
  else return uniform53(state);
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
void normal_fill_16(T* d, T mean, T std) {
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

template <typename T>
void uniform(uint32_t* state, T* out, int64_t n, double from, double to) {
  const T lo = T(from), span = T(to) - T(from);
  // PyTorch's AVX2 build fuses x * span + lo into one FMA; so does std::fma.
  for (int64_t i = 0; i < n; ++i) out[i] = std::fma(uniform01<T>(state), span, lo);
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
  for (int64_t i = 0; i < n; ++i) out[i] = uniform01<T>(state);
  for (int64_t i = 0; i + 16 <= n; i += 16) normal_fill_16(out + i, m, s);
  if (n % 16 != 0) {
    // The tail: redraw the last 16 slots and transform them again, as PyTorch does.
    T* last = out + n - 16;
    for (int j = 0; j < 16; ++j) last[j] = uniform01<T>(state);
    normal_fill_16(last, m, s);
  }
}

template <typename T>
void bernoulli(uint32_t* state, T* out, int64_t n, double p) {
  // Every dtype draws a 53-bit uniform, as at::bernoulli_distribution<double>.
  for (int64_t i = 0; i < n; ++i) out[i] = uniform53(state) < p ? T(1) : T(0);
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
  uint32_t y = state[state[kIndex]++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

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
  const uint64_t range = uint64_t(high - low);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t v = range >= (uint64_t(1) << 32) ? rng_detail::random64(state) : rng_random(state);
    out[i] = int32_t(int64_t(v % range) + low);
  }
}

void rng_randperm(uint32_t* state, int32_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = int32_t(i);
  for (int64_t i = 0; i + 1 < n; ++i) {
    const int64_t z = int64_t(rng_random(state) % uint64_t(n - i));
    const int32_t t = out[i];
    out[i] = out[z + i];
    out[z + i] = t;
  }
}

}  // namespace torchlet
