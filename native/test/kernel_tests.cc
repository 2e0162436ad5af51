// C++ kernel tests, no Node: built and run by `npm run test:kernels` (CMake options TORCHLET_KERNEL_TESTS and
// TORCHLET_SANITIZE), under AddressSanitizer/UBSan, by ctest. Expected values come from naive loops written here, or
// from PyTorch 1.13's seeded streams (the generating call is written beside each list).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#if defined(__linux__)
#include <dirent.h>
#include <sched.h>
#endif

#include "../src/kernels/kernels.h"

using namespace torchlet;

static int failures = 0;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

static bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol * (1 + std::fabs(b)); }

static void test_binary_broadcast() {
  // out[2,3] = a[2,1] (expanded) + b[3] (expanded)
  std::vector<float> a = {1, 2}, b = {10, 20, 30}, out(6);
  const int64_t shape[] = {2, 3};
  const int64_t so[] = {3, 1}, sa[] = {1, 0}, sb[] = {0, 1};
  CHECK(binary(BinaryOp::add, DType::F32, out.data(), DType::F32, a.data(), b.data(), 2, shape, View{0, so},
               View{0, sa}, View{0, sb}));
  const float want[] = {11, 21, 31, 12, 22, 32};
  for (int i = 0; i < 6; ++i) CHECK(out[i] == want[i]);
  CHECK(!binary(BinaryOp::div, DType::I32, out.data(), DType::I32, a.data(), b.data(), 2, shape, View{0, so},
                View{0, sa}, View{0, sb}));
}

static void test_transposed_copy() {
  // 3x4 source read transposed into a contiguous 4x3 destination.
  std::vector<float> src(12), dst(12);
  for (int i = 0; i < 12; ++i) src[i] = float(i);
  const int64_t shape[] = {4, 3}, sd[] = {3, 1}, ss[] = {1, 4};
  copy(DType::F32, dst.data(), DType::F32, src.data(), 2, shape, View{0, sd}, View{0, ss});
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c) CHECK(dst[r * 3 + c] == src[c * 4 + r]);
  std::vector<int32_t> ints(12);
  copy(DType::I32, ints.data(), DType::F32, src.data(), 2, shape, View{0, sd}, View{0, ss});
  CHECK(ints[1] == 4);
}

static void test_parallel_elementwise() {
  // out[5, 100, 211] = a^T (a stored as [5, 211, 100]) + b[100, 1] (broadcast), on 1 and 2 threads: large enough
  // to be split (3 ranges of 35166 or 35167 elements), with ranges that start and end inside rows.
  const int d0 = 5, d1 = 100, d2 = 211;
  std::vector<float> a(size_t(d0) * d1 * d2), b(d1), out(a.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = float(i % 1013) * 0.5f;
  for (int i = 0; i < d1; ++i) b[i] = float(i) * 3.0f;
  const int64_t shape[] = {d0, d1, d2}, so[] = {d1 * d2, d2, 1}, sa[] = {d1 * d2, 1, d1}, sb[] = {0, 1, 0};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::fill(out.begin(), out.end(), -1.0f);
    CHECK(binary(BinaryOp::add, DType::F32, out.data(), DType::F32, a.data(), b.data(), 3, shape, View{0, so},
                 View{0, sa}, View{0, sb}));
    int bad = 0;
    for (int i = 0; i < d0; ++i)
      for (int j = 0; j < d1; ++j)
        for (int k = 0; k < d2; ++k)
          bad += out[(size_t(i) * d1 + j) * d2 + k] != a[(size_t(i) * d2 + k) * d1 + j] + b[j];
    CHECK(bad == 0);
  }
}

static void test_reduce() {
  std::vector<float> x = {3, 1, 4, 1, 5, 9, 2, 6};
  const int64_t shape[] = {2, 4}, st[] = {4, 1};
  const uint8_t rows[] = {0, 1}, cols[] = {1, 0};
  std::vector<float> s(2), m(4);
  std::vector<int32_t> idx(4);
  CHECK(reduce(ReduceOp::sum, DType::F32, s.data(), nullptr, x.data(), 2, shape, View{0, st}, rows));
  CHECK(s[0] == 9 && s[1] == 22);
  CHECK(reduce(ReduceOp::max, DType::F32, m.data(), idx.data(), x.data(), 2, shape, View{0, st}, cols));
  CHECK(m[0] == 5 && m[1] == 9 && m[2] == 4 && m[3] == 6);
  CHECK(idx[0] == 1 && idx[1] == 1 && idx[2] == 0 && idx[3] == 1);
  x[2] = NAN;
  CHECK(reduce(ReduceOp::argmax, DType::F32, nullptr, idx.data(), x.data(), 2, shape, View{0, st}, rows));
  CHECK(idx[0] == 2);
  // A bias-gradient shaped sum, [6, 7, 40, 41] over dims 0, 2 and 3 (7 outputs), and a max over the last dim (1722
  // outputs): on 2 threads the outputs are split, each summed as on 1 thread, so the bits match; the sums match a
  // direct double sum.
  const int64_t big[] = {6, 7, 40, 41}, bst[] = {7 * 40 * 41, 40 * 41, 41, 1};
  std::vector<float> v(size_t(6) * 7 * 40 * 41);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float((i * 2654435761u) % 1000) / 997.0f - 0.5f;
  const uint8_t bias_dims[] = {1, 0, 1, 1}, last[] = {0, 0, 0, 1};
  std::vector<float> s1(7), s2(7), m1(1722), m2(1722);
  std::vector<int32_t> i1(1722), i2(1722);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CHECK(reduce(ReduceOp::sum, DType::F32, (threads == 1 ? s1 : s2).data(), nullptr, v.data(), 4, big, View{0, bst}, bias_dims));
    CHECK(reduce(ReduceOp::max, DType::F32, (threads == 1 ? m1 : m2).data(), (threads == 1 ? i1 : i2).data(), v.data(), 4, big,
                 View{0, bst}, last));
  }
  for (int c = 0; c < 7; ++c) {
    // Float sums add groups of four in float (two roundings) before accumulating in double: within
    // 2u * sum|x| + u * |sum| of the exact sum, u = 2^-24.
    double want = 0, scale = 0;
    for (int n = 0; n < 6; ++n)
      for (int q = 0; q < 40 * 41; ++q) {
        want += v[(size_t(n) * 7 + c) * 1640 + q];
        scale += std::fabs(v[(size_t(n) * 7 + c) * 1640 + q]);
      }
    CHECK(s1[c] == s2[c] && std::fabs(s1[c] - want) <= std::ldexp(2 * scale + std::fabs(want), -24));
  }
  CHECK(m1 == m2 && i1 == i2);
}

static void test_sgemm() {
  const int m = 5, n = 7, k = 9;
  std::vector<float> a(m * k), b(k * n), c(m * n), ref(m * n);
  for (int i = 0; i < m * k; ++i) a[i] = float((i * 7) % 11) - 5;
  for (int i = 0; i < k * n; ++i) b[i] = float((i * 5) % 13) - 6;
  // A stored transposed (k x m, read with rs = 1, cs = m): BLAS must take it as a flag.
  std::vector<float> at(k * m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < k; ++j) at[j * m + i] = a[i * k + j];
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p) acc += double(a[i * k + p]) * b[p * n + j];
      ref[i * n + j] = float(acc);
    }
  CHECK(gemm_batched(DType::F32, 0, nullptr, m, n, k, 1.0, at.data(), MatrixView{0, 1, m, nullptr}, b.data(),
                     MatrixView{0, n, 1, nullptr}, 0.0, c.data(), 0) == 0);
  for (int i = 0; i < m * n; ++i) CHECK(near(c[i], ref[i], 1e-5));
  // A broadcast row (stride 0 inside the matrix): torchlet's sgemm takes any strides, so nothing is refused.
  CHECK(gemm_batched(DType::F32, 0, nullptr, m, n, k, 1.0, a.data(), MatrixView{0, 0, 1, nullptr}, b.data(),
                     MatrixView{0, n, 1, nullptr}, 0.0, c.data(), 0) == 0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) CHECK(c[i * n + j] == c[j]);
  for (int j = 0; j < n; ++j) CHECK(near(c[j], ref[j], 1e-5));
}

// ---- sgemm.cpp (torchlet's blocked float32 GEMM) ----
// One product against a double-accumulated loop: every layout of A and B (row-major, transposed, and strided
// with neither stride 1), alpha and beta, on 1 and 2 threads (bitwise equal). On the FMA micro-kernels also
// against the documented summation bit for bit: one fused multiply-add chain per element over k, k cut into chunks
// of at most 384 (two near-equal ones, rounded up to 16, for 385..767 left), each chunk's sum times alpha added to
// C (scaled by beta first).
static void sgemm_case(int m, int n, int k, int layout_a, int layout_b, float alpha, float beta, std::mt19937& rng,
                       bool exact_order) {
  std::uniform_real_distribution<float> u(-1, 1);
  // Element (i, p) of an r x c operand in `layout`: 0 row-major, 1 transposed, 2 strided (row stride 1, column
  // stride r + 3: a column-major matrix with padding), 3 both strides > 1 (rows 2 apart, columns 2r + 1 apart).
  auto strides = [](int layout, int r, int c, int64_t* rs, int64_t* cs) {
    if (layout == 0) *rs = c, *cs = 1;
    if (layout == 1) *rs = 1, *cs = r;
    if (layout == 2) *rs = 1, *cs = r + 3;
    if (layout == 3) *rs = 2, *cs = 2 * int64_t(r) + 1;
  };
  int64_t ars = 0, acs = 0, brs = 0, bcs = 0;
  strides(layout_a, m, k, &ars, &acs);
  strides(layout_b, k, n, &brs, &bcs);
  std::vector<float> a(size_t((m - 1) * ars + (k - 1) * acs + 1)), b(size_t((k - 1) * brs + (n - 1) * bcs + 1));
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const int64_t ldc = n + 2;  // C rows with a gap, which must stay untouched
  std::vector<float> c0(size_t(m) * ldc);
  for (float& v : c0) v = u(rng);
  if (beta == 0.0f) c0[0] = std::numeric_limits<float>::quiet_NaN();  // beta 0 does not read C
  std::vector<float> c1 = c0, c2 = c0;
  sgemm(m, n, k, alpha, a.data(), ars, acs, b.data(), brs, bcs, beta, c1.data(), ldc, 1);
  sgemm(m, n, k, alpha, a.data(), ars, acs, b.data(), brs, bcs, beta, c2.data(), ldc, 2);
  int bad = 0, order_bad = 0;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      const float* ai = a.data() + i * ars;
      const float* bj = b.data() + j * bcs;
      double acc = 0, mag = 0;
      for (int p = 0; p < k; ++p) {
        acc += double(ai[p * acs]) * bj[p * brs];
        mag += std::fabs(double(ai[p * acs]) * bj[p * brs]);
      }
      const float old = c0[size_t(i) * ldc + j];
      const double scaled = beta == 0.0f ? 0.0 : double(beta) * old;
      const double want = alpha * acc + scaled;
      const double tol = 1e-6 * (k + 4) * (std::fabs(alpha) * mag + std::fabs(scaled)) + 1e-30;
      const float got = c1[size_t(i) * ldc + j];
      if (!(std::fabs(got - want) <= tol)) ++bad;
      if (exact_order) {
        float e = beta == 0.0f ? 0.0f : beta == 1.0f ? old : beta * old;
        for (int p0 = 0; p0 < k;) {
          const int rest = k - p0;
          const int len = rest >= 768 ? 384 : rest > 384 ? (rest / 2 + 15) / 16 * 16 : rest;
          float s = 0;
          for (int p = p0; p < p0 + len; ++p) s = std::fma(ai[p * acs], bj[p * brs], s);
          e = (p0 == 0 && beta == 0.0f) ? alpha * s : e + alpha * s;
          p0 += len;
        }
        if (k == 0) e = beta == 0.0f ? 0.0f : e;
        if (!(got == e)) ++order_bad;
      }
    }
    for (int64_t j = n; j < ldc; ++j) CHECK(c1[size_t(i) * ldc + j] == c0[size_t(i) * ldc + j]);
  }
  if (bad || order_bad)
    std::fprintf(stderr, "sgemm m=%d n=%d k=%d layouts %d,%d alpha %g beta %g: %d off, %d not in order\n", m, n, k,
                 layout_a, layout_b, double(alpha), double(beta), bad, order_bad);
  CHECK(bad == 0 && order_bad == 0);
  CHECK(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)) == 0);
}

static void test_sgemm_blocked() {
  std::mt19937 rng(7);
  const char* force = std::getenv("TORCHLET_MICROKERNEL");
#if defined(__x86_64__) || defined(__i386__)
  const bool fma = !(force && std::string(force) == "portable") && __builtin_cpu_supports("fma") &&
                   __builtin_cpu_supports("avx2");
#else
  const bool fma = false;
#endif
  // Sizes around the micro-tiles (8, 6, 4 rows; 32, 16 columns), the blocks (144 rows, 512 columns) and the
  // chunks of k (384, 768).
  const int ms[] = {1, 2, 5, 8, 13, 32, 145}, ns[] = {1, 3, 16, 31, 33, 64, 513}, ks[] = {1, 7, 64, 385, 800};
  int i = 0;
  for (int m : ms)
    for (int n : ns)
      for (int k : ks) {
        if (int64_t(m) * n * k > 3000000) continue;
        ++i;
        sgemm_case(m, n, k, i % 4, (i / 4) % 4, 1.0f, 0.0f, rng, fma);
      }
  // Every pair of layouts, and alpha / beta, on a middle-sized product.
  for (int la = 0; la < 4; ++la)
    for (int lb = 0; lb < 4; ++lb) sgemm_case(37, 70, 45, la, lb, 1.0f, 0.0f, rng, fma);
  const float ab[][2] = {{1, 1}, {0.5f, -1.25f}, {-2, 0}, {1, 0.5f}};
  for (const auto& p : ab) {
    sgemm_case(19, 40, 23, 0, 1, p[0], p[1], rng, fma);
    sgemm_case(150, 20, 500, 1, 0, p[0], p[1], rng, fma);
  }
  // B read in place (at most 64 rows, B's rows contiguous): whole panels only, the last one packed, over two column
  // blocks and two chunks of k, with beta.
  sgemm_case(64, 544, 40, 1, 0, 1.0f, 0.0f, rng, fma);
  sgemm_case(32, 64, 400, 0, 0, 0.5f, 1.0f, rng, fma);
  sgemm_case(5, 530, 9, 0, 0, 1.0f, -1.25f, rng, fma);
  // Large enough to split over 2 threads, by rows and by columns.
  sgemm_case(300, 70, 130, 0, 1, 1.0f, 0.0f, rng, fma);
  sgemm_case(40, 700, 90, 0, 0, 0.75f, 1.0f, rng, fma);
  // k == 0 and alpha == 0 scale C by beta (zero it for beta 0, even NaN) and read neither operand.
  std::vector<float> c = {std::numeric_limits<float>::quiet_NaN(), 2, 3, 4};
  sgemm(2, 2, 0, 1.0f, nullptr, 0, 1, nullptr, 2, 1, 0.0f, c.data(), 2, 1);
  CHECK(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 0);
  c = {1, 2, 3, 4};
  sgemm(2, 2, 0, 1.0f, nullptr, 0, 1, nullptr, 2, 1, 3.0f, c.data(), 2, 1);
  CHECK(c[0] == 3 && c[3] == 12);
  const float one = std::numeric_limits<float>::infinity();
  sgemm(2, 2, 1, 0.0f, &one, 0, 1, &one, 0, 0, 0.5f, c.data(), 2, 1);
  CHECK(c[0] == 1.5f && c[3] == 6);
  // A batched product whose B broadcasts over the batch, through gemm_batched on 2 threads.
  const int batch = 5, m = 9, n = 40, k = 17;
  std::vector<float> a(size_t(batch) * m * k), b(size_t(k) * n), out(size_t(batch) * m * n);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const int64_t batch_shape[] = {batch}, a_batch[] = {int64_t(m) * k}, b_batch[] = {0};
  set_num_threads(2);
  CHECK(gemm_batched(DType::F32, 1, batch_shape, m, n, k, 1.0, a.data(), MatrixView{0, k, 1, a_batch}, b.data(),
                     MatrixView{0, n, 1, b_batch}, 0.0, out.data(), 0) == 0);
  set_num_threads(1);
  for (int q = 0; q < batch; ++q)
    for (int i2 = 0; i2 < m; ++i2)
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int p = 0; p < k; ++p) acc += double(a[(size_t(q) * m + i2) * k + p]) * b[size_t(p) * n + j];
        CHECK(near(out[(size_t(q) * m + i2) * n + j], acc, 1e-5));
      }
}

