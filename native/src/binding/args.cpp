#include "args.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace torchlet {
namespace binding {

namespace {

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "an Int8Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_uint8_clamped_array: return "a Uint8ClampedArray";
      case napi_int16_array: return "an Int16Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      default: return "a typed array";
    }
  }
  if (v.IsNumber()) {
    std::ostringstream s;
    s << "the number " << v.As<Napi::Number>().DoubleValue();
    return s.str();
  }
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsArray()) return "an array";
  if (v.IsFunction()) return "a function";
  return "an object";
}

std::string prefix(const char* fn) { return std::string("torchlet.native.") + fn + ": "; }

std::string dims(int rank, const int64_t* values) {
  std::ostringstream s;
  s << "[";
  for (int d = 0; d < rank; ++d) s << (d ? ", " : "") << values[d];
  s << "]";
  return s.str();
}

}  // namespace

void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

// One napi_get_typedarray_info call per argument: this runs several times on every op.
static bool typed_array_info(napi_env env, napi_value v, napi_typedarray_type* type, size_t* length, void** data) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  return napi_get_typedarray_info(env, v, type, length, data, nullptr, nullptr) == napi_ok;
}

Buffer buffer_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, bool allow_null) {
  Napi::Value v = info[i];
  Buffer b;
  napi_typedarray_type type;
  if (typed_array_info(info.Env(), v, &type, &b.length, &b.data)) {
    bool known = true;
    switch (type) {
      case napi_float32_array: b.dtype = DType::F32; break;
      case napi_int32_array: b.dtype = DType::I32; break;
      case napi_uint8_array: b.dtype = DType::U8; break;
      case napi_float64_array: b.dtype = DType::F64; break;
      default: known = false;
    }
    if (known) {
      b.elem_size = dtype_size(b.dtype);
      return b;
    }
  } else if (allow_null && (v.IsNull() || v.IsUndefined())) {
    return Buffer{};
  }
  throw_type(info.Env(), prefix(fn) + "expected a Float32Array, Float64Array, Int32Array or Uint8Array for '" +
                             name + "' but received " + describe(v));
}

uint32_t* u32_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, size_t min_length) {
  Napi::Value v = info[i];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typed_array_info(info.Env(), v, &type, &length, &data) || type != napi_uint32_array) {
    throw_type(info.Env(), prefix(fn) + "expected a Uint32Array for '" + name + "' but received " + describe(v));
  }
  if (length < min_length) {
    throw_range(info.Env(), prefix(fn) + "expected '" + name + "' to hold at least " + std::to_string(min_length) +
                                " elements but it holds " + std::to_string(length));
  }
  return static_cast<uint32_t*>(data);
}

double number_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name) {
  double d = 0;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    throw_type(info.Env(), prefix(fn) + "expected a number for '" + name + "' but received " + describe(info[i]));
  }
  return d;
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, int64_t lo, int64_t hi) {
  const double d = number_arg(info, i, fn, name);
  if (!(d >= double(lo) && d <= double(hi)) || std::floor(d) != d) {
    std::ostringstream s;
    s << prefix(fn) << "expected an integer in [" << lo << ", " << hi << "] for '" << name << "' but received " << d;
    throw_range(info.Env(), s.str());
  }
  return int64_t(d);
}

Meta::Meta(const Napi::CallbackInfo& info, size_t i, const char* fn) : env_(info.Env()), fn_(fn) {
  Napi::Value v = info[i];
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typed_array_info(env_, v, &type, &length, &data) || type != napi_float64_array) {
    throw_type(env_, prefix(fn) + "expected a Float64Array for 'layout' but received " + describe(v));
  }
  const double* d = static_cast<const double*>(data);
  const double count = length > 0 ? d[0] : -1;
  if (!(count >= 0 && count <= double(std::min(length - 1, kMaxLayout))) || std::floor(count) != count) {
    std::ostringstream s;
    s << prefix(fn) << "'layout' must start with the count of values that follow, at most "
      << std::min(length > 0 ? length - 1 : 0, kMaxLayout) << ", but starts with " << count;
    throw_range(env_, s.str());
  }
  length_ = size_t(count);
  constexpr double kLimit = 9007199254740992.0;  // 2^53: every integer up to it is exact in a double
  for (size_t k = 0; k < length_; ++k) {
    const double x = d[k + 1];
    if (!(x >= -kLimit && x <= kLimit) || std::floor(x) != x) {
      std::ostringstream s;
      s << prefix(fn) << "'layout' value " << k << " is " << x << ", not an integer in [-2^53, 2^53]";
      throw_range(env_, s.str());
    }
    values_[k] = int64_t(x);
  }
}

