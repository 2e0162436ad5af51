// Fused recurrent layers (RNN tanh/relu, LSTM with optional projection, GRU): one direction of one layer over a
// whole (packed) sequence per call, forward and backward. The input projection (x W_ih^T + b_ih) is computed before
// the call, for every step at once; here each step is one GEMM for the hidden projection (plus one for the LSTM's
// output projection) and one pass of the gate arithmetic, written as PyTorch's CPU cells compute it.
#include <cblas.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "simd.h"

namespace torchlet {

namespace rnn_detail {
namespace {

// float32 on torchlet's sgemm (sgemm.cpp), as every float32 product.
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  const bool na = ta == CblasNoTrans, nb = tb == CblasNoTrans;
  sgemm(m, n, k, alpha, a, na ? lda : 1, na ? 1 : lda, b, nb ? ldb : 1, nb ? 1 : ldb, beta, c, ldc, get_num_threads());
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// c [m, n] = a [m, k] @ b^T (b stored [n, k]), or += with beta 1. Nothing to do for an empty product.
template <typename T>
void mm_bt(int m, int n, int k, const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == T(0)) std::fill(c, c + int64_t(m) * n, T(0));
    return;
  }
  gemm(CblasNoTrans, CblasTrans, m, n, k, T(1), a, k, b, k, beta, c, n);
}
// c [m, n] = a [m, k] @ b (b stored [k, n]), or += with beta 1.
template <typename T>
void mm(int m, int n, int k, const T* a, const T* b, T beta, T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == T(0)) std::fill(c, c + int64_t(m) * n, T(0));
    return;
  }
  gemm(CblasNoTrans, CblasNoTrans, m, n, k, T(1), a, k, b, n, beta, c, n);
}
// c [m, n] = a^T @ b with a stored [rows, m] and b [rows, n]: a weight gradient summed over every step's rows.
template <typename T>
void mm_at(int m, int n, int rows, const T* a, const T* b, T* c) {
  if (m == 0 || n == 0) return;
  if (rows == 0) {
    std::fill(c, c + int64_t(m) * n, T(0));
    return;
  }
  gemm(CblasTrans, CblasNoTrans, m, n, rows, T(1), a, m, b, n, T(0), c, n);
}

// ---- the gate nonlinearities, in place over n contiguous values ----------------------------------------------------
// float32 uses polynomial exp and tanh (Cephes' expf and tanhf, within 2 ulp) written with arithmetic only, so the
// loops vectorise (8 lanes in the AVX2 clone), as PyTorch's vectorised Sleef kernels do; float64 calls libm.

TORCHLET_INLINE float exp_poly(float x) {
  x = x < -87.0f ? -87.0f : x;  // comparisons that keep NaN
  x = x > 88.0f ? 88.0f : x;
  float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - fx * 0.693359375f) - fx * -2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * (r * r) + r + 1.0f;
  fx = fx != fx ? 0.0f : fx;
  const int32_t bits = (int32_t(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale;
}

TORCHLET_SIMD_CLONES void sigmoid_f32(float* __restrict__ p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + exp_poly(-p[i]));
}

TORCHLET_SIMD_CLONES void tanh_f32(float* __restrict__ p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = p[i];
    const float a = std::fabs(x);
    // Small |x|: an odd polynomial; otherwise 1 - 2 / (exp(2|x|) + 1) with x's sign.
    const float z = x * x;
    float small = -5.70498872745e-3f;
    small = small * z + 2.06390887954e-2f;
    small = small * z - 5.37397155531e-2f;
    small = small * z + 1.33314422036e-1f;
    small = small * z - 3.33332819422e-1f;
    small = small * z * x + x;
    const float big = std::copysign(1.0f - 2.0f / (exp_poly(2.0f * a) + 1.0f), x);
    p[i] = a < 0.625f ? small : big;
  }
}

template <typename T>
void sigmoid_n(T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = T(1) / (T(1) + std::exp(-p[i]));
}
template <>
void sigmoid_n(float* p, int64_t n) {
  sigmoid_f32(p, n);
}
template <typename T>
void tanh_n(T* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
}
template <>
void tanh_n(float* p, int64_t n) {
  tanh_f32(p, n);
}

// Where each step's rows start in the packed data, and the order steps are processed in.
struct Steps {
  std::vector<int64_t> offset;
  int steps;
  bool reverse;
  const int32_t* sizes;
  int time(int s) const { return reverse ? steps - 1 - s : s; }
  int size(int s) const { return sizes[time(s)]; }
  int64_t row(int s) const { return offset[time(s)]; }
};

