// torchlet's blocked float32 GEMM: C = alpha * A B + beta * C for operands of any strides, with packed panels
// (KC x NC of B, MC x KC of A) and a register-tiled micro-kernel: 8 x 32 on AVX-512 (16 zmm accumulators), 6 x 16
// on AVX2, 4 x 16 in portable C++, picked at load time (TORCHLET_MICROKERNEL=avx2 or portable forces a narrower
// one, as for gemm.h's kernel). TORCHLET_SGEMM=openblas hands every product whose layout BLAS takes to OpenBLAS's
// sgemm instead (for comparisons).
//
// Each element of C is one fused multiply-add chain over k in order, k cut into chunks of at most 384 (each
// chunk's sum scaled by alpha and added to C, beta-scaled first): the same sums on the AVX-512 and AVX2 paths, and
// on any number of threads (the work splits over tiles of C, never over k). OpenBLAS's Haswell kernel sums in
// another order (even and odd k apart in some tiles), so results differ from PyTorch's in the last bits.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "gemm.h"
#include "kernels.h"

namespace torchlet {

namespace sgemm_detail {
namespace {

// How the micro-kernel writes its tile: c = alpha * acc, c = beta * c + alpha * acc, or c = c + alpha * acc.
enum Mode { kOverwrite, kScale, kAccumulate };

// One tile: c[rows][cols] (rows < MR, cols < NR at the edges) from kc steps of packed A (kc x MR) and of B's NR
// columns, row p at b + p * ldb (a packed panel, ldb = NR, or B itself). On AVX-512 8 x 32 (16 zmm accumulators) was measured faster here than 10, 12 or 14 rows: for every
// shape of the sequence workloads, by 5-50% (fewer wasted rows at m = 32, 64, 128, and no spills).
using KernelFn = void (*)(int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows,
                          int cols, float alpha, float beta, Mode mode);

struct Kernel {
  int mr, nr;
  KernelFn fn;
};

// The update of one element: alpha * acc rounded, then added to the (scaled) old value.
inline float update(float acc, float* c, float alpha, float beta, Mode mode) {
  const float v = alpha * acc;
  if (mode == kOverwrite) return v;
  return (mode == kScale ? beta * *c : *c) + v;
}

// Writes a tile held in t[MR][NR].
template <int MR, int NR>
inline void write_tile(const float (*t)[NR], float* c, int64_t ldc, int rows, int cols, float alpha, float beta,
                       Mode mode) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) c[i * ldc + j] = update(t[i][j], c + i * ldc + j, alpha, beta, mode);
}

template <int MR, int NR>
void kernel_generic(int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows, int cols,
                    float alpha, float beta, Mode mode) {
  float t[MR][NR] = {};
  for (int p = 0; p < kc; ++p, a += MR, b += ldb)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) t[i][j] += a[i] * b[j];
  write_tile<MR, NR>(t, c, ldc, rows, cols, alpha, beta, mode);
}

#if defined(__x86_64__) || defined(__i386__)
template <int MR>
__attribute__((target("avx2,fma"))) void kernel_avx2(int kc, const float* a, const float* b, int64_t ldb, float* c,
                                                     int64_t ldc, int rows, int cols, float alpha, float beta,
                                                     Mode mode) {
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) c0[i] = c1[i] = _mm256_setzero_ps();
  for (int p = 0; p < kc; ++p, a += MR, b += ldb) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
  }
  if (rows == MR && cols == 16) {
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, c0[i]), r1 = _mm256_mul_ps(va, c1[i]);
      if (mode != kOverwrite) {
        __m256 o0 = _mm256_loadu_ps(ci), o1 = _mm256_loadu_ps(ci + 8);
        if (mode == kScale) o0 = _mm256_mul_ps(vb, o0), o1 = _mm256_mul_ps(vb, o1);
        r0 = _mm256_add_ps(o0, r0);
        r1 = _mm256_add_ps(o1, r1);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
    return;
  }
  float t[MR][16];
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(t[i], c0[i]);
    _mm256_storeu_ps(t[i] + 8, c1[i]);
  }
  write_tile<MR, 16>(t, c, ldc, rows, cols, alpha, beta, mode);
}

template <int MR>
__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma"))) void kernel_avx512(
    int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, int rows, int cols, float alpha,
    float beta, Mode mode) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) c0[i] = c1[i] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += MR, b += ldb) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? __mmask16(0) : __mmask16((1u << (cols - 16)) - 1);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, c0[i]), r1 = _mm512_mul_ps(va, c1[i]);
    if (mode != kOverwrite) {
      __m512 o0 = _mm512_maskz_loadu_ps(m0, ci), o1 = _mm512_maskz_loadu_ps(m1, ci + 16);
      if (mode == kScale) o0 = _mm512_mul_ps(vb, o0), o1 = _mm512_mul_ps(vb, o1);
      r0 = _mm512_add_ps(o0, r0);
      r1 = _mm512_add_ps(o1, r1);
    }
    _mm512_mask_storeu_ps(ci, m0, r0);
    _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}
