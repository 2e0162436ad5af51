// The element types, described once: every switch over dtypes in the kernels and the binding goes through
// dispatch() below, and the binding exports the table to JS.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

namespace torchlet {

// X(code, C++ type, name): the codes are the enum's values in this order (JS and saved states may hold them),
// the names are PyTorch's and the element size is sizeof(type).
#define TORCHLET_DTYPES(X) X(F32, float, "float32") X(I32, int32_t, "int32") X(U8, uint8_t, "bool") X(F64, double, "float64")

#define TORCHLET_DTYPE_ITEM(code, type, name) code,
enum class DType : int { TORCHLET_DTYPES(TORCHLET_DTYPE_ITEM) kCount };
#undef TORCHLET_DTYPE_ITEM
static_assert(int(DType::F32) == 0 && int(DType::I32) == 1 && int(DType::U8) == 2 && int(DType::F64) == 3,
              "dtype codes are part of the addon's interface");

// An element type as a value, so a generic lambda can receive it: [](auto tag) { using T = typename decltype(tag)::type; }
template <typename T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) with t's element type and returns its result. The code is always one of the table's (the binding
// derives it from a typed array), so the fall-through is unreachable.
template <typename F>
decltype(auto) dispatch(DType t, F&& f) {
  switch (t) {
#define TORCHLET_DTYPE_CASE(code, type, name) \
  case DType::code: return f(Tag<type>{});
    TORCHLET_DTYPES(TORCHLET_DTYPE_CASE)
#undef TORCHLET_DTYPE_CASE
    case DType::kCount: break;
  }
  std::abort();
}

// As dispatch for the floating dtypes; returns false (without calling f) for the others.
template <typename F>
bool dispatch_float(DType t, F&& f) {
  return dispatch(t, [&](auto tag) {
    if constexpr (std::is_floating_point<typename decltype(tag)::type>::value) {
      f(tag);
      return true;
    } else {
      return false;
    }
  });
}

// Calls f(Tag<U>{}) with the unsigned integer type of `size` bytes (1, 4 or 8): for kernels that move elements
// without looking at them, so NaN payloads and -0 survive exactly.
template <typename F>
decltype(auto) dispatch_bits(size_t size, F&& f) {
  switch (size) {
    case 1: return f(Tag<uint8_t>{});
    case 4: return f(Tag<uint32_t>{});
    case 8: return f(Tag<uint64_t>{});
  }
  std::abort();
}

inline const char* dtype_name(DType t) {
  switch (t) {
#define TORCHLET_DTYPE_NAME(code, type, name) \
  case DType::code: return name;
    TORCHLET_DTYPES(TORCHLET_DTYPE_NAME)
#undef TORCHLET_DTYPE_NAME
    case DType::kCount: break;
  }
  return "?";
}

inline size_t dtype_size(DType t) {
  return dispatch(t, [](auto tag) { return sizeof(typename decltype(tag)::type); });
}

inline bool is_floating(DType t) {
  return dispatch(t, [](auto tag) { return std::is_floating_point<typename decltype(tag)::type>::value; });
}

}  // namespace torchlet
