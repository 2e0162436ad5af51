// Elementwise kernels: binary, unary, where and the converting copy, each written once over the element type.
#include <algorithm>
#include <climits>
#include <cmath>
#include <type_traits>
#include <cstring>
#include <limits>
#include <string>

#include "kernels.h"
#include "simd.h"

namespace torchlet {

#define TORCHLET_NAME_ITEM(name, ...) #name,
const char* const kBinaryOpNames[] = {TORCHLET_BINARY_OPS(TORCHLET_NAME_ITEM) nullptr};
const char* const kUnaryOpNames[] = {
    TORCHLET_FLOAT_UNARY_OPS(TORCHLET_NAME_ITEM) TORCHLET_BOOL_UNARY_OPS(TORCHLET_NAME_ITEM) nullptr};
const char* const kUnaryBackwardNames[] = {TORCHLET_VMATH_BACKWARD(TORCHLET_NAME_ITEM) nullptr};
const char* const kReduceOpNames[] = {TORCHLET_REDUCE_OPS(TORCHLET_NAME_ITEM) nullptr};
const char* const kConvKindNames[] = {TORCHLET_CONV_KINDS(TORCHLET_NAME_ITEM) nullptr};
const char* const kPoolKindNames[] = {TORCHLET_POOL_KINDS(TORCHLET_NAME_ITEM) nullptr};
const char* const kRangeKindNames[] = {TORCHLET_RANGE_KINDS(TORCHLET_NAME_ITEM) nullptr};
#undef TORCHLET_NAME_ITEM

namespace elementwise_detail {
namespace {

// Runs it.run(body), split over torchlet's threads when the op is large enough to pay for the hand-off
// (elementwise results do not depend on how the elements are split).
template <int K, typename F>
void run_parallel(const StridedIter<K>& it, const F& body) {
  parallel_range(it.numel(), it.numel(), [&](int64_t first, int64_t last) { it.run_range(first, last, body); });
}

// Runs `o[i] = EXPR` for i in [0, n) in blocks of 1 KiB of output, each block first fetching for writing the
// output 4 KiB ahead (simd.h, prefetch_store_block): fresh results of 1M floats 8-9% faster (add 566-580 us ->
// 511-523, mul by a scalar 375-397 -> 343-360, relu 371-384 -> 328-352; alternating processes), 64K and in-place ops
// unchanged within noise. A macro, so that the loop stays inside each target clone's body, vectorised for its
// instruction set.
constexpr int64_t kOutputBlock = 1024;  // bytes of output per block, in both loops below
#define TORCHLET_RUN_WITH_WRITE_PREFETCH(o, n, EXPR)                                                      \
  do {                                                                                                    \
    constexpr int64_t kBlock_ = kOutputBlock / int64_t(sizeof(*(o))), kAhead_ = kStoreAhead / int64_t(sizeof(*(o))); \
    int64_t i = 0;                                                                                        \
    for (int64_t b_ = 0; b_ + kAhead_ + kBlock_ <= (n); b_ += kBlock_) {                                 \
      prefetch_store_block((o) + b_, kOutputBlock);                                                       \
      for (i = b_; i < b_ + kBlock_; ++i) (o)[i] = (EXPR);                                                \
    }                                                                                                     \
    for (; i < (n); ++i) (o)[i] = (EXPR);                                                                 \
  } while (0)

// The same for a fresh result that stream_result says to stream: each 1 KiB block of output is computed into a
// buffer in L1, then streamed out (stream_rows); the elements before the first 64-byte line of o and after the last
// whole block are stored plainly.
#define TORCHLET_RUN_STREAMED(o, n, EXPR)                                                                  \
  do {                                                                                                    \
    using T_ = std::remove_reference_t<decltype(*(o))>;                                                   \
    constexpr int64_t kBlock_ = kOutputBlock / int64_t(sizeof(T_));                                       \
    alignas(64) T_ buf_[kBlock_];                                                                         \
    const int64_t head_ = std::min<int64_t>((n), int64_t((64 - (reinterpret_cast<uintptr_t>(o) & 63)) & 63) / \
                                                     int64_t(sizeof(T_)));                                \
    int64_t i = 0;                                                                                        \
    for (; i < head_; ++i) (o)[i] = (EXPR);                                                               \
    while (i + kBlock_ <= (n)) {                                                                          \
      const int64_t b_ = i;                                                                               \
      for (; i < b_ + kBlock_; ++i) buf_[i - b_] = (EXPR);                                                \
      stream_rows((o) + b_, 0, buf_, kOutputBlock, 1);                                                    \
    }                                                                                                     \
    for (; i < (n); ++i) (o)[i] = (EXPR);                                                                 \
    stream_fence();                                                                                       \
  } while (0)
// One of the two, or for an in-place run (`inplace`: the output is one of the inputs, so each line is read, hence in
// cache, before it is written) a plain loop: a prefetch for writing then only costs instructions (mul_ by a scalar,
// 1M floats in L3, 1 thread: a C loop 47.5 us plain, 55.4 with the prefetches).
#define TORCHLET_RUN_OUTPUT(o, n, stream, inplace, EXPR) \
  do {                                                   \
    if (stream) {                                        \
      TORCHLET_RUN_STREAMED(o, n, EXPR);                 \
    } else if (inplace) {                                \
      for (int64_t i = 0; i < (n); ++i) (o)[i] = (EXPR); \
    } else {                                             \
      TORCHLET_RUN_WITH_WRITE_PREFETCH(o, n, EXPR);      \
    }                                                    \
  } while (0)

// out[i] = f(x[i], y[i]) over one contiguous run, also built for AVX2 and AVX-512 (TORCHLET_SIMD_CLONES_WIDE).
// kScalar: 0 when x and y are both runs, 1 when y is one value, 2 when x is. (GCC's runtime alias check lets
// out == x through to the vector loop: in-place ops vectorise too.)
template <int kScalar, typename TO, typename TI, typename F>
TORCHLET_SIMD_CLONES_WIDE void binary_run(TO* o, const TI* x, const TI* y, int64_t n, bool stream, F f) {
  const void* out = o;
  if constexpr (kScalar == 0) {
    TORCHLET_RUN_OUTPUT(o, n, stream, out == x || out == y, f(x[i], y[i]));
  } else if constexpr (kScalar == 1) {
    const TI ys = *y;
    TORCHLET_RUN_OUTPUT(o, n, stream, out == x, f(x[i], ys));
  } else {
    const TI xs = *x;
    TORCHLET_RUN_OUTPUT(o, n, stream, out == y, f(xs, y[i]));
  }
}

// Runs out[i] = f(a[i], b[i]) with fast paths for the common contiguous and scalar-broadcast runs.
template <typename TO, typename TI, typename F>
void binary_loop(TO* out, const TI* a, const TI* b, int rank, const int64_t* shape, const View& vo,
                 const View& va, const View& vb, F f) {
  StridedIter<3> it(rank, shape, {vo, va, vb});
  const bool stream = stream_result(it.numel() * int64_t(sizeof(TO)));
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    TO* o = out + p[0];
    const TI* x = a + p[1];
    const TI* y = b + p[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      binary_run<0>(o, x, y, n, stream, f);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      binary_run<1>(o, x, y, n, stream, f);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      binary_run<2>(o, x, y, n, stream, f);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
    }
  });
}

// out[i] = f(x[i]) over one contiguous run, built as binary_run is.
template <typename TO, typename TI, typename F>
TORCHLET_SIMD_CLONES_WIDE void unary_run(TO* o, const TI* x, int64_t n, bool stream, F f) {
  TORCHLET_RUN_OUTPUT(o, n, stream, static_cast<const void*>(o) == x, f(x[i]));
}

template <typename TO, typename TI, typename F>
void unary_loop(TO* out, const TI* a, int rank, const int64_t* shape, const View& vo, const View& va, F f) {
  StridedIter<2> it(rank, shape, {vo, va});
  const bool stream = stream_result(it.numel() * int64_t(sizeof(TO)));
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    TO* o = out + p[0];
    const TI* x = a + p[1];
    if (s[0] == 1 && s[1] == 1) {
      unary_run(o, x, n, stream, f);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]]);
    }
  });
}

