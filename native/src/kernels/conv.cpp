// 2-D convolution by im2col + GEMM, and its adjoints: col2im for the input gradient, a GEMM over every image for
// the weight gradient. A 1x1, stride-1, unpadded convolution multiplies the image itself: no im2col.
// float32: each (image, group) pair is one task for torchlet's threads, with its own column matrix and torchlet's
// GEMM (gemm.h) on the weight packed once per call; 3x3, stride-1 convolutions take the Winograd path (winograd.h).
// float64: the same column matrices, one (image, group) pair at a time, each product one cblas_dgemm (on
// OpenBLAS's threads).
#include <cblas.h>

#include <algorithm>
#include <cstring>

#include "gemm.h"
#include "kernels.h"
#include "winograd.h"

namespace torchlet {

namespace conv_detail {
namespace {

bool is_pointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
}

// The output columns of kernel column kj whose input column j = oj * sw - pw + kj * dw lies inside [0, w): [lo, hi),
// and off = kj * dw - pw. The same for every row (computed once: the divisions cost more than a short row's copy).
struct ColumnSpan {
  int off, lo, hi;
};
ColumnSpan column_span(const ConvGeometry& g, int kj) {
  const int off = kj * g.dw - g.pw;
  const int lo = std::min(g.ow, off >= 0 ? 0 : (-off + g.sw - 1) / g.sw);
  const int hi = std::max(lo, std::min(g.ow, g.w - off <= 0 ? 0 : (g.w - off - 1) / g.sw + 1));
  return {off, lo, hi};
}

// Row oi of column row (c, ki, kj), c's plane at xc, kj's span sp: out[oj] = xc[oi sh - ph + ki dh][oj sw + off] for
// oj < ow, zero outside the plane. With kOverrun (float only) a stride-1 row is copied 16 values at a time: it writes
// up to 15 past the row (the caller writes there later, or has room) and reads past it while the input (up to end)
// lasts.
template <typename T, bool kOverrun = false>
inline void column_row(const T* xc, const ConvGeometry& g, int ki, const ColumnSpan& sp, int oi, T* out,
                       const T* end = nullptr) {
  const int i = oi * g.sh - g.ph + ki * g.dh;
  if (i < 0 || i >= g.h) {
    std::fill(out, out + g.ow, T(0));
    return;
  }
  const T* xr = xc + int64_t(i) * g.w + sp.off;
  std::fill(out, out + sp.lo, T(0));
  if (g.sw != 1) {
    for (int oj = sp.lo; oj < sp.hi; ++oj) out[oj] = xr[oj * g.sw];
  } else if constexpr (kOverrun) {
    int oj = sp.lo;
    for (; oj < sp.hi && xr + oj + 16 <= end; oj += 16) std::memcpy(out + oj, xr + oj, 16 * sizeof(T));
    for (; oj < sp.hi; ++oj) out[oj] = xr[oj];
  } else {
    std::memcpy(out + sp.lo, xr + sp.lo, sizeof(T) * size_t(sp.hi - sp.lo));
  }
  std::fill(out + sp.hi, out + g.ow, T(0));
}

// Unfolds channels [0, cg) of one image [cg, h, w] into col rows of oh * ow values, ld apart.
template <typename T>
void im2col(const T* x, int cg, const ConvGeometry& g, T* col, int64_t ld) {
  for (int c = 0; c < cg; ++c) {
    const T* xc = x + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * ld;
        const ColumnSpan sp = column_span(g, kj);
        for (int oi = 0; oi < g.oh; ++oi) column_row(xc, g, ki, sp, oi, row + int64_t(oi) * g.ow);
      }
    }
  }
}

// Floats of scratch pack_columns needs: mr (at most 8) rows of the column matrix, and room for a row's overrun.
int64_t pack_columns_scratch(const ConvGeometry& g) { return 8 * int64_t(g.oh) * g.ow + 16; }

