// The vectorised float32 math behind vmath.h, in two kinds of lanes.
// Double lanes (every op on the portable path, the ops without float lanes everywhere): each lane converts its float
// to double, evaluates there (range reduction plus a polynomial accurate to about 1e-13, or 1e-10 for erfc) and
// rounds once back to float: that single rounding keeps every result within 1 ulp of the correctly rounded one,
// subnormal results included. The code is written once over GCC vector types of W lanes and compiled three times:
// AVX-512 (W = 8, one zmm of doubles), AVX2 (W = 4) and portable (W = 2, whatever the target lowers it to). Wider
// vectors than the registers (16 lanes of double on AVX-512) made GCC split the selects and comparisons into scalar
// code, 2.6 times slower. Lanes outside a kernel's fast range (sin and cos beyond 2^16, pow's zero, infinite and NaN
// operands) are recomputed with the double libm function.
// Float lanes (AVX-512 and AVX2: exp, log, log1p, expm1, sigmoid, silu, gelu, softplus with beta 1 and the
// gradients of tanh, sigmoid, silu and gelu): 2W floats per register, twice the lanes, with the float-only techniques
// (two-part ln 2, fma, scaling in two steps) that keep them within 2 ulp (1 for most); see "Float lanes" below. gelu,
// its gradient and softplus evaluate piecewise polynomials from register tables over the range where activations
// are (no exp, no division), the rare vectors with a lane beyond it on a slower exact path.
#include "vmath.h"

#include "simd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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
#if defined(__x86_64__) && defined(__GNUC__)
// Whether any bit is set, in one test of the register (the word loop below went through memory: sin 10% slower).
inline __attribute__((target("avx512f"))) bool any_bits(__m512i m) { return _mm512_test_epi64_mask(m, m) != 0; }
inline __attribute__((target("avx"))) bool any_bits(__m256i m) { return !_mm256_testz_si256(m, m); }
#endif
template <class M>
VM_INLINE bool any(M m) {
#if defined(__x86_64__) && defined(__GNUC__)
  // (64-byte masks occur on the AVX-512 path only, 32-byte ones on the AVX-512 and AVX2 paths)
  if constexpr (sizeof m == 64) return any_bits((__m512i)m);
  if constexpr (sizeof m == 32) return any_bits((__m256i)m);
#endif
  // OR of the mask's 64-bit words (a loop over its lanes became scalar code on AVX-512).
  uint64_t w[sizeof m / 8], r = 0;
  std::memcpy(w, &m, sizeof m);
  for (unsigned i = 0; i < sizeof m / 8; ++i) r |= w[i];
  return r != 0;
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
// m ? a : b for a mask m that is not a plain comparison (an & or | of masks, a ~): in bitwise operations, as GCC 12
// made scalar code of such selects (tanh in double lanes ran 2.5 times slower for one).
// A comparison's mask as a plain vector of integers in a register: GCC 12 keeps comparisons as vectors of
// booleans and lowered an & or | of two of them (and a select by it) to scalar code, element by element.
template <class M>
VM_INLINE M lanes(M m) {
#if defined(__x86_64__) && defined(__GNUC__)
  asm("" : "+v"(m));
#endif
  return m;
}
template <class D>
VM_INLINE D sel(MaskOf<D> m, D a, D b) {
  using L = MaskOf<D>;
  return (D)(((L)a & m) | ((L)b & ~m));
}
template <class D>
VM_INLINE D fabs_(D x) {
  using L = MaskOf<D>;
  return (D)((L)x & 0x7fffffffffffffffLL);
}
// a b + c, in one fma on the double lanes of AVX-512 and AVX2 (two roundings on the portable path): the double-lane
// results may differ in their last bit between the paths (each within 1 ulp). Horner's rule in fmas halves the
// latency of its chain: pow of 64K floats 314-315 us -> 241-250, of 1M 4.93-5.07 ms -> 3.78-3.86 (alternating).
template <class D>
VM_INLINE D fmadd_d(D a, D b, D c) {
  return a * b + c;
}
#if defined(__x86_64__) && defined(__GNUC__)
inline __attribute__((target("avx512f"))) Vec<8>::D fmadd_d(Vec<8>::D a, Vec<8>::D b, Vec<8>::D c) {
  return (Vec<8>::D)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
}
inline __attribute__((target("avx2,fma"))) Vec<4>::D fmadd_d(Vec<4>::D a, Vec<4>::D b, Vec<4>::D c) {
  return (Vec<4>::D)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
}
#endif
template <class D, size_t N>
VM_INLINE D horner(D s, const double (&c)[N]) {
  D r = splat<D>(c[N - 1]);
#pragma GCC unroll 20
  for (int i = int(N) - 2; i >= 0; --i) r = fmadd_d(r, s, splat<D>(c[i]));
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
// sin r = r + r^3 (-1/3! + r^2 / 5! ... - r^12 / 15!) for |r| <= pi / 2 (Taylor: the first term left out,
// r^17 / 17!, is below 6.1e-12 there, and below 6.1e-12 |sin r| relative; the result rounds once to float from well
// within 1e-9). One polynomial serves sin and cos: cos x = sin(x - pi / 2 - n pi) up to the sign.
constexpr double kSin[] = {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800.0,
                           -1.0 / 1307674368000.0};
// pi / 2 in three parts, the first two of 33 bits (fdlibm's pio2_1, pio2_2, pio2_2t), and 1 / pi.
constexpr double kPio2A = 1.57079632673412561417e+00, kPio2B = 6.07710050630396597660e-11,
                 kPio2C = 2.02226624879595063154e-21, kOneOverPi = 3.18309886183790671538e-01;
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
  D r = fabs_(c) < 0.34 ? q : s * q + (s - 1.0);  // (c == 0 is in it; an | of two masks made GCC scalarise the select)
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
  const auto ok = lanes(u > 0.0) & lanes(u < kInf);
  const D r = log_pos(sel(ok, u, splat<D>(1.0)));
  return sel(ok, r, u == 0.0 ? splat<D>(-kInf) : (u < 0.0 ? splat<D>(kNaN) : u));
}
// log1p(x) for x >= -1 whose 1 + x is exact or large (float inputs, exp results).
template <class D>
VM_INLINE D log1p_d(D x) {
  const D u = x + 1.0;
  // The rounding of 1 + x, taken back to first order; near 0 the series.
  const D c = ((u - 1.0) - x) / u;
  const D big = log_any(u) - sel(lanes(u > 0.0) & lanes(u < kInf), c, splat<D>(0.0));
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
  const auto big = ~lanes(a <= 1.0);
  if (any(big)) {
    D ea2;
    const D e = 1.0 - erfc_big(a, a2, ea2);
    r = sel(big, x < 0.0 ? -e : e, r);
  }
  return r;
}
// Phi(x) = (1 + erf(x / sqrt 2)) / 2, accurate in the lower tail too; also returns exp(-x^2 / 2).
template <class D>
VM_INLINE D normal_cdf(D x, D& ex2) {
  const D z = x * kSqrt1_2, a = fabs_(z), a2 = x * x * 0.5;
  D r = 0.5 + 0.5 * (z * erf_small_ratio(a2 < 1.0 ? a2 : splat<D>(1.0)));
  const auto big = ~lanes(a <= 1.0);
  if (any(big)) {
    const D c = 0.5 * erfc_big(a, a2, ex2);
    r = sel(big, z < 0.0 ? c : 1.0 - c, r);
    ex2 = sel(big, ex2, exp_d(-a2));
  } else {
    ex2 = exp_d(-a2);
  }
  return r;
}
// sin (cos_shift 0) or cos (1) for |x| <= 2^16; bigger lanes are the caller's. x = m pi / 2 + r with |r| <= pi / 2
// and m = 2 n + cos_shift, n = round(x / pi - cos_shift / 2): then sin x = (-1)^n sin r and cos x = (-1)^(n + 1)
// sin r. m is below 2^16, so m times the 33-bit first part of pi / 2 is exact. (Reducing by pi / 2 and evaluating
// both sin and cos polynomials, then picking one per lane, took a third more arithmetic.)
template <class D>
VM_INLINE D sincos_d(D x, int64_t cos_shift) {
  using L = MaskOf<D>;
  const D t = (x * kOneOverPi - 0.5 * double(cos_shift)) + 0x1.8p52;
  const D n = t - 0x1.8p52;
  const D m = n + n + double(cos_shift);
  const D r = fmadd_d(m, splat<D>(-kPio2C), fmadd_d(m, splat<D>(-kPio2B), fmadd_d(m, splat<D>(-kPio2A), x)));
  const D r2 = r * r;
  const D p = fmadd_d(r * r2, horner(r2, kSin), r);
  const D v = r == 0.0 ? r : p;  // sin(-0) is -0: the sum above gives +0 (+0 + -0) there
  const L odd = (((L)t + cos_shift) & 1) << 63;  // n + cos_shift odd: the sign flips
  return (D)((L)v ^ odd);
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
  special = ~(lanes(ax > 0.0) & lanes(ax < kInf) & lanes(fabs_(y) < kInf) & lanes(y != 0.0));
  const D r = exp_d(y * log_pos(sel(special, splat<D>(1.0), ax)));
  const D ay = fabs_(y);
  const auto integral = lanes(ay >= 0x1p52) | lanes(round_int(ay) == ay);
  const D neg = sel(integral, is_odd(y) != 0 ? -r : r, splat<D>(kNaN));
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
  } else if (op == VUnary::sigmoid) {
    // PyTorch's float formula, 1 / (1 + e) with e = exp(-x) rounded to float (here correctly): within 2 ulp, and it
    // saturates exactly where PyTorch's does, to 1 above 16.6 and to 0 below -88.7 where e overflows float (the
    // true value there is subnormal), so that the gradient g (1 - y) y is 0, or NaN for an infinite g, at the same
    // inputs as PyTorch's.
    const typename V::F e = __builtin_convertvector(exp_d(-x), typename V::F);
    const typename V::F o = 1.0f / (1.0f + e);
    std::memcpy(out, &o, sizeof o);
    return;
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
    if (op == VBackward::gelu_tanh_backward) {
      // PyTorch's float kernel squares x in float: past sqrt(FLT_MAX) its 0 * inf is NaN, which it returns.
      const auto overflow = af * af == std::numeric_limits<float>::infinity();
      o = overflow ? typename V::F{} + std::numeric_limits<float>::quiet_NaN() : o;
    }
    if (op == VBackward::softplus_backward) {
      const auto linear = af * p.p0f > p.p1f;
      o = linear ? gf : o;
    }
  }
  std::memcpy(out, &o, sizeof o);
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

// ---------------------------------------------------------------------------------------------------------------
// Float lanes: the hot ops on the AVX-512 and AVX2 paths, 2W floats per register (16 per zmm, 8 per ymm) instead of
// W doubles. They stay within 2 ulp with float-only techniques: Cody-Waite range reduction (ln 2 in two parts, the
// first exact in any product with the reduction's integer), explicit fma, exponent scaling in two steps (so that
// results near the subnormal range round once). A lane a kernel cannot keep accurate in float (silu's lower tail,
// whose result is subnormal) is flagged and recomputed on the double lanes above.

template <int N>
struct FVec {
  typedef float F __attribute__((vector_size(4 * N)));
};

// Half H (0 low, 1 high) of a vector as a vector HF of half its lanes, and two halves joined, as register shuffles
// (through memory, the 64-byte store and two 32-byte loads, or the reverse, stalled store forwarding: gelu ran at
// half speed).
template <int Off, class HF, class V, std::size_t... I>
VM_INLINE HF slice_lanes(V v, std::index_sequence<I...>) {
  return __builtin_shufflevector(v, v, (int(I) + Off)...);
}
template <int H, class HF, class V>
VM_INLINE HF half_of(V v) {
  constexpr int n = int(sizeof(HF) / sizeof(v[0]));
  return slice_lanes<H * n, HF>(v, std::make_index_sequence<n>());
}
template <class V, class HF, std::size_t... I>
VM_INLINE V join_lanes(HF a, HF b, std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, int(I)...);
}
template <class V, class HF>
VM_INLINE V join(HF a, HF b) {
  return join_lanes<V>(a, b, std::make_index_sequence<sizeof(V) / sizeof(a[0])>());
}