// NaN-propagating maximum/minimum, as torch.maximum/minimum.
template <typename T>
T nan_max(T a, T b) {
  return (a > b || a != a) ? a : b;
}
template <typename T>
T nan_min(T a, T b) {
  return (a < b || a != a) ? a : b;
}

// Python-style modulo and floor division (the sign follows the divisor), as torch.remainder/floor_divide.
template <typename T>
T float_remainder(T a, T b) {
  T r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
// PyTorch's div_floor_floating: from fmod, so an infinite dividend gives NaN (as its remainder does) and a finite one
// over an infinite divisor of the other sign gives -1; floor(a / b) would give +-inf and -0.
template <typename T>
T float_floor_divide(T a, T b) {
  if (b == 0) return a / b;
  T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= T(1);
  if (div == 0) return std::copysign(T(0), a / b);
  T q = std::floor(div);
  return div - q > T(0.5) ? q + T(1) : q;
}
// The divisor is never 0 here (int_arith checks first); b == -1 is set apart because INT32_MIN % -1 traps.
int32_t int_remainder(int32_t a, int32_t b) {
  if (b == -1) return 0;
  int32_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
// The divisor is never 0, nor -1 with INT32_MIN (int_arith checks first).
int32_t int_floor_divide(int32_t a, int32_t b) {
  int32_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Calls check(a[i], b[i]) for the elements of the index space in order until it returns a non-null message, and
// throws that as a KernelError naming the op. The integer kernels check their operands this way before writing, so
// an op that fails leaves its output (an input, when in place) untouched.
template <int K, typename F>
void check_elements(const char* op, int rank, const int64_t* shape, const View (&views)[K], F check) {
  StridedIter<K> it(rank, shape, views);
  const char* error = nullptr;
  it.run([&](const int64_t* p, int64_t n, const int64_t* s) {
    for (int64_t i = 0; i < n && !error; ++i) {
      int64_t at[K];
      for (int k = 0; k < K; ++k) at[k] = p[k] + i * s[k];
      error = check(at);
    }
  });
  if (error) throw KernelError(std::string(op) + ": " + error);
}

int32_t int_pow(int32_t base, int32_t exp) {
  if (exp < 0) return base == 1 ? 1 : (base == -1 ? (exp % 2 ? -1 : 1) : 0);
  uint32_t result = 1, b = uint32_t(base);
  for (uint32_t e = uint32_t(exp); e; e >>= 1) {
    if (e & 1) result *= b;
    b *= b;
  }
  return int32_t(result);
}

template <typename TI, typename F>
void compare(void* out, const void* a, const void* b, int rank, const int64_t* shape, const View& vo,
             const View& va, const View& vb, F f) {
  binary_loop(static_cast<uint8_t*>(out), static_cast<const TI*>(a), static_cast<const TI*>(b), rank, shape, vo,
              va, vb, [f](TI x, TI y) -> uint8_t { return f(x, y) ? 1 : 0; });
}

template <typename TI>
bool comparison_or_logical(BinaryOp op, void* out, const void* a, const void* b, int rank, const int64_t* shape,
                           const View& vo, const View& va, const View& vb) {
  switch (op) {
    case BinaryOp::eq: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x == y; }); return true;
    case BinaryOp::ne: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x != y; }); return true;
    case BinaryOp::lt: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x < y; }); return true;
    case BinaryOp::le: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x <= y; }); return true;
    case BinaryOp::gt: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x > y; }); return true;
    case BinaryOp::ge: compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x >= y; }); return true;
    case BinaryOp::logical_and:
      compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x != 0 && y != 0; });
      return true;
    case BinaryOp::logical_or:
      compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return x != 0 || y != 0; });
      return true;
    case BinaryOp::logical_xor:
      compare<TI>(out, a, b, rank, shape, vo, va, vb, [](TI x, TI y) { return (x != 0) != (y != 0); });
      return true;
    default: return false;
  }
}

