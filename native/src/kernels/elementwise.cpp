// Elementwise kernels: binary, unary, where and the converting copy.
#include <algorithm>
#include <climits>
#include <cmath>
#include <type_traits>
#include <cstring>
#include <limits>

#include "kernels.h"

namespace torchlet {

#define TORCHLET_NAME_ITEM(name) #name,
const char* const kBinaryOpNames[] = {TORCHLET_BINARY_OPS(TORCHLET_NAME_ITEM) nullptr};
const char* const kUnaryOpNames[] = {TORCHLET_UNARY_OPS(TORCHLET_NAME_ITEM) nullptr};
const char* const kReduceOpNames[] = {TORCHLET_REDUCE_OPS(TORCHLET_NAME_ITEM) nullptr};
#undef TORCHLET_NAME_ITEM

namespace {

// Runs it.run(body), split over torchlet's threads when the op is large enough to pay for the hand-off
// (elementwise results do not depend on how the elements are split).
template <int K, typename F>
void run_parallel(const StridedIter<K>& it, const F& body) {
  parallel_range(it.numel(), it.numel(), [&](int64_t first, int64_t last) { it.run_range(first, last, body); });
}

// Runs out[i] = f(a[i], b[i]) with fast paths for the common contiguous and scalar-broadcast runs.
template <typename TO, typename TI, typename F>
void binary_loop(TO* out, const TI* a, const TI* b, int rank, const int32_t* shape, const View& vo,
                 const View& va, const View& vb, F f) {
  StridedIter<3> it(rank, shape, {vo, va, vb});
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    TO* o = out + p[0];
    const TI* x = a + p[1];
    const TI* y = b + p[2];
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
      const TI yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
      const TI xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
    }
  });
}

template <typename TO, typename TI, typename F>
void unary_loop(TO* out, const TI* a, int rank, const int32_t* shape, const View& vo, const View& va, F f) {
  StridedIter<2> it(rank, shape, {vo, va});
  run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
    TO* o = out + p[0];
    const TI* x = a + p[1];
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
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
float float_remainder(float a, float b) {
  float r = std::fmod(a, b);
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
int32_t int_remainder(int32_t a, int32_t b) {
  if (b == 0) return 0;
  int32_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}
int32_t int_floor_divide(int32_t a, int32_t b) {
  if (b == 0) return 0;
  int32_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
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
void compare(void* out, const void* a, const void* b, int rank, const int32_t* shape, const View& vo,
             const View& va, const View& vb, F f) {
  binary_loop(static_cast<uint8_t*>(out), static_cast<const TI*>(a), static_cast<const TI*>(b), rank, shape, vo,
              va, vb, [f](TI x, TI y) -> uint8_t { return f(x, y) ? 1 : 0; });
}

template <typename TI>
bool comparison_or_logical(BinaryOp op, void* out, const void* a, const void* b, int rank, const int32_t* shape,
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

bool float_arith(BinaryOp op, float* o, const float* a, const float* b, int rank, const int32_t* shape,
                 const View& vo, const View& va, const View& vb, double alpha) {
  if ((op == BinaryOp::add || op == BinaryOp::sub) && alpha != 1.0) {
    const float s = float(op == BinaryOp::add ? alpha : -alpha);
    binary_loop(o, a, b, rank, shape, vo, va, vb, [s](float x, float y) { return std::fma(s, y, x); });
    return true;
  }
  switch (op) {
    case BinaryOp::add: binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return x + y; }); return true;
    case BinaryOp::sub: binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return x - y; }); return true;
    case BinaryOp::mul: binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return x * y; }); return true;
    case BinaryOp::div: binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return x / y; }); return true;
    case BinaryOp::pow: binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return std::pow(x, y); }); return true;
    case BinaryOp::maximum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_max<float>); return true;
    case BinaryOp::minimum: binary_loop(o, a, b, rank, shape, vo, va, vb, nan_min<float>); return true;
    case BinaryOp::remainder: binary_loop(o, a, b, rank, shape, vo, va, vb, float_remainder); return true;
    case BinaryOp::floor_divide:
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](float x, float y) { return std::floor(x / y); });
      return true;
    case BinaryOp::threshold_backward:
      // ReLU's gradient: g where the output is positive, as PyTorch's threshold_backward (x <= 0 ? 0 : g).
      binary_loop(o, a, b, rank, shape, vo, va, vb, [](float g, float y) { return y <= 0.0f ? 0.0f : g; });
      return true;
    default: return false;
  }
}