#if defined(__x86_64__) && defined(__GNUC__)
// The build has -ffp-contract=off, so every fma is written out. These are not always_inline: GCC inlines them into
// the target drivers below once the (always_inline) kernels are, and could not into a kernel compiled on its own.
inline __attribute__((target("avx512f"))) FVec<16>::F fmadd(FVec<16>::F a, FVec<16>::F b, FVec<16>::F c) {
  return (FVec<16>::F)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
}
inline __attribute__((target("avx2,fma"))) FVec<8>::F fmadd(FVec<8>::F a, FVec<8>::F b, FVec<8>::F c) {
  return (FVec<8>::F)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
}
#endif

template <class F>
struct Unsigned {
  typedef uint32_t U __attribute__((vector_size(sizeof(F))));
};
template <class F>
VM_INLINE F fsplat(float v) {
  return F{} + v;
}
template <class F>
VM_INLINE F fabs_f(F x) {
  using I = MaskOf<F>;
  return (F)((I)x & 0x7fffffff);
}
// r with the sign bit of x set where x has it: |r| with the sign of x for r >= 0, and for r of the sign of x (as
// log1p and expm1 are) that sign on -0 too, where r may be +0.
template <class F>
VM_INLINE F with_sign_of(F r, F x) {
  using I = MaskOf<F>;
  return (F)((I)r | ((I)x & int32_t(0x80000000u)));
}
template <class F, size_t N>
VM_INLINE F fhorner(F s, const float (&c)[N]) {
  F r = fsplat<F>(c[N - 1]);
#pragma GCC unroll 20
  for (int i = int(N) - 2; i >= 0; --i) r = fmadd(r, s, fsplat<F>(c[i]));
  return r;
}

