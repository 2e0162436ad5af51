// Fused kernels: the softmax family, layer norm and the classification losses (cross entropy, nll), forward and
// backward, each one pass over memory where it can be: a row is read for its maximum, read again for its sum of
// exponentials while it is still in cache, and written once. Work splits over torchlet's threads by rows (by
// blocks of columns when the dim is not the last). A row too long to share that way is cut into fixed chunks of
// kChunk elements whose partial results are combined in order, and a row is cut the same way when it runs on one
// thread, so every forward result is the same bits on any thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels.h"
#include "simd.h"
#include "vmath.h"

namespace torchlet {

const char* const kSoftmaxKindNames[] = {
#define TORCHLET_NAME_ITEM(name) #name,
    TORCHLET_SOFTMAX_KINDS(TORCHLET_NAME_ITEM)
#undef TORCHLET_NAME_ITEM
        nullptr};

namespace fused_detail {
namespace {

constexpr int64_t kChunk = 16384;  // elements of a row reduced together (see the file comment)
constexpr int64_t kCols = 64;      // columns handled together when the dim is not the last
constexpr int64_t kBlock = 256;    // elements exponentiated per stack block

// exp of a contiguous run (in place, or y = exp(x)): vmath's vectorised exp for float32 (within 2 ulp), libm's for
// float64.
template <typename T>
inline void exp_run(T* y, const T* x, int64_t n) {
  if constexpr (std::is_same<T, float>::value) {
    vexp(y, x, n);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
  }
}
template <typename T>
inline void exp_run(T* x, int64_t n) {
  exp_run(x, x, n);
}

// out = v - out s over a run, where v is c (a null), a[i] (scaled false) or c a[i] (scaled true).
template <typename T>
TORCHLET_SIMD_CLONES void minus_scaled(T* out, const T* a, bool scaled, T c, T s, int64_t n) {
  if (!a) {
    for (int64_t i = 0; i < n; ++i) out[i] = c - out[i] * s;
  } else if (!scaled) {
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] - out[i] * s;
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = c * a[i] - out[i] * s;
  }
}

template <typename T>
inline T larger(T a, T b) {
  return b > a ? b : a;
}

// The largest element of a run (NaN is skipped: a NaN makes the row's sum, and so every result of it, NaN anyway).
// float32 runs go to vmath's vectorised reductions (vmax, vexp_sum, vdot, vsqdev, in 32 lanes); these loops, in 8
// lanes, are float64's.
template <typename T>
TORCHLET_SIMD_CLONES T max_run(const T* x, int64_t n) {
  if constexpr (std::is_same<T, float>::value) return vmax(x, n);
  T m[8];
  for (int k = 0; k < 8; ++k) m[k] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) m[k] = larger(m[k], x[i + k]);
  }
  for (; i < n; ++i) m[i & 7] = larger(m[i & 7], x[i]);
  return larger(larger(larger(m[0], m[1]), larger(m[2], m[3])), larger(larger(m[4], m[5]), larger(m[6], m[7])));
}

// Eight double lanes, added pairwise at the end: the loops that feed them vectorise.
struct Lanes {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double total() const { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }
};

// sum(exp(x - m)) over a run; the exponentials go to e when given (softmax), else through a stack block, and with
// `differences` e receives x - m instead (log_softmax).
template <typename T>
TORCHLET_SIMD_CLONES double exp_sum_run(const T* x, T m, T* e, int64_t n, bool differences = false) {
  if constexpr (std::is_same<T, float>::value) return vexp_sum(x, m, e, n, differences);
  Lanes acc;
  T buf[kBlock];
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = std::min(kBlock, n - b);
    T* t = e && !differences ? e + b : buf;
    for (int64_t i = 0; i < len; ++i) t[i] = x[b + i] - m;
    if (e && differences) std::memcpy(e + b, t, size_t(len) * sizeof(T));
    exp_run(t, len);
    for (int64_t i = 0; i < len; ++i) acc.a[i & 7] += double(t[i]);
  }
  return acc.total();
}

// sum(a * b) (or sum(a) when b is null) over a run, in double.
template <typename T>
TORCHLET_SIMD_CLONES double dot_run(const T* a, const T* b, int64_t n) {
  if constexpr (std::is_same<T, float>::value) return vdot(a, b, n);
  Lanes acc;
  if (b) {
    for (int64_t i = 0; i < n; ++i) acc.a[i & 7] += double(a[i]) * double(b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) acc.a[i & 7] += double(a[i]);
  }
  return acc.total();
}

// sum((x - mu)^2) over a run, in double.
template <typename T>
TORCHLET_SIMD_CLONES double sqdev_run(const T* x, double mu, int64_t n) {
  if constexpr (std::is_same<T, float>::value) return vsqdev(x, mu, n);
  Lanes acc;
  for (int64_t j = 0; j < n; ++j) {
    const double d = double(x[j]) - mu;
    acc.a[j & 7] += d * d;
  }
  return acc.total();
}

