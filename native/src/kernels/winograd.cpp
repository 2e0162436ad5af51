// Winograd F(2x2, 3x3) convolution (see winograd.h). The output tiles of the whole batch are numbered
// p = (image, tile row, tile column) and cut into blocks of nb tiles; each block is one task for the worker
// threads, and everything a block touches (its transformed inputs V [16][cin][nb] and products M [16][cout][nb])
// stays in that thread's L2. The 16 products per block are small GEMMs done by a register-tiled micro-kernel on
// the weight packed once per call, so no BLAS call (and no BLAS thread hand-off) sits inside the loop.
//
// Matrices (Lavin & Gray, 2015):  B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],
//   G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],  A^T = [1 1 1 0; 0 1 -1 -1].
#include "winograd.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "simd.h"

namespace torchlet {

namespace winograd_detail {
namespace {

using gemm::kNR;
using gemm::micro;
using gemm::Micro;
using gemm::MicroFn;
using gemm::round_up;

// ---------------------------------------------------------------------------------------------------------------
// A convolution as the Winograd kernels see it: cin -> cout channels, 3x3, stride 1, padding (ph, pw).
//
// A block's tiles fall into runs that share an image and a tile row. Inside a block, tiles sit in slots: each
// run's tiles in consecutive slots followed by one spare slot, so the input transform can read every tile's
// 4 columns from one array of split rows and run 8 tiles at a time whatever the image width. Spare slots carry
// junk through the forward GEMM (its columns are independent) and zeros through the weight-gradient GEMM.

struct Plan {
  int n, cin, cout, h, w, ph, pw, oh, ow;
  int th, tw;       // tiles per image: rows, columns
  int64_t tiles;    // n * th * tw
  int mr, kp, cp;   // micro-kernel rows; cout rounded up to mr; cin rounded up to 16
  int slots;        // slots per block, also the distance between rows of V and M (a multiple of 16, so 8-slot
                    // steps and 16-column GEMM strips never overrun)
  std::vector<int64_t> starts;  // first tile of each block, then the tile count
  int64_t blocks() const { return int64_t(starts.size()) - 1; }
};

Plan plan(int n, int cin, int cout, int h, int w, int ph, int pw, int oh, int ow) {
  Plan p{n, cin, cout, h, w, ph, pw, oh, ow, (oh + 1) / 2, (ow + 1) / 2, 0, micro().mr, 0, 0, 0, {}};
  p.tiles = int64_t(n) * p.th * p.tw;
  p.kp = int(round_up(cout, p.mr));
  p.cp = int(round_up(cin, kNR));
  // Keep a block's V and M (16 * (cin + kp) * slots floats) near 512 KiB, inside one core's L2.
  const int64_t fit = (int64_t(128) << 10) / (16 * int64_t(p.cp + p.kp)) / kNR * kNR;
  p.slots = int(std::clamp<int64_t>(fit, kNR, 256));
  // Fill each block's slots: whole runs while they fit (tiles plus one spare), then part of the next run.
  p.starts.push_back(0);
  int used = 0;
  for (int64_t q = 0; q < p.tiles;) {
    const int room = p.slots - used - 1;
    if (room <= 0) {
      p.starts.push_back(q);
      used = 0;
      continue;
    }
    const int take = int(std::min<int64_t>(p.tw - q % p.tw, room));
    used += take + 1;
    q += take;
  }
  p.starts.push_back(p.tiles);
  return p;
}

Plan forward_plan(const ConvGeometry& g) { return plan(g.n, g.c, g.oc, g.h, g.w, g.ph, g.pw, g.oh, g.ow); }
// The input gradient is the convolution of grad_output with the flipped, transposed filter, padded by 2 - p.
Plan input_grad_plan(const ConvGeometry& g) { return plan(g.n, g.oc, g.c, g.oh, g.ow, 2 - g.ph, 2 - g.pw, g.h, g.w); }

// Per-thread scratch (floats): the split rows (8 arrays, row_stride apart: room for 8 slots of overhang and the
// reads past them), then V and M (forward), or V, V^T, dM and packed dM (weight gradient).
int64_t row_stride(const Plan& p) { return int64_t(p.slots) + 16; }
int64_t rows_size(const Plan& p) { return 8 * row_stride(p); }
// The distance between the 16 matrices ([rows][slots], one per value e) of V and M: one cache line more than a
// matrix. The transforms read or write all 16 at once, and rows * slots floats is often a multiple of 4 KiB (64 x 64
// is 16 KiB), which put all 16 lines in one set of the 12-way L1: with the extra line, each falls into a set of its
// own.
int64_t value_stride(const Plan& p, int rows) { return int64_t(rows) * p.slots + 16; }
int64_t forward_thread_size(const Plan& p) { return rows_size(p) + 16 * (value_stride(p, p.cin) + value_stride(p, p.kp)); }
int64_t weight_thread_size(const Plan& p) {
  return rows_size(p) + 16 * (value_stride(p, p.cin) + int64_t(p.slots) * p.cp + value_stride(p, p.cout) + int64_t(p.kp) * p.slots);
}

// The weight gradient sums over blocks in sum_chunks chunks, each with its own dU.
int64_t weight_chunks(const Plan& p, int threads) { return sum_chunks(p.blocks(), threads); }
int64_t weight_sum_size(const Plan& p) { return 16 * int64_t(p.kp) * p.cp; }

struct Run {
  int slot, img, ti, tj, len;
};

// The runs of block b, in order; returns the number of slots they use (tiles plus one spare per run).
int block_runs(const Plan& p, int64_t b, std::vector<Run>& runs) {
  runs.clear();
  const int64_t per = int64_t(p.th) * p.tw, p0 = p.starts[size_t(b)], p1 = p.starts[size_t(b) + 1];
  int slot = 0;
  for (int64_t q = p0; q < p1;) {
    const int img = int(q / per);
    const int64_t r = q % per;
    const int ti = int(r / p.tw), tj = int(r % p.tw);
    const int len = int(std::min<int64_t>(p.tw - tj, p1 - q));
    runs.push_back({slot, img, ti, tj, len});
    slot += len + 1;
    q += len;
  }
  return slot;
}

// The transforms below work on V, 8 or 16 lanes (f8 or f16) of consecutive slots; each lane computes the same
// expressions on either, so the results are the same bits.
template <typename V>
constexpr int kLanes = int(sizeof(V) / sizeof(float));

// Copies input rows top .. top + nrows (4, or 2) of plane x (h x w), columns left .. left + 2 * len + 2, with zeros outside the
// plane, split by column parity into 8 arrays rs apart, from index slot on: array r gets row r's columns
// left + 2k, array 4 + r its columns left + 2k + 1 (k in [0, len]). Reads may run past a row (not past end, the
// end of the whole input) and writes up to 16 entries past the run: the caller's later runs overwrite them.
template <typename V>
TORCHLET_INLINE void split_rows(const float* x, const float* end, int h, int w, int top, int left, int len,
                                float* rows, int64_t rs, int slot, int nrows = 4) {
  const int half = len + 1;
  // k in [lo, hi): both columns left + 2k and left + 2k + 1 lie inside the plane, so no bounds checks.
  auto floor_half = [](int a) { return a >= 0 ? a / 2 : -((1 - a) / 2); };
  const int lo = std::clamp(-floor_half(left), 0, half);
  const int hi = std::clamp(floor_half(w - 2 - left) + 1, lo, half);
  for (int r = 0; r < nrows; ++r) {
    float* __restrict even = rows + r * rs + slot;
    float* __restrict odd = rows + (4 + r) * rs + slot;
    const int i = top + r;
    if (i < 0 || i >= h) {
      std::fill(even, even + half, 0.0f);
      std::fill(odd, odd + half, 0.0f);
      continue;
    }
    const float* __restrict xr = x + int64_t(i) * w;
    auto edge = [&](int k) {
      const int j = left + 2 * k;
      even[k] = j >= 0 && j < w ? xr[j] : 0.0f;
      odd[k] = j + 1 >= 0 && j + 1 < w ? xr[j + 1] : 0.0f;
    };
    for (int k = 0; k < lo; ++k) edge(k);
    int k = lo;
    constexpr int L = kLanes<V>;
    for (; k < hi && xr + left + 2 * k + 2 * L <= end; k += L) {
      V e, o;
      deinterleave(xr + left + 2 * k, e, o);
      store(even + k, e);
      store(odd + k, o);
    }
    for (; k < hi; ++k) {
      even[k] = xr[left + 2 * k];
      odd[k] = xr[left + 2 * k + 1];
    }
    for (k = hi; k < half; ++k) edge(k);
  }
}

// Asks for rows top .. top + nrows of plane x (h x w), columns left .. left + cols, to be brought into cache. The
// transforms read a few short rows from each channel's plane, planes h * w floats apart: no hardware prefetcher
// follows that, and without this the row splits waited on memory for most of their time.
TORCHLET_INLINE void prefetch_rows(const float* x, int h, int w, int top, int nrows, int left, int cols) {
  const int c0 = std::max(left, 0), c1 = std::min(left + cols, w);
  if (c0 >= c1) return;
  for (int i = std::max(top, 0); i < std::min(top + nrows, h); ++i) {
    const char* a = reinterpret_cast<const char*>(x + int64_t(i) * w + c0);
    const char* b = reinterpret_cast<const char*>(x + int64_t(i) * w + c1 - 1);
    for (; a <= b; a += 64) __builtin_prefetch(a, 0, 3);
    __builtin_prefetch(b, 0, 3);
  }
}

// How many channels ahead the transforms prefetch their rows.
constexpr int kPrefetchAhead = 4;

// V = B^T d B for the lanes of slots from j: slot j's 4x4 input is columns j and j + 1 of the even and odd split
// rows. Writes value e of slot j to out[e][j]. First B^T along each row, then down the columns.
template <typename V>
TORCHLET_INLINE void input_tiles(const float* const* ev, const float* const* od, float* const* out, int j) {
  V hq[4][4];
  for (int r = 0; r < 4; ++r) {
    const V e0 = load<V>(ev[r] + j), e1 = load<V>(ev[r] + j + 1), o0 = load<V>(od[r] + j), o1 = load<V>(od[r] + j + 1);
    hq[r][0] = e0 - e1;
    hq[r][1] = o0 + e1;
    hq[r][2] = e1 - o0;
    hq[r][3] = o0 - o1;
  }
  for (int q = 0; q < 4; ++q) {
    store(out[0 + q] + j, hq[0][q] - hq[2][q]);
    store(out[4 + q] + j, hq[1][q] + hq[2][q]);
    store(out[8 + q] + j, hq[2][q] - hq[1][q]);
    store(out[12 + q] + j, hq[1][q] - hq[3][q]);
  }
}

// V for slots [0, count) (and up to 15 more of overhang) from split rows rs apart: value e of slot j at v[e * es + j].
template <typename V>
TORCHLET_INLINE void input_transform(const float* rows, int64_t rs, int count, float* v, int64_t es) {
  const float* ev[4];
  const float* od[4];
  for (int r = 0; r < 4; ++r) {
    ev[r] = rows + r * rs;
    od[r] = rows + (4 + r) * rs;
  }
  float* out[16];
  for (int e = 0; e < 16; ++e) out[e] = v + e * es;
  for (int j = 0; j < count; j += kLanes<V>) input_tiles<V>(ev, od, out, j);
}

// The lanes of a and b interleaved: {a0, b0, a1, b1, ...}, its first and second halves.
TORCHLET_INLINE void interleave(f8 a, f8 b, f8& lo, f8& hi) {
  lo = __builtin_shuffle(a, b, i8{0, 8, 1, 9, 2, 10, 3, 11});
  hi = __builtin_shuffle(a, b, i8{4, 12, 5, 13, 6, 14, 7, 15});
}
TORCHLET_INLINE void interleave(f16 a, f16 b, f16& lo, f16& hi) {
  lo = __builtin_shuffle(a, b, i16{0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23});
  hi = __builtin_shuffle(a, b, i16{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31});
}

// Y = A^T M A for the lanes of slots from j of m (value e at m[e * es]): the 2x2 results go to out0 (top rows) and
// out1 (bottom rows), two floats per slot.
template <typename V>
TORCHLET_INLINE void output_tiles(const float* m, int64_t es, int j, float* out0, float* out1) {
  V s[2][4];
  for (int q = 0; q < 4; ++q) {
    const V m0 = load<V>(m + (0 + q) * es + j), m1 = load<V>(m + (4 + q) * es + j),
            m2 = load<V>(m + (8 + q) * es + j), m3 = load<V>(m + (12 + q) * es + j);
    s[0][q] = m0 + m1 + m2;
    s[1][q] = m1 - m2 - m3;
  }
  const V a = s[0][0] + s[0][1] + s[0][2], b = s[0][1] - s[0][2] - s[0][3];
  const V c = s[1][0] + s[1][1] + s[1][2], d = s[1][1] - s[1][2] - s[1][3];
  constexpr int L = kLanes<V>;
  V lo, hi;
  interleave(a, b, lo, hi);
  store(out0 + 2 * j, lo);
  store(out0 + 2 * j + L, hi);
  interleave(c, d, lo, hi);
  store(out1 + 2 * j, lo);
  store(out1 + 2 * j + L, hi);
}

template <typename V>
TORCHLET_INLINE void output_transform(const float* m, int64_t es, int count, float* out0, float* out1) {
  for (int j = 0; j < count; j += kLanes<V>) output_tiles<V>(m, es, j, out0, out1);
}

TORCHLET_INLINE void add_scalar(float* x, int64_t n, float v) {
  for (int64_t i = 0; i < n; ++i) x[i] += v;
}

// dM = A dY A^T for the lanes of slots from j: slot j's 2x2 grad_output tile is column j of the even and odd split
// rows 0 and 1. Rows of the tile first: (y0, y0 + y1, y0 - y1, -y1), then the same along each row.
template <typename V>
TORCHLET_INLINE void grad_tiles(const float* const* ev, const float* const* od, float* const* out, int j) {
  const V a00 = load<V>(ev[0] + j), a01 = load<V>(od[0] + j), a10 = load<V>(ev[1] + j), a11 = load<V>(od[1] + j);
  const V rr[4][2] = {{a00, a01}, {a00 + a10, a01 + a11}, {a00 - a10, a01 - a11}, {-a10, -a11}};
  for (int q = 0; q < 4; ++q) {
    store(out[4 * q + 0] + j, rr[q][0]);
    store(out[4 * q + 1] + j, rr[q][0] + rr[q][1]);
    store(out[4 * q + 2] + j, rr[q][0] - rr[q][1]);
    store(out[4 * q + 3] + j, -rr[q][1]);
  }
}

// dM for slots [0, count) (and up to 15 more) from split rows rs apart: value e of slot j at m[e * es + j].
template <typename V>
TORCHLET_INLINE void grad_output_transform(const float* rows, int64_t rs, int count, float* m, int64_t es) {
  const float* ev[2] = {rows, rows + rs};
  const float* od[2] = {rows + 4 * rs, rows + 5 * rs};
  float* out[16];
  for (int e = 0; e < 16; ++e) out[e] = m + e * es;
  for (int j = 0; j < count; j += kLanes<V>) grad_tiles<V>(ev, od, out, j);
}

// The block transforms below are compiled for each instruction set (see transforms()) with the row splits and tile
// transforms above inlined: called once per row of a few floats, those helpers cost more in calls than in work.

// V [16][cin][slots] for the block's slots, from input x [n, cin, h, w].
template <typename V>
TORCHLET_INLINE void transform_block_input(const float* x, const Plan& p, const std::vector<Run>& runs, int slots, float* rows, float* v) {
  const int64_t es = value_stride(p, p.cin), rs = row_stride(p);
  const float* end = x + int64_t(p.n) * p.cin * p.h * p.w;
  for (int c = 0; c < p.cin; ++c) {
    if (c + kPrefetchAhead < p.cin)
      for (const Run& r : runs)
        prefetch_rows(x + (int64_t(r.img) * p.cin + c + kPrefetchAhead) * p.h * p.w, p.h, p.w, 2 * r.ti - p.ph, 4,
                      2 * r.tj - p.pw, 2 * r.len + 2);
    for (const Run& r : runs) {
      split_rows<V>(x + (int64_t(r.img) * p.cin + c) * p.h * p.w, end, p.h, p.w, 2 * r.ti - p.ph, 2 * r.tj - p.pw, r.len,
                 rows, rs, r.slot);
    }
    input_transform<V>(rows, rs, slots, v + int64_t(c) * p.slots, es);
  }
}

// Y = A^T M A (+ bias) for the block: M [16][kp][slots] -> y [n, cout, oh, ow].
template <typename V>
TORCHLET_INLINE void transform_block_output(const float* m, const float* bias, const Plan& p, const std::vector<Run>& runs, int slots,
                            float* rows, float* y) {
  const int64_t es = value_stride(p, p.kp);
  float* out0 = rows;
  float* out1 = rows + 2 * int64_t(p.slots);
  for (int k = 0; k < p.cout; ++k) {
    output_transform<V>(m + int64_t(k) * p.slots, es, slots, out0, out1);
    if (bias) add_scalar(out0, 4 * int64_t(p.slots), bias[k]);
    for (const Run& r : runs) {
      const int i0 = 2 * r.ti, j0 = 2 * r.tj, cols = std::min(2 * r.len, p.ow - j0);
      float* yk = y + (int64_t(r.img) * p.cout + k) * p.oh * p.ow + int64_t(i0) * p.ow + j0;
      const float* __restrict top = out0 + 2 * r.slot;
      for (int q = 0; q < cols; ++q) yk[q] = top[q];
      if (i0 + 1 < p.oh) {
        const float* __restrict bottom = out1 + 2 * r.slot;
        for (int q = 0; q < cols; ++q) yk[p.ow + q] = bottom[q];
      }
    }
  }
}

// dM [16][cout][slots] = A dY A^T for each 2x2 tile of grad_output gy [n, cout, oh, ow] in the block (zero past its
// edges and in spare slots).
template <typename V>
TORCHLET_INLINE void transform_block_grad(const float* gy, const Plan& p, const std::vector<Run>& runs, int slots,
                                               float* rows, float* m) {
  const float* end = gy + int64_t(p.n) * p.cout * p.oh * p.ow;
  const int64_t es = value_stride(p, p.cout), rs = row_stride(p);
  for (int o = 0; o < p.cout; ++o) {
    if (o + kPrefetchAhead < p.cout)
      for (const Run& r : runs)
        prefetch_rows(gy + (int64_t(r.img) * p.cout + o + kPrefetchAhead) * p.oh * p.ow, p.oh, p.ow, 2 * r.ti, 2,
                      2 * r.tj, 2 * r.len + 2);
    for (const Run& r : runs) {
      const float* plane = gy + (int64_t(r.img) * p.cout + o) * p.oh * p.ow;
      split_rows<V>(plane, end, p.oh, p.ow, 2 * r.ti, 2 * r.tj, r.len, rows, rs, r.slot, 2);
    }
    float* mo = m + int64_t(o) * p.slots;
    grad_output_transform<V>(rows, rs, slots, mo, es);
    for (const Run& r : runs)
      for (int e = 0; e < 16; ++e) mo[e * es + r.slot + r.len] = 0.0f;
  }
}

// The three block transforms built for one instruction set, 16 lanes on AVX-512, 8 on AVX2 and baseline x86-64.
struct Blocks {
  void (*input)(const float*, const Plan&, const std::vector<Run>&, int, float*, float*);
  void (*output)(const float*, const float*, const Plan&, const std::vector<Run>&, int, float*, float*);
  void (*grad)(const float*, const Plan&, const std::vector<Run>&, int, float*, float*);
};
#define TORCHLET_WINOGRAD_BLOCKS(name, attrs, V)                                                                   \
  attrs void name##_input(const float* x, const Plan& p, const std::vector<Run>& runs, int slots, float* rows,     \
                          float* v) {                                                                              \
    transform_block_input<V>(x, p, runs, slots, rows, v);                                                          \
  }                                                                                                                \
  attrs void name##_output(const float* m, const float* bias, const Plan& p, const std::vector<Run>& runs,         \
                           int slots, float* rows, float* y) {                                                     \
    transform_block_output<V>(m, bias, p, runs, slots, rows, y);                                                   \
  }                                                                                                                \
  attrs void name##_grad(const float* gy, const Plan& p, const std::vector<Run>& runs, int slots, float* rows,     \
                         float* m) {                                                                               \
    transform_block_grad<V>(gy, p, runs, slots, rows, m);                                                          \
  }                                                                                                                \
  constexpr Blocks name{name##_input, name##_output, name##_grad};
TORCHLET_WINOGRAD_BLOCKS(baseline, , f8)
#if defined(__x86_64__)
TORCHLET_WINOGRAD_BLOCKS(blocks_avx2, __attribute__((target("arch=x86-64-v3"))), f8)
TORCHLET_WINOGRAD_BLOCKS(blocks_avx512, __attribute__((target("arch=x86-64-v4"))), f16)
#endif
#undef TORCHLET_WINOGRAD_BLOCKS

// The widest transforms gemm::isa() allows.
const Blocks& transforms() {
  static const Blocks b = [] {
#if defined(__x86_64__)
    if (gemm::isa() == gemm::Isa::avx512) return blocks_avx512;
    if (gemm::isa() == gemm::Isa::avx2) return blocks_avx2;
#endif
    return baseline;
  }();
  return b;
}

// U = G g G^T for every filter, packed for the micro-kernel as [16][kp / mr][cin][mr] (zero rows past cout).
// flip: the filter of output channel o and input channel i is w[i][o] rotated by 180 degrees (input gradient).
void pack_weight(const float* w, const Plan& p, bool flip, float* up) {
  const int mr = p.mr;
  std::fill(up, up + 16 * int64_t(p.kp) * p.cin, 0.0f);
  const int64_t es = int64_t(p.kp) * p.cin;
  for (int o = 0; o < p.cout; ++o) {
    for (int i = 0; i < p.cin; ++i) {
      float gm[3][3];
      const float* src = flip ? w + (int64_t(i) * p.cout + o) * 9 : w + (int64_t(o) * p.cin + i) * 9;
      for (int r = 0; r < 3; ++r)
        for (int s = 0; s < 3; ++s) gm[r][s] = flip ? src[(2 - r) * 3 + (2 - s)] : src[r * 3 + s];
      float t[4][3];
      for (int s = 0; s < 3; ++s) {
        t[0][s] = gm[0][s];
        t[1][s] = 0.5f * (gm[0][s] + gm[1][s] + gm[2][s]);
        t[2][s] = 0.5f * (gm[0][s] - gm[1][s] + gm[2][s]);
        t[3][s] = gm[2][s];
      }
      float* dst = up + (int64_t(o / mr) * p.cin + i) * mr + o % mr;
      for (int r = 0; r < 4; ++r) {
        dst[(4 * r + 0) * es] = t[r][0];
        dst[(4 * r + 1) * es] = 0.5f * (t[r][0] + t[r][1] + t[r][2]);
        dst[(4 * r + 2) * es] = 0.5f * (t[r][0] - t[r][1] + t[r][2]);
        dst[(4 * r + 3) * es] = t[r][2];
      }
    }
  }
}

// The convolution of plan p with the packed weight up: y = conv(x).
void run_forward(const float* x, const float* up, const float* bias, float* y, const Plan& p, int threads, float* ws) {
  const Micro mk = micro();
  const int64_t per_thread = forward_thread_size(p);
  parallel_for(p.blocks(), threads, [&](int64_t b, int t) {
    thread_local std::vector<Run> runs;
    float* rows = ws + t * per_thread;
    float* v = rows + rows_size(p);
    float* m = v + 16 * value_stride(p, p.cin);
    const int slots = block_runs(p, b, runs);
    transforms().input(x, p, runs, slots, rows, v);
    for (int e = 0; e < 16; ++e) {
      const float* ue = up + e * int64_t(p.kp) * p.cin;
      const float* ve = v + e * value_stride(p, p.cin);
      float* me = m + e * value_stride(p, p.kp);
      for (int j = 0; j < slots;) {
        // Two strips at once where both lie inside the block's rows (the second may be all spare slots: junk
        // columns, as the narrow kernel would leave them).
        const bool two = mk.wide && j + 2 * kNR <= p.slots;
        const MicroFn fn = two ? mk.wide : mk.fn;
        for (int o = 0; o < p.kp; o += mk.mr) fn(p.cin, ue + int64_t(o) * p.cin, ve + j, p.slots, me + int64_t(o) * p.slots + j, p.slots, false);
        j += two ? 2 * kNR : kNR;
      }
    }
    transforms().output(m, bias, p, runs, slots, rows, y);
  });
}

}  // namespace
}  // namespace winograd_detail