constexpr float kFInf = std::numeric_limits<float>::infinity();
constexpr float kFNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kFLog2e = 0x1.715476p+0f;
// ln 2 = kFLn2A + kFLn2B to 2^-53: kFLn2A is ln 2 rounded to float, exact in n kFLn2A - x under fma.
constexpr float kFLn2A = 0x1.62e430p-1f, kFLn2B = -0x1.05c610p-29f;
// ln 2 with its first part of 16 bits (exact times any exponent of a float), for log.
constexpr float kFLn2C = 0x1.62e4p-1f, kFLn2D = 0x1.7f7d1cp-20f;
// exp(r) = 1 + r + r^2 (1/2 + r / 6 + ... + r^5 / 7!): Taylor, truncation below 6e-9 for |r| <= ln 2 / 2.
constexpr float kFExp[] = {1.0f / 2, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
// log(m) = f - (f^2 / 2 - s (f^2 / 2 + z R(z))), s = f / (2 + f), z = s^2: R = 2/3 + 2 z / 5 + ... (Taylor of
// 2 atanh(s) / s - 2, truncation below 3e-9 relative for |s| <= 0.1716).
constexpr float kFLog[] = {2.0f / 3, 2.0f / 5, 2.0f / 7, 2.0f / 9};
// tanh x = x + x^3 P(x^2) for |x| <= 0.56 (weighted least squares toward minimax, relative error 4.2e-9 with the
// coefficients rounded to float; numpy lstsq on 4000 Chebyshev points of (tanh x - x) / x^3, Lawson reweighting).
constexpr float kFTanh[] = {-0.333333313f, 0.133332863f, -0.0539584495f, 0.0217741597f, -0.00838579424f,
                            0.00236204406f};
constexpr float kFTanhSmall = 0.55f;  // where tanh x = 0.5005: above it, 1 - 2 / (exp(2x) + 1) loses under 1 ulp

// x + xl = n ln 2 + r, |r| <= ln 2 / 2 (and a little), for finite x in [-120, 89] and a small correction xl
// (|xl| <= ulp(x)).
template <class F>
VM_INLINE F exp_reduce_f(F x, F xl, MaskOf<F>& ni) {
  using I = MaskOf<F>;
  const F t = fmadd(x, fsplat<F>(kFLog2e), fsplat<F>(0x1.8p23f));  // 1.5 2^23 + n, n = round(x / ln 2)
  const F n = t - 0x1.8p23f;
  ni = (I)t - 0x4b400000;
  const F r = fmadd(n, fsplat<F>(-kFLn2A), x);  // exact
  return fmadd(n, fsplat<F>(-kFLn2B), r) + xl;
}
// exp(x + xl) = (1 + te) 2^n.
template <class F>
VM_INLINE F exp_parts_f(F x, F xl, MaskOf<F>& ni) {
  const F r = exp_reduce_f(x, xl, ni);
  return fmadd(r * r, fhorner(r, kFExp), r);
}

// exp(x), any x: within 1 ulp, overflowing to inf and underflowing through the subnormals as the true value.
template <class F>
VM_INLINE F exp_f(F x) {
  using I = MaskOf<F>;
  F xc = x > 89.0f ? fsplat<F>(89.0f) : x;  // past the overflow and underflow thresholds, and finite
  xc = xc < -104.0f ? fsplat<F>(-104.0f) : xc;
  xc = xc == xc ? xc : F{};  // NaN lanes: 0 here, NaN again at the end
  I ni;
  const F e = exp_parts_f(xc, F{}, ni) + 1.0f;
  // 2^n in two factors (n in [-150, 129]): e 2^n1 is exact, the second product rounds once, into the subnormals too.
  const I n1 = ni >> 1;
  const F y = e * (F)((n1 + 127) << 23) * (F)((ni - n1 + 127) << 23);
  return x == x ? y : x;
}

// log(x), any x: NaN below 0, -inf at +-0.
template <class F>
VM_INLINE F log_f(F x) {
  using I = MaskOf<F>;
  const I xb = (I)x;
  // Positive and finite, in one unsigned comparison (GCC 12 made scalar code of selects by the & of two masks).
  const I ok = (I)((typename Unsigned<F>::U)xb - 1u < 0x7f7fffffu);
  const auto sub = xb < 0x00800000;
  F u = sub ? x * 0x1p23f : x;
  u = ok ? u : fsplat<F>(1.0f);
  // u = 2^e m with m in [sqrt(1/2), sqrt 2): shift the bits so the exponent field steps up at sqrt(1/2).
  const I b = (I)u + (0x3f800000 - 0x3f3504f3);
  const I ei = (b >> 23) - (sub ? 127 + 23 : 127);
  const F m = (F)((b & 0x007fffff) + 0x3f3504f3);
  const F f = m - 1.0f;  // exact
  const F s = f / (f + 2.0f), z = s * s, hfsq = 0.5f * f * f;
  const F e = __builtin_convertvector(ei, F);
  const F tail = fmadd(s, fmadd(z, fhorner(z, kFLog), hfsq), e * kFLn2D);
  const F r = fmadd(e, fsplat<F>(kFLn2C), f - (hfsq - tail));
  return ok ? r : ((xb & 0x7fffffff) == 0 ? fsplat<F>(-kFInf) : (xb < 0 ? fsplat<F>(kFNaN) : x));
}

// expm1(x) = 2^n (r + b) + (2^n - 1) with b = exp(r) - 1 - r (2^n - 1 exact for |n| <= 24; r added first, exactly
// in the fma, so that the cancellation near x = -ln 2 / 2... costs no rounding of r + b), exp(x) past n = 24.
template <class F>
VM_INLINE F expm1_f(F x) {
  using I = MaskOf<F>;
  F xc = x > 89.0f ? fsplat<F>(89.0f) : x;
  xc = xc < -30.0f ? fsplat<F>(-30.0f) : xc;  // expm1 is -1 in float below -17.33
  xc = xc == xc ? xc : F{};
  I ni;
  const F r0 = exp_reduce_f(xc, F{}, ni);
  const F b = r0 * r0 * fhorner(r0, kFExp), te = r0 + b;
  const I nc = ni > 24 ? 24 : ni;
  const F p = (F)((nc + 127) << 23);
  const I n1 = ni >> 1;
  const F big = (te + 1.0f) * (F)((n1 + 127) << 23) * (F)((ni - n1 + 127) << 23);
  const F r = ni > 24 ? big : fmadd(p, b, fmadd(p, r0, p - 1.0f));
  return x == x ? with_sign_of(r, x) : x;
}

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the quotient restores what the rounding lost.
template <class F>
VM_INLINE F log1p_f(F x) {
  const F u = x + 1.0f;
  const F c = (x - (u - 1.0f)) / u;
  const F r = log_f(u);
  return with_sign_of(fabs_f(r) < kFInf ? r + c : r, x);  // c is NaN at u = 0 and u = inf
}

template <class F>
VM_INLINE F tanh_f(F x) {
  const F a = fabs_f(x), a2 = a * a;
  const F small = fmadd(a * a2, fhorner(a2, kFTanh), a);
  const F e = exp_f((a > 10.0f ? fsplat<F>(10.0f) : a) * 2.0f);  // past 9.01 tanh is 1 in float
  const F big = 1.0f - 2.0f / (e + 1.0f);
  return with_sign_of(a < kFTanhSmall ? small : big, x);
}

// num / (1 + e) for e >= 0 (or NaN), to about half an ulp: 1 + e as a float pair (Fast2Sum, the larger operand
// first) and one correction of the float quotient, where 1 + e alone would cost up to an ulp of its own (e just
// above 1: 1 + e rounds in [2, 4)). Where the correction is NaN (infinite num or e) the plain quotient stands:
// num / inf for infinite e (so sigmoid is 0 where exp(-x) overflows), inf for silu(inf).
template <class F>
VM_INLINE F div_one_plus(F num, F e) {
  const F d = 1.0f + e;
  const F lo = e > 1.0f ? (e - d) + 1.0f : (1.0f - d) + e;
  const F r = 1.0f / d, q = num * r;
  const F rho = fmadd(-q, d, num) - q * lo;  // num - q (d + lo)
  const F q1 = fmadd(rho, r, q);
  // A zero quotient keeps num's sign (silu(-0) is -0): the correction's sum gives +0 there.
  const F q2 = q1 == 0.0f ? q : q1;
  return q1 == q1 ? q2 : q;
}

template <class F>
VM_INLINE F sigmoid_f(F x) {
  // PyTorch's formula, 1 / (1 + exp(-x)) (see unary_block), rounded as PyTorch's float kernel rounds it (a plain
  // float sum and reciprocal: within 2 ulp, and the same bits as PyTorch's wherever exp_f's are); exp_f overflows
  // where the correctly rounded exp(-x) does, so that sigmoid is 0 there as PyTorch's.
  return 1.0f / (1.0f + exp_f(-x));
}

// Phi(-a) exp(a^2 / 2) (1 + a / 2) for a in [0, 15] as a polynomial of s = kFGeluAlpha / (1 + a / 2) + kFGeluBeta
// (in [-1, 1]; degree 12, relative error 6.5e-9 with the coefficients rounded to float: numpy lstsq on 3000
// Chebyshev points in s with Lawson reweighting, the values from mpmath's erfc).
// G(s) = kFGelu0 + s (kFGelu1 + s R(s)): R in float, the rest in double with an accurate s.
constexpr float kFGelu0 = 0.355867803f, kFGelu1 = 0.148525923f;
constexpr float kFGeluR[] = {0.00619040756f,  -0.0123914154f,   0.000923710177f, 0.00138793048f,
                             -0.000546372612f, -2.67365795e-05f, 0.000107922053f, -4.17606061e-05f,
                             -3.89131037e-06f, 8.22922721e-06f,  -1.75206048e-06f};
constexpr float kFGeluAlpha = 2.2666666666666666f, kFGeluBeta = -1.2666666666666668f;
constexpr float kFGeluMax = 15.0f;  // past it gelu is x, or 0 (below -14.36)
// Phi(x) = 1/2 + x Q(x^2) for |x| < 1/2, where Phi(-a) below loses a bit to 1 - Phi(-a) (and 1/2 + x Q cancels
// little): the Taylor series, Q(z) = (1 - z / 6 + z^2 / 40 - ...) / sqrt(2 pi), truncated below 3e-10.
constexpr float kFGeluQ[] = {0.3989422804f,    -0.06649038007f,  0.009973557010f, -0.001187328215f,
                             0.0001154346876f, -9.444656260e-06f, 6.659693516e-07f};
constexpr float kFGeluSmall = 0.5f;

// gelu (kBackward false: x Phi(x)) or its gradient (g (Phi(x) + x exp(-x^2 / 2) / sqrt(2 pi))) on 2W float lanes.
// With a = |x|: q = Phi(-a) = G(s) / (1 + a / 2) exp(-a^2 / 2), the polynomial and exp's in float, the product in
// double (W lanes at a time): there 1 / (1 + a / 2) is corrected to double accuracy (the float quotient and one
// Newton step), exp(-a^2 / 2) takes the low part of a^2 and its scaling by 2^n is exact, and the result rounds once.
// gelu_f's double part on half H of its lanes: x, |x| (clamped), the float 1 / (1 + a / 2), R, exp's (1 + te) 2^n,
// the series and the gradient g.
template <int W, bool kBackward, int H, class F = typename FVec<2 * W>::F, class HF = typename Vec<W>::F>
VM_INLINE HF gelu_half(F x, F a, F t, F gp, F te, F qs, MaskOf<F> ni, F g) {
  using D = typename Vec<W>::D;
  const D xd = __builtin_convertvector(half_of<H, HF>(x), D), ad = __builtin_convertvector(half_of<H, HF>(a), D);
  const D td = __builtin_convertvector(half_of<H, HF>(t), D);
  const D rho = 1.0 - (ad * 0.5 + 1.0) * td;  // the float quotient's relative error, exactly
  D e = (__builtin_convertvector(half_of<H, HF>(te), D) + 1.0) *
        pow2(__builtin_convertvector(half_of<H, MaskOf<HF>>(ni), D));  // exp(-a^2 / 2)
  e = ad >= kFGeluMax ? D{} : e;
  const D rd = td + td * rho;  // 1 / (1 + a / 2)
  const D sd = rd * double(kFGeluAlpha) + double(kFGeluBeta);
  const D q = (double(kFGelu0) + sd * (double(kFGelu1) + sd * __builtin_convertvector(half_of<H, HF>(gp), D))) * rd *
              e;  // Phi(-a)
  D cdf = xd <= 0.0 ? q : 1.0 - q;
  cdf = ad < kFGeluSmall ? 0.5 + xd * __builtin_convertvector(half_of<H, HF>(qs), D) : cdf;
  D r = xd * cdf;
  if constexpr (kBackward) r = __builtin_convertvector(half_of<H, HF>(g), D) * (cdf + xd * (e * kPdf));
  return __builtin_convertvector(r, HF);
}
template <int W, bool kBackward>
VM_INLINE typename FVec<2 * W>::F gelu_f(typename FVec<2 * W>::F x, typename FVec<2 * W>::F g) {
  using F = typename FVec<2 * W>::F;
  const F a0 = fabs_f(x);
  const auto far = a0 > kFGeluMax;
  const F a = far ? fsplat<F>(kFGeluMax) : a0;  // NaN stays
  const F t = 1.0f / fmadd(a, fsplat<F>(0.5f), fsplat<F>(1.0f));
  const F gp = fhorner(fmadd(t, fsplat<F>(kFGeluAlpha), fsplat<F>(kFGeluBeta)), kFGeluR);
  const F hi = a * a, lo = fmadd(a, a, -hi);
  F xh = hi * -0.5f;
  xh = xh == xh ? xh : F{};
  MaskOf<F> ni;
  const F te = exp_parts_f(xh, lo * -0.5f, ni);
  const F qs = fhorner(x * x, kFGeluQ);
  F o = join<F>(gelu_half<W, kBackward, 0>(x, a, t, gp, te, qs, ni, g),
                gelu_half<W, kBackward, 1>(x, a, t, gp, te, qs, ni, g));
  if constexpr (!kBackward) o = x > kFGeluMax ? x : o;  // +inf: inf, not inf - inf 0
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// gelu and its gradient on |x| < 3.9375 (all but about 1 in 12000 lanes of a standard normal activation), in float
// lanes throughout: a table of piecewise polynomials, no exp and no division. On the interval of width 1/8 centred at
// k / 8 (k = round(8 |x|)), u = |x| - k / 8 (exact) in [-1/16, 1/16]:
//   Phi(-a) = c0hi + c0lo + u (c1 + u (c2 + u (c3 + u (c4 + u c5)))), a = |x|,
//   gelu(x) = x Phi(-a) for x < 0, x - x Phi(-a) above: each one fma over the exact product with c0hi, so that the
//     result rounds about once (max 1 ulp over every float of the range, measured in the script's simulation);
//   gelu'(x) = B(a) for x < 0, 1 - B(a) above, with B(a) = Phi(-a) - a phi(a) its own polynomials.
// The coefficients of the 32 intervals sit in two registers per power (AVX-512: one permute per lookup; AVX2: four
// and three blends). Lanes beyond the range, infinite or NaN take gelu_f above, in the rare vectors that have one.
// Tables from scripts/gen_vmath_tables.py (/usr/bin/python3, PyTorch's float64 erfc and exp as the reference).
// Phi(-a): rows c0hi, c0lo, c1..c5; column k (relative fit error 5.9e-09)
constexpr float kFGeluP[7][32] = {
    {
     0x1p-1f, 0x1.cd116cp-2f, 0x1.9aecbap-2f, 0x1.6a527ap-2f,
     0x1.3bf144p-2f, 0x1.105e82p-2f, 0x1.d022p-3f, 0x1.86bb5p-3f,
     0x1.44ed0cp-3f, 0x1.0ad7dap-3f, 0x1.b0bdd2p-4f, 0x1.5a6196p-4f,
     0x1.11a46ep-4f, 0x1.aaa65cp-5f, 0x1.482a24p-5f, 0x1.f20394p-6f,
     0x1.74bcf8p-6f, 0x1.13243cp-6f, 0x1.90925p-7f, 0x1.1f85a2p-7f,
     0x1.96f4e6p-8f, 0x1.1bee6cp-8f, 0x1.869044p-9f, 0x1.08c89p-9f,
     0x1.61de2p-10f, 0x1.d21af4p-11f, 0x1.2e86fep-11f, 0x1.8301bep-12f,
     0x1.e7dbcap-13f, 0x1.2eff8p-13f, 0x1.72d956p-14f, 0x1.bf3766p-15f},
    {
     0.0f, 0x1.dfcb54p-29f, 0x1.3a44a4p-27f, -0x1.fc2fb8p-27f,
     -0x1.19563cp-28f, 0x1.63c994p-27f, 0x1.5ace94p-29f, -0x1.4feb68p-28f,
     -0x1.20d37cp-29f, 0x1.f36172p-32f, -0x1.a8ac7ap-29f, 0x1.ee4904p-31f,
     -0x1.da6e04p-30f, -0x1.6c1f44p-35f, 0x1.4556dcp-33f, 0x1.d97edp-31f,
     0x1.64ec3p-33f, -0x1.018ffap-31f, -0x1.bc593ep-32f, -0x1.b26b4p-34f,
     -0x1.036c62p-33f, 0x1.f7c524p-38f, -0x1.6c27p-34f, 0x1.cf9b7ep-34f,
     -0x1.9e9288p-36f, 0x1.5c1bbp-36f, -0x1.05f97ep-36f, 0x1.025eb2p-38f,
     -0x1.a91046p-38f, -0x1.e770c2p-40f, 0x1.2cb73cp-40f, 0x1.d2522p-42f},
    {
     -0x1.988454p-2f, -0x1.95567ap-2f, -0x1.8bf2bap-2f, -0x1.7cc794p-2f,
     -0x1.6883dp-2f, -0x1.50096ep-2f, -0x1.345d5ep-2f, -0x1.169596p-2f,
     -0x1.ef8e58p-3f, -0x1.b1ec62p-3f, -0x1.7610bap-3f, -0x1.3d7712p-3f,
     -0x1.094086p-3f, -0x1.b46178p-4f, -0x1.616454p-4f, -0x1.19bfa4p-4f,
     -0x1.ba4b44p-5f, -0x1.55c74p-5f, -0x1.0402ep-5f, -0x1.857a94p-6f,
     -0x1.1f2f06p-6f, -0x1.a0f22cp-7f, -0x1.29fa54p-7f, -0x1.a34ea6p-8f,
     -0x1.227214p-8f, -0x1.8c2226p-9f, -0x1.09f38ep-9f, -0x1.5f90f6p-10f,
     -0x1.c9897cp-11f, -0x1.251bf8p-11f, -0x1.71b92ep-12f, -0x1.cb2206p-13f},
    {
     0x1.8fe4fp-38f, 0x1.955672p-6f, 0x1.8bf2b4p-5f, 0x1.1d95aap-4f,
     0x1.6883cap-4f, 0x1.a40bc4p-4f, 0x1.ce8c0ap-4f, 0x1.e785c2p-4f,
     0x1.ef8e56p-4f, 0x1.e829ecp-4f, 0x1.d394e6p-4f, 0x1.b483bap-4f,
     0x1.8de0cap-4f, 0x1.628f34p-4f, 0x1.3537ccp-4f, 0x1.0823acp-4f,
     0x1.ba4b48p-5f, 0x1.6b23b8p-5f, 0x1.24834p-5f, 0x1.ce8196p-6f,
     0x1.66facap-6f, 0x1.119eeep-6f, 0x1.99b836p-7f, 0x1.2d6086p-7f,
     0x1.b3ab1ap-8f, 0x1.357aaap-8f, 0x1.b02bbcp-9f, 0x1.28a246p-9f,
     0x1.905838p-10f, 0x1.09a146p-10f, 0x1.5a9d7ep-11f, 0x1.bcc8c6p-12f},
    {
     0x1.1061fp-4f, 0x1.0a0724p-4f, 0x1.eeedcp-5f, 0x1.b437cp-5f,
     0x1.688066p-5f, 0x1.110c86p-5f, 0x1.679014p-6f, 0x1.5c467ep-7f,
     -0x1.6bb684p-18f, -0x1.335d66p-7f, -0x1.1879a4p-6f, -0x1.78ff84p-6f,
     -0x1.ba078ep-6f, -0x1.dd5214p-6f, -0x1.e5e292p-6f, -0x1.d87b58p-6f,
     -0x1.ba4798p-6f, -0x1.9081aep-6f, -0x1.601822p-6f, -0x1.2d3d4ep-6f,
     -0x1.f68e12p-7f, -0x1.99581ap-7f, -0x1.45ec44p-7f, -0x1.fbbf9ap-8f,
     -0x1.8342cp-8f, -0x1.215e54p-8f, -0x1.a7dc8ap-9f, -0x1.306be4p-9f,
     -0x1.acf2b2p-10f, -0x1.288accp-10f, -0x1.9277p-11f, -0x1.0c216cp-11f},
    {
     -0x1.e0128cp-30f, -0x1.92db9ap-8f, -0x1.835e6p-7f, -0x1.0ff1cap-6f,
     -0x1.4a2f86p-6f, -0x1.6d12fcp-6f, -0x1.77908ep-6f, -0x1.6adffep-6f,
     -0x1.4a33f8p-6f, -0x1.1a1aa2p-6f, -0x1.bff9f4p-7f, -0x1.42e40ap-7f,
     -0x1.8e2992p-8f, -0x1.5490dep-9f, 0x1.940746p-12f, 0x1.6a22acp-9f,
     0x1.26637ep-8f, 0x1.6e7acep-8f, 0x1.91d3ap-8f, 0x1.96d1fap-8f,
     0x1.84b78ap-8f, 0x1.62c32p-8f, 0x1.37846cp-8f, 0x1.088088p-8f,
     0x1.b3c148p-9f, 0x1.5d15ecp-9f, 0x1.107eaap-9f, 0x1.9f181cp-10f,
     0x1.34dc7ep-10f, 0x1.c1662ap-11f, 0x1.3fe9eap-11f, 0x1.bdf992p-12f},
    {
     -0x1.7e2b44p-7f, -0x1.5e7f32p-7f, -0x1.10adf6p-7f, -0x1.32e56p-8f,
     -0x1.18cda2p-8f, -0x1.593cc4p-9f, 0x1.31fb7ep-9f, 0x1.0a663p-9f,
     0x1.49171p-8f, 0x1.5ae87cp-8f, 0x1.52291cp-8f, 0x1.99aedcp-8f,
     0x1.56b476p-8f, 0x1.6ac43ap-8f, 0x1.057348p-8f, 0x1.7d0dfp-9f,
     0x1.11d622p-9f, 0x1.2617e6p-10f, 0x1.b39366p-12f, -0x1.64e35p-13f,
     -0x1.8d3616p-11f, -0x1.ff853ap-11f, -0x1.181d3ap-10f, -0x1.343a9cp-10f,
     -0x1.2268bep-10f, -0x1.028cacp-10f, -0x1.c49c4ep-11f, -0x1.7555bep-11f,
     -0x1.2cc366p-11f, -0x1.da6bf8p-12f, -0x1.64840ep-12f, -0x1.073b4cp-12f},
};
// Phi(-a) - a phi(a): rows c0..c5; column k (fit error 1.3e-07 of max(|B|, 1e-4))
constexpr float kFGeluB[6][32] = {
    {
     0x1p-1f, 0x1.9a669ep-2f, 0x1.37f00cp-2f, 0x1.b70f42p-3f,
     0x1.0f5eb8p-3f, 0x1.f2c4fp-5f, 0x1.95f1dep-11f, -0x1.8329dcp-5f,
     -0x1.55429ap-4f, -0x1.baa428p-4f, -0x1.f66bfep-4f, -0x1.0752eep-3f,
     -0x1.050e92p-3f, -0x1.efcb36p-4f, -0x1.c65a8p-4f, -0x1.93c66cp-4f,
     -0x1.5d1c06p-4f, -0x1.265aa4p-4f, -0x1.e4e1e4p-5f, -0x1.86a028p-5f,
     -0x1.341c2ap-5f, -0x1.dc423ep-6f, -0x1.68e62cp-6f, -0x1.0c4774p-6f,
     -0x1.876f5ap-7f, -0x1.1859p-7f, -0x1.8a5ae8p-8f, -0x1.107234p-8f,
     -0x1.71da9p-9f, -0x1.ed62cp-10f, -0x1.437006p-10f, -0x1.a0d58p-11f},
    {
     -0x1.988454p-1f, -0x1.922bccp-1f, -0x1.7f9324p-1f, -0x1.62018cp-1f,
     -0x1.3b7356p-1f, -0x1.0e6796p-1f, -0x1.bb4638p-2f, -0x1.57e0a6p-2f,
     -0x1.ef8e58p-3f, -0x1.3ea998p-3f, -0x1.474ea2p-4f, -0x1.15c83p-6f,
     0x1.094086p-5f, 0x1.178e72p-4f, 0x1.777a98p-4f, 0x1.ab0674p-4f,
     0x1.ba4b44p-4f, 0x1.ade49ep-4f, 0x1.8e2466p-4f, 0x1.627c9p-4f,
     0x1.3121f6p-4f, 0x1.fdc818p-5f, 0x1.9e601ep-5f, 0x1.486718p-5f,
     0x1.fc47a4p-6f, 0x1.808726p-6f, 0x1.1ca6aep-6f, 0x1.9cadaap-7f,
     0x1.251c14p-7f, 0x1.982d72p-8f, 0x1.16bc9cp-8f, 0x1.757e6ep-9f},
    {
     0x1.6971bp-34f, 0x1.93c114p-4f, 0x1.85c2e2p-3f, 0x1.138b64p-2f,
     0x1.51fb8ap-2f, 0x1.7b0698p-2f, 0x1.8d8054p-2f, 0x1.8a3524p-2f,
     0x1.73aabep-2f, 0x1.4db4a8p-2f, 0x1.1ceebep-2f, 0x1.cc62f4p-3f,
     0x1.5c24b8p-3f, 0x1.e1fabcp-4f, 0x1.21e46p-4f, 0x1.ffc56p-6f,
     0x1.bec33cp-25f, -0x1.767cacp-6f, -0x1.36cb66p-5f, -0x1.7b6646p-5f,
     -0x1.93da24p-5f, -0x1.8b77bap-5f, -0x1.6ce818p-5f, -0x1.4163fap-5f,
     -0x1.104afcp-5f, -0x1.be15e4p-6f, -0x1.6283f4p-6f, -0x1.1209fcp-6f,
     -0x1.9cdb1ap-7f, -0x1.2f80ep-7f, -0x1.b3fa42p-8f, -0x1.32395ap-8f},
    {
     0x1.105d0ep-2f, 0x1.06d6c2p-2f, 0x1.d6b0f4p-3f, 0x1.813ffcp-3f,
     0x1.15e3eap-3f, 0x1.3dadb4p-4f, 0x1.3771b4p-6f, -0x1.1f1a7cp-5f,
     -0x1.4a6476p-4f, -0x1.d72d7ap-4f, -0x1.184e5ap-3f, -0x1.2b786ep-3f,
     -0x1.27a5b2p-3f, -0x1.1128eep-3f, -0x1.daa1dcp-4f, -0x1.83661p-4f,
     -0x1.26dea8p-4f, -0x1.9b31c2p-5f, -0x1.f76586p-6f, -0x1.dc154p-7f,
     -0x1.0761c2p-9f, 0x1.c3268cp-8f, 0x1.99e846p-7f, 0x1.f95626p-7f,
     0x1.0a3a9ap-6f, 0x1.ffd286p-7f, 0x1.cd4dfp-7f, 0x1.8b989p-7f,
     0x1.459462p-7f, 0x1.0295a8p-7f, 0x1.8de788p-8f, 0x1.2962aap-8f},
    {
     -0x1.b1a1c8p-26f, -0x1.2cbc96p-5f, -0x1.1d5902p-4f, -0x1.879766p-4f,
     -0x1.cb8b18p-4f, -0x1.e47e06p-4f, -0x1.d315cap-4f, -0x1.9c99f4p-4f,
     -0x1.4a295ep-4f, -0x1.cdfb92p-5f, -0x1.fb65bp-6f, -0x1.c750dap-8f,
     0x1.bdc64p-7f, 0x1.e074dap-6f, 0x1.449e16p-5f, 0x1.6d7b98p-5f,
     0x1.703aa8p-5f, 0x1.5525b6p-5f, 0x1.25d168p-5f, 0x1.d752ecp-6f,
     0x1.5dba98p-6f, 0x1.d6d4bp-7f, 0x1.117b1cp-7f, 0x1.d03baap-9f,
     0x1.d5cd34p-17f, -0x1.31282ep-9f, -0x1.e0addcp-9f, -0x1.150a86p-8f,
     -0x1.159526p-8f, -0x1.fe422ep-9f, -0x1.b8dfap-9f, -0x1.6accbcp-9f},
    {
     -0x1.02be72p-4f, -0x1.bc720cp-5f, -0x1.7ef818p-5f, -0x1.09c7bp-5f,
     -0x1.213ebap-6f, 0x1.61b1p-12f, 0x1.09741ep-6f, 0x1.9f2728p-6f,
     0x1.30f9c4p-5f, 0x1.4b64cap-5f, 0x1.49ea92p-5f, 0x1.27c4a8p-5f,
     0x1.e252ccp-6f, 0x1.5cd1dp-6f, 0x1.813bap-7f, 0x1.1845bp-8f,
     -0x1.3727bcp-9f, -0x1.e8b81ep-8f, -0x1.68d76cp-7f, -0x1.940fdp-7f,
     -0x1.7945c2p-7f, -0x1.553c9p-7f, -0x1.1bf87ap-7f, -0x1.bf3222p-8f,
     -0x1.278872p-8f, -0x1.867d1ep-9f, -0x1.7fa186p-10f, -0x1.87918ep-12f,
     0x1.45bd58p-12f, 0x1.7bb1f2p-11f, 0x1.e14c84p-11f, 0x1.f3a7aep-11f},
};

#if defined(__x86_64__) && defined(__GNUC__)
// t[k] in each lane for k the low 5 bits of the lane of idx (higher bits ignored).
inline __attribute__((target("avx512f"))) FVec<16>::F lookup32(const float (&t)[32], MaskOf<FVec<16>::F> idx) {
  return (FVec<16>::F)_mm512_permutex2var_ps(_mm512_loadu_ps(t), (__m512i)idx, _mm512_loadu_ps(t + 16));
}
inline __attribute__((target("avx2"))) FVec<8>::F lookup32(const float (&t)[32], MaskOf<FVec<8>::F> idx) {
  const __m256i i = (__m256i)idx;
  // blendv picks by the sign bit: bit 3 of k selects within a pair of registers, bit 4 between the pairs.
  const __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(i, 28)), b4 = _mm256_castsi256_ps(_mm256_slli_epi32(i, 27));
  const __m256 lo = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_loadu_ps(t), i),
                                     _mm256_permutevar8x32_ps(_mm256_loadu_ps(t + 8), i), b3);
  const __m256 hi = _mm256_blendv_ps(_mm256_permutevar8x32_ps(_mm256_loadu_ps(t + 16), i),
                                     _mm256_permutevar8x32_ps(_mm256_loadu_ps(t + 24), i), b3);
  return (FVec<8>::F)_mm256_blendv_ps(lo, hi, b4);
}
#endif