// Calls f(first, length) over the kChunk pieces of a row of n elements and folds the results in order with
// combine, from init. With `split`, the pieces run on torchlet's threads (same pieces, same fold: same bits).
template <typename R, typename F, typename C>
R over_chunks(int64_t n, bool split, R init, F f, C combine) {
  const int64_t pieces = (n + kChunk - 1) / kChunk;
  auto piece = [&](int64_t p) { return f(p * kChunk, std::min(kChunk, n - p * kChunk)); };
  R r = init;
  if (!split || pieces < 2) {
    for (int64_t p = 0; p < pieces; ++p) r = combine(r, piece(p));
    return r;
  }
  std::vector<R> part(size_t(pieces), init);
  parallel_range(pieces, n, [&](int64_t a, int64_t b) {
    for (int64_t p = a; p < b; ++p) part[size_t(p)] = piece(p);
  });
  for (int64_t p = 0; p < pieces; ++p) r = combine(r, part[size_t(p)]);
  return r;
}

template <typename F>
void each_chunk(int64_t n, bool split, F f) {
  over_chunks(n, split, 0, [&](int64_t a, int64_t len) { return f(a, len), 0; }, [](int, int) { return 0; });
}

// y = (x - m) - ls over a run (log_softmax's output, cross entropy's log-probabilities).
template <typename T>
TORCHLET_SIMD_CLONES_WIDE void shift_run(const T* x, T m, T ls, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
}

const auto kPlus = [](double a, double b) { return a + b; };

inline bool is_log(SoftmaxKind k) { return k == SoftmaxKind::log_softmax; }

// ---- softmax family: one row (the dim is the last, contiguous) ----

// softmax of one float32 row of n <= kChunk elements on the calling thread, as PyTorch's vectorised kernel: the
// maximum, then per block of kBlock the exponentials of x - max written to y and summed in float lanes (the blocks'
// sums added in double), then y times the reciprocal of the sum. Each block is still in L1 when summed and scaled.
TORCHLET_SIMD_CLONES void softmax_row_f(const float* x, float* y, int64_t n) {
  const float m = max_run(x, n);
  double s = 0;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = std::min(kBlock, n - b);
    float* t = y + b;
    for (int64_t i = 0; i < len; ++i) t[i] = x[b + i] - m;
    vexp(t, t, len);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= len; i += 8) {
      for (int k = 0; k < 8; ++k) acc[k] += t[i + k];
    }
    for (; i < len; ++i) acc[i & 7] += t[i];
    s += double(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
  }
  const float r = 1.0f / float(s);
  for (int64_t i = 0; i < n; ++i) y[i] *= r;
}

constexpr int64_t kHeadRows = 8;  // rows of each head normalised together by softmax_head_mean

// m = the mean of `heads` rows of n elements, `stride` apart from y: summed in head order, then divided.
template <typename T>
TORCHLET_SIMD_CLONES void head_mean_row(const T* y, int64_t stride, int64_t heads, T* m, int64_t n) {
  for (int64_t j = 0; j < n; ++j) m[j] = y[j];
  for (int64_t k = 1; k < heads; ++k) {
    const T* yk = y + k * stride;
    for (int64_t j = 0; j < n; ++j) m[j] += yk[j];
  }
  const T h = T(heads);
  for (int64_t j = 0; j < n; ++j) m[j] = m[j] / h;
}

template <typename T>
void softmax_row(SoftmaxKind kind, const T* x, T* y, int64_t n, bool split) {
  if constexpr (std::is_same<T, float>::value) {
    // A row of one chunk: the same bits whether or not it was to be split.
    if (kind == SoftmaxKind::softmax && n <= kChunk) return softmax_row_f(x, y, n);
  }
  const T m = over_chunks(n, split, -std::numeric_limits<T>::infinity(),
                          [&](int64_t a, int64_t len) { return max_run(x + a, len); }, larger<T>);
  if (kind == SoftmaxKind::logsumexp) {
    // An infinite maximum would give inf - inf: shift by 0 there instead, as PyTorch.
    const T shift = std::isinf(m) ? T(0) : m;
    const double s = over_chunks(n, split, 0.0, [&](int64_t a, int64_t len) { return exp_sum_run(x + a, shift, (T*)nullptr, len); }, kPlus);
    *y = T(std::log(s)) + shift;
    return;
  }
  const bool soft = kind == SoftmaxKind::softmax;
  // softmax: y = exp(x - m), then scaled; log_softmax: y = x - m, then shifted by the log of the sum (the same
  // float operations as (x - m) - ls in one pass: y - 0 is y).
  const double s = over_chunks(n, split, 0.0, [&](int64_t a, int64_t len) { return exp_sum_run(x + a, m, y + a, len, !soft); }, kPlus);
  if (soft) {
    const T st = T(s);
    each_chunk(n, split, [&](int64_t a, int64_t len) {
      for (int64_t i = a; i < a + len; ++i) y[i] = y[i] / st;
    });
  } else {
    const T ls = T(std::log(s));
    each_chunk(n, split, [&](int64_t a, int64_t len) { shift_run(y + a, T(0), ls, y + a, len); });
  }
}