static void test_gather_bounds() {
  std::vector<float> src = {1, 2, 3}, out(2);
  std::vector<int32_t> index = {2, 3};
  const int64_t shape[] = {2}, s1[] = {1};
  int32_t bad = 0;
  const int64_t at = gather(4, out.data(), src.data(), index.data(), 1, shape, View{0, s1}, View{0, s1}, View{0, s1}, 0, 3, &bad);
  CHECK(at == 1 && bad == 3);
  CHECK(out[0] == 3);
}

static void test_rng() {
  std::vector<uint32_t> state(kRngStateWords);
  rng_seed(state.data(), 0);
  std::vector<float> u(5);
  CHECK(rng_uniform(state.data(), DType::F32, u.data(), 5, 0, 1));
  // torch.manual_seed(0); torch.rand(5)
  const double want[] = {0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688,
                         0.30742281675338745};
  for (int i = 0; i < 5; ++i) CHECK(double(u[i]) == want[i]);
  rng_seed(state.data(), 0);
  std::vector<float> g(3);
  CHECK(rng_normal(state.data(), DType::F32, g.data(), 3, 0, 1));
  // torch.manual_seed(0); torch.randn(3)
  CHECK(double(g[0]) == 1.5409960746765137 && double(g[1]) == -0.293428897857666 && double(g[2]) == -2.1787893772125244);
  std::vector<int32_t> p(50);
  rng_randperm(state.data(), p.data(), 50);
  std::vector<int> seen(50, 0);
  for (int v : p) CHECK(v >= 0 && v < 50 && !seen[v]++);
}

// Direct convolution, the definition, for checking the im2col + GEMM kernels and their adjoints.
template <typename T>
static double naive_conv(const std::vector<T>& x, const std::vector<T>& w, const ConvGeometry& g, int n, int o,
                         int oi, int oj) {
  const int cg = g.c / g.groups, ocg = g.oc / g.groups, gr = o / ocg;
  double acc = 0;
  for (int c = 0; c < cg; ++c)
    for (int ki = 0; ki < g.kh; ++ki)
      for (int kj = 0; kj < g.kw; ++kj) {
        const int i = oi * g.sh - g.ph + ki * g.dh, j = oj * g.sw - g.pw + kj * g.dw;
        if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;
        acc += double(x[((size_t(n) * g.c + gr * cg + c) * g.h + i) * g.w + j]) * w[((size_t(o) * cg + c) * g.kh + ki) * g.kw + kj];
      }
  return acc;
}

// The three convolution kernels in dtype t (element type T) against the direct sums, to relative tolerance tol.
template <typename T>
static void test_conv(const ConvGeometry& g, DType t, double tol) {
  const int cg = g.c / g.groups;
  std::vector<T> x(size_t(g.n) * g.c * g.h * g.w), w(size_t(g.oc) * cg * g.kh * g.kw);
  for (size_t i = 0; i < x.size(); ++i) x[i] = T((i * 37) % 17) / 8 - 1;
  for (size_t i = 0; i < w.size(); ++i) w[i] = T((i * 11) % 13) / 6 - 1;
  const size_t ny = size_t(g.n) * g.oc * g.oh * g.ow;
  std::vector<T> y(ny), ws(size_t(conv2d_workspace(t, g, 2)) + 1);
  CHECK(conv2d(ConvKind::forward, t, x.data(), w.data(), nullptr, y.data(), g, 2, ws.data()));
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.oc; ++o)
      for (int oi = 0; oi < g.oh; ++oi)
        for (int oj = 0; oj < g.ow; ++oj)
          CHECK(near(y[((size_t(n) * g.oc + o) * g.oh + oi) * g.ow + oj], naive_conv(x, w, g, n, o, oi, oj), tol));
  // With a bias: the same sums plus bias[o].
  std::vector<T> bias(size_t(g.oc)), yb(ny);
  for (int o = 0; o < g.oc; ++o) bias[size_t(o)] = T(0.25) * T(o) - 1;
  CHECK(conv2d(ConvKind::forward, t, x.data(), w.data(), bias.data(), yb.data(), g, 2, ws.data()));
  int bias_bad = 0;
  for (size_t i = 0; i < ny; ++i) bias_bad += yb[i] != y[i] + bias[(i / (size_t(g.oh) * g.ow)) % size_t(g.oc)];
  CHECK(bias_bad == 0);
  // Gradients against the direct sums: gx[n, c, i, j] and gw[o, c, ki, kj] collect gy over every output that
  // reads them.
  std::vector<T> gy(ny), gx(x.size()), gw(w.size());
  for (size_t i = 0; i < ny; ++i) gy[i] = T((i * 7) % 5) - 2;
  CHECK(conv2d(ConvKind::backward_input, t, gy.data(), w.data(), nullptr, gx.data(), g, 2, ws.data()));
  CHECK(conv2d(ConvKind::backward_weight, t, x.data(), gy.data(), nullptr, gw.data(), g, 2, ws.data()));
  std::vector<double> gx_ref(x.size()), gw_ref(w.size());
  const int ocg = g.oc / g.groups;
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.oc; ++o)
      for (int oi = 0; oi < g.oh; ++oi)
        for (int oj = 0; oj < g.ow; ++oj) {
          const double d = gy[((size_t(n) * g.oc + o) * g.oh + oi) * g.ow + oj];
          for (int c = 0; c < cg; ++c)
            for (int ki = 0; ki < g.kh; ++ki)
              for (int kj = 0; kj < g.kw; ++kj) {
                const int i = oi * g.sh - g.ph + ki * g.dh, j = oj * g.sw - g.pw + kj * g.dw;
                if (i < 0 || i >= g.h || j < 0 || j >= g.w) continue;
                const size_t xi = ((size_t(n) * g.c + (o / ocg) * cg + c) * g.h + i) * g.w + j;
                const size_t wi = ((size_t(o) * cg + c) * g.kh + ki) * g.kw + kj;
                gx_ref[xi] += d * w[wi];
                gw_ref[wi] += d * x[xi];
              }
        }
  for (size_t i = 0; i < x.size(); ++i) CHECK(near(gx[i], gx_ref[i], tol));
  for (size_t i = 0; i < w.size(); ++i) CHECK(near(gw[i], gw_ref[i], tol));
  // Adjoints: <conv(x), gy> = <x, conv^T(gy)> = <w, dconv/dw(gy)>.
  double lhs = 0, rhs_x = 0, rhs_w = 0;
  for (size_t i = 0; i < ny; ++i) lhs += double(y[i]) * gy[i];
  for (size_t i = 0; i < x.size(); ++i) rhs_x += double(x[i]) * gx[i];
  for (size_t i = 0; i < w.size(); ++i) rhs_w += double(w[i]) * gw[i];
  CHECK(near(lhs, rhs_x, tol));
  CHECK(near(lhs, rhs_w, tol));
}

static void test_conv_both(const ConvGeometry& g) {
  test_conv<float>(g, DType::F32, 1e-4);
  test_conv<double>(g, DType::F64, 1e-12);
}

// ---------------------------------------------------------------------------------------------------------------
// float64 (and the float32 results it must leave unchanged), each kernel against a naive loop.

static bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A [2, 3] output from a [2, 1] and a [3] operand expanded by stride-0 views, then a transposed read of a [3, 2]
// buffer against a contiguous one: every binary op in float64, against the same expression written here.
static void test_f64_binary() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> a = {-2.5, 7}, b = {3, nan, -0.75};
  const int64_t shape[] = {2, 3}, so[] = {3, 1}, sa[] = {1, 0}, sb[] = {0, 1};
  auto expect = [&](BinaryOp op, double alpha, double (*f)(double, double, double)) {
    std::vector<double> out(6, -1);
    CHECK(binary(op, DType::F64, out.data(), DType::F64, a.data(), b.data(), 2, shape, View{0, so}, View{0, sa},
                 View{0, sb}, alpha));
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) CHECK(same_bits(out[i * 3 + j], f(a[i], b[j], alpha)));
  };
  expect(BinaryOp::add, 1, [](double x, double y, double) { return x + y; });
  expect(BinaryOp::add, 0.3, [](double x, double y, double s) { return std::fma(s, y, x); });
  expect(BinaryOp::sub, 1, [](double x, double y, double) { return x - y; });
  expect(BinaryOp::sub, 0.3, [](double x, double y, double s) { return std::fma(-s, y, x); });
  expect(BinaryOp::mul, 1, [](double x, double y, double) { return x * y; });
  expect(BinaryOp::div, 1, [](double x, double y, double) { return x / y; });
  expect(BinaryOp::pow, 1, [](double x, double y, double) { return std::pow(x, y); });
  expect(BinaryOp::maximum, 1, [](double x, double y, double) { return x != x || y != y ? NAN : std::max(x, y); });
  expect(BinaryOp::minimum, 1, [](double x, double y, double) { return x != x || y != y ? NAN : std::min(x, y); });
  expect(BinaryOp::remainder, 1, [](double x, double y, double) {
    const double r = std::fmod(x, y);
    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
  });
  expect(BinaryOp::floor_divide, 1, [](double x, double y, double) { return std::floor(x / y); });
  expect(BinaryOp::threshold_backward, 1, [](double g, double y, double) { return y <= 0 ? 0.0 : g; });
  // Comparisons and logical ops write bools.
  std::vector<uint8_t> cmp(6);
  auto expect_bool = [&](BinaryOp op, bool (*f)(double, double)) {
    CHECK(binary(op, DType::U8, cmp.data(), DType::F64, a.data(), b.data(), 2, shape, View{0, so}, View{0, sa},
                 View{0, sb}));
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j) CHECK(cmp[i * 3 + j] == (f(a[i], b[j]) ? 1 : 0));
  };
  expect_bool(BinaryOp::eq, [](double x, double y) { return x == y; });
  expect_bool(BinaryOp::ne, [](double x, double y) { return x != y; });
  expect_bool(BinaryOp::lt, [](double x, double y) { return x < y; });
  expect_bool(BinaryOp::le, [](double x, double y) { return x <= y; });
  expect_bool(BinaryOp::gt, [](double x, double y) { return x > y; });
  expect_bool(BinaryOp::ge, [](double x, double y) { return x >= y; });
  expect_bool(BinaryOp::logical_and, [](double x, double y) { return x != 0 && y != 0; });
  expect_bool(BinaryOp::logical_or, [](double x, double y) { return x != 0 || y != 0; });
  expect_bool(BinaryOp::logical_xor, [](double x, double y) { return (x != 0) != (y != 0); });
  // Mixed dtypes and a bool result of an arithmetic op are refused.
  std::vector<float> f(6);
  CHECK(!binary(BinaryOp::add, DType::F32, f.data(), DType::F64, a.data(), b.data(), 2, shape, View{0, so},
                View{0, sa}, View{0, sb}));
  CHECK(!binary(BinaryOp::add, DType::U8, cmp.data(), DType::F64, a.data(), b.data(), 2, shape, View{0, so},
                View{0, sa}, View{0, sb}));
  // Large enough to be split over 2 threads: out [300, 500] = x^T (x stored [500, 300]) * y (contiguous).
  const int r = 300, c = 500;
  std::vector<double> x(size_t(r) * c), y(x.size()), out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = double(i % 977) / 7.0 - 50;
    y[i] = double(i % 613) / 3.0 + 0.5;
  }
  const int64_t big[] = {r, c}, sc[] = {c, 1}, st[] = {1, r};
  set_num_threads(2);
  CHECK(binary(BinaryOp::mul, DType::F64, out.data(), DType::F64, x.data(), y.data(), 2, big, View{0, sc},
               View{0, st}, View{0, sc}));
  int bad = 0;
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) bad += !same_bits(out[size_t(i) * c + j], x[size_t(j) * r + i] * y[size_t(i) * c + j]);
  CHECK(bad == 0);
}

// Every float unary op in float64 and float32, on a transposed input, against the op's expression written here;
// the float32 expressions are the ones float32 has always used, so its results keep their bits.
// Whether unary() computes float32 `name` (with exponent p0 for pow_scalar) through vmath's vector kernels (sigmoid
// too, but in PyTorch's float formula, whose bits the float oracle below reproduces).
static bool vmath_float(const std::string& name, double p0) {
  static const char* const kOps[] = {"exp", "log", "sin", "cos", "tanh", "log1p", "expm1", "erf"};
  for (const char* op : kOps) {
    if (name == op) return true;
  }
  const bool exact_exponent = p0 == 2 || p0 == 3 || p0 == 0.5 || p0 == -0.5 || p0 == -1 || p0 == -2;
  return name == "pow_scalar" && !exact_exponent;
}

// Whether float a is within `ulps` units in the last place of b (NaN matches NaN; infinities and zeros must agree).
static bool within_ulps(float a, float b, int ulps) {
  if (a != a || b != b) return a != a && b != b;
  if (std::isinf(a) || std::isinf(b)) return a == b;
  auto ordered = [](float f) {
    int32_t i;
    std::memcpy(&i, &f, sizeof i);
    return i < 0 ? int64_t(INT32_MIN) - i : int64_t(i);
  };
  return std::llabs(ordered(a) - ordered(b)) <= ulps;
}