#endif

const Kernel& kernel() {
  static const Kernel k = [] {
#if defined(__x86_64__) || defined(__i386__)
    if (gemm::isa() == gemm::Isa::avx512) return Kernel{8, 32, kernel_avx512<8>};
    if (gemm::isa() == gemm::Isa::avx2) return Kernel{6, 16, kernel_avx2<6>};
#endif
    return Kernel{4, 16, kernel_generic<4, 16>};
  }();
  return k;
}

// The length of the next chunk of k when `rest` remains: at most kQ, two near-equal chunks rather than a short tail
// (as OpenBLAS's level3.c cuts k).
constexpr int64_t kQ = 384, kUnroll = 16;
inline int64_t kc_next(int64_t rest) {
  if (rest >= 2 * kQ) return kQ;
  if (rest > kQ) return (rest / 2 + kUnroll - 1) / kUnroll * kUnroll;
  return rest;
}

// Packs rows [0, m) x k of A (element (i, p) at a[i * rs + p * cs]) as ceil(m / mr) panels of k x mr, zero past m.
void pack_a(const float* a, int64_t rs, int64_t cs, int m, int k, int mr, float* out) {
  for (int i0 = 0; i0 < m; i0 += mr, out += int64_t(k) * mr) {
    const int rows = std::min(mr, m - i0);
    if (cs == 1) {
      gemm::transpose(a + i0 * rs, rs, rows, k, out, mr);
    } else if (rs == 1) {
      for (int p = 0; p < k; ++p) std::memcpy(out + int64_t(p) * mr, a + i0 + p * cs, sizeof(float) * size_t(rows));
    } else {
      for (int p = 0; p < k; ++p)
        for (int i = 0; i < rows; ++i) out[int64_t(p) * mr + i] = a[(i0 + i) * rs + p * cs];
    }
    if (rows < mr)
      for (int p = 0; p < k; ++p) std::fill(out + int64_t(p) * mr + rows, out + int64_t(p + 1) * mr, 0.0f);
  }
}

// Packs k x columns [0, n) of B (element (p, j) at b[p * rs + j * cs]) as ceil(n / nr) panels of k x nr, zero past n.
void pack_b(const float* b, int64_t rs, int64_t cs, int k, int n, int nr, float* out) {
  for (int j0 = 0; j0 < n; j0 += nr, out += int64_t(k) * nr) {
    const int cols = std::min(nr, n - j0);
    if (cs == 1) {
      for (int p = 0; p < k; ++p) std::memcpy(out + int64_t(p) * nr, b + p * rs + j0, sizeof(float) * size_t(cols));
    } else if (rs == 1) {
      gemm::transpose(b + j0 * cs, cs, cols, k, out, nr);
    } else {
      for (int p = 0; p < k; ++p)
        for (int j = 0; j < cols; ++j) out[int64_t(p) * nr + j] = b[p * rs + (j0 + j) * cs];
    }
    if (cols < nr)
      for (int p = 0; p < k; ++p) std::fill(out + int64_t(p) * nr + cols, out + int64_t(p + 1) * nr, 0.0f);
  }
}

// Scratch of one thread, 64-byte aligned, grown on demand and kept.
struct Scratch {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> buf;
  int64_t size = 0;
  float* get(int64_t n) {
    if (n > size) {
      const int64_t bytes = (n * int64_t(sizeof(float)) + 63) / 64 * 64;
      float* p = static_cast<float*>(std::aligned_alloc(64, size_t(bytes)));
      if (!p) throw std::bad_alloc();
      buf.reset(p);
      size = n;
    }
    return buf.get();
  }
};
Scratch& scratch(int which) {
  thread_local Scratch s[2];
  return s[which];
}

// Rows of A per packed block, columns of B per packed panel.
constexpr int kMC = 144, kNC = 512;
// Products of at most this many rows read B in place when its rows are contiguous. Packing B costs a pass over it
// (30% of [32, 128] x [128, 512], an LSTM's gates), paid back only when many tiles of A reuse the panels: read in
// place at a power-of-two row stride, a panel crowds a few L1 sets and comes from L2 for every tile (at 128 rows and
// k = 32, a weight's gradient over a batch, in place was slower; at 1024 rows 30% slower). Only a last panel
// narrower than NR is packed then (padded with zeros), and B of other layouts.
constexpr int64_t kDirectM = 64;

