// 2-D pooling over contiguous [planes, h, w] inputs (planes = N * C): max (with flat indices h * w + w, as
// PyTorch returns them), average (countIncludePad, divisorOverride) and the adaptive variants, each written once over
// the floating element type.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels.h"
#include "simd.h"

namespace torchlet {

namespace pool_detail {
namespace {

// Window [start, end) of output index o for an adaptive pool from size in to size out.
inline int adaptive_start(int o, int in, int out) { return int((int64_t(o) * in) / out); }
inline int adaptive_end(int o, int in, int out) { return int(((int64_t(o) + 1) * in + out - 1) / out); }

// Calls body(first, last) over ranges of planes, split over torchlet's threads when the input is large enough
// (planes are independent, so the split does not change any result).
template <typename F>
void for_planes(const PoolGeometry& g, const F& body) {
  parallel_range(g.planes, g.planes * (int64_t(g.h) * g.w + int64_t(g.oh) * g.ow), body);
}

// The average pool's divisor and clipped window, as PyTorch's avg_pool2d.
struct AvgWindow {
  int h0, h1, w0, w1;
  int64_t divisor;
};
AvgWindow avg_window(const PoolGeometry& g, int oi, int oj) {
  int h0 = oi * g.sh - g.ph, w0 = oj * g.sw - g.pw;
  int h1 = std::min(h0 + g.kh, g.h + g.ph), w1 = std::min(w0 + g.kw, g.w + g.pw);
  const int64_t pool_size = int64_t(h1 - h0) * (w1 - w0);
  h0 = std::max(h0, 0);
  w0 = std::max(w0, 0);
  h1 = std::min(h1, g.h);
  w1 = std::min(w1, g.w);
  int64_t div;
  if (g.divisor_override) div = g.divisor_override;
  else if (g.count_include_pad) div = pool_size;
  else div = int64_t(h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, div};
}

AvgWindow adaptive_window(const PoolGeometry& g, int oi, int oj) {
  const int h0 = adaptive_start(oi, g.h, g.oh), h1 = adaptive_end(oi, g.h, g.oh);
  const int w0 = adaptive_start(oj, g.w, g.ow), w1 = adaptive_end(oj, g.w, g.ow);
  return {h0, h1, w0, w1, int64_t(h1 - h0) * (w1 - w0)};
}

// The mean of each output's window (average pooling, plain or adaptive), and its adjoint.
template <typename T, typename Window>
void window_mean(const T* x, T* y, const PoolGeometry& g, Window window) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      for (int oj = 0; oj < g.ow; ++oj) {
        const AvgWindow win = window(oi, oj);
        T sum = 0;
        for (int i = win.h0; i < win.h1; ++i)
          for (int j = win.w0; j < win.w1; ++j) sum += xp[int64_t(i) * g.w + j];
        y[p * ohw + int64_t(oi) * g.ow + oj] = sum / T(win.divisor);
      }
    }
  }
}

template <typename T, typename Window>
void window_mean_backward(const T* gy, T* gx, const PoolGeometry& g, Window window) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  std::fill(gx, gx + g.planes * hw, T(0));
  for (int64_t p = 0; p < g.planes; ++p) {
    T* gp = gx + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      for (int oj = 0; oj < g.ow; ++oj) {
        const AvgWindow win = window(oi, oj);
        const T v = gy[p * ohw + int64_t(oi) * g.ow + oj] / T(win.divisor);
        for (int i = win.h0; i < win.h1; ++i)
          for (int j = win.w0; j < win.w1; ++j) gp[int64_t(i) * g.w + j] += v;
      }
    }
  }
}

// As PyTorch: a larger value or a NaN takes over (the last NaN wins), visiting the window row by row.
template <typename T, typename I>
TORCHLET_INLINE void take_max(T v, I pos, T& best, I& at) {
  const auto take = (v > best) | (v != v);
  best = take ? v : best;
  at = take ? pos : at;
}

// The common 2x2, stride-2, unpadded max pool: eight outputs at a time from two deinterleaved input rows.
TORCHLET_SIMD_CLONES void max_pool_2x2(const float* x, float* y, int32_t* idx, const PoolGeometry& g, int64_t p0,
                                       int64_t p1) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  const float* end = x + g.planes * hw;
  for (int64_t p = p0; p < p1; ++p) {
    const float* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      const float* r0 = xp + int64_t(2 * oi) * g.w;
      const float* r1 = r0 + g.w;
      float* yo = y + p * ohw + int64_t(oi) * g.ow;
      int32_t* io = idx + p * ohw + int64_t(oi) * g.ow;
      const int32_t base = 2 * oi * g.w;
      // 16 input columns per step. The last, partial step reads on past the row (into the next row or plane, its
      // lanes dropped) while the input lasts, else from zero-padded copies of the remaining columns.
      for (int oj = 0; oj < g.ow; oj += 8) {
        const int n = std::min(8, g.ow - oj);
        const float* a0 = r0 + 2 * oj;
        const float* a1 = r1 + 2 * oj;
        float t0[16], t1[16];
        if ((n < 8 || 2 * oj + 16 > g.w) && a1 + 16 > end) {
          std::fill(t0, t0 + 16, 0.0f);
          std::fill(t1, t1 + 16, 0.0f);
          std::copy(a0, a0 + 2 * n, t0);
          std::copy(a1, a1 + 2 * n, t1);
          a0 = t0;
          a1 = t1;
        }
        f8 a, b, c, d;
        deinterleave(a0, a, b);
        deinterleave(a1, c, d);
        const i8 col = base + 2 * oj + i8{0, 2, 4, 6, 8, 10, 12, 14};
        f8 best = a;
        i8 at = col;
        take_max(b, col + 1, best, at);
        take_max(c, col + g.w, best, at);
        take_max(d, col + g.w + 1, best, at);
        if (n == 8) {
          store(yo + oj, best);
          store(io + oj, at);
        } else {
          float yb[8];
          int32_t ib[8];
          store(yb, best);
          store(ib, at);
          for (int q = 0; q < n; ++q) {
            yo[oj + q] = yb[q];
            io[oj + q] = ib[q];
          }
        }
      }
    }
  }
}

