// 2-D convolution by im2col + sgemm (and its adjoints: col2im for the input gradient, sgemm over the batch for
// the weight gradient). Images are processed in tiles: the tile's columns sit side by side, so each group runs
// one large GEMM per tile instead of one small GEMM per image. A 1x1, stride-1, unpadded convolution is a plain
// sgemm on each image: no im2col.
#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "kernels.h"
#include "winograd.h"

namespace torchlet {

namespace {

// Columns per GEMM to aim for: enough for OpenBLAS to run at full speed, small enough to stay in cache.
constexpr int64_t kTileColumns = 2048;

bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// Unfolds channels [0, cg) of one image [cg, h, w] into col rows of oh * ow values, ld apart.
void im2col(const float* x, int cg, const ConvGeometry& g, float* col, int64_t ld) {
  for (int c = 0; c < cg; ++c) {
    const float* xc = x + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        float* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * ld;
        for (int oi = 0; oi < g.oh; ++oi) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          float* out = row + int64_t(oi) * g.ow;
          if (i < 0 || i >= g.h) {
            std::memset(out, 0, sizeof(float) * size_t(g.ow));
            continue;
          }
          const float* xr = xc + int64_t(i) * g.w;
          // Output columns whose input column j = oj * sw - pw + kj * dw lies inside [0, w): [lo, hi).
          const int off = kj * g.dw - g.pw;
          const int lo = std::min(g.ow, off >= 0 ? 0 : (-off + g.sw - 1) / g.sw);
          const int hi = std::max(lo, std::min(g.ow, g.w - off <= 0 ? 0 : (g.w - off - 1) / g.sw + 1));
          std::fill(out, out + lo, 0.0f);
          if (g.sw == 1) {
            std::memcpy(out + lo, xr + lo + off, sizeof(float) * size_t(hi - lo));
          } else {
            for (int oj = lo; oj < hi; ++oj) out[oj] = xr[oj * g.sw + off];
          }
          std::fill(out + hi, out + g.ow, 0.0f);
        }
      }
    }
  }
}

// The adjoint of im2col: adds col rows (ld apart) back into one image's gradient [cg, h, w].
void col2im(const float* col, int64_t ld, int cg, const ConvGeometry& g, float* dx) {
  for (int c = 0; c < cg; ++c) {
    float* dc = dx + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        const float* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * ld;
        for (int oi = 0; oi < g.oh; ++oi) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          if (i < 0 || i >= g.h) continue;
          float* dr = dc + int64_t(i) * g.w;
          const float* in = row + int64_t(oi) * g.ow;
          const int off = kj * g.dw - g.pw;
          const int lo = std::min(g.ow, off >= 0 ? 0 : (-off + g.sw - 1) / g.sw);
          const int hi = std::max(lo, std::min(g.ow, g.w - off <= 0 ? 0 : (g.w - off - 1) / g.sw + 1));
          for (int oj = lo; oj < hi; ++oj) dr[oj * g.sw + off] += in[oj];
        }
      }
    }
  }
}

// Sizes of one tile: t images, the column matrix [k, t * l] and the per-group output block [ocg, t * l].
struct Tiling {
  int cg, ocg, k;
  int64_t l, t;
};

Tiling tiling(const ConvGeometry& g) {
  Tiling s;
  s.cg = g.c / g.groups;
  s.ocg = g.oc / g.groups;
  s.k = s.cg * g.kh * g.kw;
  s.l = int64_t(g.oh) * g.ow;
  s.t = is_pointwise(g) ? 1 : std::max<int64_t>(1, std::min<int64_t>(g.n, kTileColumns / std::max<int64_t>(s.l, 1)));
  return s;
}

// The tile's column matrix for group gr: images n0 .. n0 + t side by side (the image itself when pointwise).
const float* columns(const float* x, int n0, int t, int gr, const ConvGeometry& g, const Tiling& s, float* col) {
  const int64_t hw = int64_t(g.h) * g.w;
  if (is_pointwise(g)) return x + (int64_t(n0) * g.c + int64_t(gr) * s.cg) * hw;
  for (int i = 0; i < t; ++i) im2col(x + (int64_t(n0 + i) * g.c + int64_t(gr) * s.cg) * hw, s.cg, g, col + i * s.l, t * s.l);
  return col;
}

// Moves a group's output block between [ocg, t * l] (tile order) and the images' [t, oc, l] layout.
void scatter_block(const float* block, int n0, int t, int gr, const ConvGeometry& g, const Tiling& s, float* y) {
  for (int i = 0; i < t; ++i)
    for (int o = 0; o < s.ocg; ++o)
      std::memcpy(y + ((int64_t(n0 + i) * g.oc + int64_t(gr) * s.ocg + o) * s.l), block + (int64_t(o) * t + i) * s.l, sizeof(float) * size_t(s.l));
}
void gather_block(const float* y, int n0, int t, int gr, const ConvGeometry& g, const Tiling& s, float* block) {
  for (int i = 0; i < t; ++i)
    for (int o = 0; o < s.ocg; ++o)
      std::memcpy(block + (int64_t(o) * t + i) * s.l, y + ((int64_t(n0 + i) * g.oc + int64_t(gr) * s.ocg + o) * s.l), sizeof(float) * size_t(s.l));
}