static void test_unary() {
  const std::vector<double> values = {-3.25, -1, -0.5, -0.0, 0.0, 0.3, 0.5, 1, 2.75, 40, NAN, -INFINITY, INFINITY};
  const int n = int(values.size());
  struct Case {
    const char* name;
    double p0, p1;
    double (*f64)(double x, double p0, double p1);
    float (*f32)(float x, float p0, float p1);
  };
  const Case cases[] = {
      {"neg", 0, 0, [](double x, double, double) { return -x; }, [](float x, float, float) { return -x; }},
      {"abs", 0, 0, [](double x, double, double) { return std::fabs(x); }, [](float x, float, float) { return std::fabs(x); }},
      {"exp", 0, 0, [](double x, double, double) { return std::exp(x); }, [](float x, float, float) { return std::exp(x); }},
      {"log", 0, 0, [](double x, double, double) { return std::log(x); }, [](float x, float, float) { return std::log(x); }},
      {"sqrt", 0, 0, [](double x, double, double) { return std::sqrt(x); }, [](float x, float, float) { return std::sqrt(x); }},
      {"rsqrt", 0, 0, [](double x, double, double) { return 1.0 / std::sqrt(x); }, [](float x, float, float) { return 1.0f / std::sqrt(x); }},
      {"sin", 0, 0, [](double x, double, double) { return std::sin(x); }, [](float x, float, float) { return std::sin(x); }},
      {"cos", 0, 0, [](double x, double, double) { return std::cos(x); }, [](float x, float, float) { return std::cos(x); }},
      {"tanh", 0, 0, [](double x, double, double) { return std::tanh(x); }, [](float x, float, float) { return std::tanh(x); }},
      {"sigmoid", 0, 0, [](double x, double, double) { return 1.0 / (1.0 + std::exp(-x)); },
       [](float x, float, float) { return 1.0f / (1.0f + std::exp(-x)); }},
      // max(x, 0) keeping x unless it is below 0, as PyTorch's clamp_min: NaN stays NaN, -0 stays -0.
      {"relu", 0, 0, [](double x, double, double) { return x < 0 ? 0.0 : x; },
       [](float x, float, float) { return x < 0.0f ? 0.0f : x; }},
      {"sign", 0, 0, [](double x, double, double) { return double((0.0 < x) - (x < 0.0)); },
       [](float x, float, float) { return float((0.0f < x) - (x < 0.0f)); }},
      {"clamp", -0.7, 2.5, [](double x, double lo, double hi) { return x != x ? x : std::min(std::max(x, lo), hi); },
       [](float x, float lo, float hi) { return x != x ? x : std::min(std::max(x, lo), hi); }},
      {"pow_scalar", 2, 0, [](double x, double, double) { return x * x; }, [](float x, float, float) { return x * x; }},
      {"pow_scalar", 3, 0, [](double x, double, double) { return x * x * x; }, [](float x, float, float) { return x * x * x; }},
      {"pow_scalar", 0.5, 0, [](double x, double, double) { return std::sqrt(x); }, [](float x, float, float) { return std::sqrt(x); }},
      {"pow_scalar", -0.5, 0, [](double x, double, double) { return 1.0 / std::sqrt(x); },
       [](float x, float, float) { return 1.0f / std::sqrt(x); }},
      {"pow_scalar", -1, 0, [](double x, double, double) { return 1.0 / x; }, [](float x, float, float) { return 1.0f / x; }},
      {"pow_scalar", -2, 0, [](double x, double, double) { return 1.0 / (x * x); }, [](float x, float, float) { return 1.0f / (x * x); }},
      {"pow_scalar", 1.7, 0, [](double x, double e, double) { return std::pow(x, e); },
       [](float x, float e, float) { return std::pow(x, e); }},
      {"log1p", 0, 0, [](double x, double, double) { return std::log1p(x); }, [](float x, float, float) { return std::log1p(x); }},
      {"expm1", 0, 0, [](double x, double, double) { return std::expm1(x); }, [](float x, float, float) { return std::expm1(x); }},
      {"floor", 0, 0, [](double x, double, double) { return std::floor(x); }, [](float x, float, float) { return std::floor(x); }},
      {"ceil", 0, 0, [](double x, double, double) { return std::ceil(x); }, [](float x, float, float) { return std::ceil(x); }},
      {"round", 0, 0, [](double x, double, double) { return std::nearbyint(x); }, [](float x, float, float) { return std::nearbyint(x); }},
      {"trunc", 0, 0, [](double x, double, double) { return std::trunc(x); }, [](float x, float, float) { return std::trunc(x); }},
      {"reciprocal", 0, 0, [](double x, double, double) { return 1.0 / x; }, [](float x, float, float) { return 1.0f / x; }},
      {"erf", 0, 0, [](double x, double, double) { return std::erf(x); }, [](float x, float, float) { return std::erf(x); }},
      {"square", 0, 0, [](double x, double, double) { return x * x; }, [](float x, float, float) { return x * x; }},
      {"leaky_relu", 0.01, 0, [](double x, double s, double) { return x > 0 ? x : x * s; },
       [](float x, float s, float) { return x > 0.0f ? x : x * s; }},
  };
  // The input [2, n] is read transposed from an [n, 2] buffer: both columns hold the values.
  std::vector<double> xd(2 * size_t(n));
  std::vector<float> xf(xd.size());
  for (int i = 0; i < n; ++i) xd[2 * i] = xd[2 * i + 1] = values[i];
  for (size_t i = 0; i < xd.size(); ++i) xf[i] = float(xd[i]);
  const int64_t shape[] = {2, n}, so[] = {n, 1}, sa[] = {1, 2};
  std::vector<double> od(xd.size());
  std::vector<float> of(xd.size());
  int tested = 0;
  for (const Case& c : cases) {
    int op = 0;
    while (kUnaryOpNames[op] && std::string(kUnaryOpNames[op]) != c.name) ++op;
    CHECK(kUnaryOpNames[op] != nullptr);
    if (!kUnaryOpNames[op]) continue;
    CHECK(unary(UnaryOp(op), DType::F64, od.data(), DType::F64, xd.data(), 2, shape, View{0, so}, View{0, sa}, c.p0, c.p1));
    CHECK(unary(UnaryOp(op), DType::F32, of.data(), DType::F32, xf.data(), 2, shape, View{0, so}, View{0, sa}, c.p0, c.p1));
    int bad = 0;
    for (int r = 0; r < 2; ++r)
      for (int i = 0; i < n; ++i) {
        bad += !same_bits(od[r * n + i], c.f64(values[i], c.p0, c.p1));
        // float32 transcendental ops run vmath's vector kernels: within 2 ulp of the correctly rounded result (the
        // double result rounded once; vmath_tests sweeps them densely), not libm's float bits.
        bad += vmath_float(c.name, c.p0) ? !within_ulps(of[r * n + i], float(c.f64(values[i], c.p0, c.p1)), 2)
                                         : !same_bits(double(of[r * n + i]), double(c.f32(float(values[i]), float(c.p0), float(c.p1))));
      }
    if (bad) std::fprintf(stderr, "unary %s (p0 %g): %d wrong elements\n", c.name, c.p0, bad);
    CHECK(bad == 0);
    ++tested;
  }
  CHECK(tested == int(sizeof cases / sizeof cases[0]));
  // The bool-result ops take every dtype.
  std::vector<uint8_t> ob(xd.size());
  CHECK(unary(UnaryOp::isnan, DType::U8, ob.data(), DType::F64, xd.data(), 2, shape, View{0, so}, View{0, sa}, 0, 0));
  for (int i = 0; i < n; ++i) CHECK(ob[i] == (values[i] != values[i] ? 1 : 0));
  CHECK(unary(UnaryOp::logical_not, DType::U8, ob.data(), DType::F64, xd.data(), 2, shape, View{0, so}, View{0, sa}, 0, 0));
  for (int i = 0; i < n; ++i) CHECK(ob[i] == (values[i] == 0 ? 1 : 0));
  // int32 clamp with bounds outside int32's range, and ops that do not exist for a dtype.
  std::vector<int32_t> xi = {INT32_MIN, -5, 0, 7, INT32_MAX}, oi(5);
  const int64_t s5[] = {5}, one[] = {1};
  CHECK(unary(UnaryOp::clamp, DType::I32, oi.data(), DType::I32, xi.data(), 1, s5, View{0, one}, View{0, one}, -1e10, 3.5));
  CHECK(oi[0] == INT32_MIN && oi[1] == -5 && oi[2] == 0 && oi[3] == 3 && oi[4] == 3);
  CHECK(unary(UnaryOp::clamp, DType::I32, oi.data(), DType::I32, xi.data(), 1, s5, View{0, one}, View{0, one}, NAN, 1e10));
  CHECK(oi[0] == 0 && oi[4] == INT32_MAX);
  CHECK(!unary(UnaryOp::exp, DType::I32, oi.data(), DType::I32, xi.data(), 1, s5, View{0, one}, View{0, one}, 0, 0));
  CHECK(!unary(UnaryOp::exp, DType::F32, of.data(), DType::F64, xd.data(), 1, s5, View{0, one}, View{0, one}, 0, 0));
}

// where with 8-byte elements: the bits of the chosen operand, NaN payloads included.
static void test_f64_where() {
  uint64_t payload = 0x7ff8000000000123u;
  double odd_nan;
  std::memcpy(&odd_nan, &payload, sizeof odd_nan);
  std::vector<double> a = {1.5, odd_nan, -0.0}, b = {7}, out(3);
  std::vector<uint8_t> cond = {1, 1, 0};
  const int64_t shape[] = {3}, s1[] = {1}, s0[] = {0};
  where(8, out.data(), cond.data(), a.data(), b.data(), 1, shape, View{0, s1}, View{0, s1}, View{0, s1}, View{0, s0});
  CHECK(same_bits(out[0], 1.5) && same_bits(out[1], odd_nan) && out[2] == 7);
}

// copy between every pair of dtypes, against the conversion rules written out.
static void test_copy_conversions() {
  const std::vector<double> values = {0.0, -0.0, 1.0, -2.75, 3.5e9, -3.5e9, 1e300, NAN, INFINITY, -INFINITY, 0.1, 255};
  const int n = int(values.size());
  const int64_t shape[] = {n}, s1[] = {1};
  auto to_int = [](double x) -> int32_t {
    if (x != x) return 0;
    if (x <= -2147483649.0) return INT32_MIN;
    if (x >= 2147483648.0) return INT32_MAX;
    return int32_t(x);
  };
  // Sources of every dtype holding (their version of) the values.
  std::vector<double> src_d = values;
  std::vector<float> src_f(n);
  std::vector<int32_t> src_i(n);
  std::vector<uint8_t> src_b(n);
  for (int i = 0; i < n; ++i) {
    src_f[i] = float(values[i]);
    src_i[i] = to_int(values[i]);
    src_b[i] = values[i] != 0;
  }
  const void* srcs[] = {src_f.data(), src_i.data(), src_b.data(), src_d.data()};
  const DType types[] = {DType::F32, DType::I32, DType::U8, DType::F64};
  auto as_double = [&](DType t, const void* p, int i) -> double {
    switch (t) {
      case DType::F32: return double(static_cast<const float*>(p)[i]);
      case DType::I32: return double(static_cast<const int32_t*>(p)[i]);
      case DType::U8: return double(static_cast<const uint8_t*>(p)[i]);
      default: return static_cast<const double*>(p)[i];
    }
  };
  std::vector<unsigned char> dst(size_t(n) * 8);
  for (DType td : types)
    for (int si = 0; si < 4; ++si) {
      const DType ts = types[si];
      copy(td, dst.data(), ts, srcs[si], 1, shape, View{0, s1}, View{0, s1});
      int bad = 0;
      for (int i = 0; i < n; ++i) {
        const double x = as_double(ts, srcs[si], i), got = as_double(td, dst.data(), i);
        double want;
        if (td == DType::U8) want = x != 0 ? 1 : 0;
        else if (td == DType::I32) want = to_int(x);
        else if (td == DType::F32) want = double(float(x));
        else want = x;
        bad += !(same_bits(got, want) || (got != got && want != want));
      }
      if (bad) std::fprintf(stderr, "copy %s -> %s: %d wrong\n", dtype_name(ts), dtype_name(td), bad);
      CHECK(bad == 0);
    }
  // float64 to float64 moves the bits: a NaN payload survives.
  uint64_t payload = 0x7ff4000000000abcu, back = 0;
  std::vector<double> one(1), out(1);
  std::memcpy(one.data(), &payload, 8);
  const int64_t s[] = {1};
  copy(DType::F64, out.data(), DType::F64, one.data(), 1, s, View{0, s1}, View{0, s1});
  std::memcpy(&back, out.data(), 8);
  CHECK(back == payload);
}