Steps steps_of(const RnnGeometry& g, const int32_t* batch_sizes) {
  Steps st{std::vector<int64_t>(size_t(g.steps) + 1, 0), g.steps, g.reverse, batch_sizes};
  for (int t = 0; t < g.steps; ++t) st.offset[t + 1] = st.offset[t] + batch_sizes[t];
  return st;
}

// Copies rows [from, to) of width w from src to dst (both [*, w]).
template <typename T>
void copy_rows(T* dst, const T* src, int from, int to, int w) {
  if (to > from) std::memcpy(dst + int64_t(from) * w, src + int64_t(from) * w, sizeof(T) * size_t(to - from) * w);
}
template <typename T>
void add_rows(T* dst, const T* src, int from, int to, int w) {
  for (int64_t i = int64_t(from) * w; i < int64_t(to) * w; ++i) dst[i] += src[i];
}

// The saved tensors of the forward pass, carved from one buffer (rnn_saved_size elements): per packed row, the
// previous hidden state (the hidden GEMM's input, kept for W_hh's gradient), the gate values (LSTM: i, f, g, o
// after their nonlinearities; GRU: r, z, n and the hidden part of n), and for the LSTM the cell state, the previous
// cell state and the unprojected output (projection only).
template <typename T>
struct Saved {
  T *hprev, *gates, *cell, *cprev, *hp;
  Saved(const RnnGeometry& g, int64_t rows, T* base) {
    const int64_t H = g.hidden, P = g.out;
    hprev = base;
    base += rows * P;
    gates = base;
    base += g.mode == RnnMode::lstm || g.mode == RnnMode::gru ? rows * 4 * H : 0;
    cell = base;
    base += g.mode == RnnMode::lstm ? rows * H : 0;
    cprev = base;
    base += g.mode == RnnMode::lstm ? rows * H : 0;
    hp = g.mode == RnnMode::lstm && g.proj ? base : nullptr;
  }
};