// What gemm::pack_a makes of the column matrix [k, l] of channels [0, cg) of one image x (as A, rows l apart), built
// mr rows at a time in tmp (pack_columns_scratch floats) and transposed from there, with the rows copied 16 values at
// a time (end: the end of the whole input). On the demo CNN's 13x13 layer (rows of 11 values) the column matrix
// took a third of the weight gradient's time, most of it in a call to memcpy per row.
void pack_columns(const float* x, const float* end, int cg, const ConvGeometry& g, float* out, float* tmp) {
  const int mr = gemm::micro().mr;
  const int k = cg * g.kh * g.kw, taps = g.kh * g.kw;
  const int64_t l = int64_t(g.oh) * g.ow;
  for (int i0 = 0; i0 < k; i0 += mr, out += l * mr) {
    const int rows = std::min(mr, k - i0);
    for (int r = 0; r < rows; ++r) {
      const int i = i0 + r;
      const float* xc = x + int64_t(i / taps) * g.h * g.w;
      const int ki = i % taps / g.kw;
      const ColumnSpan sp = column_span(g, i % g.kw);
      for (int oi = 0; oi < g.oh; ++oi) column_row<float, true>(xc, g, ki, sp, oi, tmp + r * l + int64_t(oi) * g.ow, end);
    }
    gemm::transpose(tmp, l, rows, l, out, mr);
    if (rows < mr)
      for (int64_t p = 0; p < l; ++p) std::fill(out + p * mr + rows, out + (p + 1) * mr, 0.0f);  // zero past row k
  }
}

// The adjoint of im2col: adds col rows (ld apart) back into one image's gradient [cg, h, w].
template <typename T>
void col2im(const T* col, int64_t ld, int cg, const ConvGeometry& g, T* dx) {
  for (int c = 0; c < cg; ++c) {
    T* dc = dx + int64_t(c) * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        const T* row = col + ((int64_t(c) * g.kh + ki) * g.kw + kj) * ld;
        const ColumnSpan sp = column_span(g, kj);
        for (int oi = 0; oi < g.oh; ++oi) {
          const int i = oi * g.sh - g.ph + ki * g.dh;
          if (i < 0 || i >= g.h) continue;
          T* dr = dc + int64_t(i) * g.w + sp.off;
          const T* in = row + int64_t(oi) * g.ow;
          for (int oj = sp.lo; oj < sp.hi; ++oj) dr[oj * g.sw] += in[oj];
        }
      }
    }
  }
}

// Sizes of one task: group channels in and out, column-matrix rows k = cg * kh * kw, columns l = oh * ow.
struct Sizes {
  int cg, ocg, k;
  int64_t l, hw;
};

Sizes sizes(const ConvGeometry& g) {
  Sizes s;
  s.cg = g.c / g.groups;
  s.ocg = g.oc / g.groups;
  s.k = s.cg * g.kh * g.kw;
  s.l = int64_t(g.oh) * g.ow;
  s.hw = int64_t(g.h) * g.w;
  return s;
}

// Scratch layout (floats): weights packed once per call, shared by every task, then one slice per thread.
struct Layout {
  int64_t shared, per_thread;
};

// The weight gradient sums over (image, group) pairs in sum_chunks chunks, each with its own sum of gW^T.
int64_t weight_chunks(const ConvGeometry& g, int threads) { return sum_chunks(int64_t(g.n) * g.groups, threads); }

// One column matrix [k, l], or none for a pointwise convolution.
int64_t col_size(const ConvGeometry& g) {
  const Sizes s = sizes(g);
  return is_pointwise(g) ? 0 : int64_t(s.k) * s.l;
}

// Each part of the scratch starts on a cache line (the scratch itself does, see the binding): its size in floats,
// rounded up to 16. (A GEMM operand 16 or 48 bytes off a line split every vector load in two.)
int64_t lines(int64_t floats) { return gemm::round_up(floats, 16); }