bool is_boolean_result(BinaryOp op) { return op >= BinaryOp::eq; }

template <typename T>
bool float_arith(BinaryOp op, T* o, const T* a, const T* b, int rank, const int64_t* shape, const View& vo,
                 const View& va, const View& vb, double alpha) {
  if ((op == BinaryOp::add || op == BinaryOp::sub) && alpha != 1.0) {
    const T s = T(op == BinaryOp::add ? alpha : -alpha);
    binary_loop(o, a, b, rank, shape, vo, va, vb, [s](T x, T y) { return std::fma(s, y, x); });
    return true;
  }
  switch (op) {
    case BinaryOp::add: binary_loop(o, a, b, rank, shape, vo, va, vb, [](T x, T y) { return x + y; }); return true;
    case BinaryOp::sub: binary_loop(o, a, b, rank, shape, vo, va, vb, [](T x, T y) { return x - y; }); return true;
    case BinaryOp::mul: binary_loop(o, a, b, rank, shape, vo, va, vb, [](T x, T y) { return x * y; }); return true;
    case BinaryOp::div: binary_loop(o, a, b, rank, shape, vo, va, vb, [](T x, T y) { return x / y; }); return true;
    case BinaryOp::pow: binary_loop(o, a, b, rank, shape, vo, va, vb, [](T x, T y) { return std::pow(x, y); }); return true;
    case BinaryOp::maximum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_max<T>); return true;
    case BinaryOp::minimum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_min<T>); return true;
    case BinaryOp::remainder: binary_loop(o, a, b, rank, shape, vo, va, vb, float_remainder<T>); return true;
    case BinaryOp::floor_divide: binary_loop(o, a, b, rank, shape, vo, va, vb, float_floor_divide<T>); return true;
    case BinaryOp::threshold_backward:
      // ReLU's gradient: g where the output is positive, as PyTorch's threshold_backward (x <= 0 ? 0 : g).
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](T g, T y) { return y <= T(0) ? T(0) : g; });
      return true;
    default: return false;
  }
}