// gelu (kBackward false) or its gradient times g on 2W float lanes; `far` flags the lanes outside the table's range
// (and NaN), whose results are the caller's.
template <int W, bool kBackward, class F = typename FVec<2 * W>::F>
VM_INLINE F gelu_table(F x, F g, MaskOf<F>& far) {
  using I = MaskOf<F>;
  const F a = fabs_f(x);
  far = (I)a >= I{} + 0x407c0000;  // a >= 3.9375 (where k would be 32) as bits: inf and NaN too
  const F t = fmadd(a, fsplat<F>(8.0f), fsplat<F>(0x1.8p23f));  // 1.5 2^23 + k: k in its low bits
  const I k = (I)t;
  const F u = fmadd(t - 0x1.8p23f, fsplat<F>(-0.125f), a);
  const auto& c = kBackward ? kFGeluB : kFGeluP;
  constexpr int c1 = kBackward ? 1 : 2;  // the row of c1
  F s = lookup32(c[c1 + 4], k);
#pragma GCC unroll 4
  for (int j = c1 + 3; j >= c1; --j) s = fmadd(s, u, lookup32(c[j], k));
  const I neg = (I)x < 0;  // by the sign bit: -0 gives -0 as PyTorch's
  if constexpr (kBackward) {
    const F b = fmadd(u, s, lookup32(c[0], k));
    return g * (neg ? b : 1.0f - b);
  } else {
    const F c0 = lookup32(c[0], k), v = fmadd(u, s, lookup32(c[1], k));
    return neg ? fmadd(x, c0, x * v) : fmadd(-a, c0 + v, a);
  }
}
template <int W, bool kBackward, class F = typename FVec<2 * W>::F>
VM_INLINE F gelu_fast(F x, F g) {
  MaskOf<F> far;
  const F o = gelu_table<W, kBackward>(x, g, far);
  return any(far) ? (far ? gelu_f<W, kBackward>(x, g) : o) : o;
}