// sum, prod, max, min, argmax, argmin of a float64 [4, 5, 6] tensor read through a permuted view, over several dim
// sets, against direct loops.
static void test_f64_reduce() {
  const int d0 = 4, d1 = 5, d2 = 6;
  std::vector<double> buf(size_t(d0) * d1 * d2);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = double((i * 7919) % 101) / 13.0 - 3.0;
  // The view x[i][j][k] = buf[k][i][j] (buf stored [6, 4, 5]).
  const int64_t shape[] = {d0, d1, d2}, st[] = {d1, 1, d0 * d1};
  auto x = [&](int i, int j, int k) { return buf[(size_t(k) * d0 + i) * d1 + j]; };
  const uint8_t masks[][3] = {{0, 0, 1}, {1, 0, 1}, {1, 1, 1}, {0, 1, 0}};
  for (const auto& mask : masks) {
    int kept = 1;
    for (int d = 0; d < 3; ++d) kept *= mask[d] ? 1 : shape[d];
    std::vector<double> s(kept), p(kept), mx(kept), mn(kept), want_s(kept, 0), want_p(kept, 1), want_mx(kept), want_mn(kept);
    std::vector<int32_t> imx(kept), imn(kept), want_imx(kept, -1), want_imn(kept, -1), ia(kept), ib(kept);
    CHECK(reduce(ReduceOp::sum, DType::F64, s.data(), nullptr, buf.data(), 3, shape, View{0, st}, mask));
    CHECK(reduce(ReduceOp::prod, DType::F64, p.data(), nullptr, buf.data(), 3, shape, View{0, st}, mask));
    CHECK(reduce(ReduceOp::max, DType::F64, mx.data(), imx.data(), buf.data(), 3, shape, View{0, st}, mask));
    CHECK(reduce(ReduceOp::min, DType::F64, mn.data(), imn.data(), buf.data(), 3, shape, View{0, st}, mask));
    CHECK(reduce(ReduceOp::argmax, DType::F64, nullptr, ia.data(), buf.data(), 3, shape, View{0, st}, mask));
    CHECK(reduce(ReduceOp::argmin, DType::F64, nullptr, ib.data(), buf.data(), 3, shape, View{0, st}, mask));
    // Output index over the kept dims and position inside the reduced dims, both row-major.
    std::vector<int> seen(kept, 0);
    for (int i = 0; i < d0; ++i)
      for (int j = 0; j < d1; ++j)
        for (int k = 0; k < d2; ++k) {
          const int idx[] = {i, j, k};
          int o = 0, at = 0;
          for (int d = 0; d < 3; ++d) {
            if (mask[d]) at = at * shape[d] + idx[d];
            else o = o * shape[d] + idx[d];
          }
          const double v = x(i, j, k);
          want_s[o] += v;
          want_p[o] *= v;
          if (!seen[o]++ || v > want_mx[o]) want_mx[o] = v, want_imx[o] = at;
          if (seen[o] == 1 || v < want_mn[o]) want_mn[o] = v, want_imn[o] = at;
        }
    for (int o = 0; o < kept; ++o) {
      CHECK(near(s[o], want_s[o], 1e-13));
      CHECK(near(p[o], want_p[o], 1e-13));
      CHECK(mx[o] == want_mx[o] && imx[o] == want_imx[o] && ia[o] == want_imx[o]);
      CHECK(mn[o] == want_mn[o] && imn[o] == want_imn[o] && ib[o] == want_imn[o]);
    }
  }
  // A NaN wins max and min, at its first position.
  std::vector<double> v = {1, NAN, 5, NAN};
  const int64_t s4[] = {4}, one[] = {1};
  const uint8_t all[] = {1};
  double m = 0;
  int32_t at = -1;
  CHECK(reduce(ReduceOp::max, DType::F64, &m, &at, v.data(), 1, s4, View{0, one}, all));
  CHECK(m != m && at == 1);
  // A long contiguous sum (the vectorised path, split over threads by outputs) matches a direct sum closely.
  std::vector<double> big(100003);
  double want = 0;
  for (size_t i = 0; i < big.size(); ++i) want += (big[i] = std::sin(double(i)));
  const int64_t sb[] = {int64_t(big.size())};
  CHECK(reduce(ReduceOp::sum, DType::F64, &m, nullptr, big.data(), 1, sb, View{0, one}, all));
  CHECK(std::fabs(m - want) < 1e-10);
  // More chunks of 64K than the partial sums kept on the stack (32): eighths of small integers, so every partial
  // sum is exact and the total is too, on 1 and 2 threads.
  std::vector<float> huge(size_t(33) * 65536 + 1001);
  double exact = 0;
  for (size_t i = 0; i < huge.size(); ++i) exact += (huge[i] = float(int(i % 61) - 30) / 8.0f);
  const int64_t sh[] = {int64_t(huge.size())};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    float got = 0;
    CHECK(reduce(ReduceOp::sum, DType::F32, &got, nullptr, huge.data(), 1, sh, View{0, one}, all));
    CHECK(got == float(exact));
  }
  set_num_threads(1);
}

// dgemm through gemm_batched: transposed operands, a broadcast batch dim, alpha and beta, against a direct loop.
static void test_dgemm() {
  const int batch = 3, m = 7, n = 5, k = 9;
  std::vector<double> a(size_t(batch) * m * k), bt(size_t(n) * k), c(size_t(batch) * m * n), ref(c.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = double((i * 13) % 17) / 3.0 - 2.5;
  for (size_t i = 0; i < bt.size(); ++i) bt[i] = double((i * 5) % 11) / 7.0 - 0.75;
  for (size_t i = 0; i < c.size(); ++i) c[i] = double(i % 4) - 1.5;
  // A [batch, m, k] stored as [batch, k, m] (transposed), B [k, n] stored as [n, k] and broadcast over the batch.
  std::vector<double> at(a.size());
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < m; ++i)
      for (int p = 0; p < k; ++p) at[(size_t(b) * k + p) * m + i] = a[(size_t(b) * m + i) * k + p];
  const double alpha = 0.7, beta = -1.25;
  for (int b = 0; b < batch; ++b)
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int p = 0; p < k; ++p) acc += a[(size_t(b) * m + i) * k + p] * bt[size_t(j) * k + p];
        const size_t o = (size_t(b) * m + i) * n + j;
        ref[o] = alpha * acc + beta * c[o];
      }
  const int64_t batch_shape[] = {batch}, a_batch[] = {k * m}, b_batch[] = {0};
  CHECK(gemm_batched(DType::F64, 1, batch_shape, m, n, k, alpha, at.data(), MatrixView{0, 1, m, a_batch}, bt.data(),
                     MatrixView{0, 1, k, b_batch}, beta, c.data(), 0) == 0);
  for (size_t i = 0; i < c.size(); ++i) CHECK(near(c[i], ref[i], 1e-13));
  // k == 0: out = beta * out. A strided row is refused (mask 2), a non-floating dtype too.
  std::vector<double> d = {1, 2};
  CHECK(gemm_batched(DType::F64, 0, nullptr, 1, 2, 0, 1.0, a.data(), MatrixView{0, 0, 1, nullptr}, bt.data(),
                     MatrixView{0, 2, 1, nullptr}, 3.0, d.data(), 0) == 0);
  CHECK(d[0] == 3 && d[1] == 6);
  CHECK(gemm_batched(DType::F64, 0, nullptr, m, n, k, 1.0, a.data(), MatrixView{0, k, 1, nullptr}, bt.data(),
                     MatrixView{0, 2, 2, nullptr}, 0.0, c.data(), 0) == 2);
  CHECK(gemm_batched(DType::I32, 0, nullptr, m, n, k, 1.0, a.data(), MatrixView{0, k, 1, nullptr}, bt.data(),
                     MatrixView{0, n, 1, nullptr}, 0.0, c.data(), 0) == -1);
}

// gather of 8-byte elements and float64 scatter_add along dim 1 of a [2, 4] tensor.
static void test_f64_index() {
  std::vector<double> src = {0.5, 1.5, 2.5, 3.5, 10, 11, 12, 13}, out(6);
  std::vector<int32_t> index = {3, 0, 0, 1, 2, 3};
  const int64_t shape[] = {2, 3}, s_out[] = {3, 1}, s_src[] = {4, 1};
  int32_t bad = 0;
  CHECK(gather(8, out.data(), src.data(), index.data(), 2, shape, View{0, s_out}, View{0, s_src}, View{0, s_out}, 1, 4,
               &bad) == -1);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) CHECK(out[i * 3 + j] == src[i * 4 + index[i * 3 + j]]);
  std::vector<double> acc(8, 0.25), add = {1, 2, 4, 8, 16, 32};
  CHECK(scatter_add(DType::F64, acc.data(), add.data(), index.data(), 2, shape, View{0, s_src}, View{0, s_out},
                    View{0, s_out}, 1, 4, &bad) == -1);
  const double want[] = {0.25 + 2 + 4, 0.25, 0.25, 0.25 + 1, 0.25, 0.25 + 8, 0.25 + 16, 0.25 + 32};
  for (int i = 0; i < 8; ++i) CHECK(acc[i] == want[i]);
  index[4] = 4;
  CHECK(scatter_add(DType::F64, acc.data(), add.data(), index.data(), 2, shape, View{0, s_src}, View{0, s_out},
                    View{0, s_out}, 1, 4, &bad) == 4);
  CHECK(bad == 4);
}

// Pooling in dtype t against the definitions: windows at i = oi * sh - ph + ki * dh (average pooling has no
// dilation), max taking a larger value or a NaN (first in-bounds position to start), average dividing by the
// clipped or padded window size or the override.
template <typename T>
static void test_pool(const PoolGeometry& g, DType t, bool adaptive) {
  const int64_t hw = int64_t(g.h) * g.w, ohw = int64_t(g.oh) * g.ow;
  std::vector<T> x(size_t(g.planes * hw)), y(size_t(g.planes * ohw)), gx(x.size()), gy(y.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = T((i * 29) % 23) / 4 - 2;
  if (x.size() > 7) x[7] = std::numeric_limits<T>::quiet_NaN();
  for (size_t i = 0; i < gy.size(); ++i) gy[i] = T((i * 3) % 7) - 3;
  std::vector<int32_t> idx(y.size());
  // Each output's window as a list of flat positions, and its divisor.
  auto window = [&](int oi, int oj, std::vector<int>& pos, bool dilated) -> int {
    pos.clear();
    if (adaptive) {
      const int h0 = oi * g.h / g.oh, h1 = ((oi + 1) * g.h + g.oh - 1) / g.oh;
      const int w0 = oj * g.w / g.ow, w1 = ((oj + 1) * g.w + g.ow - 1) / g.ow;
      for (int i = h0; i < h1; ++i)
        for (int j = w0; j < w1; ++j) pos.push_back(i * g.w + j);
      return int(pos.size());
    }
    int padded = 0;
    for (int ki = 0; ki < g.kh; ++ki)
      for (int kj = 0; kj < g.kw; ++kj) {
        const int i = oi * g.sh - g.ph + ki * (dilated ? g.dh : 1), j = oj * g.sw - g.pw + kj * (dilated ? g.dw : 1);
        if (i < g.h + g.ph && j < g.w + g.pw) ++padded;
        if (i >= 0 && i < g.h && j >= 0 && j < g.w) pos.push_back(i * g.w + j);
      }
    if (g.divisor_override) return g.divisor_override;
    return g.count_include_pad ? padded : int(pos.size());
  };
  const PoolKind max_kind = adaptive ? PoolKind::adaptive_max : PoolKind::max;
  const PoolKind avg_kind = adaptive ? PoolKind::adaptive_avg : PoolKind::avg;
  const PoolKind avg_back = adaptive ? PoolKind::adaptive_avg_backward : PoolKind::avg_backward;
  std::vector<int> pos;
  int bad = 0;
  CHECK(pool2d(max_kind, t, x.data(), y.data(), idx.data(), g));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int oi = 0; oi < g.oh; ++oi)
      for (int oj = 0; oj < g.ow; ++oj) {
        window(oi, oj, pos, true);
        T best = -std::numeric_limits<T>::infinity();
        int at = pos.empty() ? 0 : pos[0];
        for (int q : pos) {
          const T v = x[size_t(p * hw + q)];
          if (v > best || v != v) best = v, at = q;
        }
        const size_t o = size_t(p * ohw + oi * g.ow + oj);
        bad += !((y[o] == best || (y[o] != y[o] && best != best)) && idx[o] == at);
      }
  CHECK(bad == 0);
  // The max backward adds each gradient at its index.
  std::vector<T> want(x.size(), T(0));
  for (size_t o = 0; o < y.size(); ++o) want[size_t(int64_t(o) / ohw * hw + idx[o])] += gy[o];
  CHECK(pool2d(PoolKind::max_backward, t, gy.data(), gx.data(), idx.data(), g));
  CHECK(gx == want);
  CHECK(pool2d(avg_kind, t, x.data(), y.data(), nullptr, g));
  std::fill(want.begin(), want.end(), T(0));
  for (int64_t p = 0; p < g.planes; ++p)
    for (int oi = 0; oi < g.oh; ++oi)
      for (int oj = 0; oj < g.ow; ++oj) {
        const int div = window(oi, oj, pos, false);
        T sum = 0;
        for (int q : pos) sum += x[size_t(p * hw + q)];
        const size_t o = size_t(p * ohw + oi * g.ow + oj);
        bad += !(y[o] == sum / T(div) || (y[o] != y[o] && sum != sum));
        for (int q : pos) want[size_t(p * hw + q)] += gy[o] / T(div);
      }
  CHECK(bad == 0);
  CHECK(pool2d(avg_back, t, gy.data(), gx.data(), nullptr, g));
  CHECK(gx == want);
  // An index outside its plane is reported.
  idx[0] = int32_t(hw);
  CHECK(!pool2d(PoolKind::max_backward, t, gy.data(), gx.data(), idx.data(), g));
}

