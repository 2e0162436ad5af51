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

// Reads the packed layout (an Int32Array) of one call front to back, checking its length as it goes.
// Entries past the ones a call needs are ignored, so JS can reuse one scratch array for every call.
class Meta {
 public:
  Meta(const Napi::CallbackInfo& info, size_t i, const char* fn);
  int32_t next(const char* what);
  // Takes n values, returning a pointer into the array.
  const int32_t* take(int n, const char* what);
  int rank(const char* what);
  // Takes `rank` dims, checking each is >= 0.
  const int32_t* shape(int rank, const char* what);

 private:
  Napi::Env env_;
  const char* fn_;
  const int32_t* data_ = nullptr;
  size_t length_ = 0;
  size_t pos_ = 0;
};

// Checks that every element addressed by (offset, shape, strides) lies inside the buffer.
void check_view(Napi::Env env, const char* fn, const char* name, size_t length, int rank, const int32_t* shape,
                const int32_t* strides, int64_t offset);

}  // namespace binding
}  // namespace torchlet