// softplus with beta 1 (PyTorch's default) on |x| < 15.5 in float lanes, from a table as gelu's: on the interval of
// width 1 centred at k - 16 (k = round(x) + 16), u = x - (k - 16) (exact) in [-1/2, 1/2],
//   log1p(exp(x)) = c0hi + (c0lo + u (c1 + u (c2 + ... + u c7))),
// rounded about once (max 1 ulp over every 61st float of the range in the script's simulation). Above 15, softplus
// rounds to x (log1p(exp(-x)) is below half an ulp of x); below -15.5 and NaN are flagged for the double lanes.
// log1p(exp(x)): rows c0hi, c0lo, c1..c7; column k (relative fit error 4.7e-09)
constexpr float kFSoftplus[9][32] = {
    {
     0x1.e355bap-24f, 0x1.4875c6p-22f, 0x1.be6c64p-21f, 0x1.2f603ep-19f,
     0x1.9c547p-18f, 0x1.1834a8p-16f, 0x1.7cd564p-15f, 0x1.02cb0cp-13f,
     0x1.5fb2f6p-12f, 0x1.dddef4p-11f, 0x1.447e36p-9f, 0x1.b818dap-8f,
     0x1.295e5p-6f, 0x1.8e071p-5f, 0x1.03f2d6p-3f, 0x1.40c7acp-2f,
     0x1.62e43p-1f, 0x1.5031eap+0f, 0x1.103f2ep+1f, 0x1.86381cp+1f,
     0x1.01295ep+2f, 0x1.406e06p+2f, 0x1.80289p+2f, 0x1.c00eeep+2f,
     0x1.0002cp+3f, 0x1.200102p+3f, 0x1.40006p+3f, 0x1.600024p+3f,
     0x1.80000cp+3f, 0x1.a00004p+3f, 0x1.c00002p+3f, 0x1.ep+3f},
    {
     -0x1.95df08p-52f, 0x1.af456cp-47f, -0x1.3bd8f2p-47f, -0x1.7d9d2ap-44f,
     0x1.6067a4p-43f, 0x1.be40c8p-41f, 0x1.93c1a4p-40f, -0x1.819a0ep-40f,
     0x1.c1dc4cp-38f, 0x1.c40a66p-36f, -0x1.31699ep-34f, 0x1.22d394p-35f,
     0x1.6a76cap-31f, -0x1.fdd48p-32f, -0x1.79fc56p-28f, -0x1.04fb6cp-32f,
     -0x1.05c61p-29f, 0x1.fdf60ap-25f, -0x1.579fc6p-24f, 0x1.f808aep-26f,
     0x1.42d4eep-24f, 0x1.b448b4p-25f, -0x1.ca98b4p-25f, 0x1.ef4e2p-23f,
     -0x1.34263ep-22f, 0x1.9617ap-22f, -0x1.954d9cp-22f, -0x1.f2d5c8p-22f,
     0x1.c5470cp-22f, 0x1.7b01eap-22f, -0x1.064e72p-23f, 0x1.4875c6p-22f},
    {
     0x1.e355b8p-24f, 0x1.4875c4p-22f, 0x1.be6c58p-21f, 0x1.2f6026p-19f,
     0x1.9c541ep-18f, 0x1.18341p-16f, 0x1.7cd32ep-15f, 0x1.02c6f6p-13f,
     0x1.5fa3dep-12f, 0x1.dda738p-11f, 0x1.441778p-9f, 0x1.b69f68p-8f,
     0x1.26afa2p-6f, 0x1.848344p-5f, 0x1.e84152p-4f, 0x1.136562p-2f,
     0x1p-1f, 0x1.764d5p-1f, 0x1.c2f7d6p-1f, 0x1.e7b7ccp-1f,
     0x1.f6ca82p-1f, 0x1.fc92c2p-1f, 0x1.febbe8p-1f, 0x1.ff8896p-1f,
     0x1.ffd40cp-1f, 0x1.ffefd4p-1f, 0x1.fffa0cp-1f, 0x1.fffddp-1f,
     0x1.ffff32p-1f, 0x1.ffffb4p-1f, 0x1.ffffe4p-1f, 0x1.fffff6p-1f},
    {
     0x1.e355b8p-25f, 0x1.4875cp-23f, 0x1.be6c44p-22f, 0x1.2f5ffcp-20f,
     0x1.9c537cp-19f, 0x1.1832ep-17f, 0x1.7ccec4p-16f, 0x1.02beccp-14f,
     0x1.5f85bp-13f, 0x1.dd37d6p-12f, 0x1.434a54p-10f, 0x1.b3afe2p-9f,
     0x1.2162cp-7f, 0x1.72164cp-6f, 0x1.ae0dc2p-5f, 0x1.92a952p-4f,
     0x1.ffffecp-4f, 0x1.92a952p-4f, 0x1.ae0dc4p-5f, 0x1.72164cp-6f,
     0x1.2162cp-7f, 0x1.b3afe4p-9f, 0x1.434a54p-10f, 0x1.dd37d6p-12f,
     0x1.5f85bp-13f, 0x1.02beccp-14f, 0x1.7ccec4p-16f, 0x1.1832ep-17f,
     0x1.9c537ep-19f, 0x1.2f5ffap-20f, 0x1.be6c3ep-22f, 0x1.4875d4p-23f},
    {
     0x1.42392p-26f, 0x1.b5f1e4p-25f, 0x1.299d3p-23f, 0x1.948008p-22f,
     0x1.12e152p-20f, 0x1.75959ap-19f, 0x1.fbb2acp-18f, 0x1.58e824p-16f,
     0x1.d46158p-15f, 0x1.3d910cp-13f, 0x1.aceb72p-12f, 0x1.1e91dap-10f,
     0x1.73f7bp-9f, 0x1.bea502p-8f, 0x1.b4b438p-7f, 0x1.f031f8p-7f,
     0x1.4489b2p-25f, -0x1.f03828p-7f, -0x1.b4b5c4p-7f, -0x1.bea7ecp-8f,
     -0x1.73e13ap-9f, -0x1.1eb8ccp-10f, -0x1.ac8594p-12f, -0x1.3d4624p-13f,
     -0x1.d7475ap-15f, -0x1.5e1fdcp-16f, -0x1.da1948p-18f, -0x1.9c9dbcp-19f,
     -0x1.3269f2p-20f, -0x1.1ca51ep-22f, -0x1.248efp-24f, -0x1.01bdc6p-22f},
    {
     0x1.42360ep-28f, 0x1.b5ed7cp-27f, 0x1.2999bap-25f, 0x1.947ac8p-24f,
     0x1.12dc9ep-22f, 0x1.758b34p-21f, 0x1.fb9626p-20f, 0x1.58b8bap-18f,
     0x1.d3bc76p-17f, 0x1.3c6546p-15f, 0x1.a8a932p-14f, 0x1.16dee6p-12f,
     0x1.58f84ep-11f, 0x1.67bb5ap-10f, 0x1.a8587ap-10f, -0x1.821a1ep-10f,
     -0x1.553756p-8f, -0x1.821a2ep-10f, 0x1.a8558ep-10f, 0x1.67bb6p-10f,
     0x1.58f852p-11f, 0x1.16de2cp-12f, 0x1.a8a934p-14f, 0x1.3c6542p-15f,
     0x1.d3bc6cp-17f, 0x1.58b8b4p-18f, 0x1.fb963cp-20f, 0x1.758b16p-21f,
     0x1.12dbd6p-22f, 0x1.947c74p-24f, 0x1.299c2p-25f, 0x1.b5dcc2p-27f},
    {
     0x1.01c874p-30f, 0x1.5e82cep-29f, 0x1.dc5582p-28f, 0x1.435ff4p-26f,
     0x1.b7e1e2p-25f, 0x1.2af4bp-23f, 0x1.95e43ep-22f, 0x1.13b316p-20f,
     0x1.7561eep-19f, 0x1.f65c0cp-18f, 0x1.4d3ce6p-16f, 0x1.a603d4p-15f,
     0x1.d5154ap-14f, 0x1.475072p-13f, -0x1.6c41dcp-13f, -0x1.0d41p-10f,
     -0x1.d09f06p-22f, 0x1.0e9b5ap-10f, 0x1.6ef6cp-13f, -0x1.44ddbap-13f,
     -0x1.e8501p-14f, -0x1.84aa24p-15f, -0x1.78db8p-16f, -0x1.1b415ap-17f,
     -0x1.bc28f6p-22f, 0x1.28872ap-20f, -0x1.ff60ep-19f, 0x1.f1c908p-20f,
     0x1.94e03p-21f, -0x1.a4f5fp-21f, -0x1.071c7p-21f, 0x1.5b439p-20f},
    {
     0x1.5a8586p-33f, 0x1.d724ecp-32f, 0x1.4040fp-30f, 0x1.b2f758p-29f,
     0x1.27bbfp-27f, 0x1.91db68p-26f, 0x1.10a472p-24f, 0x1.71f83p-23f,
     0x1.f2ebf6p-22f, 0x1.4cc056p-20f, 0x1.acf56cp-19f, 0x1.f45716p-18f,
     0x1.9c6302p-17f, -0x1.07fe2ep-17f, -0x1.f7747p-14f, -0x1.0dc07p-14f,
     0x1.5f20cep-12f, -0x1.0dbbfcp-14f, -0x1.f6f5ecp-14f, -0x1.080b8cp-17f,
     0x1.9c5e94p-17f, 0x1.f4d47ep-18f, 0x1.acf44ep-19f, 0x1.4cc28cp-20f,
     0x1.f2f182p-22f, 0x1.71fb8p-23f, 0x1.109e4p-24f, 0x1.91ec48p-26f,
     0x1.280286p-27f, 0x1.b25d2cp-29f, 0x1.3f6662p-30f, 0x1.dd3878p-32f},
    {
     0x1.88d8aep-36f, 0x1.0186c2p-34f, 0x1.61ec46p-33f, 0x1.050c46p-31f,
     0x1.494984p-30f, 0x1.b58204p-29f, 0x1.382028p-27f, 0x1.8b8d9ep-26f,
     0x1.0c368ap-24f, 0x1.7bdad2p-23f, 0x1.9dac3ep-22f, 0x1.a1d7c6p-21f,
     0x1.d95208p-24f, -0x1.0eadf4p-17f, -0x1.497934p-16f, 0x1.ad437ep-15f,
     0x1.363162p-20f, -0x1.042c7ep-14f, 0x1.1be7c4p-16f, 0x1.7d3edcp-18f,
     0x1.3b19b4p-17f, -0x1.2e9d08p-17f, 0x1.4fcd62p-18f, 0x1.e468bcp-20f,
     -0x1.4db8cp-18f, -0x1.2a2c46p-18f, 0x1.dcfc02p-18f, -0x1.15a67p-18f,
     -0x1.c0a25ep-20f, 0x1.a9e34ap-20f, 0x1.0cec4p-20f, -0x1.68ceb8p-19f},
};