namespace winograd {

bool applies(const ConvGeometry& g) {
  // Below a few channels the transforms cost more than the multiplies they save.
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.groups == 1 && g.ph <= 2 &&
         g.pw <= 2 && g.c >= 4 && g.oc >= 4;
}

int64_t workspace(const ConvGeometry& g, int threads) {
  using namespace winograd_detail;
  const Plan f = forward_plan(g), bi = input_grad_plan(g);
  const int64_t fwd = 16 * int64_t(f.kp) * f.cin + threads * forward_thread_size(f);
  const int64_t bwd = 16 * int64_t(bi.kp) * bi.cin + threads * forward_thread_size(bi);
  return std::max({fwd, bwd, threads * weight_thread_size(f) + weight_chunks(f, threads) * weight_sum_size(f)});
}

void forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g, int threads, float* ws) {
  using namespace winograd_detail;
  const Plan p = forward_plan(g);
  pack_weight(w, p, false, ws);
  run_forward(x, ws, bias, y, p, threads, ws + 16 * int64_t(p.kp) * p.cin);
}

void backward_input(const float* gy, const float* w, float* gx, const ConvGeometry& g, int threads, float* ws) {
  using namespace winograd_detail;
  const Plan p = input_grad_plan(g);
  pack_weight(w, p, true, ws);
  run_forward(gy, ws, nullptr, gx, p, threads, ws + 16 * int64_t(p.kp) * p.cin);
}