static void test_pools() {
  // planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, count_include_pad, divisor_override
  const PoolGeometry geometries[] = {
      {3, 6, 7, 3, 3, 2, 2, 2, 2, 0, 0, 1, 1, 1, 0},   // 2x2 stride 2 (float32's vector path)
      {2, 7, 6, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0},   // padded, count the padding
      {2, 7, 6, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0},   // padded, count only the input
      {2, 9, 8, 3, 3, 3, 2, 3, 2, 1, 0, 2, 2, 0, 5},   // dilated, divisor override
  };
  for (const PoolGeometry& g : geometries) {
    test_pool<float>(g, DType::F32, false);
    test_pool<double>(g, DType::F64, false);
  }
  const PoolGeometry adaptive[] = {{2, 7, 5, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 4, 4, 6, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  for (const PoolGeometry& g : adaptive) {
    test_pool<float>(g, DType::F32, true);
    test_pool<double>(g, DType::F64, true);
  }
  std::vector<int32_t> i(4);
  CHECK(!pool2d(PoolKind::avg, DType::I32, i.data(), i.data(), nullptr, geometries[0]));
}

// Adam in float64 against torch.optim's sequence of tensor ops written out in double, for every option.
static void test_f64_adam() {
  const int n = 37;
  for (int flags = 0; flags < 8; ++flags)
    for (double wd : {0.0, 0.05}) {
      AdamStep s{1e-2, 0.9, 0.999, 1e-8, wd, 0, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0};
      std::vector<double> p(n), g(n), m(n, 0), v(n, 0), vmax(n, 0);
      for (int i = 0; i < n; ++i) p[i] = std::sin(double(i)) * 2;
      std::vector<double> rp = p, rm = m, rv = v, rvmax = vmax;
      for (int step = 1; step <= 3; ++step) {
        s.step = step;
        for (int i = 0; i < n; ++i) g[i] = std::cos(double(i * step)) + 0.1 * p[i];
        CHECK(adam_step(DType::F64, p.data(), g.data(), m.data(), v.data(), vmax.data(), n, s));
        const double bc1 = 1 - std::pow(s.beta1, step), bc2 = 1 - std::pow(s.beta2, step);
        for (int i = 0; i < n; ++i) {
          double pi = rp[i], d = s.maximize ? -g[i] : g[i];
          if (s.decoupled) pi = pi * (1 - s.lr * s.weight_decay);
          else if (s.weight_decay != 0) d = std::fma(s.weight_decay, pi, d);
          rm[i] = std::fma(1 - s.beta1, d - rm[i], rm[i]);
          rv[i] = rv[i] * s.beta2 + ((1 - s.beta2) * d) * d;
          double second = rv[i];
          if (s.amsgrad) second = rvmax[i] = std::max(rvmax[i], rv[i]);
          rp[i] = pi + (-(s.lr / bc1) * rm[i]) / (std::sqrt(second) / std::sqrt(bc2) + s.eps);
        }
      }
      int bad = 0;
      for (int i = 0; i < n; ++i) bad += !same_bits(p[i], rp[i]) || !same_bits(m[i], rm[i]) || !same_bits(v[i], rv[i]);
      CHECK(bad == 0);
    }
  std::vector<int32_t> i(4);
  CHECK(!adam_step(DType::I32, i.data(), i.data(), i.data(), i.data(), nullptr, 4, AdamStep{}));
}

template <size_t N>
static void check_draws(const double* got, const double (&want)[N], const char* what) {
  int bad = 0;
  for (size_t i = 0; i < N; ++i) bad += !same_bits(got[i], want[i]);
  if (bad) std::fprintf(stderr, "%s: %d of %zu draws differ from PyTorch's\n", what, bad, N);
  CHECK(bad == 0);
}

// float64 draws, bit for bit against PyTorch 1.13 (CPU generator, AVX2 kernels).
static void test_f64_rng() {
  // torch.manual_seed(0); torch.rand(5, dtype=torch.float64)
  const double rand5[] = {
      0x1.f0aac97c4aa2fp-1, 0x1.6a675d821ccc0p-1, 0x1.d6687b744a5f6p-2, 0x1.d76c3d8e57d67p-1,
      0x1.4a4099fa1ded3p-1};
  // torch.manual_seed(0); torch.randn(3, dtype=torch.float64)
  const double randn3[] = {
      0x1.8a7eb8902be3ap+0, -0x1.2c78a087c6feap-2, -0x1.16e2920a70ee5p+1};
  // torch.manual_seed(0); torch.randn(16, dtype=torch.float64)
  const double randn16[] = {
      -0x1.27bb92e9262dcp+1, -0x1.7e35794939460p-2, -0x1.0f91ae8d685b6p+0, 0x1.ffbfb0ada994bp-1,
      -0x1.c49eece710105p-1, -0x1.468a3e5dc9291p+0, -0x1.3f174ac92d21fp-1, -0x1.bb9e3bd0377c5p-1,
      -0x1.4bae386384915p+0, 0x1.860cb8d864a6ep+0, 0x1.4b6dacf0761e0p-2, 0x1.0244d8bac2a66p+1,
      0x1.22c0028f12ffap+0, -0x1.3a14e53b15145p+0, 0x1.24683cd232da0p-4, 0x1.5a213bee53bb6p-2};
  // torch.manual_seed(0); torch.randn(17, dtype=torch.float64)
  const double randn17[] = {
      -0x1.27bb92e9262dcp+1, -0x1.443c91ccf2402p-1, -0x1.42cbf54f08f8ep+0, -0x1.7432edfaba107p-1,
      -0x1.471a3c0e2f22ap-6, 0x1.aeb1b572b6a04p-3, 0x1.6ae2402b7b62bp-3, -0x1.a9389d082941dp-1,
      0x1.e8e503666016dp-3, -0x1.f101e358981adp-3, -0x1.8bc82256d975bp-1, -0x1.985dd0627b1f0p+0,
      -0x1.5fbef2bc4be3bp-1, 0x1.7cf270386ca66p+0, -0x1.cb2d8340fb171p-2, -0x1.c8318cc163de5p-1,
      0x1.5986ed8e63e98p-1};
  // torch.manual_seed(0); torch.randn(100, dtype=torch.float64)
  const double randn100[] = {
      -0x1.27bb92e9262dcp+1, -0x1.7e35794939460p-2, -0x1.0f91ae8d685b6p+0, 0x1.ffbfb0ada994bp-1,
      -0x1.c49eece710105p-1, -0x1.468a3e5dc9291p+0, -0x1.3f174ac92d21fp-1, -0x1.bb9e3bd0377c5p-1,
      -0x1.4bae386384915p+0, 0x1.860cb8d864a6ep+0, 0x1.4b6dacf0761e0p-2, 0x1.0244d8bac2a66p+1,
      0x1.22c0028f12ffap+0, -0x1.3a14e53b15145p+0, 0x1.24683cd232da0p-4, 0x1.5a213bee53bb6p-2,
      0x1.3a681547ffa4ep-3, -0x1.443c91ccf2402p-1, -0x1.42cbf54f08f8ep+0, -0x1.7432edfaba107p-1,
      -0x1.471a3c0e2f22ap-6, 0x1.aeb1b572b6a04p-3, 0x1.6ae2402b7b62bp-3, -0x1.a9389d082941dp-1,
      0x1.02dd4bc0227c5p+0, -0x1.f101e358981adp-3, -0x1.8bc82256d975bp-1, -0x1.985dd0627b1f0p+0,
      -0x1.5fbef2bc4be3bp-1, 0x1.7cf270386ca66p+0, -0x1.cb2d8340fb171p-2, -0x1.c8318cc163de5p-1,
      -0x1.77c6300e0f077p-4, 0x1.1cd656a35eff9p-1, -0x1.35891f4f02060p-7, -0x1.37ba62e400bcbp+0,
      -0x1.43f588d034767p+0, -0x1.1e99db95d2a82p+0, 0x1.2a9ecee4e86fdp+0, 0x1.da3b24012ae8bp-1,
      0x1.4ecf310f0f94bp-1, 0x1.2f8b945911558p-3, -0x1.256769ff4714ep+0, 0x1.df6e45cb50a80p+0,
      -0x1.3d5a59dba2ccep-2, 0x1.ebe39d52b4666p-3, -0x1.594867157f914p+0, 0x1.f487830a0303bp-3,
      -0x1.9299117aa5b39p+1, -0x1.d1d7e35b89a08p-4, 0x1.b23a536534125p+0, -0x1.54958cf4318f8p-1,
      -0x1.2ca870bedb0bbp-1, 0x1.6a8263ad29afdp+1, 0x1.ced8be3eb51bcp-1, 0x1.e54ad47980710p-1,
      -0x1.6185107d94c5dp+0, -0x1.070214d2a8d63p+1, 0x1.85bf43dafb353p-5, -0x1.8ad28c0016161p-2,
      -0x1.19a2c0fcc0db5p-2, 0x1.c5ef13746de53p-1, 0x1.7c59903ede70cp+0, -0x1.0169b1e9a1882p-7,
      -0x1.20f8f299b5c59p+0, -0x1.80137be6ed062p-4, 0x1.ff26e3bfd40d4p-1, -0x1.526b1ae919359p-4,
      0x1.75d34f81a1b7cp-3, 0x1.e6dcdd509a780p-1, -0x1.c35e9215c5908p+0, 0x1.02bf4f8438864p+0,
      0x1.7fbcef3455b71p-1, -0x1.1f0117d050052p-1, 0x1.301d6d91e1470p-4, 0x1.fe5f90fddc75cp+0,
      0x1.cca97fe8f2218p-2, 0x1.8d9aefaf58eb0p+0, 0x1.ba40bd9467e6dp-5, 0x1.7974ff9889d20p+0,
      -0x1.6707ab973e124p-1, 0x1.4e15ffdcbdf83p-2, -0x1.bf6b1ae73261dp-1, 0x1.9396073bb7110p-2,
      0x1.acdeebba76c45p-2, 0x1.5fa826598e3a0p-2, -0x1.64f759013ef7fp-2, -0x1.35859b9ec6b7ep+0,
      -0x1.103e1edabe538p+0, 0x1.8be1478ca7bcep+0, -0x1.4a7ab4dd8a25dp-1, 0x1.4943e9b242292p+1,
      -0x1.c1f7efa34a337p-2, 0x1.5b739f57b4432p+1, -0x1.76928cdf1c580p+0, 0x1.be30ad4f4f85dp-2,
      -0x1.d22ef196a05afp-3, 0x1.139fa00c3c431p+1, -0x1.fa1d68ec5a28dp-1, 0x1.737b0be1c7d86p-1};
  // torch.manual_seed(0); torch.empty(20, dtype=torch.float64).uniform_(-2, 3)
  const double uniform20[] = {
      0x1.6cd57bdb5d4bbp+1, 0x1.8a0269c547fe0p+0, 0x1.300a694573dcep-2, 0x1.4d474cf1edcc1p+1,
      0x1.39a180f14ad10p+0, 0x1.f4ab57601195dp+0, -0x1.1b6254193ee26p+0, -0x1.f4a86dda12b20p-3,
      0x1.d03b95d0003bcp-1, -0x1.1e1db9c96b23bp-1, 0x1.0eb041f26e586p-2, -0x1.1db254cd08a4dp+0,
      -0x1.ca11824f11dacp-3, 0x1.1c09e9717253ep+0, 0x1.a31055fbbf2d0p-2, 0x1.a1cc0f6a3d790p-3,
      0x1.2a40d75963100p-5, -0x1.f213c36d76627p-1, 0x1.533fb59d31246p+0, 0x1.eca37acdb1860p+0};
  // torch.manual_seed(0); torch.empty(15, dtype=torch.float64).normal_(0.1, 0.3)
  const double normal15[] = {
      0x1.1fe5a1f01a556p-1, 0x1.8846c7b55673fp-7, -0x1.1b7648d954513p-1, 0x1.1505a7958863bp-2,
      -0x1.cd87d0a12e94ep-3, -0x1.473f9e0dbeb38p-2, 0x1.c49dc60ba14d4p-3, 0x1.67d778f67e7dbp-2,
      -0x1.da394537a521dp-4, -0x1.581d353f6e6dfp-6, -0x1.438ba816bb46cp-4, 0x1.3ca4a9d4d74e6p-3,
      -0x1.418a7676da559p-3, 0x1.b8816f163ee60p-2, -0x1.c55667710fba3p-3};
  // torch.manual_seed(0); torch.empty(33, dtype=torch.float64).normal_(-0.5, 0.3)
  const double normal33[] = {
      -0x1.31708b58b081dp+0, -0x1.3954d2316230ep-1, -0x1.a2f10254d836dp-1, -0x1.99e6c596014dap-3,
      -0x1.87c947121e6b5p-1, -0x1.c3ec8bd1df18ap-1, -0x1.5fba30092723cp-1, -0x1.8515debe770bbp-1,
      -0x1.c70221d54f8a6p-1, -0x1.5f85de49068afp-5, -0x1.9c924c1e42f70p-2, 0x1.af61ba3419705p-4,
      -0x1.46332d0f059a8p-3, -0x1.bc72eff03fd90p-1, -0x1.ea11c83d08fc7p-2, -0x1.98293ad21a149p-2,
      -0x1.d0d6c99b99a74p-2, -0x1.5518ff3793cd1p-2, -0x1.01737158c535ap-1, -0x1.bb096e88cd3e0p-1,
      -0x1.c2601ee352ad7p-1, -0x1.abf5ea26b1981p-1, -0x1.334fa90dd226ep-3, -0x1.c6ec3b31cc826p-3,
      -0x1.0b2894f344614p-2, -0x1.d277dcf2a3cccp-2, -0x1.b00ad932c43fbp-1, 0x1.fa89046c9fe63p-5,
      -0x1.2f9a5a47586b8p-1, -0x1.b63775339823ep-2, -0x1.cf2b710ce623fp-1, -0x1.b4ebac581925ep-2,
      -0x1.021b851a6b8e1p-1};
  // torch.manual_seed(0); torch.empty(50, dtype=torch.float64).bernoulli_(0.3)
  const int bern50[] = {0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0};
  // torch.manual_seed(0); then in turn randn(3, dtype=torch.float64), randn(3), rand(4, dtype=torch.float64),
  // randn(17), randn(1, dtype=torch.float64), rand(2)
  const double cont_a[] = {
      0x1.8a7eb8902be3ap+0, -0x1.2c78a087c6feap-2, -0x1.16e2920a70ee5p+1};
  const double cont_b[] = {
      0x1.23096c0000000p-1, -0x1.15a3420000000p+0, -0x1.660a5a0000000p+0};
  const double cont_c[] = {
      0x1.6dc9130ace95cp-3, 0x1.6788c1d097bb0p-2, 0x1.29a5845cccd8cp-1, 0x1.27274f4908582p-2};
  const double cont_d[] = {
      0x1.329b160000000p-1, 0x1.cc6fac0000000p-4, 0x1.4815f00000000p-1, 0x1.c3be780000000p-2,
      -0x1.ba16840000000p-3, -0x1.7c2f460000000p-1, 0x1.201d040000000p-1, 0x1.09dbc40000000p-2,
      -0x1.6445aa0000000p-3, 0x1.26aeaa0000000p+1, -0x1.78096e0000000p+0, -0x1.96313c0000000p+0,
      0x1.3406780000000p+0, 0x1.5a410e0000000p-4, -0x1.333c560000000p+0, -0x1.39a35c0000000p-8,
      -0x1.09411a0000000p-1};
  const double cont_e[] = {
      -0x1.648ab375ae361p+0};
  const double cont_f[] = {
      0x1.cc2ca00000000p-4, 0x1.3a47a00000000p-3};
  std::vector<uint32_t> state(kRngStateWords);
  std::vector<double> out(100);
  auto seeded = [&]() { rng_seed(state.data(), 0); return state.data(); };
  CHECK(rng_uniform(seeded(), DType::F64, out.data(), 5, 0, 1));
  check_draws(out.data(), rand5, "rand");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 3, 0, 1));
  check_draws(out.data(), randn3, "randn(3)");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 16, 0, 1));
  check_draws(out.data(), randn16, "randn(16)");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 17, 0, 1));
  check_draws(out.data(), randn17, "randn(17)");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 100, 0, 1));
  check_draws(out.data(), randn100, "randn(100)");
  CHECK(rng_uniform(seeded(), DType::F64, out.data(), 20, -2, 3));
  check_draws(out.data(), uniform20, "uniform_(-2, 3)");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 15, 0.1, 0.3));
  check_draws(out.data(), normal15, "normal_(0.1, 0.3) of 15");
  CHECK(rng_normal(seeded(), DType::F64, out.data(), 33, -0.5, 0.3));
  check_draws(out.data(), normal33, "normal_(-0.5, 0.3) of 33");
  CHECK(rng_bernoulli(seeded(), DType::F64, out.data(), 50, 0.3));
  int bad = 0;
  for (int i = 0; i < 50; ++i) bad += out[i] != double(bern50[i]);
  CHECK(bad == 0);
  // Mixed dtypes share one generator state (and one cached normal sample) as in PyTorch.
  uint32_t* st = seeded();
  std::vector<float> f(17);
  std::vector<double> fd(17);
  CHECK(rng_normal(st, DType::F64, out.data(), 3, 0, 1));
  check_draws(out.data(), cont_a, "continued randn(3, float64)");
  CHECK(rng_normal(st, DType::F32, f.data(), 3, 0, 1));
  for (int i = 0; i < 3; ++i) fd[i] = f[i];
  check_draws(fd.data(), cont_b, "continued randn(3)");
  CHECK(rng_uniform(st, DType::F64, out.data(), 4, 0, 1));
  check_draws(out.data(), cont_c, "continued rand(4, float64)");
  CHECK(rng_normal(st, DType::F32, f.data(), 17, 0, 1));
  for (int i = 0; i < 17; ++i) fd[i] = f[i];
  check_draws(fd.data(), cont_d, "continued randn(17)");
  CHECK(rng_normal(st, DType::F64, out.data(), 1, 0, 1));
  check_draws(out.data(), cont_e, "continued randn(1, float64)");
  CHECK(rng_uniform(st, DType::F32, f.data(), 2, 0, 1));
  for (int i = 0; i < 2; ++i) fd[i] = f[i];
  check_draws(fd.data(), cont_f, "continued rand(2)");
  std::vector<int32_t> ints(2);
  CHECK(!rng_uniform(st, DType::I32, ints.data(), 2, 0, 1));
}

