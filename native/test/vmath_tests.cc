// Accuracy of the vectorised float32 math (native/src/kernels/vmath.h), run by ctest (`npm run test:kernels`):
// every op on every code path this CPU has (AVX-512, AVX2: float lanes for the hot ops; portable: double lanes)
// against the correctly rounded result, taken as long double (x87, 64-bit significand) libm rounded once to float,
// over a dense sweep of
// float32 bit patterns (every 2053rd, plus every float of the ranges where the ops change behaviour: overflow and
// underflow thresholds, saturation, the lower tail, the kernels' switch points and table intervals) and the special values (+-0,
// subnormals, +-FLT_MAX, +-inf, NaN). A result passes within 2 ulp, NaN for NaN; infinities and zeros must match
// exactly. Also the fused gradients against double formulas, strided and threaded runs through the elementwise
// kernel, vpow, and the row reductions (vmax, vexp_sum, vdot, vsqdev) against the scalar loops they replace.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../src/kernels/kernels.h"
#include "../src/kernels/vmath.h"

using namespace torchlet;

static int failures = 0;
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                                     \
    }                                                                                 \
  } while (0)

static float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
static uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
// Floats in order as integers (-0 and +0 both 0), so the distance counts the floats between two values.
static int64_t ordinal(float f) {
  const uint32_t b = to_bits(f);
  return (b & 0x80000000u) ? -int64_t(b & 0x7fffffffu) : int64_t(b);
}
// ulps between a result and the correctly rounded value; NaN must meet NaN, an infinity or a zero must be exact.
static int64_t ulp_error(float got, float want) {
  if (std::isnan(want) || std::isnan(got)) return std::isnan(want) && std::isnan(got) ? 0 : INT64_MAX;
  if (std::isinf(want) || want == 0) return got == want ? 0 : INT64_MAX;
  const int64_t d = ordinal(got) - ordinal(want);
  return d < 0 ? -d : d;
}

static std::vector<float> sweep_inputs() {
  std::vector<float> xs;
  for (uint64_t b = 0; b < (uint64_t(1) << 32); b += 2053) xs.push_back(from_bits(uint32_t(b)));
  // Every float of these narrow ranges (and of their negatives): overflow and underflow thresholds of exp,
  // saturation of tanh, erf and softplus, the switch points of the kernels' range reductions.
  const float ranges[][2] = {{88.5f, 89.0f},  {103.5f, 104.5f}, {0.999f, 1.001f}, {8.99f, 9.01f},  {3.9f, 3.93f},
                             {14.9f, 15.1f},  {19.99f, 20.01f}, {1e-5f, 1.001e-5f}, {0.345f, 0.3466f}, {0.705f, 0.709f},
                             {1.413f, 1.415f}, {65535.9f, 65536.1f}, {10.59f, 10.61f}, {9.99f, 10.01f},
                             // The float-lane kernels' switch points: tanh's polynomial, gelu's series, its far
                             // range and underflow, silu's double-lane tail, expm1's last fma exponent.
                             {0.549f, 0.551f}, {0.4999f, 0.5001f}, {14.99f, 15.01f}, {14.35f, 14.37f},
                             {86.99f, 87.01f}, {16.97f, 16.99f},
                             // gelu's table: its end (3.9375, beyond it gelu_f) and switches between intervals.
                             {3.93f, 3.945f}, {0.0624f, 0.0626f}, {1.9374f, 1.9376f}, {2.0624f, 2.0626f},
                             // softplus's table: its ends and a switch between intervals.
                             {15.49f, 15.51f}, {7.499f, 7.501f}};
  for (auto& r : ranges)
    for (uint32_t b = to_bits(r[0]); b <= to_bits(r[1]); ++b) {
      xs.push_back(from_bits(b));
      xs.push_back(-from_bits(b));
    }
  // Subnormals: every 97th.
  for (uint32_t b = 1; b < 0x00800000u; b += 97) {
    xs.push_back(from_bits(b));
    xs.push_back(-from_bits(b));
  }
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f, std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::max(), inf, 1.0f, 0.5f, 2.0f, 1e-30f, 3.14159265f, 1.57079633f,
                  88.7228394f, 88.7228317f, 103.972084f, 87.3365479f}) {
    xs.push_back(v);
    xs.push_back(-v);
  }
  xs.push_back(std::numeric_limits<float>::quiet_NaN());
  return xs;
}