bool int_arith(BinaryOp op, int32_t* o, const int32_t* a, const int32_t* b, int rank, const int64_t* shape,
               const View& vo, const View& va, const View& vb, double alpha) {
  // Unsigned arithmetic wraps on overflow like PyTorch's integer tensors, without undefined behaviour.
  if ((op == BinaryOp::add || op == BinaryOp::sub) && alpha != 1.0) {
    const uint32_t s = uint32_t(int32_t(op == BinaryOp::add ? alpha : -alpha));
    binary_loop(o, a, b, rank, shape, vo, va, vb, [s](int32_t x, int32_t y) { return int32_t(uint32_t(x) + s * uint32_t(y)); });
    return true;
  }
  switch (op) {
    case BinaryOp::add:
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](int32_t x, int32_t y) { return int32_t(uint32_t(x) + uint32_t(y)); });
      return true;
    case BinaryOp::sub:
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](int32_t x, int32_t y) { return int32_t(uint32_t(x) - uint32_t(y)); });
      return true;
    case BinaryOp::mul:
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](int32_t x, int32_t y) { return int32_t(uint32_t(x) * uint32_t(y)); });
      return true;
    case BinaryOp::pow: binary_loop(o, a, b, rank, shape, vo, va, vb, int_pow); return true;
    case BinaryOp::maximum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_max<int32_t>); return true;
    case BinaryOp::minimum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_min<int32_t>); return true;
    case BinaryOp::remainder:
    case BinaryOp::floor_divide: {
      const bool floor_divide = op == BinaryOp::floor_divide;
      check_elements(kBinaryOpNames[int(op)], rank, shape, {va, vb}, [&](const int64_t* at) -> const char* {
        if (b[at[1]] == 0) return "ZeroDivisionError";
        if (floor_divide && b[at[1]] == -1 && a[at[0]] == INT32_MIN) {
          return "-2147483648 // -1 = 2147483648 is outside the range of int32 (torchlet's int64), "
                 "[-2147483648, 2147483647]";
        }
        return nullptr;
      });
      binary_loop(o, a, b, rank, shape, vo, va, vb, floor_divide ? int_floor_divide : int_remainder);
      return true;
    }
    default: return false;
  }
}

// pow_scalar: x ** e, with the exponents PyTorch computes exactly rather than through pow(). Those arrive as a
// compile-time Exponent, so each is a loop of its own (a comparison inside the loop would stop it vectorising).
enum class Exponent { two, three, half, minus_half, minus_one, minus_two };
template <Exponent kE>
using ExactExponent = std::integral_constant<Exponent, kE>;

template <typename T>
T exact_pow(T x, T e) {
  return std::pow(x, e);
}
template <typename T, Exponent kE>
T exact_pow(T x, ExactExponent<kE>) {
  if constexpr (kE == Exponent::two) return x * x;
  else if constexpr (kE == Exponent::three) return x * x * x;
  else if constexpr (kE == Exponent::half) return std::sqrt(x);
  else if constexpr (kE == Exponent::minus_half) return T(1) / std::sqrt(x);
  else if constexpr (kE == Exponent::minus_one) return T(1) / x;
  else return T(1) / (x * x);
}

// Calls f with e as an ExactExponent when it is one, else with e itself.
template <typename T, typename F>
void with_exponent(T e, const F& f) {
  if (e == T(2)) return f(ExactExponent<Exponent::two>{});
  if (e == T(3)) return f(ExactExponent<Exponent::three>{});
  if (e == T(0.5)) return f(ExactExponent<Exponent::half>{});
  if (e == T(-0.5)) return f(ExactExponent<Exponent::minus_half>{});
  if (e == T(-1)) return f(ExactExponent<Exponent::minus_one>{});
  if (e == T(-2)) return f(ExactExponent<Exponent::minus_two>{});
  f(e);
}

// The activations' float64 forms, as PyTorch's scalar kernels write them (float32 runs on vmath.h instead).
constexpr double kGeluPdf = M_2_SQRTPI * M_SQRT1_2 * 0.5, kGeluTanhBeta = M_SQRT2 * M_2_SQRTPI * 0.5,
                 kGeluKappa = 0.044715;
template <typename T>
T gelu_exact(T x) {
  return x * T(0.5) * (T(1) + std::erf(x * T(M_SQRT1_2)));
}
template <typename T>
T gelu_tanh(T x) {
  return T(0.5) * x * (T(1) + std::tanh(T(kGeluTanhBeta) * (x + T(kGeluKappa) * (x * x * x))));
}
template <typename T>
T softplus(T x, T beta, T threshold) {
  return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
}

// The vmath kernel of a float32 unary op, if it has one (pow_scalar: for the exponents not computed exactly).
bool vmath_of(UnaryOp op, float p0, VUnary* v) {
  switch (op) {
#define TORCHLET_VMATH_CASE(name) \
  case UnaryOp::name: *v = VUnary::name; return true;
    TORCHLET_VMATH_CASE(exp) TORCHLET_VMATH_CASE(log) TORCHLET_VMATH_CASE(log1p) TORCHLET_VMATH_CASE(expm1)
    TORCHLET_VMATH_CASE(tanh) TORCHLET_VMATH_CASE(sigmoid) TORCHLET_VMATH_CASE(erf) TORCHLET_VMATH_CASE(gelu)
    TORCHLET_VMATH_CASE(gelu_tanh) TORCHLET_VMATH_CASE(silu) TORCHLET_VMATH_CASE(softplus)
    TORCHLET_VMATH_CASE(sin) TORCHLET_VMATH_CASE(cos)
#undef TORCHLET_VMATH_CASE
    case UnaryOp::pow_scalar: {
      bool exact = false;
      with_exponent(p0, [&](auto e) { exact = !std::is_same<decltype(e), float>::value; });
      *v = VUnary::pow_scalar;
      return !exact;
    }
    default: return false;
  }
}