// sum(a b) (sum(a) for b null) of a float32 run in 16 float lanes (two accumulators of 16), as PyTorch's float
// kernels sum; each block of 1024 elements is flushed to a double total in lane order, so the float error stays
// that of 32 terms per lane however long the run. The same expressions on every path (the same bits).
TORCHLET_SIMD_CLONES_WIDE double dot_f(const float* a, const float* b, int64_t n) {
  constexpr int64_t kBlock = 1024;
  double total = 0;
  int64_t i = 0;
  while (i + 32 <= n) {
    f16 s0 = {}, s1 = {};
    const int64_t end = std::min(n, i + kBlock);
    if (b) {
      for (; i + 32 <= end; i += 32) {
        s0 += load<f16>(a + i) * load<f16>(b + i);
        s1 += load<f16>(a + i + 16) * load<f16>(b + i + 16);
      }
    } else {
      for (; i + 32 <= end; i += 32) {
        s0 += load<f16>(a + i);
        s1 += load<f16>(a + i + 16);
      }
    }
    const f16 t = s0 + s1;
    for (int l = 0; l < 16; ++l) total += double(t[l]);
  }
  for (; i < n; ++i) total += b ? double(a[i]) * double(b[i]) : double(a[i]);
  return total;
}
// gx = (g - s) y over a float32 run (softmax's gradient), built for AVX-512 and AVX2.
// gx is a fresh result: fetched 4 KiB ahead.
TORCHLET_SIMD_CLONES_WIDE void softmax_grad_f(float* gx, const float* g, const float* y, float s, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    prefetch_store_line(gx + i);
    store(gx + i, (load<f16>(g + i) - s) * load<f16>(y + i));
  }
  for (; i < n; ++i) gx[i] = (g[i] - s) * y[i];
}

// g, y, gx: rows of n. softmax: gx = y (g - sum(g y)); log_softmax: gx = g - exp(y) sum(g); logsumexp: y is the
// input x, r its result and g the incoming gradient of that one result: gx = g exp(x - r).
template <typename T>
void softmax_backward_row(SoftmaxKind kind, const T* g, const T* y, T r, T* gx, int64_t n, bool split) {
  if (kind == SoftmaxKind::logsumexp) {
    const T g0 = *g;
    each_chunk(n, split, [&](int64_t a, int64_t len) {
      for (int64_t i = a; i < a + len; ++i) gx[i] = y[i] - r;
      exp_run(gx + a, len);
      for (int64_t i = a; i < a + len; ++i) gx[i] = g0 * gx[i];
    });
    return;
  }
  const bool log = is_log(kind);
  const T s = T(over_chunks(n, split, 0.0, [&](int64_t a, int64_t len) {
    if constexpr (std::is_same<T, float>::value) return dot_f(g + a, log ? nullptr : y + a, len);
    else return dot_run(g + a, log ? (const T*)nullptr : y + a, len);
  }, kPlus));
  each_chunk(n, split, [&](int64_t a, int64_t len) {
    if (!log) {
      if constexpr (std::is_same<T, float>::value) return softmax_grad_f(gx + a, g + a, y + a, s, len);
      for (int64_t i = a; i < a + len; ++i) gx[i] = (g[i] - s) * y[i];
      return;
    }
    exp_run(gx + a, y + a, len);
    minus_scaled(gx + a, g + a, false, T(0), s, len);
  });
}

// ---- softmax family: a block of w <= kCols columns of [n, inner] (the dim is not the last) ----

template <typename T>
void softmax_cols(SoftmaxKind kind, const T* x, T* y, int64_t n, int64_t inner, int64_t w) {
  T m[kCols], t[kCols];
  double s[kCols];
  for (int64_t k = 0; k < w; ++k) {
    m[k] = -std::numeric_limits<T>::infinity();
    s[k] = 0;
  }
  for (int64_t j = 0; j < n; ++j) {
    const T* row = x + j * inner;
    for (int64_t k = 0; k < w; ++k) m[k] = larger(m[k], row[k]);
  }
  if (kind == SoftmaxKind::logsumexp) {
    for (int64_t k = 0; k < w; ++k) m[k] = std::isinf(m[k]) ? T(0) : m[k];
  }
  const bool soft = kind == SoftmaxKind::softmax;
  for (int64_t j = 0; j < n; ++j) {
    const T* row = x + j * inner;
    T* e = soft ? y + j * inner : t;
    for (int64_t k = 0; k < w; ++k) e[k] = row[k] - m[k];
    exp_run(e, w);
    for (int64_t k = 0; k < w; ++k) s[k] += double(e[k]);
  }
  if (kind == SoftmaxKind::logsumexp) {
    for (int64_t k = 0; k < w; ++k) y[k] = T(std::log(s[k])) + m[k];
    return;
  }
  for (int64_t k = 0; k < w; ++k) t[k] = soft ? T(s[k]) : T(std::log(s[k]));
  for (int64_t j = 0; j < n; ++j) {
    const T* row = x + j * inner;
    T* out = y + j * inner;
    if (soft) {
      for (int64_t k = 0; k < w; ++k) out[k] = out[k] / t[k];
    } else {
      for (int64_t k = 0; k < w; ++k) out[k] = (row[k] - m[k]) - t[k];
    }
  }
}