Layout layout(const ConvGeometry& g, ConvKind kind, int threads) {
  const Sizes s = sizes(g);
  const int64_t col = lines(col_size(g));
  if (kind == ConvKind::forward) return {g.groups * lines(gemm::packed_size(s.ocg, s.k)), col + lines(gemm::scratch_size(s.k))};
  if (kind == ConvKind::backward_input) return {g.groups * lines(gemm::packed_size(s.k, s.ocg)), col + lines(gemm::scratch_size(s.ocg))};
  // Each chunk's sum of gW^T; per thread pack_columns' rows, the packed column matrix, grad_output transposed and
  // the GEMM's scratch.
  const int64_t rows = is_pointwise(g) ? 0 : lines(pack_columns_scratch(g));
  return {lines(weight_chunks(g, threads) * g.oc * s.k),
          rows + lines(gemm::packed_size(s.k, int(s.l))) + lines(s.l * s.ocg) + lines(gemm::scratch_size(int(s.l)))};
}

// Which kernels take the Winograd path. On small outputs the weight gradient does not: partial tiles, one spare
// slot per tile row and the transposes it needs cost more than Winograd saves (measured on the demo CNN's
// 13x13 -> 11x11 layer: 5.6 ms against 4.3 ms for im2col; on 32x32 it saves 16%).
bool winograd_for(const ConvGeometry& g, ConvKind kind) {
  return winograd::applies(g) && (kind != ConvKind::backward_weight || int64_t(g.oh) * g.ow >= 256);
}

// Runs body(image, group, thread slice) for every (image, group) pair on up to `threads` threads.
template <typename F>
void for_each_task(const ConvGeometry& g, int threads, float* slices, int64_t per_thread, F body) {
  parallel_for(int64_t(g.n) * g.groups, threads, [&](int64_t task, int t) {
    body(int(task / g.groups), int(task % g.groups), slices + t * per_thread);
  });
}

// The column matrix [k, l] of image n's group gr: the image itself for a pointwise convolution, else unfolded into
// scratch (col_size(g) elements).
template <typename T>
const T* columns(const T* x, int n, int gr, const ConvGeometry& g, T* scratch) {
  const Sizes s = sizes(g);
  const T* xg = x + (int64_t(n) * g.c + int64_t(gr) * s.cg) * s.hw;
  if (is_pointwise(g)) return xg;
  im2col(xg, s.cg, g, scratch, s.l);
  return scratch;
}

// y_g [ocg, l] += bias_g, row by row.
template <typename T>
void add_bias(T* yg, const T* bias_g, int ocg, int64_t l) {
  for (int o = 0; o < ocg; ++o) {
    const T b = bias_g[o];
    T* row = yg + o * l;
    for (int64_t q = 0; q < l; ++q) row[q] += b;
  }
}

int64_t workspace_f32(const ConvGeometry& g, int threads) {
  int64_t need = winograd::applies(g) ? winograd::workspace(g, threads) : 0;
  for (ConvKind kind : {ConvKind::forward, ConvKind::backward_input, ConvKind::backward_weight}) {
    if (winograd_for(g, kind)) continue;
    const Layout l = layout(g, kind, threads);
    need = std::max(need, l.shared + threads * l.per_thread);
  }
  return need;
}

void forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g, int threads,
             float* ws) {
  if (winograd_for(g, ConvKind::forward)) return winograd::forward(x, w, bias, y, g, threads, ws);
  const Sizes s = sizes(g);
  const Layout lay = layout(g, ConvKind::forward, threads);
  const int64_t packed = lines(gemm::packed_size(s.ocg, s.k));
  for (int gr = 0; gr < g.groups; ++gr) gemm::pack_a(w + int64_t(gr) * s.ocg * s.k, s.k, 1, s.ocg, s.k, ws + gr * packed);
  const int64_t col_floats = lines(col_size(g));
  for_each_task(g, threads, ws + lay.shared, lay.per_thread, [&](int n, int gr, float* slice) {
    const float* col = columns(x, n, gr, g, slice);
    float* scratch = slice + col_floats;
    // y_g [ocg, l] = W_g [ocg, k] @ col [k, l] (+ bias, while the block is in cache), straight into the output.
    float* yg = y + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
    gemm::multiply(s.ocg, int(s.l), s.k, ws + gr * packed, col, s.l, yg, s.l, false, scratch);
    if (bias) add_bias(yg, bias + gr * s.ocg, s.ocg, s.l);
  });
}