template <typename T>
void forward(const RnnGeometry& g, const int32_t* batch_sizes, const T* xw, const T* h0, const T* c0, const T* w_hh,
             const T* b_hh, const T* w_hr, T* out, T* h_n, T* c_n, T* saved_base) {
  const Steps st = steps_of(g, batch_sizes);
  const int H = g.hidden, P = g.out, G = g.gates, B = g.batch;
  const bool lstm = g.mode == RnnMode::lstm, gru = g.mode == RnnMode::gru;
  Saved<T> sv(g, st.offset[g.steps], saved_base);
  std::vector<T> hw(size_t(B) * G);
  if (g.steps == 0) {
    copy_rows(h_n, h0, 0, B, P);
    if (lstm) copy_rows(c_n, c0, 0, B, H);
    return;
  }
  copy_rows(sv.hprev + st.row(0) * P, h0, 0, st.size(0), P);
  if (lstm) copy_rows(sv.cprev + st.row(0) * H, c0, 0, st.size(0), H);
  for (int s = 0; s < g.steps; ++s) {
    const int b = st.size(s);
    const int64_t r0 = st.row(s);
    const T* hprev = sv.hprev + r0 * P;
    mm_bt(b, G, P, hprev, w_hh, T(0), hw.data());
    const T* x = xw + r0 * G;
    T* h = out + r0 * P;
    if (g.mode == RnnMode::rnn_tanh || g.mode == RnnMode::rnn_relu) {
      for (int i = 0; i < b; ++i) {
        for (int j = 0; j < H; ++j) h[int64_t(i) * H + j] = (hw[size_t(i) * G + j] + (b_hh ? b_hh[j] : T(0))) + x[int64_t(i) * G + j];
      }
      if (g.mode == RnnMode::rnn_tanh) {
        tanh_n(h, int64_t(b) * H);
      } else {
        for (int64_t i = 0; i < int64_t(b) * H; ++i) h[i] = h[i] > T(0) ? h[i] : (h[i] != h[i] ? h[i] : T(0));
      }
    } else if (lstm) {
      T* gates = sv.gates + r0 * G;
      T* cell = sv.cell + r0 * H;
      const T* cprev = sv.cprev + r0 * H;
      T* hp = g.proj ? sv.hp + r0 * H : h;
      for (int i = 0; i < b; ++i) {
        const T* hwi = hw.data() + size_t(i) * G;
        const T* xi = x + int64_t(i) * G;
        T* gi = gates + int64_t(i) * G;
        for (int j = 0; j < G; ++j) gi[j] = (hwi[j] + (b_hh ? b_hh[j] : T(0))) + xi[j];
        sigmoid_n(gi, 2 * int64_t(H));
        tanh_n(gi + 2 * H, H);
        sigmoid_n(gi + 3 * H, H);
        T* ci = cell + int64_t(i) * H;
        T* hpi = hp + int64_t(i) * H;
        const T* cpi = cprev + int64_t(i) * H;
        for (int j = 0; j < H; ++j) {
          const T fc = gi[H + j] * cpi[j];
          const T ic = gi[j] * gi[2 * H + j];
          ci[j] = fc + ic;
          hpi[j] = ci[j];
        }
        tanh_n(hpi, H);
        for (int j = 0; j < H; ++j) hpi[j] = gi[3 * H + j] * hpi[j];
      }
      if (g.proj) mm_bt(b, P, H, hp, w_hr, T(0), h);
    } else if (gru) {
      T* gates = sv.gates + r0 * 4 * H;
      for (int i = 0; i < b; ++i) {
        const T* hwi = hw.data() + size_t(i) * G;
        const T* xi = x + int64_t(i) * G;
        T* gi = gates + int64_t(i) * 4 * H;
        const T* hpi = hprev + int64_t(i) * P;
        T* hi = h + int64_t(i) * H;
        // r and z: sigmoid(h W^T + b_h + x W^T + b_i); the hidden part of n, kept for the backward.
        for (int j = 0; j < 2 * H; ++j) gi[j] = (hwi[j] + (b_hh ? b_hh[j] : T(0))) + xi[j];
        for (int j = 0; j < H; ++j) gi[3 * H + j] = hwi[2 * H + j] + (b_hh ? b_hh[2 * H + j] : T(0));
        sigmoid_n(gi, 2 * int64_t(H));
        for (int j = 0; j < H; ++j) gi[2 * H + j] = xi[2 * H + j] + gi[3 * H + j] * gi[j];
        tanh_n(gi + 2 * H, H);
        for (int j = 0; j < H; ++j) {
          const T z = gi[H + j], n = gi[2 * H + j];
          hi[j] = (hpi[j] - n) * z + n;
        }
      }
    }
    // Hand the state to the next step: the sequences still running keep theirs, the ones that end give their final
    // state, the ones that start (reverse direction over packed input) take theirs from h0 / c0.
    const int bn = s + 1 < g.steps ? st.size(s + 1) : 0;
    const int keep = std::min(b, bn);
    if (b > bn) {
      copy_rows(h_n, h, keep, b, P);
      if (lstm) copy_rows(c_n, sv.cell + r0 * H, keep, b, H);
    }
    if (s + 1 < g.steps) {
      const int64_t rn = st.row(s + 1);
      std::memcpy(sv.hprev + rn * P, h, sizeof(T) * size_t(keep) * P);
      if (bn > b) std::memcpy(sv.hprev + rn * P + int64_t(b) * P, h0 + int64_t(b) * P, sizeof(T) * size_t(bn - b) * P);
      if (lstm) {
        std::memcpy(sv.cprev + rn * H, sv.cell + r0 * H, sizeof(T) * size_t(keep) * H);
        if (bn > b) std::memcpy(sv.cprev + rn * H + int64_t(b) * H, c0 + int64_t(b) * H, sizeof(T) * size_t(bn - b) * H);
      }
    }
  }
  // Rows of h0 no step reached (a batch larger than every step's) pass through unchanged.
  int most = 0;
  for (int t = 0; t < g.steps; ++t) most = std::max(most, int(batch_sizes[t]));
  copy_rows(h_n, h0, most, B, P);
  if (lstm) copy_rows(c_n, c0, most, B, H);
}

