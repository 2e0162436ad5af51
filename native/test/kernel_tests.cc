// C++ kernel tests, no Node: built and run by `npm run test:kernels` (CMake options TORCHLET_KERNEL_TESTS and
// TORCHLET_SANITIZE), under AddressSanitizer/UBSan, by ctest. Expected values come from naive loops written here, or
// from PyTorch 1.13's seeded streams (the generating call is written beside each list).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

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
  const int32_t shape[] = {2, 3};
  const int32_t so[] = {3, 1}, sa[] = {1, 0}, sb[] = {0, 1};
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
  const int32_t shape[] = {4, 3}, sd[] = {3, 1}, ss[] = {1, 4};
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
  const int32_t shape[] = {d0, d1, d2}, so[] = {d1 * d2, d2, 1}, sa[] = {d1 * d2, 1, d1}, sb[] = {0, 1, 0};
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
  const int32_t shape[] = {2, 4}, st[] = {4, 1};
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
  const int32_t big[] = {6, 7, 40, 41}, bst[] = {7 * 40 * 41, 40 * 41, 41, 1};
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
    double want = 0;
    for (int n = 0; n < 6; ++n)
      for (int q = 0; q < 40 * 41; ++q) want += v[(size_t(n) * 7 + c) * 1640 + q];
    CHECK(s1[c] == s2[c] && s1[c] == float(want));
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
  CHECK(sgemm_batched(0, nullptr, m, n, k, 1.0f, at.data(), MatrixView{0, 1, m, nullptr}, b.data(),
                      MatrixView{0, n, 1, nullptr}, 0.0f, c.data(), 0) == 0);
  for (int i = 0; i < m * n; ++i) CHECK(near(c[i], ref[i], 1e-5));
  // A broadcast row (stride 0 inside the matrix) is refused so the caller copies it.
  CHECK(sgemm_batched(0, nullptr, m, n, k, 1.0f, a.data(), MatrixView{0, 0, 1, nullptr}, b.data(),
                      MatrixView{0, n, 1, nullptr}, 0.0f, c.data(), 0) == 1);
}

static void test_gather_bounds() {
  std::vector<float> src = {1, 2, 3}, out(2);
  std::vector<int32_t> index = {2, 3};
  const int32_t shape[] = {2}, s1[] = {1};
  int32_t bad = 0;
  const int64_t at = gather(4, out.data(), src.data(), index.data(), 1, shape, View{0, s1}, View{0, s1}, View{0, s1}, 0, 3, &bad);
  CHECK(at == 1 && bad == 3);
  CHECK(out[0] == 3);
}

static void test_rng() {
  std::vector<uint32_t> state(kRngStateWords);
  rng_seed(state.data(), 0);
  std::vector<float> u(5);
  rng_uniform(state.data(), u.data(), 5, 0, 1);
  // torch.manual_seed(0); torch.rand(5)
  const double want[] = {0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688,
                         0.30742281675338745};
  for (int i = 0; i < 5; ++i) CHECK(double(u[i]) == want[i]);
  rng_seed(state.data(), 0);
  std::vector<float> g(3);
  rng_normal(state.data(), g.data(), 3, 0, 1);
  // torch.manual_seed(0); torch.randn(3)
  CHECK(double(g[0]) == 1.5409960746765137 && double(g[1]) == -0.293428897857666 && double(g[2]) == -2.1787893772125244);
  std::vector<int32_t> p(50);
  rng_randperm(state.data(), p.data(), 50);
  std::vector<int> seen(50, 0);
  for (int v : p) CHECK(v >= 0 && v < 50 && !seen[v]++);
}

// Direct convolution, the definition, for checking the im2col + GEMM kernels and their adjoints.
static float naive_conv(const std::vector<float>& x, const std::vector<float>& w, const ConvGeometry& g, int n, int o,
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
  return float(acc);
}