struct UnaryCase {
  const char* name;
  VUnary op;
  float p0, p1;
  long double (*oracle)(long double x, long double p0, long double p1);
};
typedef long double LD;

static LD softplus_oracle(LD x, LD beta, LD threshold) {
  if (float(x * beta) > float(threshold)) return x;
  const LD z = x * beta;
  return (std::max(z, LD(0)) + std::log1p(std::exp(-std::fabs(z)))) / beta;
}
static const LD kSqrtHalf = 0.707106781186547524400844362104849039L, kPi = 3.14159265358979323846264338327950288L;
// PyTorch's gelu and silu give NaN at -inf (-inf * 0): the kernels match it there, the limit elsewhere.
static LD gelu_oracle(LD x, LD, LD) { return x == -INFINITY ? NAN : 0.5L * x * std::erfc(-x * kSqrtHalf); }
static LD gelu_tanh_oracle(LD x, LD, LD) {
  if (x == -INFINITY) return NAN;
  const LD u = std::sqrt(2 / kPi) * (x + 0.044715L * x * x * x);
  return x / (1 + std::exp(-2 * u));
}
static LD pow_oracle(LD x, LD y, LD) { return std::pow(x, y); }

static const UnaryCase kUnaryCases[] = {
    {"exp", VUnary::exp, 0, 0, [](LD x, LD, LD) { return std::exp(x); }},
    {"log", VUnary::log, 0, 0, [](LD x, LD, LD) { return std::log(x); }},
    {"log1p", VUnary::log1p, 0, 0, [](LD x, LD, LD) { return std::log1p(x); }},
    {"expm1", VUnary::expm1, 0, 0, [](LD x, LD, LD) { return std::expm1(x); }},
    {"tanh", VUnary::tanh, 0, 0, [](LD x, LD, LD) { return std::tanh(x); }},
    // PyTorch's sigmoid is 0 where its float exp(-x) overflows (x < -88.7): torchlet's too (see vmath.cpp).
    {"sigmoid", VUnary::sigmoid, 0, 0,
     [](LD x, LD, LD) { return float(std::exp(-x)) == INFINITY ? LD(0) : 1 / (1 + std::exp(-x)); }},
    {"erf", VUnary::erf, 0, 0, [](LD x, LD, LD) { return std::erf(x); }},
    {"gelu", VUnary::gelu, 0, 0, gelu_oracle},
    {"gelu_tanh", VUnary::gelu_tanh, 0, 0, gelu_tanh_oracle},
    {"silu", VUnary::silu, 0, 0, [](LD x, LD, LD) { return x / (1 + std::exp(-x)); }},
    {"softplus", VUnary::softplus, 1, 20, softplus_oracle},
    {"softplus(beta 1, threshold 3)", VUnary::softplus, 1, 3, softplus_oracle},
    {"softplus(beta 1, threshold -20)", VUnary::softplus, 1, -20, softplus_oracle},
    {"softplus(beta 2, threshold 5)", VUnary::softplus, 2, 5, softplus_oracle},
    {"softplus(beta 0.5, threshold 30)", VUnary::softplus, 0.5f, 30, softplus_oracle},
    {"sin", VUnary::sin, 0, 0, [](LD x, LD, LD) { return std::sin(x); }},
    {"cos", VUnary::cos, 0, 0, [](LD x, LD, LD) { return std::cos(x); }},
    {"pow 2.5", VUnary::pow_scalar, 2.5f, 0, pow_oracle},
    {"pow -1.3", VUnary::pow_scalar, -1.3f, 0, pow_oracle},
    {"pow 7", VUnary::pow_scalar, 7, 0, pow_oracle},
    {"pow -4", VUnary::pow_scalar, -4, 0, pow_oracle},
    {"pow 0.001", VUnary::pow_scalar, 0.001f, 0, pow_oracle},
    {"pow 0", VUnary::pow_scalar, 0, 0, pow_oracle},
    {"pow inf", VUnary::pow_scalar, INFINITY, 0, pow_oracle},
};

static std::vector<VIsa> isas() {
  std::vector<VIsa> v;
  const VIsa best = vmath_isa();
  for (VIsa isa : {VIsa::portable, VIsa::avx2, VIsa::avx512})
    if (int(isa) <= int(best)) v.push_back(isa);
  return v;
}
static const char* isa_name(VIsa isa) { return isa == VIsa::avx512 ? "avx512" : isa == VIsa::avx2 ? "avx2" : "portable"; }