bool int_arith(BinaryOp op, int32_t* o, const int32_t* a, const int32_t* b, int rank, const int32_t* shape,
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
    case BinaryOp::remainder: binary_loop(o, a, b, rank, shape, vo, va, vb, int_remainder); return true;
    case BinaryOp::floor_divide: binary_loop(o, a, b, rank, shape, vo, va, vb, int_floor_divide); return true;
    default: return false;
  }
}

float sign_of(float x) { return float((0.0f < x) - (x < 0.0f)); }

bool float_unary(UnaryOp op, float* o, const float* a, int rank, const int32_t* shape, const View& vo,
                 const View& va, double p0, double p1) {
  auto run = [&](auto f) { unary_loop(o, a, rank, shape, vo, va, f); return true; };
  switch (op) {
    case UnaryOp::neg: return run([](float x) { return -x; });
    case UnaryOp::abs: return run([](float x) { return std::fabs(x); });
    case UnaryOp::exp: return run([](float x) { return std::exp(x); });
    case UnaryOp::log: return run([](float x) { return std::log(x); });
    case UnaryOp::sqrt: return run([](float x) { return std::sqrt(x); });
    case UnaryOp::rsqrt: return run([](float x) { return 1.0f / std::sqrt(x); });
    case UnaryOp::sin: return run([](float x) { return std::sin(x); });
    case UnaryOp::cos: return run([](float x) { return std::cos(x); });
    case UnaryOp::tanh: return run([](float x) { return std::tanh(x); });
    case UnaryOp::sigmoid: return run([](float x) { return 1.0f / (1.0f + std::exp(-x)); });
    case UnaryOp::relu: return run([](float x) { return x > 0.0f ? x : (x != x ? x : 0.0f); });
    case UnaryOp::sign: return run(sign_of);
    case UnaryOp::clamp: {
      const float lo = float(p0), hi = float(p1);
      return run([lo, hi](float x) { return x != x ? x : std::min(std::max(x, lo), hi); });
    }
    case UnaryOp::pow_scalar: {
      // PyTorch computes these exponents exactly, not through pow().
      const float e = float(p0);
      if (e == 2.0f) return run([](float x) { return x * x; });
      if (e == 3.0f) return run([](float x) { return x * x * x; });
      if (e == 0.5f) return run([](float x) { return std::sqrt(x); });
      if (e == -0.5f) return run([](float x) { return 1.0f / std::sqrt(x); });
      if (e == -1.0f) return run([](float x) { return 1.0f / x; });
      if (e == -2.0f) return run([](float x) { return 1.0f / (x * x); });
      return run([e](float x) { return std::pow(x, e); });
    }
    case UnaryOp::log1p: return run([](float x) { return std::log1p(x); });
    case UnaryOp::expm1: return run([](float x) { return std::expm1(x); });
    case UnaryOp::floor: return run([](float x) { return std::floor(x); });
    case UnaryOp::ceil: return run([](float x) { return std::ceil(x); });
    case UnaryOp::round: return run([](float x) { return std::nearbyint(x); });
    case UnaryOp::trunc: return run([](float x) { return std::trunc(x); });
    case UnaryOp::reciprocal: return run([](float x) { return 1.0f / x; });
    case UnaryOp::erf: return run([](float x) { return std::erf(x); });
    case UnaryOp::square: return run([](float x) { return x * x; });
    case UnaryOp::leaky_relu: {
      const float slope = float(p0);
      return run([slope](float x) { return x > 0.0f ? x : x * slope; });
    }
    default: return false;
  }
}