void backward_weight(const float* x, const float* gy, float* gw, const ConvGeometry& g, int threads, float* ws) {
  using namespace winograd_detail;
  const Plan p = forward_plan(g);
  const Micro mk = micro();
  const int64_t per_thread = weight_thread_size(p);
  const int64_t vsize = 16 * value_stride(p, p.cin), vtsize = 16 * int64_t(p.slots) * p.cp;
  const int64_t msize = 16 * value_stride(p, p.cout);
  const int64_t usize = weight_sum_size(p), chunks = weight_chunks(p, threads), blocks = p.blocks();
  auto scratch = [&](int t) { return ws + t * per_thread; };
  float* sums = ws + threads * per_thread;
  // V^T's columns past cin stay zero; each chunk's dU starts at zero.
  for (int t = 0; t < threads; ++t) {
    float* vt = scratch(t) + rows_size(p) + vsize;
    std::fill(vt, vt + vtsize, 0.0f);
  }
  std::fill(sums, sums + chunks * usize, 0.0f);
  parallel_for(chunks, threads, [&](int64_t chunk, int t) {
    for (int64_t b = blocks * chunk / chunks; b < blocks * (chunk + 1) / chunks; ++b) {
      thread_local std::vector<Run> runs;
      float* rows = scratch(t);
      float* v = rows + rows_size(p);
      float* vt = v + vsize;
      float* m = vt + vtsize;
      float* dm = m + msize;
      float* du = sums + chunk * usize;
      const int slots = block_runs(p, b, runs);
      transforms().input(x, p, runs, slots, rows, v);
      // V^T [16][slots][cp]: slots become the GEMM's inner dimension; spare slots are zero.
      for (int e = 0; e < 16; ++e) {
        float* vte = vt + e * int64_t(p.slots) * p.cp;
        gemm::transpose(v + e * value_stride(p, p.cin), p.slots, p.cin, slots, vte, p.cp);
        for (const Run& r : runs) {
          float* spare = vte + int64_t(r.slot + r.len) * p.cp;
          std::fill(spare, spare + p.cin, 0.0f);
        }
      }
      // dM [16][cout][slots] = A dY A^T for each 2x2 tile of grad_output (zero past its edges and in spare slots),
      // then packed for the micro-kernel as [16][kp / mr][slots][mr].
      const int64_t es = value_stride(p, p.cout);
      transforms().grad(gy, p, runs, slots, rows, m);
      for (int e = 0; e < 16; ++e) gemm::pack_a(m + e * es, p.slots, 1, p.cout, slots, dm + e * int64_t(p.kp) * p.slots);
      // dU [16][kp][cp] += dM V^T over the block's slots.
      for (int e = 0; e < 16; ++e) {
        const float* dme = dm + e * int64_t(p.kp) * p.slots;
        const float* vte = vt + e * int64_t(p.slots) * p.cp;
        float* due = du + e * int64_t(p.kp) * p.cp;
        for (int c = 0; c < p.cp;) {
          const bool two = mk.wide && c + 2 * kNR <= p.cp;
          const MicroFn fn = two ? mk.wide : mk.fn;
          for (int o = 0; o < p.kp; o += mk.mr) fn(slots, dme + int64_t(o) * slots, vte + c, p.cp, due + int64_t(o) * p.cp + c, p.cp, true);
          c += two ? 2 * kNR : kNR;
        }
      }
    }
  });
  // Sum the chunks' dU in order, then gw = G^T dU G for every filter.
  float* du = sums;
  for (int64_t c = 1; c < chunks; ++c) {
    const float* other = sums + c * usize;
    for (int64_t i = 0; i < usize; ++i) du[i] += other[i];
  }
  const int64_t es = int64_t(p.kp) * p.cp;
  for (int o = 0; o < p.cout; ++o) {
    for (int c = 0; c < p.cin; ++c) {
      const float* u = du + int64_t(o) * p.cp + c;
      float t[4][3];  // dU G, row by row
      for (int r = 0; r < 4; ++r) {
        const float u0 = u[(4 * r) * es], u1 = u[(4 * r + 1) * es], u2 = u[(4 * r + 2) * es], u3 = u[(4 * r + 3) * es];
        t[r][0] = u0 + 0.5f * (u1 + u2);
        t[r][1] = 0.5f * (u1 - u2);
        t[r][2] = 0.5f * (u1 + u2) + u3;
      }
      float* dst = gw + (int64_t(o) * p.cin + c) * 9;
      for (int s = 0; s < 3; ++s) {
        dst[0 * 3 + s] = t[0][s] + 0.5f * (t[1][s] + t[2][s]);
        dst[1 * 3 + s] = 0.5f * (t[1][s] - t[2][s]);
        dst[2 * 3 + s] = 0.5f * (t[1][s] + t[2][s]) + t[3][s];
      }
    }
  }
}

}  // namespace winograd
}  // namespace torchlet
