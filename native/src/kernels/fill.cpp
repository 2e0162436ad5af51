// Range fills: arange and linspace, written once over the element type and split over torchlet's threads.
#include <cmath>
#include <type_traits>

#include "kernels.h"

namespace torchlet {

namespace fill_detail {
namespace {

// A value computed in double, stored as T: floats round to nearest, integers truncate toward zero (the binding
// checks that every value lies in T's range).
template <typename T>
T store(double v) {
  if constexpr (std::is_floating_point<T>::value) return T(v);
  else return T(std::trunc(v));
}

// arange: out[i] = start + i * step in double, then stored, as PyTorch's CPU kernel.
template <typename T>
void arange(T* out, int64_t n, double start, double step) {
  parallel_range(n, n, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) out[i] = store<T>(start + double(i) * step);
  });
}

// linspace as PyTorch's CPU kernel: a step in the tensor's precision (float32 for every non-double dtype), each
// value taken from the nearer end, in chunks of two AVX2 vectors (8 floats or 4 doubles each) of base + j * step,
// then the tail one by one; its compiler fuses each multiply-add. For float32, double arithmetic plus one rounding
// is that fused result (the products are exact in double); float64 takes std::fma.
template <typename T>
void linspace(T* out, int64_t steps, double start, double end) {
  if (steps == 1) out[0] = store<T>(start);
  if (steps <= 1) return;
  constexpr bool kDouble = std::is_same<T, double>::value;
  const auto f = [](double x) { return kDouble ? x : double(float(x)); };
  const int64_t lanes = kDouble ? 4 : 8;
  const double s = f(start), e = f(end);
  const double step = f(f(e - s) / double(steps - 1));
  const int64_t half = steps / 2;
  const auto at = [&](int64_t i) {
    if (kDouble) return i < half ? std::fma(step, double(i), s) : std::fma(-step, double(steps - i - 1), e);
    return i < half ? f(s + step * double(i)) : f(e - step * double(steps - i - 1));
  };
  const auto lane = [&](double base, int64_t j) {
    return kDouble ? std::fma(double(j), step, base) : f(base + f(double(j) * step));
  };
  // Whole pairs of chunks go to the threads; the tail runs after them.
  const int64_t pairs = steps / (2 * lanes);
  parallel_range(pairs, steps, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      for (int64_t c = 0; c < 2; ++c) {
        const int64_t i = (2 * p + c) * lanes;
        const double base = at(i);
        for (int64_t j = 0; j < lanes; ++j) out[i + j] = store<T>(lane(base, j));
      }
    }
  });
  for (int64_t i = pairs * 2 * lanes; i < steps; ++i) out[i] = store<T>(at(i));
}

}  // namespace
}  // namespace fill_detail

bool fill_range(RangeKind kind, DType t, void* out, int64_t n, double a, double b) {
  if (t == DType::U8) return false;
  dispatch(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same<T, uint8_t>::value) {
      T* o = static_cast<T*>(out);
      if (kind == RangeKind::arange) fill_detail::arange(o, n, a, b);
      else fill_detail::linspace(o, n, a, b);
    }
  });
  return true;
}

}  // namespace torchlet