static void test_unary_ulp(const std::vector<float>& xs) {
  std::vector<float> want(xs.size()), got(xs.size());
  for (const UnaryCase& c : kUnaryCases) {
    for (size_t i = 0; i < xs.size(); ++i) want[i] = float(c.oracle(LD(xs[i]), LD(c.p0), LD(c.p1)));
    for (VIsa isa : isas()) {
      vmath_set_isa(isa);
      vunary(c.op, got.data(), xs.data(), int64_t(xs.size()), c.p0, c.p1);
      int64_t worst = 0;
      size_t at = 0;
      for (size_t i = 0; i < xs.size(); ++i) {
        const int64_t e = ulp_error(got[i], want[i]);
        if (e > worst) worst = e, at = i;
      }
      std::printf("vmath %-34s %-8s max error %s ulp\n", c.name, isa_name(isa),
                  worst == INT64_MAX ? "(special value wrong)" : std::to_string(worst).c_str());
      if (worst > 2) {
        std::fprintf(stderr, "  %s(%a) = %a, want %a\n", c.name, double(xs[at]), double(got[at]), double(want[at]));
        ++failures;
      }
    }
  }
  vmath_set_isa(isas().back());
}

// pow with both operands swept: bases over the sweep against exponents from a fixed list, and the reverse.
static void test_pow_ulp(const std::vector<float>& xs) {
  std::vector<float> bases, exps;
  const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f, -0.5f, 3.0f, -3.0f, 1e-3f, 10.0f, 1e10f,
                           -1e10f, 1e-40f, INFINITY, -INFINITY, NAN, 2.5f, -7.0f, 0.999f, 1.001f, 1e30f, 127.9f};
  for (size_t i = 0; i < xs.size(); i += 7)
    for (float s : special) {
      bases.push_back(xs[i]);
      exps.push_back(s);
      bases.push_back(s);
      exps.push_back(xs[i]);
    }
  std::vector<float> got(bases.size());
  for (VIsa isa : isas()) {
    vmath_set_isa(isa);
    vpow(got.data(), bases.data(), exps.data(), int64_t(bases.size()));
    int64_t worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < bases.size(); ++i) {
      const int64_t e = ulp_error(got[i], float(std::pow(LD(bases[i]), LD(exps[i]))));
      if (e > worst) worst = e, at = i;
    }
    std::printf("vmath %-34s %-8s max error %s ulp\n", "pow (two tensors)", isa_name(isa),
                worst == INT64_MAX ? "(special value wrong)" : std::to_string(worst).c_str());
    if (worst > 2) {
      std::fprintf(stderr, "  pow(%a, %a) = %a\n", double(bases[at]), double(exps[at]), double(got[at]));
      ++failures;
    }
  }
  vmath_set_isa(isas().back());
}

// The fused gradients against the same formulas in double (PyTorch computes them in float, so a few ulp apart).
struct BackwardCase {
  const char* name;
  VBackward op;
  float p0, p1;
  bool output_operand;  // the second operand is the forward's output (tanh, sigmoid)
  double (*oracle)(double g, double a, double p0, double p1);
  // Computed in float lanes (AVX-512, AVX2) from terms of about g that cancel where the gradient crosses 0 (silu near
  // x = -1.28, gelu near -0.75), as PyTorch's float kernels: there the error is measured against 0.1 |g|.
  bool cancels = false;
};
static double gelu_backward_oracle(double g, double x, double, double) {
  return g * (0.5 * std::erfc(-x * M_SQRT1_2) + x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI));
}
static double gelu_tanh_backward_oracle(double g, double x, double, double) {
  if (float(x * x) == INFINITY) return NAN;  // PyTorch's float x^2 overflows: 0 * inf
  const double b = std::sqrt(2 / M_PI), k = 0.044715, t = std::tanh(b * (x + k * x * x * x));
  return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * b * (1 + 3 * k * x * x));
}
static const BackwardCase kBackwardCases[] = {
    {"tanh_backward", VBackward::tanh_backward, 0, 0, true, [](double g, double y, double, double) { return g * (1 - y * y); }},
    {"sigmoid_backward", VBackward::sigmoid_backward, 0, 0, true,
     [](double g, double y, double, double) { return g * (1 - y) * y; }},
    {"silu_backward", VBackward::silu_backward, 0, 0, false,
     [](double g, double x, double, double) {
       const double s = 1 / (1 + std::exp(-x));
       return g * s * (1 + x * (1 - s));
     }, true},
    {"gelu_backward", VBackward::gelu_backward, 0, 0, false, gelu_backward_oracle, true},
    {"gelu_tanh_backward", VBackward::gelu_tanh_backward, 0, 0, false, gelu_tanh_backward_oracle},
    {"softplus_backward", VBackward::softplus_backward, 2, 5, false,
     [](double g, double x, double beta, double threshold) {
       return float(x * beta) > float(threshold) ? g : g / (1 + std::exp(-x * beta));
     }},
};

