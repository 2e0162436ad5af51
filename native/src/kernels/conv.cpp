// 2-D convolution by im2col + sgemm (and its adjoints: col2im for the input gradient, sgemm over the batch for
// the weight gradient). A 1x1, stride-1, unpadded convolution is a plain sgemm on the image: no im2col.
#include <cblas.h>

#include <cstring>

#include "kernels.h"

namespace torchlet {

namespace {

bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// Unfolds channels [0, cg) of one image [cg, h, w] into col [cg * kh * kw, oh * ow].
void im2col(const float* x, int cg, const ConvGeometry& g, float* col) {
  const int64_t l = int64_t(g.oh) * g.ow;
  for (int c = 0; c < cg; ++c) {
    const float* xc = x + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        float* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * l;
        for (int oi = 0; oi < g.oh; ++oi) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          float* out = row + int64_t(oi) * g.ow;
          if (i < 0 || i >= g.h) {
            std::memset(out, 0, sizeof(float) * size_t(g.ow));
            continue;
          }
          const float* xr = xc + int64_t(i) * g.w;
          for (int oj = 0; oj < g.ow; ++oj) {
            const int j = oj * g.sw - g.pw + kj * g.dw;
            out[oj] = (j >= 0 && j < g.w) ? xr[j] : 0.0f;
          }
        }
      }
    }
  }
}

// The adjoint of im2col: adds col [cg * kh * kw, oh * ow] back into one image's gradient [cg, h, w].
void col2im(const float* col, int cg, const ConvGeometry& g, float* dx) {
  const int64_t l = int64_t(g.oh) * g.ow;
  for (int c = 0; c < cg; ++c) {
    float* dc = dx + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        const float* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * l;
        for (int oi = 0; oi < g.oh; ++oi) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          if (i < 0 || i >= g.h) continue;
          float* dr = dc + int64_t(i) * g.w;
          const float* in = row + int64_t(oi) * g.ow;
          for (int oj = 0; oj < g.ow; ++oj) {
            const int j = oj * g.sw - g.pw + kj * g.dw;
            if (j >= 0 && j < g.w) dr[j] += in[oj];
          }
        }
      }
    }
  }
}

// The column matrix of image n, group gr: the image itself for a pointwise convolution, else unfolded into ws.
const float* columns(const float* x, int n, int gr, const ConvGeometry& g, float* ws) {
  const int cg = g.c / g.groups;
  const float* xg = x + (int64_t(n) * g.c + int64_t(gr) * cg) * int64_t(g.h) * g.w;
  if (is_pointwise(g)) return xg;
  im2col(xg, cg, g, ws);
  return ws;
}

}  // namespace

int64_t conv2d_workspace(const ConvGeometry& g) {
  if (is_pointwise(g)) return 0;
  return int64_t(g.c / g.groups) * g.kh * g.kw * g.oh * g.ow;
}

void conv2d_forward(const float* x, const float* w, float* y, const ConvGeometry& g, float* ws) {
  const int cg = g.c / g.groups, ocg = g.oc / g.groups;
  const int k = cg * g.kh * g.kw;
  const int64_t l = int64_t(g.oh) * g.ow;
  for (int n = 0; n < g.n; ++n) {
    for (int gr = 0; gr < g.groups; ++gr) {
      const float* col = columns(x, n, gr, g, ws);
      float* yg = y + (int64_t(n) * g.oc + int64_t(gr) * ocg) * l;
      // y_g [ocg, L] = W_g [ocg, K] @ col [K, L]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ocg, int(l), k, 1.0f, w + int64_t(gr) * ocg * k, k, col,
                  int(l), 0.0f, yg, int(l));
    }
  }
}

void conv2d_backward_input(const float* gy, const float* w, float* gx, const ConvGeometry& g, float* ws) {
  const int cg = g.c / g.groups, ocg = g.oc / g.groups;
  const int k = cg * g.kh * g.kw;
  const int64_t l = int64_t(g.oh) * g.ow, hw = int64_t(g.h) * g.w;
  std::memset(gx, 0, sizeof(float) * size_t(int64_t(g.n) * g.c * hw));
  for (int n = 0; n < g.n; ++n) {
    for (int gr = 0; gr < g.groups; ++gr) {
      const float* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * ocg) * l;
      float* gxg = gx + (int64_t(n) * g.c + int64_t(gr) * cg) * hw;
      // col [K, L] = W_g^T [K, ocg] @ gy_g [ocg, L]; written straight into gx when the convolution is pointwise.
      float* col = is_pointwise(g) ? gxg : ws;
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, int(l), ocg, 1.0f, w + int64_t(gr) * ocg * k, k, gyg,
                  int(l), 0.0f, col, int(l));
      if (!is_pointwise(g)) col2im(ws, cg, g, gxg);
    }
  }
}

void conv2d_backward_weight(const float* x, const float* gy, float* gw, const ConvGeometry& g, float* ws) {
  const int cg = g.c / g.groups, ocg = g.oc / g.groups;
  const int k = cg * g.kh * g.kw;
  const int64_t l = int64_t(g.oh) * g.ow;
  for (int n = 0; n < g.n; ++n) {
    for (int gr = 0; gr < g.groups; ++gr) {
      const float* col = columns(x, n, gr, g, ws);
      const float* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * ocg) * l;
      // gW_g [ocg, K] += gy_g [ocg, L] @ col^T [L, K]
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, ocg, k, int(l), 1.0f, gyg, int(l), col, int(l),
                  n == 0 ? 0.0f : 1.0f, gw + int64_t(gr) * ocg * k, k);
    }
  }
}

}  // namespace torchlet