// No images: the forward and input-gradient kernels write nothing, the weight gradient is zero.
static void test_conv_empty_batch() {
  const ConvGeometry g{0, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 4, 4};
  for (DType t : {DType::F32, DType::F64}) {
    std::vector<double> gw(3 * 2 * 9, 5.0), ws(size_t(conv2d_workspace(t, g, 2)) + 1);
    CHECK(conv2d(ConvKind::backward_weight, t, nullptr, nullptr, nullptr, gw.data(), g, 2, ws.data()));
    // (float32 zeros fill the first half of the buffer's bytes.)
    const size_t zeros = t == DType::F32 ? gw.size() / 2 : gw.size();
    int bad = 0;
    for (size_t i = 0; i < zeros; ++i) bad += gw[i] != 0;
    CHECK(bad == 0);
  }
}

// Integer division and negation: values without an int32 result throw KernelError before anything is written
// (PyTorch raises ZeroDivisionError; -2^31 // -1 and -(-2^31) need int64, which torchlet's int32 stands for).
static void test_integer_errors() {
  const int64_t s3[] = {3}, one[] = {1};
  const auto throws = [](const auto& f) {
    try {
      f();
    } catch (const KernelError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  std::vector<int32_t> a = {INT32_MIN, 7, -7}, out = {5, 5, 5};
  for (BinaryOp op : {BinaryOp::floor_divide, BinaryOp::remainder}) {
    std::vector<int32_t> b = {3, 0, 2};
    const std::string what = throws([&] {
      binary(op, DType::I32, out.data(), DType::I32, a.data(), b.data(), 1, s3, View{0, one}, View{0, one}, View{0, one});
    });
    CHECK(what == std::string(op == BinaryOp::remainder ? "remainder" : "floor_divide") + ": ZeroDivisionError");
    CHECK(out[0] == 5 && out[1] == 5 && out[2] == 5);
  }
  std::vector<int32_t> minus = {-1, -1, -1};
  CHECK(throws([&] {
          binary(BinaryOp::floor_divide, DType::I32, out.data(), DType::I32, a.data(), minus.data(), 1, s3,
                 View{0, one}, View{0, one}, View{0, one});
        }).find("floor_divide: -2147483648 // -1") == 0);
  CHECK(out[0] == 5);
  // INT32_MIN % -1 is 0 (in C++ it traps); Python's modulo and floor division elsewhere.
  std::vector<int32_t> b = {-1, -2, 2};
  CHECK(binary(BinaryOp::remainder, DType::I32, out.data(), DType::I32, a.data(), b.data(), 1, s3, View{0, one},
               View{0, one}, View{0, one}));
  CHECK(out[0] == 0 && out[1] == -1 && out[2] == 1);
  b[0] = 1;
  CHECK(binary(BinaryOp::floor_divide, DType::I32, out.data(), DType::I32, a.data(), b.data(), 1, s3, View{0, one},
               View{0, one}, View{0, one}));
  CHECK(out[0] == INT32_MIN && out[1] == -4 && out[2] == -4);
  for (UnaryOp op : {UnaryOp::neg, UnaryOp::abs}) {
    out = {5, 5, 5};
    CHECK(!throws([&] {
             unary(op, DType::I32, out.data(), DType::I32, a.data(), 1, s3, View{0, one}, View{0, one}, 0, 0);
           }).empty());
    CHECK(out[0] == 5 && out[1] == 5);
  }
}

// A task's exception reaches parallel_for's caller, and the pool runs the next region as usual.
static void test_parallel_exception() {
  for (int threads : {1, 2}) {
    bool caught = false;
    try {
      parallel_for(8, threads, [](int64_t t, int) {
        if (t == 5) throw std::runtime_error("task 5");
      });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "task 5";
    }
    CHECK(caught);
    std::vector<int> seen(8, 0);
    parallel_for(8, threads, [&](int64_t t, int) { seen[size_t(t)] = 1; });
    for (int v : seen) CHECK(v == 1);
  }
}

// Every task of a region runs exactly once, whoever runs it: participants run their own ranges and then take from
// the others' backs, so a slow task (here the caller's first, or a helper's) leaves its range's rest to the others.
static void test_parallel_each_task_once() {
  for (int threads : {1, 2, 3, 4}) {
    for (int64_t tasks : {2, 3, 7, 8, 37}) {
      for (int64_t slow : {int64_t(-1), int64_t(0), tasks - 1}) {
        std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
        for (auto& r : runs) r.store(0);
        parallel_for(tasks, threads, [&](int64_t t, int thread) {
          CHECK(thread >= 0 && thread < threads);
          if (t == slow) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          runs[size_t(t)].fetch_add(1);
        });
        for (auto& r : runs) CHECK(r.load() == 1);
      }
    }
  }
}

// Regions whose helpers cannot run while the caller drains them: every thread of the process on one CPU, so the
// caller (which does not yield while it runs tasks) takes all the tasks, closes the region without waiting for
// helpers that never entered it, and those helpers, when they do run, must find it closed (fn_ is gone by then;
// ASan would see a helper call it). Some regions the helpers enter while the caller yields in its wait.
static void test_parallel_helpers_not_running() {
#if defined(__linux__)
  parallel_for(8, 4, [](int64_t, int) {});  // starts the helpers
  std::vector<pid_t> tids;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') tids.push_back(pid_t(std::atoi(e->d_name)));
    }
    closedir(dir);
  }
  cpu_set_t all, one;
  if (tids.empty() || sched_getaffinity(0, sizeof all, &all) != 0) return;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  for (pid_t tid : tids) sched_setaffinity(tid, sizeof one, &one);
  for (int region = 0; region < 300; ++region) {
    const int64_t tasks = 2 + region % 37;
    std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
    for (auto& r : runs) r.store(0);
    parallel_for(tasks, 2 + region % 3, [&](int64_t t, int) { runs[size_t(t)].fetch_add(1); });
    for (auto& r : runs) CHECK(r.load() == 1);
    if (region % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // helpers fall asleep
  }
  for (pid_t tid : tids) sched_setaffinity(tid, sizeof all, &all);
#endif
}

// arange in double then stored; linspace from both ends (its values against the formula, written out).
static void test_fill_range() {
  std::vector<int32_t> ai(5);
  CHECK(fill_range(RangeKind::arange, DType::I32, ai.data(), 5, -3, 2.5));
  CHECK(ai[0] == -3 && ai[1] == 0 && ai[2] == 2 && ai[3] == 4 && ai[4] == 7);  // trunc(-0.5) == 0
  std::vector<double> ad(4);
  CHECK(fill_range(RangeKind::arange, DType::F64, ad.data(), 4, 0.1, 0.2));
  for (int i = 0; i < 4; ++i) CHECK(ad[i] == 0.1 + double(i) * 0.2);
  for (int64_t steps : {1, 2, 7, 16, 37}) {
    std::vector<double> l(static_cast<size_t>(steps));
    CHECK(fill_range(RangeKind::linspace, DType::F64, l.data(), steps, -1, 3));
    CHECK(l[0] == -1 && l[size_t(steps - 1)] == (steps == 1 ? -1 : 3));
    for (int64_t i = 0; i < steps; ++i) CHECK(near(l[size_t(i)], -1 + 4.0 * double(i) / double(std::max<int64_t>(steps - 1, 1)), 1e-15));
  }
  std::vector<uint8_t> bools(2);
  CHECK(!fill_range(RangeKind::arange, DType::U8, bools.data(), 2, 0, 1));
}

// ---- memory-bound fast paths (issue 12): transposing copies, chunked and column sums, vector max/min ------------
template <typename T>
static void check_transposing_copy(DType t) {
  // src [A, B] contiguous read transposed ([B, A], and a batch of 3 such planes), and written into a transposed dst.
  const int64_t A = 37, B = 45;
  std::vector<T> src(size_t(3 * A * B)), dst(src.size());
  for (size_t i = 0; i < src.size(); ++i) src[i] = sizeof(T) == 1 ? T(i % 3 == 0) : T(i % 251);  // bool: 0 or 1
  const int64_t shape2[] = {B, A}, sd2[] = {A, 1}, ss2[] = {1, B};
  const int64_t shape3[] = {3, B, A}, sd3[] = {A * B, A, 1}, ss3[] = {A * B, 1, B};
  const int64_t into[] = {1, B}, from[] = {A, 1};  // dst [B, A] with strides (1, B): dst runs along dim 0
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    int bad = 0;
    copy(t, dst.data(), t, src.data(), 2, shape2, View{0, sd2}, View{0, ss2});
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < A; ++j) bad += dst[size_t(i * A + j)] != src[size_t(j * B + i)];
    copy(t, dst.data(), t, src.data(), 3, shape3, View{0, sd3}, View{0, ss3});
    for (int64_t p = 0; p < 3; ++p)
      for (int64_t i = 0; i < B; ++i)
        for (int64_t j = 0; j < A; ++j) bad += dst[size_t(p * A * B + i * A + j)] != src[size_t(p * A * B + j * B + i)];
    copy(t, dst.data(), t, src.data(), 2, shape2, View{0, into}, View{0, from});
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < A; ++j) bad += dst[size_t(j * B + i)] != src[size_t(i * A + j)];
    CHECK(bad == 0);
  }
}

static void test_memops() {
  check_transposing_copy<float>(DType::F32);
  check_transposing_copy<double>(DType::F64);
  check_transposing_copy<uint8_t>(DType::U8);
  // Column sums of [37, 1000] (bands of 256, rows in fours with one left over) in eighths: exact in float, so equal
  // to a naive double sum; and a chunked sum of everything, the same bits on 1 and 2 threads, within 4 float ulps
  // of the exact sum of values that do not sum exactly.
  const int64_t R = 37, C = 1000, shape[] = {R, C}, st[] = {C, 1};
  std::vector<float> x(size_t(R * C)), col1(C), col2(C), all1(1), all2(1);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int((i * 7919 + 13) % 61) - 30) / 8.0f;
  const uint8_t rows[] = {1, 0}, both[] = {1, 1};
  std::vector<float> y(200003);
  for (size_t i = 0; i < y.size(); ++i) y[i] = float(int((i * 7919 + 13) % 1999) - 999) / 7.0f;
  const int64_t ny[] = {int64_t(y.size())}, sy[] = {1};
  const uint8_t one[] = {1};
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    CHECK(reduce(ReduceOp::sum, DType::F32, (threads == 1 ? col1 : col2).data(), nullptr, x.data(), 2, shape, View{0, st}, rows));
    CHECK(reduce(ReduceOp::sum, DType::F32, (threads == 1 ? all1 : all2).data(), nullptr, y.data(), 1, ny, View{0, sy}, one));
  }
  int bad = 0;
  for (int64_t j = 0; j < C; ++j) {
    double want = 0;
    for (int64_t i = 0; i < R; ++i) want += x[size_t(i * C + j)];
    bad += col1[size_t(j)] != float(want) || col2[size_t(j)] != col1[size_t(j)];
  }
  CHECK(bad == 0);
  double exact = 0;
  for (float v : y) exact += v;
  CHECK(all1[0] == all2[0] && std::fabs(all1[0] - exact) <= 4 * std::ldexp(1.0, std::ilogb(exact) - 23));
  std::vector<float> total(1);
  CHECK(reduce(ReduceOp::sum, DType::F32, total.data(), nullptr, x.data(), 2, shape, View{0, st}, both));
  double want_total = 0;
  for (float v : x) want_total += v;
  CHECK(total[0] == float(want_total));
  // max/min/argmax/argmin along rows of 300 against a naive scan: NaN first (its first position), ties keep the first.
  const int64_t N = 300, rshape[] = {6, N}, rst[] = {N, 1};
  std::vector<double> z(size_t(6 * N));
  for (size_t i = 0; i < z.size(); ++i) z[i] = double(int((i * 7919) % 97));
  z[1 * N + 250] = NAN;
  z[1 * N + 280] = NAN;
  z[2 * N + 3] = INFINITY;
  z[3 * N + 299] = NAN;
  z[4 * N + 0] = -INFINITY;
  const uint8_t last[] = {0, 1};
  for (ReduceOp op : {ReduceOp::max, ReduceOp::min}) {
    std::vector<double> v(6);
    std::vector<int32_t> at(6);
    CHECK(reduce(op, DType::F64, v.data(), at.data(), z.data(), 2, rshape, View{0, rst}, last));
    for (int r = 0; r < 6; ++r) {
      int64_t best = 0;
      for (int64_t j = 0; j < N; ++j) {
        const double a = z[size_t(r * N + j)], b = z[size_t(r * N + best)];
        if (b != b) break;
        if (a != a || (op == ReduceOp::max ? a > b : a < b)) best = j;
      }
      CHECK(at[size_t(r)] == best);
      const double want = z[size_t(r * N + best)];
      CHECK((v[size_t(r)] == want) || (want != want && v[size_t(r)] != v[size_t(r)]));
    }
  }
}