void backward_input(const float* gy, const float* w, float* gx, const ConvGeometry& g, int threads, float* ws) {
  if (winograd_for(g, ConvKind::backward_input)) return winograd::backward_input(gy, w, gx, g, threads, ws);
  const Sizes s = sizes(g);
  const Layout lay = layout(g, ConvKind::backward_input, threads);
  const int64_t packed = lines(gemm::packed_size(s.k, s.ocg));
  // W_g^T [k, ocg]: element (r, o) at w_g[o * k + r].
  for (int gr = 0; gr < g.groups; ++gr) gemm::pack_a(w + int64_t(gr) * s.ocg * s.k, 1, s.k, s.k, s.ocg, ws + gr * packed);
  for_each_task(g, threads, ws + lay.shared, lay.per_thread, [&](int n, int gr, float* slice) {
    float* gxg = gx + (int64_t(n) * g.c + int64_t(gr) * s.cg) * s.hw;
    const float* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
    if (is_pointwise(g)) {
      // gx_g [k, l] = W_g^T [k, ocg] @ gy_g [ocg, l]
      gemm::multiply(s.k, int(s.l), s.ocg, ws + gr * packed, gyg, s.l, gxg, s.l, false, slice);
      return;
    }
    // col [k, l] = W_g^T @ gy_g, then the image's columns fold back.
    float* col = slice;
    gemm::multiply(s.k, int(s.l), s.ocg, ws + gr * packed, gyg, s.l, col, s.l, false, slice + lines(int64_t(s.k) * s.l));
    std::memset(gxg, 0, sizeof(float) * size_t(s.cg * s.hw));
    col2im(col, s.l, s.cg, g, gxg);
  });
}

void backward_weight(const float* x, const float* gy, float* gw, const ConvGeometry& g, int threads, float* ws) {
  if (winograd_for(g, ConvKind::backward_weight)) return winograd::backward_weight(x, gy, gw, g, threads, ws);
  const Sizes s = sizes(g);
  const Layout lay = layout(g, ConvKind::backward_weight, threads);
  const int64_t rows_floats = is_pointwise(g) ? 0 : lines(pack_columns_scratch(g)), packed = lines(gemm::packed_size(s.k, int(s.l)));
  const int64_t pairs = int64_t(g.n) * g.groups, chunks = weight_chunks(g, threads), sum_size = int64_t(g.oc) * s.k;
  float* sums = ws;
  std::fill(sums, sums + lay.shared, 0.0f);
  parallel_for(chunks, threads, [&](int64_t chunk, int t) {
    float* slice = ws + lay.shared + t * lay.per_thread;
    for (int64_t pair = pairs * chunk / chunks; pair < pairs * (chunk + 1) / chunks; ++pair) {
      const int n = int(pair / g.groups), gr = int(pair % g.groups);
      const float* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
      const float* xg = x + (int64_t(n) * g.c + int64_t(gr) * s.cg) * s.hw;
      float* ap = slice + rows_floats;
      float* gyt = ap + packed;
      if (is_pointwise(g)) {
        gemm::pack_a(xg, s.l, 1, s.k, int(s.l), ap);
      } else {
        pack_columns(xg, x + int64_t(g.n) * g.c * s.hw, s.cg, g, ap, slice);
      }
      gemm::transpose(gyg, s.l, s.ocg, s.l, gyt, s.ocg);
      // gW_g^T [k, ocg] += col [k, l] @ gy_g^T [l, ocg]
      float* sum = sums + chunk * sum_size + int64_t(gr) * s.k * s.ocg;
      gemm::multiply(s.k, s.ocg, int(s.l), ap, gyt, s.ocg, sum, s.ocg, true, gyt + lines(s.l * s.ocg));
    }
  });
  // gw [oc, k]: the chunks' sums in order, transposed back.
  for (int gr = 0; gr < g.groups; ++gr)
    for (int o = 0; o < s.ocg; ++o)
      for (int r = 0; r < s.k; ++r) {
        float sum = 0;
        for (int64_t c = 0; c < chunks; ++c) sum += sums[c * sum_size + (int64_t(gr) * s.k + r) * s.ocg + o];
        gw[(int64_t(gr) * s.ocg + o) * s.k + r] = sum;
      }
}