// Runs f(out, in, count) over the runs of a strided index space: contiguous runs directly, the others through a
// small buffer (K operands: out first, the K - 1 inputs after it), split over torchlet's threads.
template <int K, typename F>
void vmath_loop(float* out, const float* const (&in)[K - 1], int rank, const int64_t* shape,
                const View (&views)[K], const F& f) {
  StridedIter<K> it(rank, shape, views);
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    const float* x[K - 1];
    bool contiguous = s[0] == 1;
    for (int k = 0; k + 1 < K; ++k) {
      x[k] = in[k] + p[k + 1];
      contiguous = contiguous && s[k + 1] == 1;
    }
    float* o = out + p[0];
    if (contiguous) return f(o, x, n);
    constexpr int64_t kChunk = 256;
    float buf[K][kChunk];
    const float* bx[K - 1];
    for (int k = 0; k + 1 < K; ++k) bx[k] = buf[k + 1];
    for (int64_t i = 0; i < n; i += kChunk) {
      const int64_t m = std::min(kChunk, n - i);
      for (int k = 0; k + 1 < K; ++k)
        for (int64_t j = 0; j < m; ++j) buf[k + 1][j] = x[k][(i + j) * s[k + 1]];
      f(buf[0], bx, m);
      for (int64_t j = 0; j < m; ++j) o[(i + j) * s[0]] = buf[0][j];
    }
  });
}

// out = f(x, p0, p1) for one op of TORCHLET_FLOAT_UNARY_OPS.
template <UnaryOp kOp, typename T, typename F>
void float_unary_loop(T* o, const T* a, int rank, const int64_t* shape, const View& vo, const View& va, T p0, T p1,
                      F f) {
  if constexpr (kOp == UnaryOp::pow_scalar) {
    with_exponent(p0, [&](auto e) { unary_loop(o, a, rank, shape, vo, va, [=](T x) { return f(x, e, p1); }); });
  } else {
    unary_loop(o, a, rank, shape, vo, va, [=](T x) { return f(x, p0, p1); });
  }
}

template <typename T>
bool float_unary(UnaryOp op, T* o, const T* a, int rank, const int64_t* shape, const View& vo, const View& va,
                 double p0, double p1) {
  if constexpr (std::is_same<T, float>::value) {
    VUnary v;
    if (vmath_of(op, float(p0), &v)) {
      const float q0 = float(p0), q1 = float(p1);
      vmath_loop<2>(o, {a}, rank, shape, {vo, va},
                    [&](float* out, const float* const* x, int64_t n) { vunary(v, out, x[0], n, q0, q1); });
      return true;
    }
  }
  switch (op) {
#define TORCHLET_UNARY_CASE(name, expr)                                              \
  case UnaryOp::name:                                                                \
    float_unary_loop<UnaryOp::name>(o, a, rank, shape, vo, va, T(p0), T(p1),         \
                                    [](T x, [[maybe_unused]] auto p0,                \
                                       [[maybe_unused]] T p1) -> T { return expr; }); \
    return true;
    TORCHLET_FLOAT_UNARY_OPS(TORCHLET_UNARY_CASE)
#undef TORCHLET_UNARY_CASE
    default: return false;
  }
}

// The int32 unary ops: X(name, the result for one element x). The bounds p0 and p1 (+-Infinity when absent) arrive
// as int32 values, p0 rounded up and p1 down, so they bound the integers inside [p0, p1].
#define TORCHLET_INT_UNARY_OPS(X)               \
  X(neg, int32_t(0u - uint32_t(x)))             \
  X(abs, x < 0 ? int32_t(0u - uint32_t(x)) : x) \
  X(sign, int32_t((0 < x) - (x < 0)))           \
  X(relu, x > 0 ? x : 0)                        \
  X(square, int32_t(uint32_t(x) * uint32_t(x))) \
  X(clamp, std::min(std::max(x, p0), p1))

bool int_unary(UnaryOp op, int32_t* o, const int32_t* a, int rank, const int64_t* shape, const View& vo,
               const View& va, double param0, double param1) {
  // Clipped into int32 range first (a NaN bound gives 0): the cast of anything else is undefined.
  auto bound = [](double v) { return v != v ? 0 : int32_t(std::clamp(v, -2147483648.0, 2147483647.0)); };
  const int32_t p0 = bound(std::ceil(param0)), p1 = bound(std::floor(param1));
  if (op == UnaryOp::neg || op == UnaryOp::abs) {
    check_elements(kUnaryOpNames[int(op)], rank, shape, {va}, [&](const int64_t* at) -> const char* {
      return a[at[0]] == INT32_MIN
                 ? "the negation of -2147483648 is outside the range of int32 (torchlet's int64), [-2147483648, 2147483647]"
                 : nullptr;
    });
  }
  switch (op) {
#define TORCHLET_UNARY_CASE(name, expr)                                                \
  case UnaryOp::name:                                                                  \
    unary_loop(o, a, rank, shape, vo, va, [=](int32_t x) -> int32_t { return expr; }); \
    return true;
    TORCHLET_INT_UNARY_OPS(TORCHLET_UNARY_CASE)
#undef TORCHLET_UNARY_CASE
    default: return false;
  }
}

