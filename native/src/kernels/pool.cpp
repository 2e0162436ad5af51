// 2-D pooling over contiguous [planes, h, w] inputs (planes = N * C): max (with flat indices h * w + w, as
// PyTorch returns them), average (countIncludePad, divisorOverride) and the adaptive variants.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels.h"

namespace torchlet {

namespace {

// Window [start, end) of output index o for an adaptive pool from size in to size out.
inline int adaptive_start(int o, int in, int out) { return int((int64_t(o) * in) / out); }
inline int adaptive_end(int o, int in, int out) { return int(((int64_t(o) + 1) * in + out - 1) / out); }

// The average pool's divisor and clipped window, as PyTorch's avg_pool2d.
struct AvgWindow {
  int h0, h1, w0, w1;
  float divisor;
};
AvgWindow avg_window(const PoolGeometry& g, int oi, int oj) {
  int h0 = oi * g.sh - g.ph, w0 = oj * g.sw - g.pw;
  int h1 = std::min(h0 + g.kh, g.h + g.ph), w1 = std::min(w0 + g.kw, g.w + g.pw);
  const int pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max(h0, 0);
  w0 = std::max(w0, 0);
  h1 = std::min(h1, g.h);
  w1 = std::min(w1, g.w);
  int div;
  if (g.divisor_override) div = g.divisor_override;
  else if (g.count_include_pad) div = pool_size;
  else div = (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, float(div)};
}

}  // namespace

void max_pool2d(const float* x, float* y, int32_t* idx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      for (int oj = 0; oj < g.ow; ++oj) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t at = -1;
        for (int ki = 0; ki < g.kh; ++ki) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          if (i < 0 || i >= g.h) continue;
          for (int kj = 0; kj < g.kw; ++kj) {
            const int j = oj * g.sw - g.pw + kj * g.dw;
            if (j < 0 || j >= g.w) continue;
            const float v = xp[int64_t(i) * g.w + j];
            if (at < 0 || v > best || std::isnan(v)) {
              best = v;
              at = int64_t(i) * g.w + j;
              if (std::isnan(v)) goto done;
            }
          }
        }
      done:
        y[p * ohw + int64_t(oi) * g.ow + oj] = best;
        idx[p * ohw + int64_t(oi) * g.ow + oj] = int32_t(at < 0 ? 0 : at);
      }
    }
  }
}

void avg_pool2d(const float* x, float* y, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      for (int oj = 0; oj < g.ow; ++oj) {
        const AvgWindow win = avg_window(g, oi, oj);
        float sum = 0;
        for (int i = win.h0; i < win.h1; ++i)
          for (int j = win.w0; j < win.w1; ++j) sum += xp[int64_t(i) * g.w + j];
        y[p * ohw + int64_t(oi) * g.ow + oj] = sum / win.divisor;
      }
    }
  }
}

void avg_pool2d_backward(const float* gy, float* gx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  std::fill(gx, gx + g.planes * hw, 0.0f);
  for (int64_t p = 0; p < g.planes; ++p) {
    float* gp = gx + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      for (int oj = 0; oj < g.ow; ++oj) {
        const AvgWindow win = avg_window(g, oi, oj);
        const float v = gy[p * ohw + int64_t(oi) * g.ow + oj] / win.divisor;
        for (int i = win.h0; i < win.h1; ++i)
          for (int j = win.w0; j < win.w1; ++j) gp[int64_t(i) * g.w + j] += v;
      }
    }
  }
}

void adaptive_pool2d(const float* x, float* y, int32_t* idx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      const int h0 = adaptive_start(oi, g.h, g.oh), h1 = adaptive_end(oi, g.h, g.oh);
      for (int oj = 0; oj < g.ow; ++oj) {
        const int w0 = adaptive_start(oj, g.w, g.ow), w1 = adaptive_end(oj, g.w, g.ow);
        const int64_t o = p * ohw + int64_t(oi) * g.ow + oj;
        if (idx) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t at = int64_t(h0) * g.w + w0;
          bool first = true;
          for (int i = h0; i < h1; ++i)
            for (int j = w0; j < w1; ++j) {
              const float v = xp[int64_t(i) * g.w + j];
              if (first || v > best || std::isnan(v)) {
                if (!first && std::isnan(best)) continue;
                best = v;
                at = int64_t(i) * g.w + j;
                first = false;
              }
            }
          y[o] = best;
          idx[o] = int32_t(at);
        } else {
          float sum = 0;
          for (int i = h0; i < h1; ++i)
            for (int j = w0; j < w1; ++j) sum += xp[int64_t(i) * g.w + j];
          y[o] = sum / float((h1 - h0) * (w1 - w0));
        }
      }
    }
  }
}

void adaptive_avg_pool2d_backward(const float* gy, float* gx, const PoolGeometry& g) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  std::fill(gx, gx + g.planes * hw, 0.0f);
  for (int64_t p = 0; p < g.planes; ++p) {
    float* gp = gx + p * hw;
    for (int oi = 0; oi < g.oh; ++oi) {
      const int h0 = adaptive_start(oi, g.h, g.oh), h1 = adaptive_end(oi, g.h, g.oh);
      for (int oj = 0; oj < g.ow; ++oj) {
        const int w0 = adaptive_start(oj, g.w, g.ow), w1 = adaptive_end(oj, g.w, g.ow);
        const float v = gy[p * ohw + int64_t(oi) * g.ow + oj] / float((h1 - h0) * (w1 - w0));
        for (int i = h0; i < h1; ++i)
          for (int j = w0; j < w1; ++j) gp[int64_t(i) * g.w + j] += v;
      }
    }
  }
}

}  // namespace torchlet