static void test_backward() {
  // Inputs of moderate size (where the gradients are not 0 or 1 at once), the gradient a varied factor.
  std::vector<float> g, a;
  for (int i = -40000; i <= 40000; ++i) {
    const float x = float(i) * 3e-4f;
    g.push_back(1.0f + float(i % 7) * 0.25f);
    a.push_back(x);
  }
  for (float x : {1e19f, 2e19f, -2e19f, std::numeric_limits<float>::max()}) {
    g.push_back(1.0f);
    a.push_back(x);
  }
  std::vector<float> got(a.size());
  for (const BackwardCase& c : kBackwardCases) {
    std::vector<float> operand = a;
    if (c.output_operand) vunary(c.op == VBackward::tanh_backward ? VUnary::tanh : VUnary::sigmoid, operand.data(),
                                 a.data(), int64_t(a.size()));
    for (VIsa isa : isas()) {
      vmath_set_isa(isa);
      vbackward(c.op, got.data(), g.data(), operand.data(), int64_t(a.size()), c.p0, c.p1);
      double worst = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        const double want = c.oracle(double(g[i]), double(operand[i]), c.p0, c.p1);
        // g (1 - y^2) and g (1 - y) y cancel in float near y = 1 as PyTorch's do: measured against g there.
        const double scale =
            std::fabs(want) + (c.output_operand ? std::fabs(double(g[i])) : c.cancels ? 0.1 * std::fabs(double(g[i])) : 1e-6);
        if (std::isnan(want) || std::isnan(got[i])) {
          worst = std::isnan(want) && std::isnan(got[i]) ? worst : INFINITY;
          continue;
        }
        worst = std::max(worst, std::fabs(double(got[i]) - want) / scale);
      }
      std::printf("vmath %-34s %-8s max relative error %.2e\n", c.name, isa_name(isa), worst);
      CHECK(worst < 1e-6);
    }
  }
  vmath_set_isa(isas().back());
}

// Through the elementwise kernel: a transposed input (the strided path), 1 and 2 threads, the same bits as vunary.
static void test_elementwise_paths() {
  const int rows = 300, cols = 411;
  std::vector<float> x(size_t(rows) * cols), want(x.size()), out(x.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 2001) - 1000) * 0.013f;
  const int64_t shape[] = {cols, rows}, so[] = {rows, 1}, sx[] = {1, cols};
  std::vector<float> xt(x.size());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) xt[size_t(c) * rows + r] = x[size_t(r) * cols + c];
  vunary(VUnary::gelu, want.data(), xt.data(), int64_t(xt.size()));
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::fill(out.begin(), out.end(), -1.0f);
    CHECK(unary(UnaryOp::gelu, DType::F32, out.data(), DType::F32, x.data(), 2, shape, View{0, so}, View{0, sx}, 0, 0));
    CHECK(std::memcmp(out.data(), want.data(), out.size() * 4) == 0);
    const int64_t flat[] = {int64_t(x.size())}, one[] = {1};
    CHECK(unary(UnaryOp::gelu, DType::F32, out.data(), DType::F32, xt.data(), 1, flat, View{0, one}, View{0, one}, 0, 0));
    CHECK(std::memcmp(out.data(), want.data(), out.size() * 4) == 0);
  }
  set_num_threads(1);
}