template <typename TD, typename TS>
void convert(void* dst, const void* src, int rank, const int64_t* shape, const View& vd, const View& vs) {
  unary_loop(static_cast<TD*>(dst), static_cast<const TS*>(src), rank, shape, vd, vs, [](TS x) -> TD {
    if constexpr (std::is_same<TD, uint8_t>::value) {
      return x != 0 ? 1 : 0;
    } else if constexpr (std::is_same<TD, int32_t>::value && std::is_floating_point<TS>::value) {
      // Out-of-range and NaN casts are undefined in C++; clamp so a bad value cannot trap.
      if (!(x > TS(-2147483649.0))) return x != x ? 0 : INT32_MIN;
      if (!(x < TS(2147483648.0))) return INT32_MAX;
      return TD(x);
    } else {
      return TD(x);
    }
  });
}

// ---- transposing copies ----------------------------------------------------------------------------------------

// An 8 x 8 block: dst[i * ldd + j] = src[j * lds + i]. 4-byte elements go through AVX2 shuffles (transpose8x8).
template <typename U>
TORCHLET_INLINE void transpose_block(const U* src, int64_t lds, U* dst, int64_t ldd) {
  if constexpr (sizeof(U) == 4) {
    transpose8x8(reinterpret_cast<const float*>(src), lds, reinterpret_cast<float*>(dst), ldd);
  } else {
    for (int i = 0; i < 8; ++i)
      for (int j = 0; j < 8; ++j) dst[i * ldd + j] = src[j * lds + i];
  }
}

// dst[u * ldd + v] = src[v * lds + u] for u < nu, v < nv within one tile: 8 x 8 blocks, then the edges one by one.
template <typename U>
TORCHLET_INLINE void transpose_tile(const U* src, int64_t lds, U* dst, int64_t ldd, int64_t nu, int64_t nv) {
  int64_t u = 0;
  for (; u + 8 <= nu; u += 8) {
    int64_t v = 0;
    for (; v + 8 <= nv; v += 8) transpose_block(src + v * lds + u, lds, dst + u * ldd + v, ldd);
    for (int64_t uu = u; uu < u + 8; ++uu)
      for (int64_t vv = v; vv < nv; ++vv) dst[uu * ldd + vv] = src[vv * lds + uu];
  }
  for (; u < nu; ++u)
    for (int64_t v = 0; v < nv; ++v) dst[u * ldd + v] = src[v * lds + u];
}

// The same over a plane: tiles of 32 x 32 (in L1) made of 8 x 8 blocks. With
// `stream` (a fresh result: stream_result), each whole tile whose rows start on cache lines is transposed into a
// buffer and streamed out: t().contiguous() of [1024, 1024] on Zen 5, 1 thread 0.58-0.60 ms -> 0.32, 2 threads
// 0.29 -> 0.15-0.19.
template <typename U>
TORCHLET_SIMD_CLONES void transpose_plane(const U* src, int64_t lds, U* dst, int64_t ldd, int64_t nu, int64_t nv,
                                          bool stream) {
  constexpr int64_t kTile = 32;
  const bool lines = stream && (kTile * sizeof(U)) % 64 == 0 && (ldd * int64_t(sizeof(U))) % 64 == 0;
  for (int64_t u0 = 0; u0 < nu; u0 += kTile) {
    const int64_t u1 = std::min(nu, u0 + kTile);
    for (int64_t v0 = 0; v0 < nv; v0 += kTile) {
      const int64_t v1 = std::min(nv, v0 + kTile);
      const U* from = src + v0 * lds + u0;
      U* to = dst + u0 * ldd + v0;
      if (lines && u1 - u0 == kTile && v1 - v0 == kTile && reinterpret_cast<uintptr_t>(to) % 64 == 0) {
        alignas(64) U tile[kTile * kTile];
        transpose_tile(from, lds, tile, kTile, kTile, kTile);
        stream_rows(to, ldd * int64_t(sizeof(U)), tile, kTile * int64_t(sizeof(U)), kTile);
        continue;
      }
      // The next tile's destination lines are fetched for writing now. A tile writes 32 rows of dst, pages apart:
      // too many streams for the hardware prefetchers, so into memory that is not in cache (a fresh result) every
      // line was a demand miss. t().contiguous() of [1024, 1024]: 0.91-1.01 ms -> 0.60-0.72 (a copy into a tensor
      // in cache 0.55-0.59 either way); prefetching the source's next rows as well measured no faster.
      if (v0 + 2 * kTile <= nv) {
        for (int64_t uu = u0; uu < u1; ++uu)
          for (int64_t k = 0; k < int64_t(kTile * sizeof(U)); k += 64)
            __builtin_prefetch(reinterpret_cast<const char*>(dst + uu * ldd + v0 + kTile) + k, 1, 3);
      }
      transpose_tile(from, lds, to, ldd, u1 - u0, v1 - v0);
    }
  }
}