template <typename T>
void backward(const RnnGeometry& g, const int32_t* batch_sizes, const T* w_hh, const T* w_hr, const T* out,
              T* saved_base, const T* g_out, const T* g_hn, const T* g_cn, T* d_xw, T* d_h0, T* d_c0, T* d_whh,
              T* d_bhh, T* d_whr) {
  const Steps st = steps_of(g, batch_sizes);
  const int H = g.hidden, P = g.out, G = g.gates, B = g.batch;
  const bool lstm = g.mode == RnnMode::lstm, gru = g.mode == RnnMode::gru;
  const int64_t N = st.offset[g.steps];
  Saved<T> sv(g, N, saved_base);
  // dh: the gradient of every step's output rows, gathered from g_out, g_hn and the later steps.
  std::vector<T> dh(size_t(N) * P);
  if (g_out) std::memcpy(dh.data(), g_out, sizeof(T) * dh.size());
  else std::fill(dh.begin(), dh.end(), T(0));
  std::vector<T> dc(lstm ? size_t(B) * H : 0, T(0));       // the cell gradient of the step being processed
  std::vector<T> dc_prev(lstm ? size_t(B) * H : 0, T(0));  // the one it hands to the step before
  std::vector<T> dhp(size_t(B) * H);
  std::vector<T> tanh_c(lstm ? size_t(B) * H : 0);
  std::vector<T> dh_prev(size_t(B) * P);
  std::vector<T> dhw(gru ? size_t(N) * G : 0);            // GRU: the hidden GEMM's gradient differs from x's
  T* d_hw = gru ? dhw.data() : d_xw;
  std::fill(d_h0, d_h0 + int64_t(B) * P, T(0));
  if (lstm) std::fill(d_c0, d_c0 + int64_t(B) * H, T(0));
  int most = 0;
  for (int t = 0; t < g.steps; ++t) most = std::max(most, int(batch_sizes[t]));
  if (g_hn) copy_rows(d_h0, g_hn, most, B, P);
  if (lstm && g_cn) copy_rows(d_c0, g_cn, most, B, H);
  for (int s = g.steps - 1; s >= 0; --s) {
    const int b = st.size(s);
    const int64_t r0 = st.row(s);
    const int bn = s + 1 < g.steps ? st.size(s + 1) : 0;
    const int keep = std::min(b, bn);
    T* dhs = dh.data() + r0 * P;
    // The final states of the sequences that end at this step.
    if (g_hn) add_rows(dhs, g_hn, keep, b, P);
    if (lstm) {
      // dc holds the first `keep` rows from the later step (dc_prev); the rest are final.
      for (int i = keep; i < b; ++i) {
        for (int j = 0; j < H; ++j) dc[size_t(i) * H + j] = g_cn ? g_cn[int64_t(i) * H + j] : T(0);
      }
      std::memcpy(dc.data(), dc_prev.data(), sizeof(T) * size_t(keep) * H);
    }
    T* dxs = d_xw + r0 * G;
    T* dhws = d_hw + r0 * G;
    const T* hprev = sv.hprev + r0 * P;
    if (g.mode == RnnMode::rnn_tanh || g.mode == RnnMode::rnn_relu) {
      const T* h = out + r0 * P;
      const bool relu = g.mode == RnnMode::rnn_relu;
      for (int64_t i = 0; i < int64_t(b) * H; ++i) {
        dxs[i] = relu ? (h[i] > T(0) ? dhs[i] : T(0)) : dhs[i] * (T(1) - h[i] * h[i]);
      }
    } else if (lstm) {
      const T* dhpv = dhs;
      if (g.proj) {
        mm(b, H, P, dhs, w_hr, T(0), dhp.data());
        dhpv = dhp.data();
      }
      const T* gates = sv.gates + r0 * G;
      const T* cell = sv.cell + r0 * H;
      const T* cprev = sv.cprev + r0 * H;
      std::memcpy(tanh_c.data(), cell, sizeof(T) * size_t(b) * H);
      tanh_n(tanh_c.data(), int64_t(b) * H);
      for (int i = 0; i < b; ++i) {
        const T* gi = gates + int64_t(i) * G;
        T* dg = dxs + int64_t(i) * G;
        for (int j = 0; j < H; ++j) {
          const int64_t k = int64_t(i) * H + j;
          const T in = gi[j], f = gi[H + j], cg = gi[2 * H + j], o = gi[3 * H + j];
          const T tc = tanh_c[size_t(k)];
          const T d = dhpv[k];
          const T dcc = dc[size_t(k)] + d * o * (T(1) - tc * tc);
          dg[j] = dcc * cg * in * (T(1) - in);
          dg[H + j] = dcc * cprev[k] * f * (T(1) - f);
          dg[2 * H + j] = dcc * in * (T(1) - cg * cg);
          dg[3 * H + j] = d * tc * o * (T(1) - o);
          dc_prev[size_t(k)] = dcc * f;
        }
      }
    } else if (gru) {
      const T* gates = sv.gates + r0 * 4 * H;
      for (int i = 0; i < b; ++i) {
        const T* gi = gates + int64_t(i) * 4 * H;
        T* dx = dxs + int64_t(i) * G;
        T* dw = dhws + int64_t(i) * G;
        for (int j = 0; j < H; ++j) {
          const int64_t k = int64_t(i) * H + j;
          const T r = gi[j], z = gi[H + j], n = gi[2 * H + j], hn = gi[3 * H + j];
          const T d = dhs[k];
          const T dn = d * (T(1) - z) * (T(1) - n * n);
          const T dz = d * (hprev[k] - n) * z * (T(1) - z);
          const T dr = dn * hn * r * (T(1) - r);
          dx[j] = dr;
          dx[H + j] = dz;
          dx[2 * H + j] = dn;
          dw[j] = dr;
          dw[H + j] = dz;
          dw[2 * H + j] = dn * r;
          dh_prev[size_t(k)] = d * z;
        }
      }
    }
    // The gradient of the previous state: through W_hh (and directly, for the GRU).
    mm(b, P, G, dhws, w_hh, gru ? T(1) : T(0), dh_prev.data());
    if (s > 0) {
      const int bp = st.size(s - 1);
      const int64_t rp = st.row(s - 1);
      add_rows(dh.data() + rp * P, dh_prev.data(), 0, std::min(b, bp), P);
      if (b > bp) copy_rows(d_h0, dh_prev.data(), bp, b, P);
      if (lstm && b > bp) copy_rows(d_c0, dc_prev.data(), bp, b, H);
    } else {
      copy_rows(d_h0, dh_prev.data(), 0, b, P);
      if (lstm) copy_rows(d_c0, dc_prev.data(), 0, b, H);
    }
  }
  // The weight gradients, each one GEMM over all the rows.
  mm_at(G, P, int(N), d_hw, sv.hprev, d_whh);
  if (d_bhh) {
    std::fill(d_bhh, d_bhh + G, T(0));
    for (int64_t r = 0; r < N; ++r) {
      for (int j = 0; j < G; ++j) d_bhh[j] += d_hw[r * G + j];
    }
  }
  if (lstm && g.proj) mm_at(P, H, int(N), dh.data(), sv.hp, d_whr);
}

}  // namespace
}  // namespace rnn_detail