template <class F>
VM_INLINE F softplus_f(F x, float linear_above, MaskOf<F>& special) {
  using I = MaskOf<F>;
  special = (x > -15.5f) == 0;
  const F t = x + (0x1.8p23f + 16.0f);  // 1.5 2^23 + k: k in its low bits
  const I k = (I)t;
  const F u = x - (t - (0x1.8p23f + 16.0f));
  F s = lookup32(kFSoftplus[8], k);
#pragma GCC unroll 6
  for (int j = 7; j >= 2; --j) s = fmadd(s, u, lookup32(kFSoftplus[j], k));
  const F r = lookup32(kFSoftplus[0], k) + fmadd(u, s, lookup32(kFSoftplus[1], k));
  return x > linear_above ? x : r;
}

// silu's lower tail: below -87 its x exp(x) nears the subnormals, where float exp(x) has lost the bits.
constexpr float kFSiluMin = -87.0f;

// The ops with float lanes (unary_f and backward_f compute them; `special` flags the lanes to recompute on double
// lanes). tanh stays on double lanes: tanh_f is within 1 ulp but differs from the correctly rounded result (and
// from PyTorch's, which nearly always is it) in 7.5% of inputs over [-3, 3], and a model's trajectory under centered
// RMSprop drifted past the optimizer tests' 1e-6 bar from that alone.
#define TORCHLET_VMATH_FLOAT_UNARY(X) X(exp) X(log) X(sigmoid) X(silu) X(gelu) X(log1p) X(expm1)
template <VUnary kOp, int W, class F = typename FVec<2 * W>::F>
VM_INLINE F unary_f(F x, MaskOf<F>& special, const Params& p) {
  if constexpr (kOp == VUnary::gelu) return gelu_fast<W, false>(x, x);
  // (unary_impl runs it for beta 1 and a threshold that is not NaN; softplus is x above 15 or the threshold)
  if constexpr (kOp == VUnary::softplus) return softplus_f(x, std::min(p.p1f, 15.0f), special);
  if constexpr (kOp == VUnary::exp) return exp_f(x);
  if constexpr (kOp == VUnary::log) return log_f(x);
  if constexpr (kOp == VUnary::log1p) return log1p_f(x);
  if constexpr (kOp == VUnary::expm1) return expm1_f(x);
  if constexpr (kOp == VUnary::tanh) return tanh_f(x);
  if constexpr (kOp == VUnary::sigmoid) return sigmoid_f(x);
  if constexpr (kOp == VUnary::silu) {
    special = x < kFSiluMin;
    return div_one_plus(x, exp_f(-x));
  }
  return x;
}
#define TORCHLET_VMATH_FLOAT_BACKWARD(X) X(tanh_backward) X(sigmoid_backward) X(silu_backward) X(gelu_backward)
template <VBackward kOp, int W, class F = typename FVec<2 * W>::F>
VM_INLINE F backward_f(F g, F a, MaskOf<F>& special) {
  if constexpr (kOp == VBackward::gelu_backward) return gelu_fast<W, true>(a, g);
  // As PyTorch's kernels, in float: g (1 - y^2) and g (1 - y) y.
  if constexpr (kOp == VBackward::tanh_backward) return g * (1.0f - a * a);
  if constexpr (kOp == VBackward::sigmoid_backward) return g * (1.0f - a) * a;
  if constexpr (kOp == VBackward::silu_backward) {
    // g s (1 + x (1 - s)), with 1 - s = e s (e = exp(-x)) accurate where s nears 1.
    special = a < kFSiluMin;
    const F e = exp_f(-a), s = div_one_plus(fsplat<F>(1.0f), e);
    return g * s * fmadd(a, e * s, fsplat<F>(1.0f));
  }
  return g;
}