// The float64 kernels: for each (image, group) pair in order, the column matrix in ws (col_size(g) doubles) and
// one cblas_dgemm.
template <typename F>
void for_each_pair(const ConvGeometry& g, F body) {
  for (int n = 0; n < g.n; ++n)
    for (int gr = 0; gr < g.groups; ++gr) body(n, gr);
}

void forward(const double* x, const double* w, const double* bias, double* y, const ConvGeometry& g, int, double* ws) {
  const Sizes s = sizes(g);
  for_each_pair(g, [&](int n, int gr) {
    const double* col = columns(x, n, gr, g, ws);
    // y_g [ocg, l] = W_g [ocg, k] @ col [k, l]
    double* yg = y + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.ocg, int(s.l), s.k, 1.0, w + int64_t(gr) * s.ocg * s.k,
                s.k, col, int(s.l), 0.0, yg, int(s.l));
    if (bias) add_bias(yg, bias + gr * s.ocg, s.ocg, s.l);
  });
}

void backward_input(const double* gy, const double* w, double* gx, const ConvGeometry& g, int, double* ws) {
  const Sizes s = sizes(g);
  for_each_pair(g, [&](int n, int gr) {
    double* gxg = gx + (int64_t(n) * g.c + int64_t(gr) * s.cg) * s.hw;
    const double* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
    // col [k, l] = W_g^T [k, ocg] @ gy_g [ocg, l], then the image's columns fold back (a pointwise convolution's
    // columns are the image's gradient).
    double* col = is_pointwise(g) ? gxg : ws;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s.k, int(s.l), s.ocg, 1.0, w + int64_t(gr) * s.ocg * s.k,
                s.k, gyg, int(s.l), 0.0, col, int(s.l));
    if (is_pointwise(g)) return;
    std::fill(gxg, gxg + s.cg * s.hw, 0.0);
    col2im(col, s.l, s.cg, g, gxg);
  });
}

void backward_weight(const double* x, const double* gy, double* gw, const ConvGeometry& g, int, double* ws) {
  const Sizes s = sizes(g);
  for_each_pair(g, [&](int n, int gr) {
    const double* gyg = gy + (int64_t(n) * g.oc + int64_t(gr) * s.ocg) * s.l;
    const double* col = columns(x, n, gr, g, ws);
    // gW_g [ocg, k] (+)= gy_g [ocg, l] @ col^T [l, k], summed over the images in order.
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s.ocg, s.k, int(s.l), 1.0, gyg, int(s.l), col, int(s.l),
                n == 0 ? 0.0 : 1.0, gw + int64_t(gr) * s.ocg * s.k, s.k);
  });
}

}  // namespace
}  // namespace conv_detail

int64_t conv2d_workspace(DType t, const ConvGeometry& g, int threads) {
  return t == DType::F32 ? conv_detail::workspace_f32(g, threads) : conv_detail::col_size(g);
}

bool conv2d(ConvKind kind, DType t, const void* a, const void* b, const void* bias, void* out, const ConvGeometry& g,
            int threads, void* ws) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = static_cast<const T*>(a);
    const T* y = static_cast<const T*>(b);
    T* o = static_cast<T*>(out);
    T* w = static_cast<T*>(ws);
    if (g.n == 0) {
      // No images: the weight gradient is an empty sum.
      if (kind == ConvKind::backward_weight) std::fill(o, o + int64_t(g.oc) * conv_detail::sizes(g).k, T(0));
      return;
    }
    switch (kind) {
      case ConvKind::forward: conv_detail::forward(x, y, static_cast<const T*>(bias), o, g, threads, w); break;
      case ConvKind::backward_input: conv_detail::backward_input(x, y, o, g, threads, w); break;
      case ConvKind::backward_weight: conv_detail::backward_weight(x, y, o, g, threads, w); break;
      case ConvKind::kCount: break;
    }
  });
}

}  // namespace torchlet