void serial(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
            int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    // Nothing to multiply: C scaled by beta (zeroed for beta 0, as BLAS does, so NaN in C goes too).
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta == 1.0f ? c[i * ldc + j] : beta * c[i * ldc + j];
    return;
  }
  const Kernel& kn = kernel();
  const int mr = kn.mr, nr = kn.nr;
  const int64_t mc_max = std::min<int64_t>(gemm::round_up(m, mr), kMC / mr * mr);
  const int64_t nc_max = std::min<int64_t>(gemm::round_up(n, nr), kNC);
  for (int64_t pc = 0; pc < k;) {
    const int64_t kc = kc_next(k - pc);
    const Mode mode = pc > 0 || beta == 1.0f ? kAccumulate : beta == 0.0f ? kOverwrite : kScale;
    float* bp = scratch(0).get(kc * nc_max);
    float* ap = scratch(1).get(kc * mc_max);
    for (int64_t jc = 0; jc < n; jc += nc_max) {
      const int nc = int(std::min(nc_max, n - jc));
      // B with contiguous rows is read in place, NR columns at a time, when A has at most kDirectM rows.
      const int direct = bcs == 1 && m <= kDirectM ? nc / nr * nr : 0;
      if (direct < nc) pack_b(b + pc * brs + (jc + direct) * bcs, brs, bcs, int(kc), nc - direct, nr, bp);
      for (int64_t ic = 0; ic < m; ic += mc_max) {
        const int mc = int(std::min(mc_max, m - ic));
        pack_a(a + ic * ars + pc * acs, ars, acs, mc, int(kc), mr, ap);
        for (int jr = 0; jr < nc; jr += nr) {
          const bool in_place = jr < direct;
          const float* bj = in_place ? b + pc * brs + jc + jr : bp + int64_t(jr - direct) * kc;
          const int64_t ldb = in_place ? brs : nr;
          for (int ir = 0; ir < mc; ir += mr)
            kn.fn(int(kc), ap + int64_t(ir) * kc, bj, ldb, c + (ic + ir) * ldc + jc + jr, ldc, std::min(mr, mc - ir),
                  std::min(nr, nc - jr), alpha, beta, mode);
        }
      }
    }
    pc += kc;
  }
}

// Products of fewer multiply-adds than this run on the caller alone.
constexpr int64_t kParallelWork = int64_t(1) << 21;

// TORCHLET_SGEMM=openblas: cblas_sgemm for a product whose operands it can take (one unit stride each, leading
// dimensions within int). Returns whether it ran.
bool on_openblas(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs,
                 const float* b, int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc) {
  static const bool wanted = [] {
    const char* e = std::getenv("TORCHLET_SGEMM");
    return e && std::string(e) == "openblas";
  }();
  if (!wanted || m <= 0 || n <= 0 || k <= 0 || std::max({m, n, k, ldc}) > INT32_MAX) return false;
  auto layout = [](int64_t rows, int64_t cols, int64_t rs, int64_t cs, CBLAS_TRANSPOSE* t, int* ld) {
    if (cs == 1 && rs >= std::max<int64_t>(cols, 1) && rs <= INT32_MAX) return *t = CblasNoTrans, *ld = int(rs), true;
    if (rs == 1 && cs >= std::max<int64_t>(rows, 1) && cs <= INT32_MAX) return *t = CblasTrans, *ld = int(cs), true;
    return false;
  };
  CBLAS_TRANSPOSE ta, tb;
  int lda, ldb;
  if (!layout(m, k, ars, acs, &ta, &lda) || !layout(k, n, brs, bcs, &tb, &ldb)) return false;
  cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, a, lda, b, ldb, beta, c, int(ldc));
  return true;
}

}  // namespace
}  // namespace sgemm_detail

void sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
           int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc, int threads) {
  using namespace sgemm_detail;
  if (on_openblas(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc)) return;
  const int64_t work = m * n * std::max<int64_t>(k, 1);
  if (threads <= 1 || work < kParallelWork) return serial(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
  // Bands of whole micro-tiles along the longer side of C, each a GEMM of its own: every element is summed as on
  // one thread.
  const Kernel& kn = kernel();
  const bool by_rows = m >= n;
  const int64_t unit = by_rows ? kn.mr : kn.nr, units = ((by_rows ? m : n) + unit - 1) / unit;
  const int64_t tasks = std::min<int64_t>({units, int64_t(threads) * 2, work / (kParallelWork / 2)});
  parallel_for(tasks, threads, [&](int64_t t, int) {
    const int64_t lo = units * t / tasks * unit, hi = std::min(units * (t + 1) / tasks * unit, by_rows ? m : n);
    if (by_rows)
      serial(hi - lo, n, k, alpha, a + lo * ars, ars, acs, b, brs, bcs, beta, c + lo * ldc, ldc);
    else
      serial(m, hi - lo, k, alpha, a, ars, acs, b + lo * bcs, brs, bcs, beta, c + lo, ldc);
  });
}

}  // namespace torchlet