bool int_unary(UnaryOp op, int32_t* o, const int32_t* a, int rank, const int32_t* shape, const View& vo,
               const View& va, double p0, double p1) {
  auto run = [&](auto f) { unary_loop(o, a, rank, shape, vo, va, f); return true; };
  switch (op) {
    case UnaryOp::neg: return run([](int32_t x) { return int32_t(0u - uint32_t(x)); });
    case UnaryOp::abs: return run([](int32_t x) { return x < 0 ? int32_t(0u - uint32_t(x)) : x; });
    case UnaryOp::sign: return run([](int32_t x) { return int32_t((0 < x) - (x < 0)); });
    case UnaryOp::relu: return run([](int32_t x) { return x > 0 ? x : 0; });
    case UnaryOp::square: return run([](int32_t x) { return int32_t(uint32_t(x) * uint32_t(x)); });
    case UnaryOp::clamp: {
      // Bounds arrive as doubles (+-Infinity when absent); clip them into int32 range first.
      const double lo_d = std::max(p0, -2147483648.0), hi_d = std::min(p1, 2147483647.0);
      const int32_t lo = int32_t(std::ceil(lo_d)), hi = int32_t(std::floor(hi_d));
      return run([lo, hi](int32_t x) { return std::min(std::max(x, lo), hi); });
    }
    default: return false;
  }
}

template <typename TD, typename TS>
void convert(void* dst, const void* src, int rank, const int32_t* shape, const View& vd, const View& vs) {
  unary_loop(static_cast<TD*>(dst), static_cast<const TS*>(src), rank, shape, vd, vs, [](TS x) -> TD {
    if constexpr (std::is_same<TD, uint8_t>::value) {
      return x != 0 ? 1 : 0;
    } else if constexpr (std::is_same<TD, int32_t>::value && std::is_same<TS, float>::value) {
      // Out-of-range and NaN casts are undefined in C++; clamp so a bad value cannot trap.
      if (!(x > -2147483649.0f)) return x != x ? 0 : INT32_MIN;
      if (!(x < 2147483648.0f)) return INT32_MAX;
      return TD(x);
    } else {
      return TD(x);
    }
  });
}

template <typename TD>
void convert_from(DType ts, void* dst, const void* src, int rank, const int32_t* shape, const View& vd,
                  const View& vs) {
  switch (ts) {
    case DType::F32: convert<TD, float>(dst, src, rank, shape, vd, vs); break;
    case DType::I32: convert<TD, int32_t>(dst, src, rank, shape, vd, vs); break;
    case DType::U8: convert<TD, uint8_t>(dst, src, rank, shape, vd, vs); break;
  }
}

}  // namespace

bool binary(BinaryOp op, DType tout, void* out, DType tin, const void* a, const void* b, int rank,
            const int32_t* shape, const View& vo, const View& va, const View& vb, double alpha) {
  if (is_boolean_result(op)) {
    if (tout != DType::U8) return false;
    switch (tin) {
      case DType::F32: return comparison_or_logical<float>(op, out, a, b, rank, shape, vo, va, vb);
      case DType::I32: return comparison_or_logical<int32_t>(op, out, a, b, rank, shape, vo, va, vb);
      case DType::U8: return comparison_or_logical<uint8_t>(op, out, a, b, rank, shape, vo, va, vb);
    }
    return false;
  }
  if (tout != tin) return false;
  if (tin == DType::F32) {
    return float_arith(op, static_cast<float*>(out), static_cast<const float*>(a), static_cast<const float*>(b),
                       rank, shape, vo, va, vb, alpha);
  }
  if (tin == DType::I32 && op != BinaryOp::div) {
    return int_arith(op, static_cast<int32_t*>(out), static_cast<const int32_t*>(a),
                     static_cast<const int32_t*>(b), rank, shape, vo, va, vb, alpha);
  }
  return false;
}