// The fused kernels (fused.cpp) against naive double loops: softmax, log_softmax and logsumexp over the last dim
// and an inner-strided dim, their backward, a single row long enough to be cut into chunks (the same bits on 1 and
// 2 threads), layer norm forward and backward, and the classification losses with a bad target refused.
static void test_fused() {
  const int64_t outer = 3, n = 5, inner = 4;
  std::vector<double> x(size_t(outer * n * inner)), g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = std::sin(double(i) * 0.7) * 3;
    g[i] = std::cos(double(i) * 0.3);
  }
  for (int k = 0; k < 3; ++k) {
    const SoftmaxKind kind = SoftmaxKind(k);
    for (int64_t in : {int64_t(1), inner}) {
      const int64_t out_n = outer * n * inner / in;  // rows [outer', n, in] over the same data
      const int64_t o2 = out_n / n;
      std::vector<double> y(kind == SoftmaxKind::logsumexp ? size_t(o2 * in) : x.size()), gx(x.size());
      CHECK(softmax_forward(kind, DType::F64, x.data(), y.data(), o2, n, in));
      std::vector<double> gr(kind == SoftmaxKind::logsumexp ? y.size() : x.size());
      for (size_t i = 0; i < gr.size(); ++i) gr[i] = g[i];
      CHECK(softmax_backward(kind, DType::F64, gr.data(), kind == SoftmaxKind::logsumexp ? x.data() : y.data(),
                             y.data(), gx.data(), o2, n, in));
      for (int64_t o = 0; o < o2; ++o) {
        for (int64_t c = 0; c < in; ++c) {
          auto at = [&](int64_t j) { return size_t((o * n + j) * in + c); };
          double m = -INFINITY, s = 0;
          for (int64_t j = 0; j < n; ++j) m = std::max(m, x[at(j)]);
          for (int64_t j = 0; j < n; ++j) s += std::exp(x[at(j)] - m);
          if (kind == SoftmaxKind::logsumexp) {
            const size_t r = size_t(o * in + c);
            CHECK(near(y[r], std::log(s) + m, 1e-14));
            for (int64_t j = 0; j < n; ++j) CHECK(near(gx[at(j)], gr[r] * std::exp(x[at(j)] - y[r]), 1e-14));
            continue;
          }
          double gy = 0, gs = 0;
          for (int64_t j = 0; j < n; ++j) {
            const double p = std::exp(x[at(j)] - m) / s;
            gy += g[at(j)] * p;
            gs += g[at(j)];
          }
          for (int64_t j = 0; j < n; ++j) {
            const double p = std::exp(x[at(j)] - m) / s;
            const bool soft = kind == SoftmaxKind::softmax;
            CHECK(near(y[at(j)], soft ? p : std::log(p), 1e-14));
            CHECK(near(gx[at(j)], soft ? p * (g[at(j)] - gy) : g[at(j)] - p * gs, 1e-13));
          }
        }
      }
    }
  }
  // One float row of 2^18 (16 chunks): the same bits on 1 and 2 threads, and sums within float rounding of 1.
  std::vector<float> row(size_t(1) << 18), y1(row.size()), y2(row.size());
  for (size_t i = 0; i < row.size(); ++i) row[i] = float(std::sin(double(i) * 0.001) * 8);
  set_num_threads(1);
  CHECK(softmax_forward(SoftmaxKind::softmax, DType::F32, row.data(), y1.data(), 1, int64_t(row.size()), 1));
  set_num_threads(2);
  CHECK(softmax_forward(SoftmaxKind::softmax, DType::F32, row.data(), y2.data(), 1, int64_t(row.size()), 1));
  CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)) == 0);
  double row_total = 0;
  for (float v : y1) row_total += v;
  CHECK(near(row_total, 1, 1e-5));
  CHECK(!softmax_forward(SoftmaxKind::softmax, DType::I32, row.data(), y1.data(), 1, 4, 1));
  // Float rows of one chunk (the vectorised path) within float rounding of the double softmax, rows of 1 and of
  // 300 (blocks and a tail) included; softmax_head_mean gives softmax_forward's bits, and their mean over the heads
  // summed in head order and divided, on 1 and 2 threads.
  for (int64_t len : {int64_t(1), int64_t(7), int64_t(300)}) {
    const int64_t batch = 2, heads = 3, rows = 4, total = batch * heads * rows * len;
    std::vector<float> xf(static_cast<size_t>(total)), yf(xf.size()), mean(static_cast<size_t>(batch * rows * len));
    for (size_t i = 0; i < xf.size(); ++i) xf[i] = float(std::sin(double(i) * 1.3) * 6);
    CHECK(softmax_forward(SoftmaxKind::softmax, DType::F32, xf.data(), yf.data(), total / len, len, 1));
    for (int64_t r = 0; r < total / len; ++r) {
      const float* xr = xf.data() + r * len;
      double m = -INFINITY, s = 0;
      for (int64_t j = 0; j < len; ++j) m = std::max(m, double(xr[j]));
      for (int64_t j = 0; j < len; ++j) s += std::exp(double(xr[j]) - m);
      for (int64_t j = 0; j < len; ++j) CHECK(near(yf[size_t(r * len + j)], std::exp(double(xr[j]) - m) / s, 1e-6));
    }
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      std::vector<float> inplace = xf;
      CHECK(softmax_head_mean(DType::F32, inplace.data(), mean.data(), batch, heads, rows, len));
      CHECK(inplace == yf);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t j = 0; j < len; ++j) {
            float acc = 0;
            for (int64_t h = 0; h < heads; ++h) acc += yf[size_t(((b * heads + h) * rows + r) * len + j)];
            CHECK(mean[size_t((b * rows + r) * len + j)] == acc / float(heads));
          }
    }
  }
  CHECK(!softmax_head_mean(DType::I32, row.data(), y1.data(), 1, 1, 1, 4));

  // Layer norm over rows of 6 with weight and bias, forward and backward against the textbook formulas.
  const int64_t m = 4, c = 6;
  std::vector<double> lx(size_t(m * c)), lg(lx.size()), w(static_cast<size_t>(c)), b(static_cast<size_t>(c)), ly(lx.size()), mean(static_cast<size_t>(m)),
      rstd(static_cast<size_t>(m)), lgx(lx.size()), lgw(static_cast<size_t>(c)), lgb(static_cast<size_t>(c));
  for (size_t i = 0; i < lx.size(); ++i) {
    lx[i] = std::sin(double(i) * 1.3) * 2 + 1;
    lg[i] = std::cos(double(i) * 0.9);
  }
  for (int64_t j = 0; j < c; ++j) {
    w[size_t(j)] = 1 + 0.1 * double(j);
    b[size_t(j)] = 0.05 * double(j);
  }
  CHECK(layer_norm_forward(DType::F64, lx.data(), w.data(), b.data(), ly.data(), mean.data(), rstd.data(), m, c, 1e-5));
  CHECK(layer_norm_backward(DType::F64, lg.data(), lx.data(), mean.data(), rstd.data(), w.data(), lgx.data(), lgw.data(),
                            lgb.data(), m, c));
  std::vector<double> want_gw(size_t(c), 0), want_gb(size_t(c), 0);
  for (int64_t i = 0; i < m; ++i) {
    double mu = 0, var = 0;
    for (int64_t j = 0; j < c; ++j) mu += lx[size_t(i * c + j)] / double(c);
    for (int64_t j = 0; j < c; ++j) var += (lx[size_t(i * c + j)] - mu) * (lx[size_t(i * c + j)] - mu) / double(c);
    const double r = 1 / std::sqrt(var + 1e-5);
    CHECK(near(mean[size_t(i)], mu, 1e-14) && near(rstd[size_t(i)], r, 1e-14));
    double a = 0, bb = 0;
    for (int64_t j = 0; j < c; ++j) {
      const double xh = (lx[size_t(i * c + j)] - mu) * r, gw = lg[size_t(i * c + j)] * w[size_t(j)];
      CHECK(near(ly[size_t(i * c + j)], xh * w[size_t(j)] + b[size_t(j)], 1e-13));
      a += gw / double(c);
      bb += gw * xh / double(c);
      want_gw[size_t(j)] += lg[size_t(i * c + j)] * xh;
      want_gb[size_t(j)] += lg[size_t(i * c + j)];
    }
    for (int64_t j = 0; j < c; ++j) {
      const double xh = (lx[size_t(i * c + j)] - mu) * r;
      CHECK(near(lgx[size_t(i * c + j)], r * (lg[size_t(i * c + j)] * w[size_t(j)] - a - xh * bb), 1e-12));
    }
  }
  for (int64_t j = 0; j < c; ++j) CHECK(near(lgw[size_t(j)], want_gw[size_t(j)], 1e-13) && near(lgb[size_t(j)], want_gb[size_t(j)], 1e-13));

  // Cross entropy (mean, label smoothing 0.1, class weights, one ignored row) and nll; a bad target is reported
  // before anything is read through it.
  const int64_t rows = 3, classes = 4;
  std::vector<double> logits = {1, 2, 3, 4, -1, 0, 5, 2, 0.5, 0.5, 0.5, 0.5}, cw = {1, 2, 0.5, 1}, stats(6), loss(1),
                      cgx(12), one = {1};
  std::vector<int32_t> target = {3, -100, 1};
  ClassLoss p{rows, classes, -100, 0.1, false, 1};
  double total = 0;
  CHECK(class_loss_forward(DType::F64, logits.data(), target.data(), cw.data(), loss.data(), stats.data(), &total, p) == -1);
  CHECK(class_loss_backward(DType::F64, logits.data(), target.data(), cw.data(), stats.data(), one.data(), cgx.data(), total, p));
  double nll = 0, smooth = 0, wsum = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (target[size_t(i)] == -100) continue;
    double mx = -INFINITY, s = 0;
    for (int64_t k = 0; k < classes; ++k) mx = std::max(mx, logits[size_t(i * classes + k)]);
    for (int64_t k = 0; k < classes; ++k) s += std::exp(logits[size_t(i * classes + k)] - mx);
    const double lse = mx + std::log(s);
    const int32_t t = target[size_t(i)];
    nll += cw[size_t(t)] * (lse - logits[size_t(i * classes + t)]);
    wsum += cw[size_t(t)];
    for (int64_t k = 0; k < classes; ++k) smooth += cw[size_t(k)] * (lse - logits[size_t(i * classes + k)]);
  }
  CHECK(near(total, wsum, 1e-15));
  CHECK(near(loss[0], 0.9 * nll / wsum + 0.1 / double(classes) * smooth / wsum, 1e-13));
  for (int64_t k = 0; k < classes; ++k) CHECK(cgx[size_t(classes + k)] == 0);  // the ignored row
  double row_sum = 0;
  for (int64_t k = 0; k < classes; ++k) row_sum += cgx[size_t(k)];
  // A kept row's gradient sums to 0 over the classes (log_softmax's backward: sum(grad_logp) - sum(p) sum(grad_logp)).
  CHECK(std::fabs(row_sum) < 1e-12);
  target[2] = 4;
  CHECK(class_loss_forward(DType::F64, logits.data(), target.data(), cw.data(), loss.data(), stats.data(), &total, p) == 2);
  CHECK(!class_loss_backward(DType::F64, logits.data(), target.data(), cw.data(), stats.data(), one.data(), cgx.data(), total, p));
  target[2] = -7;
  CHECK(class_loss_check(target.data(), p) == 2);
}

// ---- fused recurrent layers: forward against a per-sequence loop written here, backward by central differences ----

struct RnnCase {
  RnnGeometry g;
  std::vector<int32_t> sizes;
  std::vector<double> xw, h0, c0, whh, bhh, whr;
};

static double rnn_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// Runs every sequence on its own, step by step, in the plain textbook form: out [N, P], hn [B, P], cn [B, H].
static void rnn_reference(const RnnCase& c, std::vector<double>& out, std::vector<double>& hn, std::vector<double>& cn) {
  const RnnGeometry& g = c.g;
  const int H = g.hidden, P = g.out, G = g.gates, T = g.steps;
  std::vector<int64_t> off(size_t(T) + 1, 0);
  for (int t = 0; t < T; ++t) off[t + 1] = off[t] + c.sizes[t];
  out.assign(size_t(off[T]) * P, 0);
  hn.assign(size_t(g.batch) * P, 0);
  cn.assign(size_t(g.batch) * H, 0);
  for (int b = 0; b < g.batch; ++b) {
    int len = 0;
    while (len < T && c.sizes[len] > b) ++len;
    std::vector<double> h(c.h0.begin() + b * P, c.h0.begin() + (b + 1) * P), cell(size_t(H), 0);
    if (g.mode == RnnMode::lstm) cell.assign(c.c0.begin() + b * H, c.c0.begin() + (b + 1) * H);
    for (int k = 0; k < len; ++k) {
      const int t = g.reverse ? len - 1 - k : k;
      const double* x = &c.xw[size_t(off[t] + b) * G];
      std::vector<double> hw(static_cast<size_t>(G));
      for (int j = 0; j < G; ++j) {
        hw[j] = c.bhh.empty() ? 0 : c.bhh[j];
        for (int q = 0; q < P; ++q) hw[j] += c.whh[size_t(j) * P + q] * h[q];
      }
      std::vector<double> next(static_cast<size_t>(H));
      if (g.mode == RnnMode::rnn_tanh || g.mode == RnnMode::rnn_relu) {
        for (int j = 0; j < H; ++j) next[j] = g.mode == RnnMode::rnn_tanh ? std::tanh(x[j] + hw[j]) : std::max(0.0, x[j] + hw[j]);
      } else if (g.mode == RnnMode::gru) {
        for (int j = 0; j < H; ++j) {
          const double r = rnn_sigmoid(x[j] + hw[j]), z = rnn_sigmoid(x[H + j] + hw[H + j]);
          const double n = std::tanh(x[2 * H + j] + r * hw[2 * H + j]);
          next[j] = (1 - z) * n + z * h[j];
        }
      } else {
        for (int j = 0; j < H; ++j) {
          const double i = rnn_sigmoid(x[j] + hw[j]), f = rnn_sigmoid(x[H + j] + hw[H + j]);
          const double gg = std::tanh(x[2 * H + j] + hw[2 * H + j]), o = rnn_sigmoid(x[3 * H + j] + hw[3 * H + j]);
          cell[j] = f * cell[j] + i * gg;
          next[j] = o * std::tanh(cell[j]);
        }
      }
      if (g.proj) {
        h.assign(size_t(P), 0);
        for (int p = 0; p < P; ++p) {
          for (int j = 0; j < H; ++j) h[p] += c.whr[size_t(p) * H + j] * next[j];
        }
      } else {
        h = next;
      }
      std::copy(h.begin(), h.end(), out.begin() + (off[t] + b) * P);
    }
    std::copy(h.begin(), h.end(), hn.begin() + b * P);
    std::copy(cell.begin(), cell.end(), cn.begin() + b * H);
  }
}

