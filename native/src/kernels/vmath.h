// Vectorised float32 transcendental math on contiguous arrays: AVX-512, AVX2 or portable C++, picked at load time
// by CPU features. Every result is within 2 ulp of the correctly rounded float32 value (the hot ops in float lanes on
// AVX-512 and AVX2, the others in double lanes rounded once), subnormals, infinities and NaN included:
// native/test/vmath_tests.cc sweeps each op on every path. sigmoid alone follows PyTorch's float formula, and so is
// 0 below -88.7 as PyTorch's. These functions run on the calling thread (callers split large arrays themselves, see
// parallel_range in kernels.h); `out` may be the same array as an input.
#pragma once
#include <cstdint>

namespace torchlet {

// The unary functions, X(name): out[i] = f(in[i]; p0, p1).
//   softplus: p0 = beta, p1 = threshold (PyTorch's: x where float(x * beta) > threshold, else log1p(exp(x beta)) / beta)
//   pow_scalar: p0 = the exponent (x ** p0 as IEEE pow)
//   gelu: 0.5 x (1 + erf(x / sqrt 2)); gelu_tanh: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
#define TORCHLET_VMATH_UNARY(X) \
  X(exp) X(log) X(log1p) X(expm1) X(tanh) X(sigmoid) X(erf) X(gelu) X(gelu_tanh) X(silu) X(softplus) X(sin) X(cos) \
  X(pow_scalar)
// The gradients PyTorch computes in one kernel, X(name): out[i] = f(g[i], a[i]; p0, p1), where a is the forward's
// output y for tanh (g (1 - y^2)) and sigmoid (g (1 - y) y), its input x for the others (softplus: p0 = beta,
// p1 = threshold). As PyTorch's, gelu_tanh_backward is NaN where x^2 overflows float (0 * inf in its kernel).
#define TORCHLET_VMATH_BACKWARD(X) \
  X(tanh_backward) X(sigmoid_backward) X(silu_backward) X(gelu_backward) X(gelu_tanh_backward) X(softplus_backward)

#define TORCHLET_VMATH_ITEM(name) name,
enum class VUnary : int { TORCHLET_VMATH_UNARY(TORCHLET_VMATH_ITEM) kCount };
enum class VBackward : int { TORCHLET_VMATH_BACKWARD(TORCHLET_VMATH_ITEM) kCount };
#undef TORCHLET_VMATH_ITEM

void vunary(VUnary op, float* out, const float* in, int64_t n, float p0 = 0, float p1 = 0);
void vbackward(VBackward op, float* out, const float* g, const float* a, int64_t n, float p0 = 0, float p1 = 0);
// out[i] = pow(x[i], y[i]) as IEEE pow.
void vpow(float* out, const float* x, const float* y, int64_t n);

// The plain forms other kernels call (fused softmax, RNN cells).
inline void vexp(float* out, const float* in, int64_t n) { vunary(VUnary::exp, out, in, n); }
inline void vlog(float* out, const float* in, int64_t n) { vunary(VUnary::log, out, in, n); }
inline void vtanh(float* out, const float* in, int64_t n) { vunary(VUnary::tanh, out, in, n); }
inline void vsigmoid(float* out, const float* in, int64_t n) { vunary(VUnary::sigmoid, out, in, n); }

// Row reductions for the fused kernels (softmax family, layer norm, losses), in double with element i in lane
// i mod 32 of 32 lanes folded by halving at the end (the same bits on every path and thread count):
//   vmax: the largest element (NaN skipped; -inf for n = 0); vexp_sum: sum(exp(x - shift)), the exponentials (the
//   float difference, then vexp) also stored to e when it is not null, or with `differences` the differences
//   x - shift instead; vdot: sum(a b), or sum(a) for b null; vsqdev: sum((x - mu)^2).
float vmax(const float* x, int64_t n);
double vexp_sum(const float* x, float shift, float* e, int64_t n, bool differences = false);
double vdot(const float* a, const float* b, int64_t n);
double vsqdev(const float* x, double mu, int64_t n);

// Which code path runs: the widest this CPU has, unless a test asks for another. vmath_set_isa returns false (and
// changes nothing) when the CPU lacks it; it is for the kernel tests only (not synchronised with running kernels).
enum class VIsa : int { portable, avx2, avx512 };
VIsa vmath_isa();
bool vmath_set_isa(VIsa isa);

}  // namespace torchlet