// As softmax_backward_row over a block of columns; for logsumexp g and r hold one value per column.
template <typename T>
void softmax_backward_cols(SoftmaxKind kind, const T* g, const T* y, const T* r, T* gx, int64_t n, int64_t inner,
                           int64_t w) {
  if (kind == SoftmaxKind::logsumexp) {
    for (int64_t j = 0; j < n; ++j) {
      T* out = gx + j * inner;
      const T* row = y + j * inner;
      for (int64_t k = 0; k < w; ++k) out[k] = row[k] - r[k];
      exp_run(out, w);
      for (int64_t k = 0; k < w; ++k) out[k] = g[k] * out[k];
    }
    return;
  }
  const bool log = is_log(kind);
  double s[kCols];
  T st[kCols];
  for (int64_t k = 0; k < w; ++k) s[k] = 0;
  for (int64_t j = 0; j < n; ++j) {
    const T* gr = g + j * inner;
    const T* yr = y + j * inner;
    for (int64_t k = 0; k < w; ++k) s[k] += log ? double(gr[k]) : double(gr[k]) * double(yr[k]);
  }
  for (int64_t k = 0; k < w; ++k) st[k] = T(s[k]);
  for (int64_t j = 0; j < n; ++j) {
    const T* gr = g + j * inner;
    const T* yr = y + j * inner;
    T* out = gx + j * inner;
    if (!log) {
      for (int64_t k = 0; k < w; ++k) out[k] = (gr[k] - st[k]) * yr[k];
      continue;
    }
    for (int64_t k = 0; k < w; ++k) out[k] = yr[k];
    exp_run(out, w);
    for (int64_t k = 0; k < w; ++k) out[k] = gr[k] - out[k] * st[k];
  }
}

// Runs row(o) for each of `outer` rows (inner == 1), or cols(o, first column, width) for each block of columns,
// spread over torchlet's threads. A single row is split into chunks instead (row(0) with split = true).
template <typename Row, typename Cols>
void softmax_geometry(int64_t outer, int64_t n, int64_t inner, Row row, Cols cols) {
  const int64_t work = outer * n * inner;
  if (inner == 1) {
    if (outer == 1) return row(0, true);
    return parallel_range(outer, work, [&](int64_t a, int64_t b) {
      for (int64_t o = a; o < b; ++o) row(o, false);
    });
  }
  const int64_t blocks = (inner + kCols - 1) / kCols;
  parallel_range(outer * blocks, work, [&](int64_t a, int64_t b) {
    for (int64_t t = a; t < b; ++t) {
      const int64_t o = t / blocks, c = (t % blocks) * kCols;
      cols(o, c, std::min(kCols, inner - c));
    }
  });
}

// ---- layer norm ----

// y = (x - mean) rstd w + b over one row (w, b optional).
template <typename T>
TORCHLET_SIMD_CLONES void layer_norm_out(const T* x, const T* w, const T* b, T* y, T mt, T rt, int64_t n) {
  if (w && b) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mt) * rt * w[j] + b[j];
  } else if (w) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mt) * rt * w[j];
  } else if (b) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mt) * rt + b[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mt) * rt;
  }
}

// A float32 row in float lanes (16 wide, two AVX2 registers or one AVX-512 one), as PyTorch's CPU kernel computes in
// float: the mean (dot_f's sum), then sum((x - mean)^2) in a second pass (the row stays in L1) in four accumulators
// (one was a chain of dependent adds, four cycles per 16 floats), added pairwise, their lanes then in double in lane
// order; then y as layer_norm_out computes it.
TORCHLET_SIMD_CLONES_WIDE void layer_norm_row_f(const float* x, const float* w, const float* b, float* y, float* mean,
                                                float* rstd, int64_t n, double eps) {
  const float mu = float(dot_f(x, nullptr, n) / double(n));
  f16 qs[4] = {};
  double v = 0;
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {
    for (int k = 0; k < 4; ++k) {
      const f16 dv = load<f16>(x + j + 16 * k) - mu;
      qs[k] += dv * dv;
    }
  }
  for (; j + 16 <= n; j += 16) {
    const f16 dv = load<f16>(x + j) - mu;
    qs[0] += dv * dv;
  }
  const f16 q = (qs[0] + qs[1]) + (qs[2] + qs[3]);
  for (; j < n; ++j) v += double(x[j] - mu) * double(x[j] - mu);
  for (int l = 0; l < 16; ++l) v += q[l];
  const float r = float(1.0 / std::sqrt(v / double(n) + eps));
  *mean = mu;
  *rstd = r;
  j = 0;
  // y is a fresh result: each store fetches the line 4 KiB ahead.
  if (w && b) {
    for (; j + 16 <= n; j += 16) {
      prefetch_store_line(y + j);
      store(y + j, (load<f16>(x + j) - mu) * r * load<f16>(w + j) + load<f16>(b + j));
    }
  } else if (w) {
    for (; j + 16 <= n; j += 16) {
      prefetch_store_line(y + j);
      store(y + j, (load<f16>(x + j) - mu) * r * load<f16>(w + j));
    }
  } else if (b) {
    for (; j + 16 <= n; j += 16) {
      prefetch_store_line(y + j);
      store(y + j, (load<f16>(x + j) - mu) * r + load<f16>(b + j));
    }
  } else {
    for (; j + 16 <= n; j += 16) {
      prefetch_store_line(y + j);
      store(y + j, (load<f16>(x + j) - mu) * r);
    }
  }
  layer_norm_out(x + j, w ? w + j : nullptr, b ? b + j : nullptr, y + j, mu, r, n - j);
}