bool unary(UnaryOp op, DType tout, void* out, DType tin, const void* a, int rank, const int32_t* shape,
           const View& vo, const View& va, double p0, double p1) {
  if (op == UnaryOp::logical_not || op == UnaryOp::isnan) {
    if (tout != DType::U8) return false;
    uint8_t* o = static_cast<uint8_t*>(out);
    if (op == UnaryOp::isnan) {
      if (tin == DType::F32) {
        unary_loop(o, static_cast<const float*>(a), rank, shape, vo, va, [](float x) -> uint8_t { return x != x; });
      } else {
        StridedIter<1> it(rank, shape, {vo});
        it.run([&](const int64_t* p, int64_t n, const int64_t* s) {
          for (int64_t i = 0; i < n; ++i) o[p[0] + i * s[0]] = 0;
        });
      }
      return true;
    }
    switch (tin) {
      case DType::F32: unary_loop(o, static_cast<const float*>(a), rank, shape, vo, va, [](float x) -> uint8_t { return x == 0; }); break;
      case DType::I32: unary_loop(o, static_cast<const int32_t*>(a), rank, shape, vo, va, [](int32_t x) -> uint8_t { return x == 0; }); break;
      case DType::U8: unary_loop(o, static_cast<const uint8_t*>(a), rank, shape, vo, va, [](uint8_t x) -> uint8_t { return x == 0; }); break;
    }
    return true;
  }
  if (tout != tin) return false;
  if (tin == DType::F32) {
    return float_unary(op, static_cast<float*>(out), static_cast<const float*>(a), rank, shape, vo, va, p0, p1);
  }
  if (tin == DType::I32) {
    return int_unary(op, static_cast<int32_t*>(out), static_cast<const int32_t*>(a), rank, shape, vo, va, p0, p1);
  }
  return false;
}

void where(size_t elem_size, void* out, const uint8_t* cond, const void* a, const void* b, int rank,
           const int32_t* shape, const View& vo, const View& vc, const View& va, const View& vb) {
  StridedIter<4> it(rank, shape, {vo, vc, va, vb});
  auto body = [&](auto* o, auto* x, auto* y) {
    run_parallel(it, [&](const int64_t* p, int64_t n, const int64_t* s) {
      for (int64_t i = 0; i < n; ++i) {
        o[p[0] + i * s[0]] = cond[p[1] + i * s[1]] ? x[p[2] + i * s[2]] : y[p[3] + i * s[3]];
      }
    });
  };
  if (elem_size == 4) {
    body(static_cast<uint32_t*>(out), static_cast<const uint32_t*>(a), static_cast<const uint32_t*>(b));
  } else {
    body(static_cast<uint8_t*>(out), static_cast<const uint8_t*>(a), static_cast<const uint8_t*>(b));
  }
}

void copy(DType td, void* dst, DType ts, const void* src, int rank, const int32_t* shape, const View& vd,
          const View& vs) {
  if (td == ts && td != DType::U8) {
    // Same 4-byte type: move bits, so NaN payloads and -0 survive exactly.
    unary_loop(static_cast<uint32_t*>(dst), static_cast<const uint32_t*>(src), rank, shape, vd, vs,
               [](uint32_t x) { return x; });
    return;
  }
  switch (td) {
    case DType::F32: convert_from<float>(ts, dst, src, rank, shape, vd, vs); break;
    case DType::I32: convert_from<int32_t>(ts, dst, src, rank, shape, vd, vs); break;
    case DType::U8: convert_from<uint8_t>(ts, dst, src, rank, shape, vd, vs); break;
  }
}

}  // namespace torchlet