static void test_conv(const ConvGeometry& g) {
  const int cg = g.c / g.groups;
  std::vector<float> x(size_t(g.n) * g.c * g.h * g.w), w(size_t(g.oc) * cg * g.kh * g.kw);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float((i * 37) % 17) / 8.0f - 1.0f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = float((i * 11) % 13) / 6.0f - 1.0f;
  const size_t ny = size_t(g.n) * g.oc * g.oh * g.ow;
  std::vector<float> y(ny), ws(size_t(conv2d_workspace(g, 2)) + 1);
  conv2d_forward(x.data(), w.data(), nullptr, y.data(), g, 2, ws.data());
  for (int n = 0; n < g.n; ++n)
    for (int o = 0; o < g.oc; ++o)
      for (int oi = 0; oi < g.oh; ++oi)
        for (int oj = 0; oj < g.ow; ++oj)
          CHECK(near(y[((size_t(n) * g.oc + o) * g.oh + oi) * g.ow + oj], naive_conv(x, w, g, n, o, oi, oj), 1e-4));
  // With a bias: the same sums plus bias[o].
  std::vector<float> bias(size_t(g.oc)), yb(ny);
  for (int o = 0; o < g.oc; ++o) bias[size_t(o)] = 0.25f * float(o) - 1.0f;
  conv2d_forward(x.data(), w.data(), bias.data(), yb.data(), g, 2, ws.data());
  int bias_bad = 0;
  for (size_t i = 0; i < ny; ++i) bias_bad += yb[i] != y[i] + bias[(i / (size_t(g.oh) * g.ow)) % size_t(g.oc)];
  CHECK(bias_bad == 0);
  // Gradients against the direct sums: gx[n, c, i, j] and gw[o, c, ki, kj] collect gy over every output that
  // reads them.
  std::vector<float> gy(ny), gx(x.size()), gw(w.size());
  for (size_t i = 0; i < ny; ++i) gy[i] = float((i * 7) % 5) - 2.0f;
  conv2d_backward_input(gy.data(), w.data(), gx.data(), g, 2, ws.data());
  conv2d_backward_weight(x.data(), gy.data(), gw.data(), g, 2, ws.data());
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
  for (size_t i = 0; i < x.size(); ++i) CHECK(near(gx[i], gx_ref[i], 1e-4));
  for (size_t i = 0; i < w.size(); ++i) CHECK(near(gw[i], gw_ref[i], 1e-4));
  // Adjoints: <conv(x), gy> = <x, conv^T(gy)> = <w, dconv/dw(gy)>.
  double lhs = 0, rhs_x = 0, rhs_w = 0;
  for (size_t i = 0; i < ny; ++i) lhs += double(y[i]) * gy[i];
  for (size_t i = 0; i < x.size(); ++i) rhs_x += double(x[i]) * gx[i];
  for (size_t i = 0; i < w.size(); ++i) rhs_w += double(w[i]) * gw[i];
  CHECK(near(lhs, rhs_x, 1e-4));
  CHECK(near(lhs, rhs_w, 1e-4));
}

int main() {
  test_binary_broadcast();
  test_transposed_copy();
  test_parallel_elementwise();
  test_reduce();
  test_sgemm();
  test_gather_bounds();
  test_rng();
  // n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow
  test_conv({3, 4, 7, 6, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2, 4, 4});   // stride, padding, dilation, groups
  test_conv({40, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 5, 5});  // many images: several tiles and a partial one
  test_conv({2, 4, 3, 3, 8, 1, 1, 1, 1, 0, 0, 1, 1, 2, 3, 3});   // pointwise
  test_conv({2, 3, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 4, 4});   // depthwise
  // Winograd F(2x2, 3x3): odd and even sizes, padding 0, 1, 2 and mixed, channel counts that fill no register
  // block exactly, and enough tiles for several blocks (and threads) with a partial last one.
  test_conv({2, 5, 7, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 7, 9});
  test_conv({3, 4, 6, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, 4, 4});
  test_conv({1, 17, 5, 8, 6, 3, 3, 1, 1, 2, 0, 1, 1, 1, 7, 6});
  test_conv({9, 8, 11, 10, 20, 3, 3, 1, 1, 1, 2, 1, 1, 1, 11, 12});
  test_conv({1, 6, 3, 3, 5, 3, 3, 1, 1, 2, 2, 1, 1, 1, 5, 5});
  test_conv({40, 4, 9, 9, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 9, 9});
  // At 256 outputs per plane and more the weight gradient takes the Winograd path too.
  test_conv({3, 6, 17, 16, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 17, 16});
  test_conv({2, 5, 18, 20, 9, 3, 3, 1, 1, 0, 2, 1, 1, 1, 16, 22});
  if (failures) {
    std::fprintf(stderr, "%d kernel check(s) failed\n", failures);
    return 1;
  }
  std::printf("kernel tests passed\n");
  return 0;
}