template <typename T>
void layer_norm_rows(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t m, int64_t n, double eps) {
  parallel_range(m, m * n, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      if constexpr (std::is_same<T, float>::value) {
        layer_norm_row_f(x + i * n, w, b, y + i * n, mean + i, rstd + i, n, eps);
        continue;
      }
      const T* xr = x + i * n;
      T* yr = y + i * n;
      const double mu = dot_run(xr, (const T*)nullptr, n) / double(n);
      const T mt = T(mu), rt = T(1.0 / std::sqrt(sqdev_run(xr, mu, n) / double(n) + eps));
      mean[i] = mt;
      rstd[i] = rt;
      layer_norm_out(xr, w, b, yr, mt, rt, n);
    }
  });
}

// layer_norm_backward_rows's loops over one row: xhat = (x - mean) rstd, with the parameters' partial sums
// pw[j] += g xhat, pw[n + j] += g (pw null: none); g w; gx = rstd (g w - a - xhat bb).
template <typename T>
TORCHLET_SIMD_CLONES void layer_norm_xhat(const T* g, const T* x, T mu, T r, T* xhat, double* pw, int64_t n) {
  for (int64_t j = 0; j < n; ++j) xhat[j] = (x[j] - mu) * r;
  if (!pw) return;
  for (int64_t j = 0; j < n; ++j) {
    pw[j] += double(g[j]) * double(xhat[j]);
    pw[n + j] += double(g[j]);
  }
}
template <typename T>
TORCHLET_SIMD_CLONES void layer_norm_gw(const T* g, const T* w, T* gw, int64_t n) {
  for (int64_t j = 0; j < n; ++j) gw[j] = g[j] * w[j];
}
template <typename T>
TORCHLET_SIMD_CLONES void layer_norm_gx(const T* gw, const T* xhat, double rd, double a, double bb, T* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = T(rd * (double(gw[j]) - a - double(xhat[j]) * bb));
}

// float32 rows in float lanes, as PyTorch's CPU kernel computes them (its accumulation type for float is float):
// 16 lanes (one AVX-512 register, two AVX2 ones), two passes over a row that stays in L1. Pass 1: the row sums
// sum(g w) and sum(g w xhat) (xhat = (x - mean) rstd, recomputed, never stored) and the parameters' partial sums
// pw[j] += g xhat, pb[j] += g; pass 2: gx = (g w - a - xhat bb) rstd with a, bb the two sums over n.
template <bool kW, bool kParams, bool kGx>
TORCHLET_SIMD_CLONES_WIDE void layer_norm_backward_row_f(const float* g, const float* x, const float* w, float mu,
                                                         float r, float* gx, float* pw, float* pb, int64_t n) {
  f16 s1 = {}, s2 = {};
  float t1 = 0, t2 = 0;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const f16 gv = load<f16>(g + j), xh = (load<f16>(x + j) - mu) * r;
    if constexpr (kParams) {
      store(pw + j, load<f16>(pw + j) + gv * xh);
      store(pb + j, load<f16>(pb + j) + gv);
    }
    if constexpr (kGx) {
      const f16 gw = kW ? gv * load<f16>(w + j) : gv;
      s1 += gw;
      s2 += gw * xh;
    }
  }
  for (; j < n; ++j) {
    const float xh = (x[j] - mu) * r;
    if constexpr (kParams) {
      pw[j] += g[j] * xh;
      pb[j] += g[j];
    }
    if constexpr (kGx) {
      const float gw = kW ? g[j] * w[j] : g[j];
      t1 += gw;
      t2 += gw * xh;
    }
  }
  if constexpr (kGx) {
    double d1 = t1, d2 = t2;
    for (int l = 0; l < 16; ++l) {
      d1 += s1[l];
      d2 += s2[l];
    }
    const float a = float(d1 / double(n)), bb = float(d2 / double(n));
    j = 0;
    for (; j + 16 <= n; j += 16) {
      prefetch_store_line(gx + j);  // a fresh result
      const f16 gv = load<f16>(g + j), xh = (load<f16>(x + j) - mu) * r;
      const f16 gw = kW ? gv * load<f16>(w + j) : gv;
      store(gx + j, (gw - a - xh * bb) * r);
    }
    for (; j < n; ++j) {
      const float xh = (x[j] - mu) * r, gw = kW ? g[j] * w[j] : g[j];
      gx[j] = (gw - a - xh * bb) * r;
    }
  }
}