// W: doubles per register; 2W float lanes per block. The op is a template argument: one loop per op.
template <int W, VUnary kOp>
struct UnaryFloatBlock {
  const Params& p;
  VM_INLINE void operator()(float* out, const float* in, const float*) const {
    using F = typename FVec<2 * W>::F;
    F x;
    std::memcpy(&x, in, sizeof x);
    MaskOf<F> special{};
    F o = unary_f<kOp, W>(x, special, p);
    if (any(special)) {
      F d;
      unary_block<W>(kOp, (float*)&d, in, p);
      unary_block<W>(kOp, (float*)&d + W, in + W, p);
      o = special ? d : o;
    }
    std::memcpy(out, &o, sizeof o);
  }
};
template <int W, VBackward kOp>
struct BackwardFloatBlock {
  const Params& p;
  VM_INLINE void operator()(float* out, const float* gp, const float* ap) const {
    using F = typename FVec<2 * W>::F;
    F g, a;
    std::memcpy(&g, gp, sizeof g);
    std::memcpy(&a, ap, sizeof a);
    MaskOf<F> special{};
    F o = backward_f<kOp, W>(g, a, special);
    if (any(special)) {
      F d;
      backward_block<W>(kOp, (float*)&d, gp, ap, p);
      backward_block<W>(kOp, (float*)&d + W, gp + W, ap + W, p);
      o = special ? d : o;
    }
    std::memcpy(out, &o, sizeof o);
  }
};

// Runs block(out + i, a + i, b + i) over n elements in blocks of B, the tail through a zero-padded copy. Each
// block first fetches the output 4 KiB ahead (simd.h, prefetch_store_line). Alternating processes, fresh results
// of 1M floats: sin 1.36-1.40 ms -> 1.24-1.25, exp 0.50-0.55 -> 0.45-0.50, softmax (its exponentials go through
// here) 1.05-1.14 -> 0.94-0.97; of 64K: sin 80-86 us -> 75-78, softmax 69-79 -> 61-67.
template <int B, class Block>
VM_INLINE void run_blocks(float* out, const float* a, const float* b, int64_t n, const Block& block) {
  int64_t i = 0;
  for (; i + B <= n; i += B) {
    prefetch_store_line(out + i);
    block(out + i, a + i, b + i);
  }
  if (i < n) {
    float ab[B] = {}, bb[B] = {};
    const size_t rest = sizeof(float) * size_t(n - i);
    std::memcpy(ab, a + i, rest);
    std::memcpy(bb, b + i, rest);
    block(ab, ab, bb);
    std::memcpy(out + i, ab, rest);
  }
}

// The op is a template argument here too: one loop per op, its constants hoisted and no switch per block.
template <int W, VUnary kOp>
struct UnaryBlock {
  const Params& p;
  VM_INLINE void operator()(float* out, const float* in, const float*) const { unary_block<W>(kOp, out, in, p); }
};
template <int W, VBackward kOp>
struct BackwardBlock {
  const Params& p;
  VM_INLINE void operator()(float* out, const float* g, const float* a) const { backward_block<W>(kOp, out, g, a, p); }
};
template <int W>
struct PowBlock {
  VM_INLINE void operator()(float* out, const float* x, const float* y) const { pow_block<W>(out, x, y); }
};

