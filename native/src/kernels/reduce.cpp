// Reductions over any set of dims of a strided tensor.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels.h"

namespace torchlet {

namespace reduce_detail {
namespace {

// Splits the dims into kept (outer, in order) and reduced (inner, in order) and calls
// body(out_index, inner_iter) once per output element. Large reductions with several outputs hand ranges of
// outputs to torchlet's threads: each output is still summed by one thread in one order, so the split never
// changes a result.
template <typename F>
void for_each_output(int rank, const int64_t* shape, const View& vin, const uint8_t* mask, F body) {
  int64_t outer_shape[kMaxRank] = {}, inner_shape[kMaxRank] = {};
  int64_t outer_strides[kMaxRank] = {}, inner_strides[kMaxRank] = {};
  int no = 0, ni = 0;
  for (int d = 0; d < rank; ++d) {
    if (mask[d]) {
      inner_shape[ni] = shape[d];
      inner_strides[ni++] = vin.strides[d];
    } else {
      outer_shape[no] = shape[d];
      outer_strides[no++] = vin.strides[d];
    }
  }
  StridedIter<1> outer(no, outer_shape, {View{vin.offset, outer_strides}});
  auto outputs = [&](int64_t first, int64_t last) {
    int64_t out_index = first;
    outer.run_range(first, last, [&](const int64_t* p, int64_t n, const int64_t* s) {
      for (int64_t i = 0; i < n; ++i) {
        StridedIter<1> inner(ni, inner_shape, {View{p[0] + i * s[0], inner_strides}});
        body(out_index++, inner);
      }
    });
  };
  if (outer.numel() == 0) return;
  int64_t total = outer.numel();
  for (int d = 0; d < ni; ++d) total *= inner_shape[d];
  parallel_range(outer.numel(), total, outputs);
}

// Sum of a contiguous float or double run in double, eight independent accumulators so the loop vectorises.
template <typename T>
TORCHLET_SIMD_CLONES double sum_contiguous(const T* __restrict__ x, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += double(x[i + k]);
  }
  double total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) total += double(x[i]);
  return total;
}

template <typename T, typename Acc>
void reduce_sum(Acc* out, const T* in, int rank, const int64_t* shape, const View& vin, const uint8_t* mask,
                bool product) {
  for_each_output(rank, shape, vin, mask, [&](int64_t o, const StridedIter<1>& inner) {
    // Accumulate in double/int64: for float32 at least as accurate as PyTorch's cascaded float sums (for float64
    // the error bound grows with the run length over 8, PyTorch's with its logarithm).
    using Wide = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;
    Wide acc = product ? 1 : 0;
    inner.run([&](const int64_t* p, int64_t n, const int64_t* s) {
      const T* x = in + p[0];
      if constexpr (std::is_floating_point<T>::value) {
        if (!product && s[0] == 1) {
          acc += sum_contiguous(x, n);
          return;
        }
      }
      if (product) {
        for (int64_t i = 0; i < n; ++i) acc *= Wide(x[i * s[0]]);
      } else {
        for (int64_t i = 0; i < n; ++i) acc += Wide(x[i * s[0]]);
      }
    });
    out[o] = Acc(acc);
  });
}

// Max/min with PyTorch's rules: NaN wins, and ties keep the first position.
template <typename T>
void reduce_extreme(T* out, int32_t* idx, const T* in, int rank, const int64_t* shape, const View& vin,
                    const uint8_t* mask, bool is_max) {
  for_each_output(rank, shape, vin, mask, [&](int64_t o, const StridedIter<1>& inner) {
    T best = T(0);
    int64_t best_at = -1, at = 0;
    bool found_nan = false;
    inner.run([&](const int64_t* p, int64_t n, const int64_t* s) {
      const T* x = in + p[0];
      for (int64_t i = 0; i < n; ++i, ++at) {
        if (found_nan) return;
        const T v = x[i * s[0]];
        if (v != v) {
          best = v;
          best_at = at;
          found_nan = true;
        } else if (best_at < 0 || (is_max ? v > best : v < best)) {
          best = v;
          best_at = at;
        }
      }
    });
    if (out) out[o] = best;
    if (idx) idx[o] = int32_t(best_at);
  });
}

}  // namespace
}  // namespace reduce_detail

bool reduce(ReduceOp op, DType t, void* out, int32_t* idx, const void* in, int rank, const int64_t* shape,
            const View& vin, const uint8_t* mask) {
  return dispatch(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = static_cast<const T*>(in);
    switch (op) {
      case ReduceOp::sum:
      case ReduceOp::prod:
        if constexpr (std::is_same<T, uint8_t>::value) {
          return false;  // the caller sums bools as int32
        } else {
          reduce_detail::reduce_sum(static_cast<T*>(out), x, rank, shape, vin, mask, op == ReduceOp::prod);
          return true;
        }
      case ReduceOp::max:
      case ReduceOp::min:
      case ReduceOp::argmax:
      case ReduceOp::argmin: {
        const bool values = op == ReduceOp::max || op == ReduceOp::min;
        reduce_detail::reduce_extreme(values ? static_cast<T*>(out) : nullptr, idx, x, rank, shape, vin, mask,
                                      op == ReduceOp::max || op == ReduceOp::argmax);
        return true;
      }
      default: return false;
    }
  });
}

}  // namespace torchlet