// The float32 rows [first, last) of layer_norm_backward_rows, partial sums of the parameters' gradients to pw, pb.
template <bool kW, bool kParams, bool kGx>
void layer_norm_backward_rows_f(const float* g, const float* x, const float* mean, const float* rstd, const float* w,
                                float* gx, float* pw, float* pb, int64_t first, int64_t last, int64_t n) {
  for (int64_t i = first; i < last; ++i) {
    layer_norm_backward_row_f<kW, kParams, kGx>(g + i * n, x + i * n, w, mean[i], rstd[i], kGx ? gx + i * n : nullptr,
                                                 pw, pb, n);
  }
}

// gw[j] and gb[j] (either may be null): the chunks' partial sums (pw then pb, 2n per chunk) added in chunk order, in
// double.
template <typename P, typename T>
void fold_partials(const std::vector<P>& part, int64_t chunks, int64_t n, T* gw, T* gb) {
  for (int64_t j = 0; j < n; ++j) {
    double sw = 0, sb = 0;
    for (int64_t c = 0; c < chunks; ++c) {
      sw += part[size_t(c) * size_t(2 * n) + size_t(j)];
      sb += part[size_t(c) * size_t(2 * n) + size_t(n + j)];
    }
    if (gw) gw[j] = T(sw);
    if (gb) gb[j] = T(sb);
  }
}

// gx = rstd (g w - mean(g w) - xhat mean(g w xhat)) per row; gw = sum over rows of g xhat, gb = sum of g. The row
// sums of gw and gb run in a fixed number of chunks of rows (each with its own partial sums, added in order).
template <typename T>
void layer_norm_backward_rows(const T* g, const T* x, const T* mean, const T* rstd, const T* w, T* gx, T* gw, T* gb,
                              int64_t m, int64_t n) {
  const bool params = gw || gb;
  const int64_t chunks = params ? std::max<int64_t>(1, std::min<int64_t>({m, 16, m * n / 32768})) : m;
  if (!params && !gx) return;
  if constexpr (std::is_same<T, float>::value) {
    // Per chunk of rows: float partial sums (pw then pb), added over the chunks in order, in double.
    std::vector<float> part(params ? size_t(chunks) * size_t(2 * n) : 0, 0.0f);
    parallel_range(chunks, m * n, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        float* pw = params ? part.data() + size_t(c) * size_t(2 * n) : nullptr;
        const int64_t r0 = m * c / chunks, r1 = m * (c + 1) / chunks;
        if (params && gx && w) layer_norm_backward_rows_f<true, true, true>(g, x, mean, rstd, w, gx, pw, pw + n, r0, r1, n);
        else if (params && gx) layer_norm_backward_rows_f<false, true, true>(g, x, mean, rstd, w, gx, pw, pw + n, r0, r1, n);
        else if (params) layer_norm_backward_rows_f<false, true, false>(g, x, mean, rstd, w, gx, pw, pw + n, r0, r1, n);
        else if (w) layer_norm_backward_rows_f<true, false, true>(g, x, mean, rstd, w, gx, pw, pw, r0, r1, n);
        else layer_norm_backward_rows_f<false, false, true>(g, x, mean, rstd, w, gx, pw, pw, r0, r1, n);
      }
    });
    if (params) fold_partials(part, chunks, n, gw, gb);
    return;
  }
  std::vector<double> part(params ? size_t(chunks) * size_t(2 * n) : 0, 0.0);
  parallel_range(chunks, m * n, [&](int64_t first, int64_t last) {
    std::vector<T> xhat(static_cast<size_t>(n)), gwr(static_cast<size_t>(n));
    for (int64_t c = first; c < last; ++c) {
      double* pw = params ? part.data() + size_t(c) * size_t(2 * n) : nullptr;
      for (int64_t i = m * c / chunks; i < m * (c + 1) / chunks; ++i) {
        const T* gr = g + i * n;
        const T* xr = x + i * n;
        const T mu = mean[i], r = rstd[i];
        layer_norm_xhat(gr, xr, mu, r, xhat.data(), pw, n);
        if (!gx) continue;
        const T* gwp = gr;
        if (w) {
          layer_norm_gw(gr, w, gwr.data(), n);
          gwp = gwr.data();
        }
        const double a = dot_run(gwp, (const T*)nullptr, n) / double(n);
        const double bb = dot_run(gwp, xhat.data(), n) / double(n);
        layer_norm_gx(gwp, xhat.data(), double(r), a, bb, gx + i * n, n);
      }
    }
  });
  if (params) fold_partials(part, chunks, n, gw, gb);
}

// ---- classification losses ----

