// Index kernels: gather and its adjoint scatter_add (index_select and index_add run through them with an
// expanded index).
#include "kernels.h"

#include <type_traits>

namespace torchlet {

namespace index_detail {
namespace {

// Visits every element of the index's shape; src/out dims other than `dim` follow the iteration, `dim` is
// addressed through the index value. Stops at the first index outside [0, dim_size).
template <typename F>
int64_t for_each_indexed(const int32_t* index, int rank, const int64_t* shape, const View& vo, const View& vs,
                         const View& vi, int dim, int64_t dim_size, int32_t* bad_value, F f) {
  int64_t src_strides[kMaxRank];
  for (int d = 0; d < rank; ++d) src_strides[d] = d == dim ? 0 : vs.strides[d];
  const int64_t dim_stride = vs.strides[dim];
  int64_t bad_at = -1, at = 0;
  StridedIter<3> it(rank, shape, {vo, View{vs.offset, src_strides}, vi});
  it.run([&](const int64_t* p, int64_t n, const int64_t* s) {
    if (bad_at >= 0) return;
    for (int64_t i = 0; i < n; ++i, ++at) {
      const int32_t v = index[p[2] + i * s[2]];
      if (v < 0 || v >= dim_size) {
        bad_at = at;
        *bad_value = v;
        return;
      }
      f(p[0] + i * s[0], p[1] + i * s[1] + v * dim_stride);
    }
  });
  return bad_at;
}

}  // namespace
}  // namespace index_detail

int64_t gather(size_t elem_size, void* out, const void* src, const int32_t* index, int rank, const int64_t* shape,
               const View& vo, const View& vs, const View& vi, int dim, int64_t dim_size, int32_t* bad_value) {
  return dispatch_bits(elem_size, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U* o = static_cast<U*>(out);
    const U* x = static_cast<const U*>(src);
    return index_detail::for_each_indexed(index, rank, shape, vo, vs, vi, dim, dim_size, bad_value,
                                          [&](int64_t po, int64_t ps) { o[po] = x[ps]; });
  });
}

int64_t scatter_add(DType t, void* out, const void* src, const int32_t* index, int rank, const int64_t* shape,
                    const View& vo, const View& vs, const View& vi, int dim, int64_t dim_size, int32_t* bad_value) {
  return dispatch(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Integers add as unsigned: they wrap like PyTorch's, without undefined behaviour.
    using Sum = typename std::conditional<std::is_integral<T>::value, std::make_unsigned<T>, Tag<T>>::type::type;
    T* o = static_cast<T*>(out);
    const T* x = static_cast<const T*>(src);
    // Here `out` is the indexed operand: swap roles so the index addresses out's `dim`.
    return index_detail::for_each_indexed(index, rank, shape, vs, vo, vi, dim, dim_size, bad_value,
                                          [&](int64_t ps, int64_t po) { o[po] = T(Sum(o[po]) + Sum(x[ps])); });
  });
}

}  // namespace torchlet