static void test_rnn_case(RnnMode mode, bool reverse, bool proj, bool bias) {
  RnnCase c;
  const int H = 3, B = 3;
  const int P = proj ? 2 : H;
  const int G = H * (mode == RnnMode::lstm ? 4 : mode == RnnMode::gru ? 3 : 1);
  c.sizes = {3, 3, 2, 1};
  c.g = RnnGeometry{mode, 4, B, H, P, G, reverse, proj};
  const int64_t N = 9;
  uint32_t seed = 12345;
  const auto fill = [&](std::vector<double>& v, size_t n) {
    v.resize(n);
    for (auto& x : v) {
      seed = seed * 1664525u + 1013904223u;
      x = (double(seed >> 8) / double(1 << 24) - 0.5) * 1.6;
    }
  };
  fill(c.xw, size_t(N) * G);
  fill(c.h0, size_t(B) * P);
  if (mode == RnnMode::lstm) fill(c.c0, size_t(B) * H);
  fill(c.whh, size_t(G) * P);
  if (bias) fill(c.bhh, size_t(G));
  if (proj) fill(c.whr, size_t(P) * H);
  const bool lstm = mode == RnnMode::lstm;
  const auto ptr = [](std::vector<double>& v) -> double* { return v.empty() ? nullptr : v.data(); };
  const auto run = [&](RnnCase& k, std::vector<double>& out, std::vector<double>& hn, std::vector<double>& cn, std::vector<double>& saved) {
    out.assign(size_t(N) * P, 0);
    hn.assign(size_t(B) * P, 0);
    cn.assign(lstm ? size_t(B) * H : 0, 0);
    saved.assign(size_t(rnn_saved_size(k.g, N)), 0);
    CHECK(rnn_forward(DType::F64, k.g, k.sizes.data(), k.xw.data(), k.h0.data(), ptr(k.c0), k.whh.data(), ptr(k.bhh),
                      ptr(k.whr), out.data(), hn.data(), ptr(cn), saved.data()));
  };
  std::vector<double> out, hn, cn, saved, rout, rhn, rcn;
  run(c, out, hn, cn, saved);
  rnn_reference(c, rout, rhn, rcn);
  for (size_t i = 0; i < out.size(); ++i) CHECK(near(out[i], rout[i], 1e-12));
  for (size_t i = 0; i < hn.size(); ++i) CHECK(near(hn[i], rhn[i], 1e-12));
  for (size_t i = 0; i < cn.size(); ++i) CHECK(near(cn[i], rcn[i], 1e-12));
  // L = sum(out * gout) + sum(hn * ghn) + sum(cn * gcn).
  std::vector<double> gout, ghn, gcn;
  fill(gout, out.size());
  fill(ghn, hn.size());
  if (lstm) fill(gcn, cn.size());
  const auto loss = [&](RnnCase& k) {
    std::vector<double> o, h, cc, sv;
    run(k, o, h, cc, sv);
    double l = 0;
    for (size_t i = 0; i < o.size(); ++i) l += o[i] * gout[i];
    for (size_t i = 0; i < h.size(); ++i) l += h[i] * ghn[i];
    for (size_t i = 0; i < cc.size(); ++i) l += cc[i] * gcn[i];
    return l;
  };
  std::vector<double> dxw(c.xw.size()), dh0(c.h0.size()), dc0(c.c0.size()), dwhh(c.whh.size()), dbhh(c.bhh.size()),
      dwhr(c.whr.size());
  CHECK(rnn_backward(DType::F64, c.g, c.sizes.data(), c.whh.data(), ptr(c.whr), out.data(), saved.data(), gout.data(),
                     ghn.data(), ptr(gcn), dxw.data(), dh0.data(), ptr(dc0), dwhh.data(), ptr(dbhh), ptr(dwhr)));
  std::vector<double>* params[6] = {&c.xw, &c.h0, &c.c0, &c.whh, &c.bhh, &c.whr};
  std::vector<double>* grads[6] = {&dxw, &dh0, &dc0, &dwhh, &dbhh, &dwhr};
  for (int p = 0; p < 6; ++p) {
    for (size_t i = 0; i < params[p]->size(); ++i) {
      const double keep = (*params[p])[i], eps = 1e-6;
      (*params[p])[i] = keep + eps;
      const double up = loss(c);
      (*params[p])[i] = keep - eps;
      const double down = loss(c);
      (*params[p])[i] = keep;
      const double fd = (up - down) / (2 * eps);
      if (!near((*grads[p])[i], fd, 1e-6)) {
        std::fprintf(stderr, "rnn mode %d reverse %d proj %d: operand %d element %zu: %g vs %g\n", int(mode), int(reverse),
                     int(proj), p, i, (*grads[p])[i], fd);
        ++failures;
      }
    }
  }
}

static void test_rnn() {
  for (RnnMode mode : {RnnMode::rnn_tanh, RnnMode::rnn_relu, RnnMode::lstm, RnnMode::gru}) {
    for (bool reverse : {false, true}) {
      test_rnn_case(mode, reverse, false, true);
      test_rnn_case(mode, reverse, false, false);
    }
  }
  test_rnn_case(RnnMode::lstm, false, true, true);
  test_rnn_case(RnnMode::lstm, true, true, false);
}

// ---- rng: the bulk MT19937 paths (rng_random_fill and the draws built on it) against std::mt19937, whose
// seeding and output are the same MT19937 (torch.manual_seed(s) seeds it with the low 32 bits of s). ----
// The 53-bit uniform of PyTorch's double draws: two outputs, high word first.
static double rng_ref_u53(std::mt19937& ref) {
  const uint64_t hi = ref(), lo = ref();
  return std::ldexp(double(((hi << 32) | lo) & ((uint64_t(1) << 53) - 1)), -53);
}

// After some draws from state, its next single draw must be ref's next output: both streams are at one position.
static bool rng_same_position(uint32_t* state, std::mt19937& ref) { return rng_random(state) == ref(); }

static void test_rng_bulk() {
  std::vector<uint32_t> state(kRngStateWords);
  {
    // The standard's check value: the 10000th output for the default seed 5489.
    rng_seed(state.data(), 5489);
    std::vector<uint32_t> out(10000);
    rng_random_fill(state.data(), out.data(), 10000);
    CHECK(out[9999] == 4123659995u);
  }
  // Single draws first (to every kind of offset into a 624-word block), then one bulk fill, then single draws.
  const int64_t sizes[] = {0, 1, 2, 7, 8, 9, 16, 17, 33, 226, 227, 228, 396, 397, 398, 623, 624, 625, 1247, 1248,
                           1249, 2047, 2048, 2049, 4097, 10000};
  const int before[] = {0, 1, 5, 227, 397, 623, 624, 625, 1000};
  int bad = 0;
  for (int64_t n : sizes)
    for (int pre : before) {
      const uint32_t seed = uint32_t(n * 31 + pre);
      rng_seed(state.data(), seed);
      std::mt19937 ref(seed);
      for (int i = 0; i < pre; ++i) bad += rng_random(state.data()) != ref();
      std::vector<uint32_t> out(size_t(n) + 1, 0xdeadbeefu);
      rng_random_fill(state.data(), out.data(), n);
      for (int64_t i = 0; i < n; ++i) bad += out[i] != ref();
      bad += out[n] != 0xdeadbeefu;  // nothing written past n
      for (int i = 0; i < 3; ++i) bad += !rng_same_position(state.data(), ref);
    }
  CHECK(bad == 0);
  {
    // A long run of single and bulk draws interleaved at pseudo-random lengths.
    rng_seed(state.data(), 20240607);
    std::mt19937 ref(20240607);
    uint32_t lcg = 12345;
    std::vector<uint32_t> out(3000);
    int mismatches = 0;
    for (int step = 0; step < 200; ++step) {
      lcg = lcg * 1664525u + 1013904223u;
      const int64_t n = int64_t(lcg >> 8) % 3000;
      if (step % 2) {
        for (int64_t i = 0; i < n % 700; ++i) mismatches += rng_random(state.data()) != ref();
      } else {
        rng_random_fill(state.data(), out.data(), n);
        for (int64_t i = 0; i < n; ++i) mismatches += out[i] != ref();
      }
    }
    CHECK(mismatches == 0);
  }
  // bernoulli: out[i] = (u53 < p) in both dtypes, at several sizes and block offsets.
  const double ps[] = {0, 1e-9, 0.1, 0.5, 0.9, 1};
  for (double p : ps)
    for (int64_t n : {1, 5, 311, 312, 313, 1023, 1024, 1025, 5000})
      for (int pre : {0, 1, 623}) {
        const uint32_t seed = uint32_t(n + pre + int(p * 1000));
        std::vector<float> f(static_cast<size_t>(n));
        std::vector<double> d(static_cast<size_t>(n));
        rng_seed(state.data(), seed);
        std::mt19937 ref(seed);
        for (int i = 0; i < pre; ++i) ref();
        for (int i = 0; i < pre; ++i) rng_random(state.data());
        CHECK(rng_bernoulli(state.data(), DType::F32, f.data(), n, p));
        CHECK(rng_bernoulli(state.data(), DType::F64, d.data(), n, p));
        int wrong = 0;
        for (int64_t i = 0; i < n; ++i) wrong += f[i] != (rng_ref_u53(ref) < p ? 1.0f : 0.0f);
        for (int64_t i = 0; i < n; ++i) wrong += d[i] != (rng_ref_u53(ref) < p ? 1.0 : 0.0);
        CHECK(wrong == 0);
        CHECK(rng_same_position(state.data(), ref));
      }
  {
    // p exactly one of the uniforms drawn: that draw is not below p, and is below the next double up.
    std::mt19937 ref(7);
    for (int i = 0; i < 1000; ++i) ref();
    const double u = rng_ref_u53(ref);
    std::vector<double> d(1);
    for (double p : {u, std::nextafter(u, 2.0)}) {
      rng_seed(state.data(), 7);
      std::vector<uint32_t> skip(1000);
      rng_random_fill(state.data(), skip.data(), 1000);  // 500 draw pairs: u is the 501st pair's uniform
      CHECK(rng_bernoulli(state.data(), DType::F64, d.data(), 1, p));
      CHECK(d[0] == (p == u ? 0.0 : 1.0));
    }
  }
  // uniform(-2, 3): fma(u, span, from) with u of each dtype's precision (float: the low 24 bits of one draw).
  for (int64_t n : {3, 624, 1025, 4099}) {
    std::vector<float> f(static_cast<size_t>(n));
    std::vector<double> d(static_cast<size_t>(n));
    rng_seed(state.data(), static_cast<uint32_t>(n));
    std::mt19937 ref(static_cast<uint32_t>(n));
    CHECK(rng_uniform(state.data(), DType::F32, f.data(), n, -2, 3));
    CHECK(rng_uniform(state.data(), DType::F64, d.data(), n, -2, 3));
    int wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += f[i] != std::fma(std::ldexp(float(ref() & 0xffffffu), -24), 5.0f, -2.0f);
    for (int64_t i = 0; i < n; ++i) wrong += d[i] != std::fma(rng_ref_u53(ref), 5.0, -2.0);
    CHECK(wrong == 0);
    CHECK(rng_same_position(state.data(), ref));
  }
  // normal (n >= 16) draws n uniforms, and 16 more for a partial last block of 16.
  for (int64_t n : {16, 37, 2049}) {
    std::vector<float> f(static_cast<size_t>(n));
    std::vector<double> d(static_cast<size_t>(n));
    rng_seed(state.data(), 3);
    std::mt19937 ref(3);
    CHECK(rng_normal(state.data(), DType::F32, f.data(), n, 0, 1));
    CHECK(rng_normal(state.data(), DType::F64, d.data(), n, 0, 1));
    const int64_t draws = n + (n % 16 ? 16 : 0);
    for (int64_t i = 0; i < 3 * draws; ++i) ref();
    CHECK(rng_same_position(state.data(), ref));
  }
  {
    // randint: one draw modulo the range below 2^32, a 64-bit pair modulo 2^32 at it.
    const int64_t n = 3001;
    std::vector<int32_t> small(n), wide(n);
    rng_seed(state.data(), 11);
    std::mt19937 ref(11);
    rng_randint(state.data(), small.data(), n, -5, 12);
    rng_randint(state.data(), wide.data(), n, INT32_MIN, int64_t(INT32_MAX) + 1);
    int wrong = 0;
    for (int64_t i = 0; i < n; ++i) wrong += small[i] != int32_t(int64_t(ref() % 17u) - 5);
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t hi = ref(), lo = ref();
      wrong += wide[i] != int32_t(int64_t(((hi << 32) | lo) % (uint64_t(1) << 32)) + INT32_MIN);
    }
    CHECK(wrong == 0);
    CHECK(rng_same_position(state.data(), ref));
    // randperm: Fisher-Yates from the front, position i swapped with i + draw % (n - i).
    std::vector<int32_t> perm(n), want(n);
    rng_randperm(state.data(), perm.data(), n);
    for (int64_t i = 0; i < n; ++i) want[i] = int32_t(i);
    for (int64_t i = 0; i + 1 < n; ++i) std::swap(want[i], want[i + int64_t(ref() % uint64_t(n - i))]);
    CHECK(perm == want);
    CHECK(rng_same_position(state.data(), ref));
  }
}
// ---- end rng ----

int main() {
  test_binary_broadcast();
  test_transposed_copy();
  test_parallel_elementwise();
  test_reduce();
  test_sgemm();
  test_sgemm_blocked();
  test_gather_bounds();
  test_rng();
  test_f64_binary();
  test_unary();
  test_f64_where();
  test_copy_conversions();
  test_f64_reduce();
  test_dgemm();
  test_f64_index();
  test_pools();
  test_f64_adam();
  test_f64_rng();
  test_conv_empty_batch();
  test_integer_errors();
  test_parallel_exception();
  test_parallel_each_task_once();
  test_parallel_helpers_not_running();
  test_fill_range();
  test_memops();
  test_fused();
  test_rnn();
  test_rng_bulk();
  // n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow
  test_conv_both({3, 4, 7, 6, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2, 4, 4});   // stride, padding, dilation, groups
  test_conv_both({40, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 5});  // many images: several tiles and a partial one
  test_conv_both({2, 4, 3, 3, 8, 1, 1, 1, 1, 0, 0, 1, 1, 2, 3, 3});   // pointwise
  test_conv_both({2, 3, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 4, 4});   // depthwise
  // Winograd F(2x2, 3x3): odd and even sizes, padding 0, 1, 2 and mixed, channel counts that fill no register
  // block exactly, and enough tiles for several blocks (and threads) with a partial last one.
  test_conv_both({2, 5, 7, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 9});
  test_conv_both({3, 4, 6, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, 4, 4});
  test_conv_both({1, 17, 5, 8, 6, 3, 3, 1, 1, 2, 0, 1, 1, 1, 7, 6});
  test_conv_both({9, 8, 11, 10, 20, 3, 3, 1, 1, 1, 2, 1, 1, 1, 11, 12});
  test_conv_both({1, 6, 3, 3, 5, 3, 3, 1, 1, 2, 2, 1, 1, 1, 5, 5});
  test_conv_both({40, 4, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 9, 9});
  // At 256 outputs per plane and more the weight gradient takes the Winograd path too.
  test_conv_both({3, 6, 17, 16, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 17, 16});
  test_conv_both({2, 5, 18, 20, 9, 3, 3, 1, 1, 0, 2, 1, 1, 1, 16, 22});
  if (failures) {
    std::fprintf(stderr, "%d kernel check(s) failed\n", failures);
    return 1;
  }
  std::printf("kernel tests passed\n");
  return 0;
}