// The copy as planes of a transpose, when src runs along one dim (stride 1) and dst along another, both at least 8
// long: dims of size 1 are dropped first, the plane's two dims go inside and the others are iterated outside. Splits
// the work by planes and by 32-row bands of u. Returns false (nothing done) for other layouts.
template <typename U>
bool transpose_copy(U* dst, const U* src, int rank, const int64_t* shape, const View& vd, const View& vs) {
  int du = -1, dv = -1;  // src runs along du, dst along dv
  int64_t numel = 1;
  for (int d = 0; d < rank; ++d) {
    numel *= shape[d];
    if (shape[d] < 8) continue;
    if (vs.strides[d] == 1 && du < 0) du = d;
    if (vd.strides[d] == 1 && dv < 0) dv = d;
  }
  if (du < 0 || dv < 0 || du == dv || numel < 256) return false;
  int64_t oshape[kMaxRank], od[kMaxRank], os[kMaxRank];
  int orank = 0;
  for (int d = 0; d < rank; ++d) {
    if (d == du || d == dv || shape[d] == 1) continue;
    oshape[orank] = shape[d];
    od[orank] = vd.strides[d];
    os[orank++] = vs.strides[d];
  }
  StridedIter<2> outer(orank, oshape, {View{vd.offset, od}, View{vs.offset, os}});
  const int64_t nu = shape[du], nv = shape[dv], lds = vs.strides[dv], ldd = vd.strides[du];
  const int64_t bands = (nu + 31) / 32, planes = outer.numel();
  const bool stream = stream_result(numel * int64_t(sizeof(U)));
  parallel_range(planes * bands, numel, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; ++t) {
      const int64_t plane = t / bands, u0 = (t % bands) * 32, n = std::min<int64_t>(32, nu - u0);
      outer.run_range(plane, plane + 1, [&](const int64_t* p, int64_t, const int64_t*) {
        transpose_plane(src + p[1] + u0, lds, dst + p[0] + u0 * ldd, ldd, n, nv, stream);
      });
    }
    if (stream) stream_fence();
  });
  return true;
}

// A same-type copy: a memcpy per contiguous run, a tiled transpose when the two layouts run along different dims
// (x.t().contiguous(), permute(...).contiguous()), else an element loop.
template <typename U>
void copy_bits(U* dst, const U* src, int rank, const int64_t* shape, const View& vd, const View& vs) {
  if (transpose_copy(dst, src, rank, shape, vd, vs)) return;
  StridedIter<2> it(rank, shape, {vd, vs});
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    U* o = dst + p[0];
    const U* x = src + p[1];
    if (s[0] == 1 && s[1] == 1) {
      std::memcpy(o, x, size_t(n) * sizeof(U));
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = x[i * s[1]];
    }
  });
}

}  // namespace
}  // namespace elementwise_detail

bool binary(BinaryOp op, DType tout, void* out, DType tin, const void* a, const void* b, int rank,
            const int64_t* shape, const View& vo, const View& va, const View& vb, double alpha) {
  using namespace elementwise_detail;
  if (is_boolean_result(op)) {
    if (tout != DType::U8) return false;
    return dispatch(tin, [&](auto tag) {
      return comparison_or_logical<typename decltype(tag)::type>(op, out, a, b, rank, shape, vo, va, vb);
    });
  }
  if (tout != tin) return false;
  return dispatch(tin, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out);
    const T* x = static_cast<const T*>(a);
    const T* y = static_cast<const T*>(b);
    if constexpr (std::is_floating_point<T>::value) {
      return float_arith(op, o, x, y, rank, shape, vo, va, vb, alpha);
    } else if constexpr (std::is_same<T, int32_t>::value) {
      return op != BinaryOp::div && int_arith(op, o, x, y, rank, shape, vo, va, vb, alpha);
    } else {
      return false;
    }
  });
}