// The rows' log-softmax statistics (maximum, log of the sum of exponentials) go to stats[2 i], stats[2 i + 1];
// the rows' nll and smoothing terms (unreduced) to nll[i], smooth[i]. Ignored rows give 0 and 0.
template <typename T>
void class_loss_rows(const T* x, const int32_t* target, const T* weight, T* stats, double* nll, double* smooth,
                     const ClassLoss& p) {
  const int64_t c = p.classes;
  parallel_range(p.rows, p.rows * c, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const T* xr = x + i * c;
      T mx = T(0), ls = T(0);
      if (!p.log_input) {
        mx = max_run(xr, c);
        ls = T(std::log(exp_sum_run(xr, mx, (T*)nullptr, c)));
        stats[2 * i] = mx;
        stats[2 * i + 1] = ls;
      }
      const int32_t t = target[i];
      if (t == p.ignore_index) {
        nll[i] = 0;
        smooth[i] = 0;
        continue;
      }
      auto logp = [&](int64_t k) { return p.log_input ? xr[k] : T((xr[k] - mx) - ls); };
      nll[i] = double(-(weight ? weight[t] * logp(t) : logp(t)));
      if (p.smoothing > 0) {
        Lanes acc;
        for (int64_t k = 0; k < c; ++k) acc.a[k & 7] += double(weight ? weight[k] * logp(k) : logp(k));
        smooth[i] = -acc.total();
      }
    }
  });
}

template <typename T>
void class_loss_backward_rows(const T* x, const int32_t* target, const T* weight, const T* stats, const T* g, T* gx,
                              const ClassLoss& p, double total_weight) {
  const int64_t c = p.classes;
  const double eps = p.smoothing;
  double wsum = double(c);
  if (weight && eps > 0) {
    Lanes acc;
    for (int64_t k = 0; k < c; ++k) acc.a[k & 7] += double(weight[k]);
    wsum = acc.total();
  }
  parallel_range(p.rows, p.rows * c, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      T* out = gx + i * c;
      const T* xr = x + i * c;
      const int32_t t = target[i];
      const bool ignored = t == p.ignore_index;
      // The incoming gradient of this row's loss, then PyTorch's chain: the nll and smoothing terms' gradients
      // with respect to the log-probabilities (grad_logp, summing to -coef ((1 - eps) w_t + eps / C sum(w))),
      // then log_softmax's backward gx = grad_logp - p sum(grad_logp). An ignored row's grad_logp is 0 whatever g.
      const T coef = ignored ? T(0) : p.reduction == 0 ? g[i] : p.reduction == 1 ? T(double(g[0]) / total_weight) : g[0];
      const T wt = ignored ? T(0) : weight ? weight[t] : T(1);
      const T at_target = ignored ? T(0) : -(coef * T(1 - eps) * wt);
      const T spread = ignored || eps == 0 ? T(0) : T(-(double(coef) * eps / double(c)));
      if (p.log_input) {
        for (int64_t k = 0; k < c; ++k) out[k] = T(0);
        if (!ignored) out[t] = at_target;
        continue;
      }
      const T total = ignored ? T(0) : eps == 0 ? at_target : T(double(at_target) + double(spread) * wsum);
      const T mx = stats[2 * i], ls = stats[2 * i + 1];
      shift_run(xr, mx, ls, out, c);
      exp_run(out, c);
      if (eps > 0 && weight) {
        minus_scaled(out, weight, true, spread, total, c);
      } else {
        minus_scaled(out, (const T*)nullptr, false, eps > 0 ? spread : T(0), total, c);
      }
      if (!ignored) out[t] += at_target;
    }
  });
}

}  // namespace
}  // namespace fused_detail

bool softmax_forward(SoftmaxKind kind, DType t, const void* x, void* out, int64_t outer, int64_t n, int64_t inner) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = static_cast<const T*>(x);
    T* ys = static_cast<T*>(out);
    const bool reduced = kind == SoftmaxKind::logsumexp;
    fused_detail::softmax_geometry(
        outer, n, inner,
        [&](int64_t o, bool split) { fused_detail::softmax_row(kind, xs + o * n, ys + (reduced ? o : o * n), n, split); },
        [&](int64_t o, int64_t c, int64_t w) {
          fused_detail::softmax_cols(kind, xs + o * n * inner + c, ys + (reduced ? o * inner : o * n * inner) + c, n,
                                     inner, w);
        });
  });
}

bool softmax_backward(SoftmaxKind kind, DType t, const void* g, const void* y, const void* r, void* gx, int64_t outer,
                      int64_t n, int64_t inner) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* gs = static_cast<const T*>(g);
    const T* ys = static_cast<const T*>(y);
    const T* rs = static_cast<const T*>(r);
    T* out = static_cast<T*>(gx);
    const bool reduced = kind == SoftmaxKind::logsumexp;
    fused_detail::softmax_geometry(
        outer, n, inner,
        [&](int64_t o, bool split) {
          fused_detail::softmax_backward_row(kind, gs + (reduced ? o : o * n), ys + o * n, reduced ? rs[o] : T(0),
                                             out + o * n, n, split);
        },
        [&](int64_t o, int64_t c, int64_t w) {
          const int64_t small = o * inner + c, big = o * n * inner + c;
          fused_detail::softmax_backward_cols(kind, gs + (reduced ? small : big), ys + big, reduced ? rs + small : nullptr,
                                              out + big, n, inner, w);
        });
  });
}

