// The micro-kernel, packing and edge handling behind gemm.h.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "kernels.h"
#include "simd.h"

namespace torchlet {

namespace gemm_detail {
namespace {

using gemm::kNR;

template <int MR>
void micro_generic(int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool acc) {
  float t[MR][kNR] = {};
  for (int p = 0; p < kc; ++p, a += MR, b += ldb)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < kNR; ++j) t[i][j] += a[i] * b[j];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < kNR; ++j) c[i * ldc + j] = acc ? c[i * ldc + j] + t[i][j] : t[i][j];
}

#if defined(__x86_64__) || defined(__i386__)
template <int MR>
__attribute__((target("avx2,fma"), always_inline)) inline void micro_x86(int kc, const float* a, const float* b,
                                                                         int64_t ldb, float* c, int64_t ldc, bool acc) {
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
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    if (acc) {
      c0[i] = _mm256_add_ps(c0[i], _mm256_loadu_ps(ci));
      c1[i] = _mm256_add_ps(c1[i], _mm256_loadu_ps(ci + 8));
    }
    _mm256_storeu_ps(ci, c0[i]);
    _mm256_storeu_ps(ci + 8, c1[i]);
  }
}
// 16 ymm registers: 6 rows (12 accumulators).
__attribute__((target("avx2,fma"))) void micro_avx2(int kc, const float* a, const float* b, int64_t ldb, float* c,
                                                    int64_t ldc, bool acc) {
  micro_x86<6>(kc, a, b, ldb, c, ldc, acc);
}
// AVX-512: a row of the strip is one zmm, 8 rows (no padding for the usual multiple-of-8 channel counts). Where the
// CPU runs 512-bit FMAs at full width (Zen 5 here) this is 1.6-1.8 times the 8 x 16 tile in ymm halves it replaced;
// every element is summed in the same order, so the results are the same bits.
__attribute__((target("avx512f,avx2,fma"))) void micro_avx512(int kc, const float* a, const float* b, int64_t ldb,
                                                              float* c, int64_t ldc, bool acc) {
  constexpr int kMR = 8;
  __m512 t[kMR];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) t[i] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMR, b += ldb) {
    const __m512 bp = _mm512_loadu_ps(b);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) t[i] = _mm512_fmadd_ps(_mm512_set1_ps(a[i]), bp, t[i]);
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    if (acc) t[i] = _mm512_add_ps(t[i], _mm512_loadu_ps(ci));
    _mm512_storeu_ps(ci, t[i]);
  }
}
// 8 rows by two zmm (32 columns): 16 accumulators, 2 loads of b and 8 broadcasts for 16 FMAs, where the one-zmm
// tile needs 9 loads for 8 and waits on the load ports.
__attribute__((target("avx512f,avx2,fma"))) void micro_avx512_wide(int kc, const float* a, const float* b, int64_t ldb,
                                                                   float* c, int64_t ldc, bool acc) {
  constexpr int kMR = 8;
  __m512 t0[kMR], t1[kMR];
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) t0[i] = t1[i] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMR, b += ldb) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      t0[i] = _mm512_fmadd_ps(ai, b0, t0[i]);
      t1[i] = _mm512_fmadd_ps(ai, b1, t1[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    if (acc) {
      t0[i] = _mm512_add_ps(t0[i], _mm512_loadu_ps(ci));
      t1[i] = _mm512_add_ps(t1[i], _mm512_loadu_ps(ci + 16));
    }
    _mm512_storeu_ps(ci, t0[i]);
    _mm512_storeu_ps(ci + 16, t1[i]);
  }
}
#endif

}  // namespace
}  // namespace gemm_detail