// Calls body(n0, t, cols, gr) for every tile of t images starting at image n0 (cols = t * l) and every group.
template <typename F>
void for_each_tile(const ConvGeometry& g, const Tiling& s, F body) {
  for (int n0 = 0; n0 < g.n; n0 += int(s.t)) {
    const int t = int(std::min<int64_t>(s.t, g.n - n0));
    for (int gr = 0; gr < g.groups; ++gr) body(n0, t, t * s.l, gr);
  }
}

}  // namespace

int64_t conv2d_workspace(const ConvGeometry& g, int threads) {
  if (winograd::applies(g)) return winograd::workspace(g, threads);
  const Tiling s = tiling(g);
  if (is_pointwise(g)) return 0;
  return (int64_t(s.k) + s.ocg) * s.t * s.l;
}

void conv2d_forward(const float* x, const float* w, float* y, const ConvGeometry& g, int threads, float* ws) {
  if (winograd::applies(g)) return winograd::forward(x, w, y, g, threads, ws);
  const Tiling s = tiling(g);
  for_each_tile(g, s, [&](int n0, int t, int64_t cols, int gr) {
    const float* col = columns(x, n0, t, gr, g, s, ws);
    const float* wg = w + int64_t(gr) * s.ocg * s.k;
    if (is_pointwise(g)) {
      // y_g [ocg, l] = W_g [ocg, k] @ x_g [k, l], straight into the output image.
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.ocg, int(s.l), s.k, 1.0f, wg, s.k, col, int(s.l), 0.0f,
                  y + (int64_t(n0) * g.oc + int64_t(gr) * s.ocg) * s.l, int(s.l));
      return;
    }
    float* block = ws + int64_t(s.k) * cols;
    // block [ocg, t * l] = W_g [ocg, k] @ col [k, t * l]: one GEMM for the whole tile.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.ocg, int(cols), s.k, 1.0f, wg, s.k, col, int(cols), 0.0f,
                block, int(cols));
    scatter_block(block, n0, t, gr, g, s, y);
  });
}

void conv2d_backward_input(const float* gy, const float* w, float* gx, const ConvGeometry& g, int threads, float* ws) {
  if (winograd::applies(g)) return winograd::backward_input(gy, w, gx, g, threads, ws);
  const Tiling s = tiling(g);
  const int64_t hw = int64_t(g.h) * g.w;
  std::memset(gx, 0, sizeof(float) * size_t(int64_t(g.n) * g.c * hw));
  for_each_tile(g, s, [&](int n0, int t, int64_t cols, int gr) {
    const float* wg = w + int64_t(gr) * s.ocg * s.k;
    float* gxg = gx + (int64_t(n0) * g.c + int64_t(gr) * s.cg) * hw;
    if (is_pointwise(g)) {
      // gx_g [k, l] = W_g^T [k, ocg] @ gy_g [ocg, l]
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.k, int(s.l), s.ocg, 1.0f, wg, s.k,
                  gy + (int64_t(n0) * g.oc + int64_t(gr) * s.ocg) * s.l, int(s.l), 0.0f, gxg, int(s.l));
      return;
    }
    float* col = ws;
    float* block = ws + int64_t(s.k) * cols;
    gather_block(gy, n0, t, gr, g, s, block);
    // col [k, t * l] = W_g^T [k, ocg] @ block [ocg, t * l], then each image's columns fold back.
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.k, int(cols), s.ocg, 1.0f, wg, s.k, block, int(cols), 0.0f,
                col, int(cols));
    for (int i = 0; i < t; ++i) col2im(col + i * s.l, cols, s.cg, g, gx + (int64_t(n0 + i) * g.c + int64_t(gr) * s.cg) * hw);
  });
}

void conv2d_backward_weight(const float* x, const float* gy, float* gw, const ConvGeometry& g, int threads, float* ws) {
  if (winograd::applies(g)) return winograd::backward_weight(x, gy, gw, g, threads, ws);
  const Tiling s = tiling(g);
  for_each_tile(g, s, [&](int n0, int t, int64_t cols, int gr) {
    const float* col = columns(x, n0, t, gr, g, s, ws);
    const float* gyg = gy + (int64_t(n0) * g.oc + int64_t(gr) * s.ocg) * s.l;
    if (!is_pointwise(g)) {
      float* block = ws + int64_t(s.k) * cols;
      gather_block(gy, n0, t, gr, g, s, block);
      gyg = block;
    }
    // gW_g [ocg, k] += gy_tile [ocg, t * l] @ col^T [t * l, k]
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.ocg, s.k, int(cols), 1.0f, gyg, int(cols), col, int(cols),
                n0 == 0 ? 0.0f : 1.0f, gw + int64_t(gr) * s.ocg * s.k, s.k);
  });
}

}  // namespace torchlet