bool unary(UnaryOp op, DType tout, void* out, DType tin, const void* a, int rank, const int64_t* shape,
           const View& vo, const View& va, double p0, double p1) {
  using namespace elementwise_detail;
  switch (op) {
#define TORCHLET_BOOL_CASE(name, expr)                                                      \
  case UnaryOp::name:                                                                       \
    if (tout != DType::U8) return false;                                                    \
    dispatch(tin, [&](auto tag) {                                                           \
      using T = typename decltype(tag)::type;                                               \
      unary_loop(static_cast<uint8_t*>(out), static_cast<const T*>(a), rank, shape, vo, va, \
                 [](T x) -> uint8_t { return (expr) ? 1 : 0; });                            \
    });                                                                                     \
    return true;
    TORCHLET_BOOL_UNARY_OPS(TORCHLET_BOOL_CASE)
#undef TORCHLET_BOOL_CASE
    default: break;
  }
  if (tout != tin) return false;
  return dispatch(tin, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out);
    const T* x = static_cast<const T*>(a);
    if constexpr (std::is_floating_point<T>::value) {
      return float_unary(op, o, x, rank, shape, vo, va, p0, p1);
    } else if constexpr (std::is_same<T, int32_t>::value) {
      return int_unary(op, o, x, rank, shape, vo, va, p0, p1);
    } else {
      return false;
    }
  });
}

bool unary_backward(VBackward op, DType t, void* out, const void* g, const void* a, int rank, const int64_t* shape,
                    const View& vo, const View& vg, const View& va, double p0, double p1) {
  using namespace elementwise_detail;
  if (t == DType::F32) {
    const float q0 = float(p0), q1 = float(p1);
    vmath_loop<3>(static_cast<float*>(out), {static_cast<const float*>(g), static_cast<const float*>(a)}, rank, shape,
                  {vo, vg, va},
                  [&](float* o, const float* const* x, int64_t n) { vbackward(op, o, x[0], x[1], n, q0, q1); });
    return true;
  }
  if (t != DType::F64) return false;
  double* o = static_cast<double*>(out);
  const double* gd = static_cast<const double*>(g);
  const double* ad = static_cast<const double*>(a);
  auto run = [&](auto f) { binary_loop(o, gd, ad, rank, shape, vo, vg, va, f); };
  // PyTorch's scalar formulas (tanh and sigmoid take the forward's output y, the others its input x).
  switch (op) {
    case VBackward::tanh_backward: run([](double dy, double y) { return dy * (1 - y * y); }); return true;
    case VBackward::sigmoid_backward: run([](double dy, double y) { return dy * (1 - y) * y; }); return true;
    case VBackward::silu_backward:
      run([](double dy, double x) {
        const double s = 1 / (1 + std::exp(-x));
        return dy * s * (1 + x * (1 - s));
      });
      return true;
    case VBackward::gelu_backward:
      run([](double dy, double x) {
        const double cdf = 0.5 * (1 + std::erf(x * M_SQRT1_2));
        const double pdf = kGeluPdf * std::exp(x * x * -0.5);
        return dy * (cdf + x * pdf);
      });
      return true;
    case VBackward::gelu_tanh_backward:
      run([](double dy, double x) {
        const double x_sq = x * x, x_cube = x_sq * x;
        const double inner = kGeluTanhBeta * (x + kGeluKappa * x_cube), t = std::tanh(inner);
        const double left = 0.5 * x, right = 1 + t;
        const double left_derivative = 0.5 * right, tanh_derivative = 1 - t * t;
        const double inner_derivative = kGeluTanhBeta * (1 + 3 * kGeluKappa * x_sq);
        return dy * (left_derivative + left * tanh_derivative * inner_derivative);
      });
      return true;
    case VBackward::softplus_backward:
      run([p0, p1](double dy, double x) {
        const double z = std::exp(x * p0);
        return x * p0 > p1 ? dy : dy * z / (z + 1);
      });
      return true;
    default: return false;
  }
}

void where(size_t elem_size, void* out, const uint8_t* cond, const void* a, const void* b, int rank,
           const int64_t* shape, const View& vo, const View& vc, const View& va, const View& vb) {
  StridedIter<4> it(rank, shape, {vo, vc, va, vb});
  // The elements are moved, not read as numbers.
  dispatch_bits(elem_size, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* o = static_cast<U*>(out);
    const U* x = static_cast<const U*>(a);
    const U* y = static_cast<const U*>(b);
    elementwise_detail::run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
      for (int64_t i = 0; i < n; ++i) {
        o[p[0] + i * s[0]] = cond[p[1] + i * s[1]] ? x[p[2] + i * s[2]] : y[p[3] + i * s[3]];
      }
    });
  });
}

void copy(DType td, void* dst, DType ts, const void* src, int rank, const int64_t* shape, const View& vd,
          const View& vs) {
  using namespace elementwise_detail;
  if (td == ts && td != DType::U8) {
    // Same type: move bits, so NaN payloads and -0 survive exactly.
    dispatch_bits(dtype_size(td), [&](auto tag) {
      using U = typename decltype(tag)::type;
      copy_bits(static_cast<U*>(dst), static_cast<const U*>(src), rank, shape, vd, vs);
    });
    return;
  }
  dispatch(td, [&](auto to) {
    dispatch(ts, [&](auto from) {
      convert<typename decltype(to)::type, typename decltype(from)::type>(dst, src, rank, shape, vd, vs);
    });
  });
}

}  // namespace torchlet