const char* const kRnnModeNames[] = {
#define TORCHLET_NAME_ITEM(name) #name,
    TORCHLET_RNN_MODES(TORCHLET_NAME_ITEM)
#undef TORCHLET_NAME_ITEM
        nullptr};

int64_t rnn_saved_size(const RnnGeometry& g, int64_t rows) {
  int64_t per_row = g.out;
  if (g.mode == RnnMode::lstm) per_row += 6 * int64_t(g.hidden) + (g.proj ? g.hidden : 0);
  if (g.mode == RnnMode::gru) per_row += 4 * int64_t(g.hidden);
  return rows * per_row;
}

bool rnn_forward(DType t, const RnnGeometry& g, const int32_t* batch_sizes, const void* xw, const void* h0,
                 const void* c0, const void* w_hh, const void* b_hh, const void* w_hr, void* out, void* h_n, void* c_n,
                 void* saved) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    rnn_detail::forward<T>(g, batch_sizes, static_cast<const T*>(xw), static_cast<const T*>(h0),
                           static_cast<const T*>(c0), static_cast<const T*>(w_hh), static_cast<const T*>(b_hh),
                           static_cast<const T*>(w_hr), static_cast<T*>(out), static_cast<T*>(h_n),
                           static_cast<T*>(c_n), static_cast<T*>(saved));
  });
}

bool rnn_backward(DType t, const RnnGeometry& g, const int32_t* batch_sizes, const void* w_hh, const void* w_hr,
                  const void* out, void* saved, const void* g_out, const void* g_hn, const void* g_cn, void* d_xw,
                  void* d_h0, void* d_c0, void* d_whh, void* d_bhh, void* d_whr) {
  return dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    rnn_detail::backward<T>(g, batch_sizes, static_cast<const T*>(w_hh), static_cast<const T*>(w_hr),
                            static_cast<const T*>(out), static_cast<T*>(saved), static_cast<const T*>(g_out),
                            static_cast<const T*>(g_hn), static_cast<const T*>(g_cn), static_cast<T*>(d_xw),
                            static_cast<T*>(d_h0), static_cast<T*>(d_c0), static_cast<T*>(d_whh),
                            static_cast<T*>(d_bhh), static_cast<T*>(d_whr));
  });
}

}  // namespace torchlet