bool softmax_head_mean(DType t, void* x, void* mean, int64_t batch, int64_t heads, int64_t rows, int64_t n) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* xs = static_cast<T*>(x);
    T* ms = static_cast<T*>(mean);
    // Blocks of kHeadRows rows of one batch entry: each head's rows of the block in turn (runs of memory the
    // prefetcher follows), then their mean while they are in cache.
    const int64_t blocks = (rows + fused_detail::kHeadRows - 1) / fused_detail::kHeadRows;
    parallel_range(batch * blocks, batch * heads * rows * n, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const int64_t b = i / blocks, r0 = (i % blocks) * fused_detail::kHeadRows;
        const int64_t len = std::min(fused_detail::kHeadRows, rows - r0);
        for (int64_t k = 0; k < heads; ++k) {
          T* y = xs + ((b * heads + k) * rows + r0) * n;
          for (int64_t r = 0; r < len; ++r) fused_detail::softmax_row(SoftmaxKind::softmax, y + r * n, y + r * n, n, false);
        }
        for (int64_t r = r0; r < r0 + len; ++r) {
          fused_detail::head_mean_row(xs + (b * heads * rows + r) * n, rows * n, heads, ms + (b * rows + r) * n, n);
        }
      }
    });
  });
}

bool layer_norm_forward(DType t, const void* x, const void* w, const void* b, void* y, void* mean, void* rstd,
                        int64_t m, int64_t n, double eps) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fused_detail::layer_norm_rows(static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(b),
                                  static_cast<T*>(y), static_cast<T*>(mean), static_cast<T*>(rstd), m, n, eps);
  });
}

bool layer_norm_backward(DType t, const void* g, const void* x, const void* mean, const void* rstd, const void* w,
                         void* gx, void* gw, void* gb, int64_t m, int64_t n) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fused_detail::layer_norm_backward_rows(static_cast<const T*>(g), static_cast<const T*>(x),
                                           static_cast<const T*>(mean), static_cast<const T*>(rstd),
                                           static_cast<const T*>(w), static_cast<T*>(gx), static_cast<T*>(gw),
                                           static_cast<T*>(gb), m, n);
  });
}

int64_t class_loss_check(const int32_t* target, const ClassLoss& p) {
  for (int64_t i = 0; i < p.rows; ++i) {
    const int32_t t = target[i];
    if (t != p.ignore_index && (t < 0 || t >= p.classes)) return i;
  }
  return -1;
}

int64_t class_loss_forward(DType t, const void* x, const int32_t* target, const void* weight, void* loss, void* stats,
                           double* total_weight, const ClassLoss& p) {
  const int64_t bad = class_loss_check(target, p);
  if (bad >= 0) return bad;
  dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ws = static_cast<const T*>(weight);
    T* out = static_cast<T*>(loss);
    std::vector<double> nll(size_t(p.rows)), smooth(size_t(p.rows), 0.0);
    fused_detail::class_loss_rows(static_cast<const T*>(x), target, ws, static_cast<T*>(stats), nll.data(),
                                  smooth.data(), p);
    const double eps = p.smoothing, c = double(p.classes);
    // Kept rows' weights, summed in row order (the mean's divisor).
    double wsum = 0;
    for (int64_t i = 0; i < p.rows; ++i) {
      const int32_t k = target[i];
      if (k != p.ignore_index) wsum += ws ? double(ws[k]) : 1.0;
    }
    *total_weight = wsum;
    auto combine = [&](T a, T s) { return eps > 0 ? T(a * T(1 - eps)) + T(s * T(eps / c)) : a; };
    if (p.reduction == 0) {
      for (int64_t i = 0; i < p.rows; ++i) out[i] = combine(T(nll[size_t(i)]), T(smooth[size_t(i)]));
      return;
    }
    double a = 0, s = 0;
    for (int64_t i = 0; i < p.rows; ++i) {
      a += nll[size_t(i)];
      s += smooth[size_t(i)];
    }
    if (p.reduction == 1) {
      out[0] = combine(T(a) / T(wsum), T(s) / T(wsum));
    } else {
      out[0] = combine(T(a), T(s));
    }
  });
  return -1;
}

bool class_loss_backward(DType t, const void* x, const int32_t* target, const void* weight, const void* stats,
                         const void* g, void* gx, double total_weight, const ClassLoss& p) {
  if (class_loss_check(target, p) >= 0) return false;
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    fused_detail::class_loss_backward_rows(static_cast<const T*>(x), target, static_cast<const T*>(weight),
                                           static_cast<const T*>(stats), static_cast<const T*>(g), static_cast<T*>(gx),
                                           p, total_weight);
  });
}

}  // namespace torchlet
