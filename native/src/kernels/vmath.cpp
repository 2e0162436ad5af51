// The vectorised float32 math behind vmath.h. Each lane converts its float to double, evaluates there (range
// reduction plus a polynomial accurate to about 1e-13, or 1e-10 for erfc) and rounds once back to float: that
// single rounding is what keeps every result within 1 ulp of the correctly rounded one, subnormal results included,
// without the float-only tricks (two-part constants, scaled underflow) a pure float kernel needs. The code is written
// once over GCC vector types of W floats and compiled three times: AVX-512 (W = 16), AVX2 (W = 8) and portable
// (W = 4, whatever the target lowers it to). Lanes outside a kernel's fast range (sin and cos beyond 2^16, pow's
// zero, infinite and NaN operands) are recomputed with the double libm function.
#include "vmath.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

namespace torchlet {
namespace vmath_detail {
namespace {

#define VM_INLINE inline __attribute__((always_inline))

template <int W>
struct Vec {
  typedef float F __attribute__((vector_size(4 * W)));
  typedef double D __attribute__((vector_size(8 * W)));
  typedef int64_t L __attribute__((vector_size(8 * W)));
};

template <class D>
using MaskOf = decltype(D{} < D{});

template <class D>
VM_INLINE D splat(double v) {
  return D{} + v;
}
template <class M>
VM_INLINE bool any(M m) {
  bool r = false;
  for (unsigned i = 0; i < sizeof m / sizeof m[0]; ++i) r |= m[i] != 0;
  return r;
}
// Round to the nearest integer, for |x| < 2^51.
template <class D>
VM_INLINE D round_int(D x) {
  return (x + 0x1.8p52) - 0x1.8p52;
}
// 2^n for integral n in [-1022, 1023].
template <class D>
VM_INLINE D pow2(D n) {
  using L = MaskOf<D>;
  const L b = (L)(n + (0x1.8p52 + 1023.0));
  return (D)(b << 52);
}
// The small integers of l as doubles (|l| < 2^51).
template <class D>
VM_INLINE D to_double(MaskOf<D> l) {
  return (D)(l + 0x4338000000000000LL) - 0x1.8p52;
}
template <class D>
VM_INLINE D fabs_(D x) {
  using L = MaskOf<D>;
  return (D)((L)x & 0x7fffffffffffffffLL);
}
template <class D, size_t N>
VM_INLINE D horner(D s, const double (&c)[N]) {
  D r = splat<D>(c[N - 1]);
#pragma GCC unroll 20
  for (int i = int(N) - 2; i >= 0; --i) r = r * s + c[i];
  return r;
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2 = 0.6931471805599453;
// (exp(r) - 1) / r = 1 + r / 2 + r^2 / 6 + ... (to r^10 / 11!): relative error below 2e-14 for |r| <= ln 2 / 2.
constexpr double kExpQ[] = {1.0,
                            1.0 / 2,
                            1.0 / 6,
                            1.0 / 24,
                            1.0 / 120,
                            1.0 / 720,
                            1.0 / 5040,
                            1.0 / 40320,
                            1.0 / 362880,
                            1.0 / 3628800,
                            1.0 / 39916800};
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1): s (2 + 2 s^2 / 3 + ... + 2 s^14 / 15), |s| <= 0.1716.
constexpr double kLogS[] = {2.0, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11, 2.0 / 13, 2.0 / 15};
// erf(x) / x as a polynomial of s = 2 x^2 - 1 for |x| <= 1 (Chebyshev interpolant of degree 9, relative error
// 2.4e-14; scripts in the commit message of this file's first version: numpy's Chebyshev.interpolate).
constexpr double kErfSmall[] = {0.9654687386698854,     -0.14053608902271703,  0.01985249668809628,
                                -0.002285485561119209,  0.0002175171631334294, -1.753716968374841e-05,
                                1.2233628325475368e-06, -7.511494857226356e-08, 4.138644271733938e-09,
                                -2.044288294200669e-10};
// erfc(z) exp(z^2) as a polynomial of s = 2.2083 / z - 1.2083 for z in [1, 10.6] (degree 16, relative error 1.2e-10).
constexpr double kErfcx[] = {0.2751358527003148,     0.1855973358251609,     -0.037221506758715266,
                             0.0030843142913022964,  0.001933686934784303,   -0.001342117095596051,
                             0.0004904806192149691,  -8.750738412389173e-05, -2.9436062488427004e-05,
                             3.6867786714162915e-05, -2.0854892029108227e-05, 8.982007094181579e-06,
                             -2.3477086421202547e-06, -1.4712201919891514e-06, 1.797442648684531e-06,
                             -4.530874700480277e-07, -4.724346524325244e-08};
constexpr double kErfcxScale = 2.2083333333333335, kErfcxShift = -1.2083333333333333, kErfcxMinW = 1 / 10.6;
// sin r = r + r^3 (-1/6 + r^2 / 120 ...), cos r = 1 + r^2 (-1/2 + r^2 / 24 ...), |r| <= pi / 4.
constexpr double kSin[] = {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800.0,
                           -1.0 / 1307674368000.0};
constexpr double kCos[] = {-1.0 / 2,       1.0 / 24,           -1.0 / 720,           1.0 / 40320,
                           -1.0 / 3628800, 1.0 / 479001600.0, -1.0 / 87178291200.0, 1.0 / 20922789888000.0};
// pi / 2 in three parts, the first two of 33 bits (fdlibm's pio2_1, pio2_2, pio2_2t), and 2 / pi.
constexpr double kPio2A = 1.57079632673412561417e+00, kPio2B = 6.07710050630396597660e-11,
                 kPio2C = 2.02226624879595063154e-21, kTwoOverPi = 6.36619772367581382433e-01;
constexpr double kTrigMax = 65536.0;
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kPdf = 0.39894228040143267794;          // 1 / sqrt(2 pi)
constexpr double kTanhBeta = 0.79788456080286535588;     // sqrt(2 / pi)
constexpr double kKappa = 0.044715;

// exp(x) = s (1 + q) for x in [-700, 700].
template <class D>
VM_INLINE void exp_parts(D x, D& s, D& q) {
  const D n = round_int(x * kLog2e);
  const D r = (x - n * kLn2Hi) - n * kLn2Lo;
  q = r * horner(r, kExpQ);
  s = pow2(n);
}
template <class D>
VM_INLINE D clamp700(D x) {
  return x > 700.0 ? splat<D>(700.0) : (x < -700.0 ? splat<D>(-700.0) : x);
}
template <class D>
VM_INLINE D exp_d(D x) {
  D s, q;
  exp_parts(clamp700(x), s, q);
  D r = s + s * q;
  r = x == kInf ? splat<D>(kInf) : r;
  return x == -kInf ? splat<D>(0.0) : r;
}
template <class D>
VM_INLINE D expm1_d(D x) {
  D s, q;
  const D c = clamp700(x);
  exp_parts(c, s, q);
  D r = (c == 0.0 || fabs_(c) < 0.34) ? q : s * q + (s - 1.0);
  r = x == kInf ? splat<D>(kInf) : r;
  return x == -kInf ? splat<D>(-1.0) : r;
}
// log u for positive normal u.
template <class D>
VM_INLINE D log_pos(D u) {
  using L = MaskOf<D>;
  const L b = (L)u;
  L e = (b >> 52) - 1023;
  D m = (D)((b & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
  const L big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  e = e - big;
  const D s = (m - 1.0) / (m + 1.0);
  return to_double<D>(e) * kLn2 + s * horner(s * s, kLogS);
}
// log u for any u: NaN below 0, -inf at 0.
template <class D>
VM_INLINE D log_any(D u) {
  const auto ok = u > 0.0 && u < kInf;
  D r = log_pos(ok ? u : splat<D>(1.0));
  r = ok ? r : (u == 0.0 ? splat<D>(-kInf) : (u < 0.0 ? splat<D>(kNaN) : u));
  return r;
}
// log1p(x) for x >= -1 whose 1 + x is exact or large (float inputs, exp results).
template <class D>
VM_INLINE D log1p_d(D x) {
  const D u = x + 1.0;
  // The rounding of 1 + x, taken back to first order; near 0 the series.
  const D c = ((u - 1.0) - x) / u;
  const D big = log_any(u) - (u > 0.0 && u < kInf ? c : splat<D>(0.0));
  const D small = x * (1.0 + x * (-1.0 / 2 + x * (1.0 / 3 + x * (-1.0 / 4 + x * (1.0 / 5)))));
  const D r = fabs_(x) < 1e-4 ? small : big;
  return x == kInf ? x : r;
}
// 1 / (1 + exp(-x)).
template <class D>
VM_INLINE D sigmoid_d(D x) {
  return 1.0 / (1.0 + exp_d(-x));
}
// erfc(a) for a >= 1 (and NaN), given a2 = a^2 exactly: exp(-a^2) erfcx(a); also returns exp(-a^2).
template <class D>
VM_INLINE D erfc_big(D a, D a2, D& ea2) {
  D w = 1.0 / a;
  w = w < kErfcxMinW ? splat<D>(kErfcxMinW) : w;
  ea2 = exp_d(-a2);
  return ea2 * horner(w * kErfcxScale + kErfcxShift, kErfcx);
}
// erf(x) / x for x^2 = a2 <= 1.
template <class D>
VM_INLINE D erf_small_ratio(D a2) {
  return horner(a2 * 2.0 - 1.0, kErfSmall);
}
template <class D>
VM_INLINE D erf_d(D x) {
  const D a = fabs_(x), a2 = x * x;
  D r = x * erf_small_ratio(a2 < 1.0 ? a2 : splat<D>(1.0));
  const auto big = !(a <= 1.0);
  if (any(big)) {
    D ea2;
    const D e = 1.0 - erfc_big(a, a2, ea2);
    r = big ? (x < 0.0 ? -e : e) : r;
  }
  return r;
}
// Phi(x) = (1 + erf(x / sqrt 2)) / 2, accurate in the lower tail too; also returns exp(-x^2 / 2).
template <class D>
VM_INLINE D normal_cdf(D x, D& ex2) {
  const D z = x * kSqrt1_2, a = fabs_(z), a2 = x * x * 0.5;
  D r = 0.5 + 0.5 * (z * erf_small_ratio(a2 < 1.0 ? a2 : splat<D>(1.0)));
  const auto big = !(a <= 1.0);
  if (any(big)) {
    const D c = 0.5 * erfc_big(a, a2, ex2);
    r = big ? (z < 0.0 ? c : 1.0 - c) : r;
    ex2 = big ? ex2 : exp_d(-a2);
  } else {
    ex2 = exp_d(-a2);
  }
  return r;
}
// sin (cos_shift 0) or cos (1) for |x| <= 2^16; bigger lanes are the caller's.
template <class D>
VM_INLINE D sincos_d(D x, int64_t cos_shift) {
  using L = MaskOf<D>;
  const D n = round_int(x * kTwoOverPi);
  const D r = ((x - n * kPio2A) - n * kPio2B) - n * kPio2C;
  const D r2 = r * r;
  const D s = r + r * r2 * horner(r2, kSin);
  const D c = 1.0 + r2 * horner(r2, kCos);
  const L q = ((L)(n + 0x1.8p52) + cos_shift) & 3;
  const D v = (q & 1) != 0 ? c : s;
  return (q & 2) != 0 ? -v : v;
}
// Whether y (integral doubles) is odd; |y| >= 2^53 is even.
template <class D>
VM_INLINE MaskOf<D> is_odd(D y) {
  using L = MaskOf<D>;
  const D h = fabs_(y) * 0.5;
  const D hr = h < 0x1p52 ? round_int(h) : h;
  return (L)(hr != h);
}
// pow(x, y) for finite nonzero x and finite nonzero y; other lanes are flagged in `special`.
template <class D>
VM_INLINE D pow_d(D x, D y, MaskOf<D>& special) {
  const D ax = fabs_(x);
  special = !(ax > 0.0 && ax < kInf && fabs_(y) < kInf && y != 0.0);
  const D r = exp_d(y * log_pos(special ? splat<D>(1.0) : ax));
  const D ay = fabs_(y);
  const auto integral = ay >= 0x1p52 || round_int(ay) == ay;
  const D neg = integral ? (is_odd(y) != 0 ? -r : r) : splat<D>(kNaN);
  return x < 0.0 ? neg : r;
}

struct Params {
  double p0, p1;
  float p0f, p1f;
};

// The unary ops on W lanes of double: f(x) -> result, before the rounding to float.
template <class D>
VM_INLINE D unary_op(VUnary op, D x, const Params& p) {
  switch (op) {
    case VUnary::exp: return exp_d(x);
    case VUnary::log: return log_any(x);
    case VUnary::log1p: return log1p_d(x);
    case VUnary::expm1: return expm1_d(x);
    case VUnary::tanh: {
      // tanh x = expm1(2x) / (expm1(2x) + 2); |x| > 20 is +-1 in float.
      const D t = x > 20.0 ? splat<D>(40.0) : (x < -20.0 ? splat<D>(-40.0) : x * 2.0);
      const D em = expm1_d(t);
      return em / (em + 2.0);
    }
    case VUnary::sigmoid: return sigmoid_d(x);
    case VUnary::erf: return erf_d(x);
    case VUnary::gelu: {
      D ex2;
      return x * normal_cdf(x, ex2);
    }
    case VUnary::gelu_tanh: {
      // 0.5 x (1 + tanh u) = x / (1 + exp(-2u)), which stays accurate where 1 + tanh u cancels.
      const D u = (x + x * x * x * kKappa) * kTanhBeta;
      return x / (1.0 + exp_d(u * -2.0));
    }
    case VUnary::silu: return x / (1.0 + exp_d(-x));
    case VUnary::softplus: {
      // log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)); z = x beta is exact in double.
      const D z = x * p.p0;
      const D v = ((z > 0.0 ? z : splat<D>(0.0)) + log1p_d(exp_d(-fabs_(z)))) / p.p0;
      return v;
    }
    case VUnary::sin: return sincos_d(x, 0);
    case VUnary::cos: return sincos_d(x, 1);
    default: return x;
  }
}

// The lanes the unary fast path leaves to libm: sin and cos of big arguments, pow's special operands.
template <class D>
VM_INLINE MaskOf<D> unary_special(VUnary op, D x) {
  if (op == VUnary::sin || op == VUnary::cos) return (MaskOf<D>)(fabs_(x) > kTrigMax);
  return MaskOf<D>{};
}
inline float unary_libm(VUnary op, float x, const Params& p) {
  switch (op) {
    case VUnary::sin: return float(std::sin(double(x)));
    case VUnary::cos: return float(std::cos(double(x)));
    case VUnary::pow_scalar: return float(std::pow(double(x), p.p0));
    default: return x;
  }
}

template <int W>
VM_INLINE void unary_block(VUnary op, float* out, const float* in, const Params& p) {
  using V = Vec<W>;
  typename V::F f;
  std::memcpy(&f, in, sizeof f);
  const typename V::D x = __builtin_convertvector(f, typename V::D);
  typename V::D r;
  MaskOf<typename V::D> special;
  if (op == VUnary::pow_scalar) {
    r = pow_d(x, splat<typename V::D>(p.p0), special);
  } else {
    r = unary_op(op, x, p);
    special = unary_special(op, x);
  }
  typename V::F o = __builtin_convertvector(r, typename V::F);
  if (op == VUnary::softplus) {
    // PyTorch's test, in float: x where x * beta > threshold.
    const auto linear = f * p.p0f > p.p1f;
    o = linear ? f : o;
  }
  if (any(special)) {
    for (int i = 0; i < W; ++i)
      if (special[i]) o[i] = unary_libm(op, f[i], p);
  }
  std::memcpy(out, &o, sizeof o);
}

template <int W>
VM_INLINE void unary_impl(VUnary op, float* out, const float* in, int64_t n, const Params& p) {
  int64_t i = 0;
  for (; i + W <= n; i += W) unary_block<W>(op, out + i, in + i, p);
  if (i < n) {
    float buf[W] = {};
    std::memcpy(buf, in + i, sizeof(float) * size_t(n - i));
    unary_block<W>(op, buf, buf, p);
    std::memcpy(out + i, buf, sizeof(float) * size_t(n - i));
  }
}

template <int W>
VM_INLINE void backward_block(VBackward op, float* out, const float* gp, const float* ap, const Params& p) {
  using V = Vec<W>;
  using D = typename V::D;
  typename V::F gf, af, o;
  std::memcpy(&gf, gp, sizeof gf);
  std::memcpy(&af, ap, sizeof af);
  if (op == VBackward::tanh_backward) {
    // As PyTorch's kernels, in float: g (1 - y^2) and g (1 - y) y.
    o = gf * (1.0f - af * af);
  } else if (op == VBackward::sigmoid_backward) {
    o = gf * (1.0f - af) * af;
  } else {
    const D g = __builtin_convertvector(gf, D), x = __builtin_convertvector(af, D);
    D r;
    if (op == VBackward::silu_backward) {
      const D s = sigmoid_d(x);
      r = g * s * (1.0 + x * (1.0 - s));
    } else if (op == VBackward::gelu_backward) {
      D ex2;
      const D cdf = normal_cdf(x, ex2);
      r = g * (cdf + x * (ex2 * kPdf));
    } else if (op == VBackward::gelu_tanh_backward) {
      // With s = sigmoid(2u): 1 + tanh u = 2 s and 1 - tanh^2 u = 4 s (1 - s).
      const D x2 = x * x;
      const D u = (x + x2 * x * kKappa) * kTanhBeta;
      const D e = exp_d(u * -2.0);
      const D s = 1.0 / (1.0 + e), sc = e / (1.0 + e);
      r = g * (s + x * 2.0 * s * sc * ((1.0 + x2 * (3 * kKappa)) * kTanhBeta));
    } else {
      r = g * sigmoid_d(x * p.p0);
    }
    o = __builtin_convertvector(r, typename V::F);
    if (op == VBackward::softplus_backward) {
      const auto linear = af * p.p0f > p.p1f;
      o = linear ? gf : o;
    }
  }
  std::memcpy(out, &o, sizeof o);
}

template <int W>
VM_INLINE void backward_impl(VBackward op, float* out, const float* g, const float* a, int64_t n, const Params& p) {
  int64_t i = 0;
  for (; i + W <= n; i += W) backward_block<W>(op, out + i, g + i, a + i, p);
  if (i < n) {
    float gb[W] = {}, ab[W] = {};
    std::memcpy(gb, g + i, sizeof(float) * size_t(n - i));
    std::memcpy(ab, a + i, sizeof(float) * size_t(n - i));
    backward_block<W>(op, gb, gb, ab, p);
    std::memcpy(out + i, gb, sizeof(float) * size_t(n - i));
  }
}

template <int W>
VM_INLINE void pow_block(float* out, const float* xp, const float* yp) {
  using V = Vec<W>;
  using D = typename V::D;
  typename V::F xf, yf;
  std::memcpy(&xf, xp, sizeof xf);
  std::memcpy(&yf, yp, sizeof yf);
  MaskOf<D> special;
  const D r = pow_d(__builtin_convertvector(xf, D), __builtin_convertvector(yf, D), special);
  typename V::F o = __builtin_convertvector(r, typename V::F);
  if (any(special)) {
    for (int i = 0; i < W; ++i)
      if (special[i]) o[i] = float(std::pow(double(xf[i]), double(yf[i])));
  }
  std::memcpy(out, &o, sizeof o);
}

template <int W>
VM_INLINE void pow_impl(float* out, const float* x, const float* y, int64_t n) {
  int64_t i = 0;
  for (; i + W <= n; i += W) pow_block<W>(out + i, x + i, y + i);
  if (i < n) {
    float xb[W] = {}, yb[W] = {};
    std::memcpy(xb, x + i, sizeof(float) * size_t(n - i));
    std::memcpy(yb, y + i, sizeof(float) * size_t(n - i));
    pow_block<W>(xb, xb, yb);
    std::memcpy(out + i, xb, sizeof(float) * size_t(n - i));
  }
}

// One copy of the three drivers per instruction set.
#define TORCHLET_VMATH_ISA(suffix, target_attr, W)                                                                \
  target_attr void unary_##suffix(VUnary op, float* out, const float* in, int64_t n, const Params& p) {           \
    unary_impl<W>(op, out, in, n, p);                                                                             \
  }                                                                                                               \
  target_attr void backward_##suffix(VBackward op, float* out, const float* g, const float* a, int64_t n,         \
                                     const Params& p) {                                                           \
    backward_impl<W>(op, out, g, a, n, p);                                                                        \
  }                                                                                                               \
  target_attr void pow_##suffix(float* out, const float* x, const float* y, int64_t n) { pow_impl<W>(out, x, y, n); }

#if defined(__x86_64__) && defined(__GNUC__)
#define TORCHLET_VMATH_X86 1
TORCHLET_VMATH_ISA(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), 16)
TORCHLET_VMATH_ISA(avx2, __attribute__((target("avx2,fma"))), 8)
#endif
TORCHLET_VMATH_ISA(portable, , 4)
#undef TORCHLET_VMATH_ISA

VIsa best_isa() {
#ifdef TORCHLET_VMATH_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
    return VIsa::avx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return VIsa::avx2;
#endif
  return VIsa::portable;
}

std::atomic<int>& isa_slot() {
  static std::atomic<int> isa{int(best_isa())};
  return isa;
}

Params params(float p0, float p1) { return Params{double(p0), double(p1), p0, p1}; }

}  // namespace
}  // namespace vmath_detail