const int64_t* Meta::take(int n, const char* what) {
  if (n < 0 || pos_ + size_t(n) > length_) {
    throw_range(env_, prefix(fn_) + "'layout' ends before " + what + " (it holds " + std::to_string(length_) +
                          " values)");
  }
  const int64_t* p = values_ + pos_;
  pos_ += size_t(n);
  return p;
}

int64_t Meta::next(const char* what) { return *take(1, what); }

int Meta::rank(const char* what) {
  const int64_t r = next(what);
  if (r < 0 || r > kMaxRank) {
    throw_range(env_, prefix(fn_) + "expected " + what + " in [0, " + std::to_string(kMaxRank) + "] but received " +
                          std::to_string(r));
  }
  return int(r);
}

const int64_t* Meta::shape(int rank, const char* what) {
  const int64_t* s = take(rank, what);
  bool empty = false;
  for (int d = 0; d < rank; ++d) {
    if (s[d] < 0) throw_range(env_, prefix(fn_) + "negative size in " + what + " " + dims(rank, s));
    empty = empty || s[d] == 0;
  }
  // Element counts stay exact in a double and in int64 arithmetic (an empty shape addresses nothing).
  int64_t numel = 1;
  for (int d = 0; d < rank && !empty; ++d) {
    if (__builtin_mul_overflow(numel, s[d], &numel) || numel > (INT64_C(1) << 53)) {
      throw_range(env_, prefix(fn_) + what + " " + dims(rank, s) + " has more than 2^53 elements");
    }
  }
  return s;
}

const int64_t* Meta::bounded(int n, const char* const* names, int64_t lo, int64_t hi) {
  const int64_t* v = take(n, names[0]);
  for (int i = 0; i < n; ++i) {
    if (v[i] < lo || v[i] > hi) {
      std::ostringstream s;
      s << prefix(fn_) << "'" << names[i] << "' is " << v[i] << ", outside [" << lo << ", " << hi
        << "], the range the kernel supports";
      throw_range(env_, s.str());
    }
  }
  return v;
}

void Meta::finish() {
  if (pos_ != length_) {
    throw_range(env_, prefix(fn_) + "'layout' holds " + std::to_string(length_) + " values but the call reads " +
                          std::to_string(pos_));
  }
}

void check_view(Napi::Env env, const char* fn, const char* name, size_t length, int rank, const int64_t* shape,
                const int64_t* strides, int64_t offset) {
  // Sizes and strides are at most 2^53 in magnitude (Meta), so one product fits in int64; a sum may not, and any
  // overflow is far outside every buffer.
  int64_t lo = offset, hi = offset;
  bool overflow = false;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 0) return;  // nothing is addressed
    int64_t reach = 0;
    overflow = overflow || __builtin_mul_overflow(shape[d] - 1, strides[d], &reach) ||
               __builtin_add_overflow(reach < 0 ? lo : hi, reach, reach < 0 ? &lo : &hi);
  }
  if (overflow || lo < 0 || hi >= int64_t(length)) {
    std::ostringstream s;
    s << prefix(fn) << "layout of '" << name << "' (offset " << offset << ", shape " << dims(rank, shape)
      << ", strides " << dims(rank, strides) << ") reaches ";
    if (overflow) s << "past the 64-bit range";
    else s << "elements [" << lo << ", " << hi << "]";
    s << " of a buffer of " << length;
    throw_range(env, s.str());
  }
}

}  // namespace binding
}  // namespace torchlet
