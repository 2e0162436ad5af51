// Argument checking for the Node-API glue: every value from JS is checked here before a kernel sees it,
// and every failure is a TypeError or RangeError that names the function and the argument.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "../kernels/kernels.h"

namespace torchlet {
namespace binding {

struct Buffer {
  void* data = nullptr;
  size_t length = 0;  // in elements
  DType dtype = DType::F32;
  size_t elem_size = 4;
};

// A Float32Array, Float64Array, Int32Array or Uint8Array argument (or null when allow_null).
Buffer buffer_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, bool allow_null = false);
// An Int32Array or Uint32Array argument of an exact type.
uint32_t* u32_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, size_t min_length);
double number_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name);
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* name, int64_t lo, int64_t hi);

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg);
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg);

// The most values one packed layout holds (the longest, where's, is 5 + 5 * kMaxRank).
constexpr size_t kMaxLayout = 256;

// Reads the packed layout of one call, a Float64Array [count, values...]: front to back, checking its length as it
// goes, and only the `count` values JS wrote for this call (JS reuses one array for every call). Every value must be
// an integer of magnitude at most 2^53, so sizes, strides and offsets cross the boundary exactly, in 64 bits;
// finish() checks that the call read every value it was given. The values live in the Meta object, so it must
// outlive every pointer take() returned.
class Meta {
 public:
  Meta(const Napi::CallbackInfo& info, size_t i, const char* fn);
  // What take() returns points into this object: a copy would leave those pointers behind.
  Meta(const Meta&) = delete;
  Meta& operator=(const Meta&) = delete;
  int64_t next(const char* what);
  // Takes n values, returning a pointer into the converted values.
  const int64_t* take(int n, const char* what);
  int rank(const char* what);
  // Takes `rank` sizes, checking each is >= 0 and that their product is at most 2^53.
  const int64_t* shape(int rank, const char* what);
  // Takes n values, checking each lies in [lo, hi]; names[i] names value i in the message.
  const int64_t* bounded(int n, const char* const* names, int64_t lo, int64_t hi);
  void finish();

 private:
  Napi::Env env_;
  const char* fn_;
  int64_t values_[kMaxLayout];
  size_t length_ = 0;
  size_t pos_ = 0;
};

// Checks that every element addressed by (offset, shape, strides) lies inside the buffer.
void check_view(Napi::Env env, const char* fn, const char* name, size_t length, int rank, const int64_t* shape,
                const int64_t* strides, int64_t offset);

}  // namespace binding
}  // namespace torchlet