VIsa vmath_isa() { return VIsa(vmath_detail::isa_slot().load(std::memory_order_relaxed)); }

bool vmath_set_isa(VIsa isa) {
  if (int(isa) > int(vmath_detail::best_isa())) return false;
  vmath_detail::isa_slot().store(int(isa), std::memory_order_relaxed);
  return true;
}

void vunary(VUnary op, float* out, const float* in, int64_t n, float p0, float p1) {
  using namespace vmath_detail;
  const Params p = params(p0, p1);
  switch (vmath_isa()) {
#ifdef TORCHLET_VMATH_X86
    case VIsa::avx512: return unary_avx512(op, out, in, n, p);
    case VIsa::avx2: return unary_avx2(op, out, in, n, p);
#endif
    default: return unary_portable(op, out, in, n, p);
  }
}

void vbackward(VBackward op, float* out, const float* g, const float* a, int64_t n, float p0, float p1) {
  using namespace vmath_detail;
  const Params p = params(p0, p1);
  switch (vmath_isa()) {
#ifdef TORCHLET_VMATH_X86
    case VIsa::avx512: return backward_avx512(op, out, g, a, n, p);
    case VIsa::avx2: return backward_avx2(op, out, g, a, n, p);
#endif
    default: return backward_portable(op, out, g, a, n, p);
  }
}

void vpow(float* out, const float* x, const float* y, int64_t n) {
  using namespace vmath_detail;
  switch (vmath_isa()) {
#ifdef TORCHLET_VMATH_X86
    case VIsa::avx512: return pow_avx512(out, x, y, n);
    case VIsa::avx2: return pow_avx2(out, x, y, n);
#endif
    default: return pow_portable(out, x, y, n);
  }
}

}  // namespace torchlet