// The row reductions against scalar loops in their order (element i in lane i mod 32 of 32 lanes, folded by halving:
// lane k takes lane k + w for w = 16, 8, 4, 2, 1): the same bits on every path, for lengths around the vector widths,
// the lanes and the exp blocks, with -0, NaN and infinities in the rows; and against a long double sum, to a
// relative 1e-12 of the sum of |terms|.
template <class T, class Op>
static T fold_lanes(T (&a)[32], Op op) {
  for (int w = 16; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) a[k] = op(a[k], a[k + w]);
  return a[0];
}
struct ScalarLanes {
  double a[32] = {};
  double total() const {
    double t[32];
    std::memcpy(t, a, sizeof t);
    return fold_lanes(t, [](double p, double q) { return p + q; });
  }
};
static float scalar_max(const float* x, int64_t n) {
  float m[32];
  for (float& v : m) v = -INFINITY;
  auto larger = [](float a, float b) { return b > a ? b : a; };
  for (int64_t i = 0; i < n; ++i) m[i & 31] = larger(m[i & 31], x[i]);
  return fold_lanes(m, larger);
}
static bool same_bits(double a, double b) { return std::memcmp(&a, &b, 8) == 0 || (std::isnan(a) && std::isnan(b)); }

static void test_reductions() {
  uint32_t state = 12345;
  auto next = [&]() {
    state = state * 1664525u + 1013904223u;
    return float(int32_t(state >> 8) - (1 << 23)) / float(1 << 21);  // in [-4, 4)
  };
  int checked = 0;
  for (VIsa isa : isas()) {
    vmath_set_isa(isa);
    for (int64_t n : {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 1000, 1024, 4099}) {
      for (int variant = 0; variant < 5; ++variant) {
        const size_t len = static_cast<size_t>(n);
        std::vector<float> x(len), y(len), e(len), e_ref(len);
        for (int64_t i = 0; i < n; ++i) x[size_t(i)] = next(), y[size_t(i)] = next();
        if (n && variant == 1) x[size_t(n / 2)] = -0.0f;
        if (variant == 2) std::fill(x.begin(), x.end(), -0.0f);
        if (n && variant == 3) x[size_t(n - 1)] = NAN;
        if (n && variant == 4) x[0] = -INFINITY, y[size_t(n - 1)] = 1e30f;
        const float m = vmax(x.data(), n), m_ref = scalar_max(x.data(), n);
        CHECK(std::memcmp(&m, &m_ref, 4) == 0);
        // sum(exp(x - m)): the float difference, vexp, the lanes.
        ScalarLanes se, sd, ss, sq;
        LD exact = 0, exact_abs = 0;
        for (int64_t i = 0; i < n; ++i) e_ref[size_t(i)] = x[size_t(i)] - m;
        vexp(e_ref.data(), e_ref.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double a = x[size_t(i)], b = y[size_t(i)];
          se.a[i & 31] += double(e_ref[size_t(i)]);
          sd.a[i & 31] += a * b;
          ss.a[i & 31] += a;
          sq.a[i & 31] += (a - 0.25) * (a - 0.25);
          exact += LD(a) * LD(b);
          exact_abs += std::fabs(LD(a) * LD(b));
        }
        const double es = vexp_sum(x.data(), m, e.data(), n);
        CHECK(same_bits(es, se.total()));
        CHECK(same_bits(vexp_sum(x.data(), m, nullptr, n), se.total()));
        // With differences, e receives x - m (log_softmax's first term) and the sum is the same.
        std::vector<float> d(len, 7.0f);
        CHECK(same_bits(vexp_sum(x.data(), m, d.data(), n, true), se.total()));
        for (int64_t i = 0; i < n; ++i) {
          const float want = x[size_t(i)] - m;
          CHECK(std::memcmp(&d[size_t(i)], &want, 4) == 0);
        }
        CHECK(n == 0 || std::memcmp(e.data(), e_ref.data(), size_t(n) * 4) == 0);
        const double dot = vdot(x.data(), y.data(), n);
        CHECK(same_bits(dot, sd.total()));
        CHECK(same_bits(vdot(x.data(), nullptr, n), ss.total()));
        CHECK(same_bits(vsqdev(x.data(), 0.25, n), sq.total()));
        if (variant == 0) CHECK(std::fabs(LD(dot) - exact) <= 1e-12L * exact_abs);
        ++checked;
      }
    }
  }
  vmath_set_isa(isas().back());
  std::printf("vmath row reductions: %d rows per path, the same bits as the scalar loops\n", checked / int(isas().size()));
}

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::vector<float> xs = sweep_inputs();
  std::printf("vmath: %zu inputs per op, paths:", xs.size());
  for (VIsa isa : isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  test_unary_ulp(xs);
  test_pow_ulp(xs);
  test_backward();
  test_elementwise_paths();
  test_reductions();
  if (failures) {
    std::fprintf(stderr, "%d vmath check(s) failed\n", failures);
    return 1;
  }
  std::printf("vmath tests passed\n");
  return 0;
}