namespace gemm {

// The widest kernel this CPU runs. TORCHLET_MICROKERNEL=avx2 or portable picks a narrower one (the kernel tests
// run each), if the CPU has it.
const Micro& micro() {
  static const Micro m = [] {
    const char* force = std::getenv("TORCHLET_MICROKERNEL");
    const std::string want = force ? force : "";
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool fma = __builtin_cpu_supports("fma");
    if (want.empty() && __builtin_cpu_supports("avx512f") && fma) return Micro{8, gemm_detail::micro_avx512, gemm_detail::micro_avx512_wide};
    if ((want.empty() || want == "avx2") && __builtin_cpu_supports("avx2") && fma) return Micro{6, gemm_detail::micro_avx2};
#endif
    return Micro{4, gemm_detail::micro_generic<4>};
  }();
  return m;
}

TORCHLET_SIMD_CLONES void transpose(const float* src, int64_t lds, int rows, int64_t cols, float* dst, int64_t ldd) {
  int r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8) {
    int64_t c0 = 0;
    for (; c0 + 8 <= cols; c0 += 8) transpose8x8(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
    for (; c0 < cols; ++c0)
      for (int r = r0; r < r0 + 8; ++r) dst[c0 * ldd + r] = src[r * lds + c0];
  }
  for (int64_t c = 0; c < cols; ++c)
    for (int r = r0; r < rows; ++r) dst[c * ldd + r] = src[r * lds + c];
}

void pack_a(const float* a, int64_t rs, int64_t cs, int m, int k, float* out) {
  const int mr = micro().mr;
  for (int i0 = 0; i0 < m; i0 += mr, out += int64_t(k) * mr) {
    const int rows = std::min(mr, m - i0);
    if (cs == 1) {
      transpose(a + i0 * rs, rs, rows, k, out, mr);
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

void multiply(int m, int n, int k, const float* ap, const float* b, int64_t ldb, float* c, int64_t ldc, bool acc,
              float* scratch) {
  const Micro mk = micro();
  float* bpad = scratch;
  float* ctmp = scratch + int64_t(k) * kNR;
  int j = 0;
  if (mk.wide) {
    // Full 32-column strips first, through the wide kernel; the rest as below.
    for (; j + 2 * kNR <= n; j += 2 * kNR) {
      int i = 0;
      for (; i + mk.mr <= m; i += mk.mr) mk.wide(k, ap + int64_t(i) * k, b + j, ldb, c + int64_t(i) * ldc + j, ldc, acc);
      for (int h = 0; h < 2 && i < m; ++h) {
        const int rows = m - i;
        const float* ai = ap + int64_t(i) * k;
        float* ci = c + int64_t(i) * ldc + j + h * kNR;
        mk.fn(k, ai, b + j + h * kNR, ldb, ctmp, kNR, false);
        for (int r = 0; r < rows; ++r)
          for (int q = 0; q < kNR; ++q) ci[r * ldc + q] = acc ? ci[r * ldc + q] + ctmp[r * kNR + q] : ctmp[r * kNR + q];
      }
    }
  }
  for (; j < n; j += kNR) {
    const int cols = std::min(kNR, n - j);
    const float* bj = b + j;
    int64_t ld = ldb;
    if (cols < kNR) {
      // The last columns, zero-padded to a full strip.
      for (int p = 0; p < k; ++p) {
        std::copy(b + p * ldb + j, b + p * ldb + j + cols, bpad + int64_t(p) * kNR);
        std::fill(bpad + int64_t(p) * kNR + cols, bpad + int64_t(p + 1) * kNR, 0.0f);
      }
      bj = bpad;
      ld = kNR;
    }
    for (int i = 0; i < m; i += mk.mr) {
      const int rows = std::min(mk.mr, m - i);
      const float* ai = ap + int64_t(i) * k;
      float* ci = c + int64_t(i) * ldc + j;
      if (rows == mk.mr && cols == kNR) {
        mk.fn(k, ai, bj, ld, ci, ldc, acc);
        continue;
      }
      mk.fn(k, ai, bj, ld, ctmp, kNR, false);
      for (int r = 0; r < rows; ++r)
        for (int q = 0; q < cols; ++q) ci[r * ldc + q] = acc ? ci[r * ldc + q] + ctmp[r * kNR + q] : ctmp[r * kNR + q];
    }
  }
}

}  // namespace gemm
}  // namespace torchlet
