// Index kernels: gather and its adjoint scatter_add (index_select and index_add run through them with an
// expanded index).
#include "kernels.h"

namespace torchlet {

namespace {

// Visits every element of the index's shape; src/out dims other than `dim` follow the iteration, `dim` is
// addressed through the index value. Stops at the first index outside [0, dim_size).
template <typename F>
int64_t for_each_indexed(const int32_t* index, int rank, const int32_t* shape, const View& vo, const View& vs,
                         const View& vi, int dim, int32_t dim_size, int32_t* bad_value, F f) {
  int32_t src_strides[kMaxRank];
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

int64_t gather(size_t elem_size, void* out, const void* src, const int32_t* index, int rank, const int32_t* shape,
               const View& vo, const View& vs, const View& vi, int dim, int32_t dim_size, int32_t* bad_value) {
  if (elem_size == 4) {
    auto* o = static_cast<uint32_t*>(out);
    const auto* x = static_cast<const uint32_t*>(src);
    return for_each_indexed(index, rank, shape, vo, vs, vi, dim, dim_size, bad_value,
                            [&](int64_t po, int64_t ps) { o[po] = x[ps]; });
  }
  auto* o = static_cast<uint8_t*>(out);
  const auto* x = static_cast<const uint8_t*>(src);
  return for_each_indexed(index, rank, shape, vo, vs, vi, dim, dim_size, bad_value,
                          [&](int64_t po, int64_t ps) { o[po] = x[ps]; });
}

int64_t scatter_add(DType t, void* out, const void* src, const int32_t* index, int rank, const int32_t* shape,
                    const View& vo, const View& vs, const View& vi, int dim, int32_t dim_size, int32_t* bad_value) {
  // Here `out` is the indexed operand: swap roles so the index addresses out's `dim`.
  if (t == DType::F32) {
    auto* o = static_cast<float*>(out);
    const auto* x = static_cast<const float*>(src);
    return for_each_indexed(index, rank, shape, vs, vo, vi, dim, dim_size, bad_value,
                            [&](int64_t ps, int64_t po) { o[po] += x[ps]; });
  }
  auto* o = static_cast<int32_t*>(out);
  const auto* x = static_cast<const int32_t*>(src);
  return for_each_indexed(index, rank, shape, vs, vo, vi, dim, dim_size, bad_value,
                          [&](int64_t ps, int64_t po) { o[po] = int32_t(uint32_t(o[po]) + uint32_t(x[ps])); });
}

}  // namespace torchlet
