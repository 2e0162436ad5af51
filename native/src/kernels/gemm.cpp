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
// AVX-512: 8 rows of NZ zmm each (16 or 32 columns; no padding for the usual multiple-of-8 channel counts). Where the
// CPU runs 512-bit FMAs at full width (Zen 5 here) one zmm per row is 1.6-1.8 times the 8 x 16 tile in ymm halves it
// replaced. Two per row (16 accumulators) need 2 loads of b and 8 broadcasts for 16 FMAs, where one per row needs 9
// loads for 8 and waits on the load ports. Every element is summed in the same order, so the results are the same
// bits whichever tile computes them.
template <int NZ>
__attribute__((target("avx512f,avx2,fma"), always_inline)) inline void micro_zmm(int kc, const float* a, const float* b,
                                                                                 int64_t ldb, float* c, int64_t ldc,
                                                                                 bool acc) {
  constexpr int kMR = 8;
  __m512 t[kMR][NZ];
#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i)
    for (int z = 0; z < NZ; ++z) t[i][z] = _mm512_setzero_ps();
  for (int p = 0; p < kc; ++p, a += kMR, b += ldb) {
    __m512 bz[NZ];
    for (int z = 0; z < NZ; ++z) bz[z] = _mm512_loadu_ps(b + 16 * z);
#pragma GCC unroll 8
    for (int i = 0; i < kMR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      for (int z = 0; z < NZ; ++z) t[i][z] = _mm512_fmadd_ps(ai, bz[z], t[i][z]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < kMR; ++i) {
    float* ci = c + i * ldc;
    for (int z = 0; z < NZ; ++z) {
      if (acc) t[i][z] = _mm512_add_ps(t[i][z], _mm512_loadu_ps(ci + 16 * z));
      _mm512_storeu_ps(ci + 16 * z, t[i][z]);
    }
  }
}
__attribute__((target("avx512f,avx2,fma"))) void micro_avx512(int kc, const float* a, const float* b, int64_t ldb,
                                                              float* c, int64_t ldc, bool acc) {
  micro_zmm<1>(kc, a, b, ldb, c, ldc, acc);
}
__attribute__((target("avx512f,avx2,fma"))) void micro_avx512_wide(int kc, const float* a, const float* b, int64_t ldb,
                                                                   float* c, int64_t ldc, bool acc) {
  micro_zmm<2>(kc, a, b, ldb, c, ldc, acc);
}
#endif

}  // namespace
}  // namespace gemm_detail

namespace gemm {

Isa isa() {
  static const Isa level = [] {
    const char* force = std::getenv("TORCHLET_MICROKERNEL");
    const std::string want = force ? force : "";
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (want.empty() && __builtin_cpu_supports("x86-64-v4")) return Isa::avx512;
    if ((want.empty() || want == "avx2") && __builtin_cpu_supports("x86-64-v3")) return Isa::avx2;
#endif
    return Isa::portable;
  }();
  return level;
}

// The widest kernel isa() allows.
const Micro& micro() {
  static const Micro m = [] {
#if defined(__x86_64__) || defined(__i386__)
    if (isa() == Isa::avx512) return Micro{8, gemm_detail::micro_avx512, gemm_detail::micro_avx512_wide};
    if (isa() == Isa::avx2) return Micro{6, gemm_detail::micro_avx2};
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
  // A tile cut by the bottom or right edge: computed whole into ctmp, its rows x cols inside c stored.
  auto edge = [&](int i, int j, const float* bj, int64_t ld, int cols) {
    const int rows = std::min(mk.mr, m - i);
    float* ci = c + int64_t(i) * ldc + j;
    mk.fn(k, ap + int64_t(i) * k, bj, ld, ctmp, kNR, false);
    for (int r = 0; r < rows; ++r)
      for (int q = 0; q < cols; ++q) ci[r * ldc + q] = acc ? ci[r * ldc + q] + ctmp[r * kNR + q] : ctmp[r * kNR + q];
  };
  int j = 0;
  // Full 32-column strips first, through the wide kernel where there is one; the rest 16 columns at a time.
  if (mk.wide) {
    for (; j + 2 * kNR <= n; j += 2 * kNR) {
      for (int i = 0; i < m; i += mk.mr) {
        if (i + mk.mr <= m) {
          mk.wide(k, ap + int64_t(i) * k, b + j, ldb, c + int64_t(i) * ldc + j, ldc, acc);
        } else {
          edge(i, j, b + j, ldb, kNR);
          edge(i, j + kNR, b + j + kNR, ldb, kNR);
        }
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
      if (i + mk.mr <= m && cols == kNR) {
        mk.fn(k, ap + int64_t(i) * k, bj, ld, c + int64_t(i) * ldc + j, ldc, acc);
      } else {
        edge(i, j, bj, ld, cols);
      }
    }
  }
}

}  // namespace gemm
}  // namespace torchlet