// kFloat: whether this path has the float lanes (AVX-512 and AVX2; the portable path stays on double lanes).
template <int W, bool kFloat>
VM_INLINE void unary_impl(VUnary op, float* out, const float* in, int64_t n, const Params& p) {
  if constexpr (kFloat) {
    if (op == VUnary::softplus && p.p0f == 1.0f && p.p1f == p.p1f)
      return run_blocks<2 * W>(out, in, in, n, UnaryFloatBlock<W, VUnary::softplus>{p});
#define TORCHLET_VMATH_CASE(name) \
  if (op == VUnary::name) return run_blocks<2 * W>(out, in, in, n, UnaryFloatBlock<W, VUnary::name>{p});
    TORCHLET_VMATH_FLOAT_UNARY(TORCHLET_VMATH_CASE)
#undef TORCHLET_VMATH_CASE
  }
#define TORCHLET_VMATH_CASE(name) \
  if (op == VUnary::name) return run_blocks<W>(out, in, in, n, UnaryBlock<W, VUnary::name>{p});
  TORCHLET_VMATH_UNARY(TORCHLET_VMATH_CASE)
#undef TORCHLET_VMATH_CASE
}
template <int W, bool kFloat>
VM_INLINE void backward_impl(VBackward op, float* out, const float* g, const float* a, int64_t n, const Params& p) {
  if constexpr (kFloat) {
#define TORCHLET_VMATH_CASE(name) \
  if (op == VBackward::name) return run_blocks<2 * W>(out, g, a, n, BackwardFloatBlock<W, VBackward::name>{p});
    TORCHLET_VMATH_FLOAT_BACKWARD(TORCHLET_VMATH_CASE)
#undef TORCHLET_VMATH_CASE
  }
#define TORCHLET_VMATH_CASE(name) \
  if (op == VBackward::name) return run_blocks<W>(out, g, a, n, BackwardBlock<W, VBackward::name>{p});
  TORCHLET_VMATH_BACKWARD(TORCHLET_VMATH_CASE)
#undef TORCHLET_VMATH_CASE
}

// ---------------------------------------------------------------------------------------------------------------
// Row reductions for the fused kernels (vmath.h: vmax, vexp_sum, vdot, vsqdev) in 32 lanes: element i goes to lane
// i mod 32 (32 / W registers of W doubles: four independent chains of additions on AVX-512, eight on AVX2, where one
// chain of eight lanes waited on each addition's latency), and the lanes are folded in a fixed tree at the end. The
// order does not depend on the register width, so every path gives the same bits.
constexpr int64_t kLanes = 32;

// Folds lanes a[0..32) in place, halving: a[k] = a[k] + a[k + w] (kMax: the larger, the first on ties) for w = 16,
// 8, 4, 2, 1; returns a[0].
template <bool kMax, class T>
VM_INLINE T fold32(T (&a)[kLanes]) {
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) a[k] = kMax ? (a[k + w] > a[k] ? a[k + w] : a[k]) : a[k] + a[k + w];
  return a[0];
}

// (Plain loops, no lambdas: UBSan saw a null closure pointer in a lambda passed into these inlined target functions.)
template <int W>
struct Lanes32 {
  static constexpr int kRegs = kLanes / W;
  typename Vec<W>::D acc[kRegs] = {};
  // Adds v to the lane of element i (counted from a multiple of 32).
  VM_INLINE void add_lane(int64_t i, double v) { acc[(i & 31) / W][(i & 31) % W] += v; }
  VM_INLINE double total() const {
    double a[kLanes];
    std::memcpy(a, acc, sizeof a);
    return fold32<false>(a);
  }
};
template <int W>
VM_INLINE typename Vec<W>::D load_d(const float* p) {
  typename Vec<W>::F f;
  std::memcpy(&f, p, sizeof f);
  return __builtin_convertvector(f, typename Vec<W>::D);
}

// The largest element (NaN skipped: b > a fails for a NaN b, so each lane keeps its first largest element).
template <int W>
VM_INLINE float max_impl(const float* x, int64_t n) {
  typedef float F8 __attribute__((vector_size(32)));
  F8 m[kLanes / 8];
  for (auto& r : m) r = F8{} - std::numeric_limits<float>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes / 8; ++j) {
      F8 v;
      std::memcpy(&v, x + i + 8 * j, sizeof v);
      m[j] = v > m[j] ? v : m[j];
    }
  }
  float a[kLanes];
  std::memcpy(a, m, sizeof a);
  for (; i < n; ++i) a[i & 31] = x[i] > a[i & 31] ? x[i] : a[i & 31];
  return fold32<true>(a);
}

// sum(exp(x - shift)), the exponentials (float x - shift, then this path's exp) also to e when given; through
// blocks of 256 on the stack otherwise. With `differences`, e receives x - shift (log_softmax's first term: a fresh
// result is written while the exponentials keep the core busy, not in a pass of its own that waits on memory).
template <int W, bool kFloat>
VM_INLINE double exp_sum_impl(const float* x, float shift, float* e, int64_t n, bool differences) {
  constexpr int64_t kBlock = 256;  // a multiple of kLanes: lane i mod 32 is the same within a block
  Lanes32<W> acc;
  float buf[kBlock];
  const Params p{0, 0, 0, 0};
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t len = std::min(kBlock, n - b);
    float* t = e && !differences ? e + b : buf;
    if (e) prefetch_store_block(e + b, kBlock * sizeof(float));
    for (int64_t i = 0; i < len; ++i) t[i] = x[b + i] - shift;
    if (e && differences) std::memcpy(e + b, t, size_t(len) * sizeof(float));
    unary_impl<W, kFloat>(VUnary::exp, t, t, len, p);
    int64_t i = 0;
    for (; i + kLanes <= len; i += kLanes)
      for (int j = 0; j < Lanes32<W>::kRegs; ++j) acc.acc[j] += load_d<W>(t + i + j * W);
    for (; i < len; ++i) acc.add_lane(i, double(t[i]));
  }
  return acc.total();
}

// sum(a b) (sum(a) for b null) and sum((x - mu)^2), in double.
template <int W>
VM_INLINE double dot_impl(const float* a, const float* b, int64_t n) {
  Lanes32<W> acc;
  int64_t i = 0;
  if (b) {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < Lanes32<W>::kRegs; ++j) acc.acc[j] += load_d<W>(a + i + j * W) * load_d<W>(b + i + j * W);
    for (; i < n; ++i) acc.add_lane(i, double(a[i]) * double(b[i]));
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < Lanes32<W>::kRegs; ++j) acc.acc[j] += load_d<W>(a + i + j * W);
    for (; i < n; ++i) acc.add_lane(i, double(a[i]));
  }
  return acc.total();
}
template <int W>
VM_INLINE double sqdev_impl(const float* x, double mu, int64_t n) {
  Lanes32<W> acc;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < Lanes32<W>::kRegs; ++j) {
      const typename Vec<W>::D d = load_d<W>(x + i + j * W) - mu;
      acc.acc[j] += d * d;
    }
  }
  for (; i < n; ++i) {
    const double d = double(x[i]) - mu;
    acc.add_lane(i, d * d);
  }
  return acc.total();
}

// One copy of the three drivers per instruction set.
#define TORCHLET_VMATH_ISA(suffix, target_attr, W, kFloat)                                                        \
  target_attr void unary_##suffix(VUnary op, float* out, const float* in, int64_t n, const Params& p) {           \
    unary_impl<W, kFloat>(op, out, in, n, p);                                                                     \
  }                                                                                                               \
  target_attr void backward_##suffix(VBackward op, float* out, const float* g, const float* a, int64_t n,         \
                                     const Params& p) {                                                           \
    backward_impl<W, kFloat>(op, out, g, a, n, p);                                                                \
  }                                                                                                               \
  target_attr void pow_##suffix(float* out, const float* x, const float* y, int64_t n) {                          \
    run_blocks<W>(out, x, y, n, PowBlock<W>{});                                                                   \
  }                                                                                                               \
  target_attr float max_##suffix(const float* x, int64_t n) { return max_impl<W>(x, n); }                         \
  target_attr double exp_sum_##suffix(const float* x, float shift, float* e, int64_t n, bool differences) {       \
    return exp_sum_impl<W, kFloat>(x, shift, e, n, differences);                                                  \
  }                                                                                                               \
  target_attr double dot_##suffix(const float* a, const float* b, int64_t n) { return dot_impl<W>(a, b, n); }     \
  target_attr double sqdev_##suffix(const float* x, double mu, int64_t n) { return sqdev_impl<W>(x, mu, n); }

#if defined(__x86_64__) && defined(__GNUC__)
#define TORCHLET_VMATH_X86 1
TORCHLET_VMATH_ISA(avx512, __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), 8, true)
TORCHLET_VMATH_ISA(avx2, __attribute__((target("avx2,fma"))), 4, true)
#endif
TORCHLET_VMATH_ISA(portable, , 2, false)
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

// The row reductions: the same switch for each.
#ifdef TORCHLET_VMATH_X86
#define TORCHLET_VMATH_PICK(fn, ...)                                    \
  switch (vmath_isa()) {                                                \
    case VIsa::avx512: return vmath_detail::fn##_avx512(__VA_ARGS__);   \
    case VIsa::avx2: return vmath_detail::fn##_avx2(__VA_ARGS__);       \
    default: return vmath_detail::fn##_portable(__VA_ARGS__);           \
  }
#else
#define TORCHLET_VMATH_PICK(fn, ...) return vmath_detail::fn##_portable(__VA_ARGS__);
#endif
float vmax(const float* x, int64_t n) { TORCHLET_VMATH_PICK(max, x, n) }
double vexp_sum(const float* x, float shift, float* e, int64_t n, bool differences) {
  TORCHLET_VMATH_PICK(exp_sum, x, shift, e, n, differences)
}
double vdot(const float* a, const float* b, int64_t n) { TORCHLET_VMATH_PICK(dot, a, b, n) }
double vsqdev(const float* x, double mu, int64_t n) { TORCHLET_VMATH_PICK(sqdev, x, mu, n) }
#undef TORCHLET_VMATH_PICK

}  // namespace torchlet