template <typename T>
void max_pool_general(const T* x, T* y, int32_t* idx, const PoolGeometry& g, int64_t p0, int64_t p1) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      // The window's rows inside the input: from i0 (the first in bounds) to i_end, stepping by the dilation.
      int i0 = oi * g.sh - g.ph;
      while (i0 < 0) i0 += g.dh;
      const int i_end = std::min(oi * g.sh - g.ph + (g.kh - 1) * g.dh + 1, g.h);
      for (int oj = 0; oj < g.ow; ++oj) {
        int j0 = oj * g.sw - g.pw;
        while (j0 < 0) j0 += g.dw;
        const int j_end = std::min(oj * g.sw - g.pw + (g.kw - 1) * g.dw + 1, g.w);
        // As PyTorch: start at -inf with the first position. Selects instead of branches: on real data the
        // comparison is a coin flip.
        T best = -std::numeric_limits<T>::infinity();
        int64_t at = int64_t(i0) * g.w + j0;
        for (int i = i0; i < i_end; i += g.dh) {
          const T* row = xp + int64_t(i) * g.w;
          for (int j = j0; j < j_end; j += g.dw) take_max(row[j], int64_t(i) * g.w + j, best, at);
        }
        y[p * ohw + int64_t(oi) * g.ow + oj] = best;
        idx[p * ohw + int64_t(oi) * g.ow + oj] = int32_t(at);
      }
    }
  }
}

template <typename T>
void max_pool2d(const T* x, T* y, int32_t* idx, const PoolGeometry& g) {
  // (Every window inside the input: ceil mode's partial last window takes the general path.)
  const bool two_by_two = std::is_same<T, float>::value && g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 &&
                          g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 && 2 * g.oh <= g.h && 2 * g.ow <= g.w &&
                          int64_t(g.h) * g.w <= INT32_MAX;
  for_planes(g, [&](int64_t p0, int64_t p1) {
    if constexpr (std::is_same<T, float>::value) {
      if (two_by_two) return max_pool_2x2(x, y, idx, g, p0, p1);
    }
    max_pool_general(x, y, idx, g, p0, p1);
  });
}

template <typename T>
bool max_pool2d_backward(const T* gy, const int32_t* idx, T* gx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  std::atomic<bool> ok{true};
  for_planes(g, [&](int64_t p0, int64_t p1) {
    std::fill(gx + p0 * hw, gx + p1 * hw, T(0));
    for (int64_t p = p0; p < p1; ++p) {
      T* gp = gx + p * hw;
      const T* gyp = gy + p * ohw;
      const int32_t* ip = idx + p * ohw;
      for (int64_t o = 0; o < ohw; ++o) {
        const int32_t at = ip[o];
        if (at < 0 || at >= hw) {
          ok = false;
          continue;
        }
        gp[at] += gyp[o];
      }
    }
  });
  return ok;
}

template <typename T>
void adaptive_max_pool2d(const T* x, T* y, int32_t* idx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      const int h0 = adaptive_start(oi, g.h, g.oh), h1 = adaptive_end(oi, g.h, g.oh);
      for (int oj = 0; oj < g.ow; ++oj) {
        const int w0 = adaptive_start(oj, g.w, g.ow), w1 = adaptive_end(oj, g.w, g.ow);
        const int64_t o = p * ohw + int64_t(oi) * g.ow + oj;
        T best = -std::numeric_limits<T>::infinity();
        int64_t at = int64_t(h0) * g.w + w0;
        for (int i = h0; i < h1; ++i)
          for (int j = w0; j < w1; ++j) take_max(xp[int64_t(i) * g.w + j], int64_t(i) * g.w + j, best, at);
        y[o] = best;
        idx[o] = int32_t(at);
      }
    }
  }
}

}  // namespace
}  // namespace pool_detail

bool pool2d(PoolKind kind, DType t, const void* a, void* out, int32_t* idx, const PoolGeometry& g) {
  using namespace pool_detail;
  bool ok = true;
  const bool floating = dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = static_cast<const T*>(a);
    T* y = static_cast<T*>(out);
    auto avg = [&](int oi, int oj) { return avg_window(g, oi, oj); };
    auto adaptive = [&](int oi, int oj) { return adaptive_window(g, oi, oj); };
    switch (kind) {
      case PoolKind::max: max_pool2d(x, y, idx, g); break;
      case PoolKind::avg: window_mean(x, y, g, avg); break;
      case PoolKind::avg_backward: window_mean_backward(x, y, g, avg); break;
      case PoolKind::adaptive_avg: window_mean(x, y, g, adaptive); break;
      case PoolKind::adaptive_max: adaptive_max_pool2d(x, y, idx, g); break;
      case PoolKind::adaptive_avg_backward: window_mean_backward(x, y, g, adaptive); break;
      case PoolKind::max_backward: ok = max_pool2d_backward(x, idx, y, g); break;
      case PoolKind::kCount: break;
    }
  });
  return floating && ok;
}

}  // namespace torchlet
