// Reductions over any set of dims of a strided tensor.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels.h"
#include "simd.h"

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

// A reduction whose reduced dims all have size 1 (x.sum(0) of a [1, n] tensor; a bias gradient at batch size 1):
// calls body(o, x) with output o's single input element, in output order, and returns true; false otherwise. The
// per-output iterators of for_each_output cost more than the copy.
template <typename T, typename F>
bool one_each(const T* in, int rank, const int64_t* shape, const View& vin, const uint8_t* mask, F body) {
  int64_t kept_shape[kMaxRank] = {}, kept_strides[kMaxRank] = {};
  int nk = 0;
  for (int d = 0; d < rank; ++d) {
    if (mask[d] && shape[d] != 1) return false;
    if (!mask[d]) {
      kept_shape[nk] = shape[d];
      kept_strides[nk++] = vin.strides[d];
    }
  }
  StridedIter<1> kept(nk, kept_shape, {View{vin.offset, kept_strides}});
  int64_t o = 0;
  kept.run([&](const int64_t* p, int64_t n, const int64_t* s) {
    for (int64_t i = 0; i < n; ++i) body(o++, in[p[0] + i * s[0]]);
  });
  return true;
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

// The float version: 16 lanes (one AVX-512 register, two AVX2 ones); each lane first adds four values in float
// ((a + b) + (c + d): elements i, i + 16, i + 32, i + 48 of a block of 64, two roundings), then the lanes accumulate
// in double. Within a few float ulps of the exact sum (closer than PyTorch's cascaded float sums), at about twice
// the speed of converting every element; the same expressions on every path, so the same bits.
typedef double d8 __attribute__((vector_size(64)));
// One block of 64 floats into the two double accumulators, and the accumulators plus the tail into the sum: the
// steps of the float sum, shared by the one-row and two-row loops so both give the same bits.
TORCHLET_INLINE void sum_block(d8* acc, const float* x) {
  const f16 s = (load<f16>(x) + load<f16>(x + 16)) + (load<f16>(x + 32) + load<f16>(x + 48));
  acc[0] += __builtin_convertvector(__builtin_shufflevector(s, s, 0, 1, 2, 3, 4, 5, 6, 7), d8);
  acc[1] += __builtin_convertvector(__builtin_shufflevector(s, s, 8, 9, 10, 11, 12, 13, 14, 15), d8);
}
TORCHLET_INLINE double sum_finish(const d8* acc, const float* x, int64_t i, int64_t n) {
  const d8 t = acc[0] + acc[1];
  double total = ((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7]));
  for (; i < n; ++i) total += double(x[i]);
  return total;
}
template <>
TORCHLET_SIMD_CLONES_WIDE double sum_contiguous(const float* __restrict__ x, int64_t n) {
  d8 acc[2] = {};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) sum_block(acc, x + i);
  return sum_finish(acc, x, i, n);
}

// sums[r] = sum_contiguous(x + r len, len) for r < rows, two rows at a time: on 2 threads, with the rows in L2,
// a row's final additions and the call per row were about 8% of the sum over the rows of [1024, 1024].
TORCHLET_SIMD_CLONES_WIDE void sum_contiguous_rows(double* __restrict__ sums, const float* __restrict__ x, int64_t rows,
                                                   int64_t len) {
  int64_t r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float* a = x + r * len;
    const float* b = a + len;
    d8 acc_a[2] = {}, acc_b[2] = {};
    int64_t i = 0;
    for (; i + 64 <= len; i += 64) {
      sum_block(acc_a, a + i);
      sum_block(acc_b, b + i);
    }
    sums[r] = sum_finish(acc_a, a, i, len);
    sums[r + 1] = sum_finish(acc_b, b, i, len);
  }
  if (r < rows) sums[r] = sum_contiguous(x + r * len, len);
}

// A whole contiguous tensor summed in fixed chunks (split over threads), whose sums are added in order: the same
// bits on any number of threads.
template <typename T>
double sum_chunked(const T* x, int64_t n) {
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  // The partial sums on the stack up to 2M elements (a heap vector was 7% of a 64K-element sum's time).
  constexpr int64_t kOnStack = 32;
  double on_stack[kOnStack];
  std::vector<double> on_heap;
  double* partial = on_stack;
  if (chunks > kOnStack) {
    on_heap.resize(size_t(chunks));
    partial = on_heap.data();
  }
  parallel_range(chunks, n, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) partial[c] = sum_contiguous(x + c * kChunk, std::min(kChunk, n - c * kChunk));
  });
  double total = 0;
  for (int64_t c = 0; c < chunks; ++c) total += partial[c];
  return total;
}

// acc[j] += rows[r * stride + j] for r < rows, j < w (the rows of one band of columns). Float rows go four at a time,
// added in float first as sum_contiguous's lanes do.
template <typename T>
TORCHLET_SIMD_CLONES_WIDE void add_rows(double* __restrict__ acc, const T* x, int64_t rows, int64_t stride, int64_t w) {
  int64_t r = 0;
  if constexpr (std::is_same<T, float>::value) {
    for (; r + 4 <= rows; r += 4) {
      const T* a = x + r * stride;
      const T* b = a + stride;
      const T* c = b + stride;
      const T* d = c + stride;
      for (int64_t j = 0; j < w; ++j) acc[j] += double((a[j] + b[j]) + (c[j] + d[j]));
    }
  }
  for (; r < rows; ++r) {
    const T* a = x + r * stride;
    for (int64_t j = 0; j < w; ++j) acc[j] += double(a[j]);
  }
}

// Sums over dims outside the input's contiguous dim (x.sum(0) of a row-major matrix): the last kept dim L has stride 1,
// and tasks add reduced rows over a band of outputs along L, in vector registers' direction. Up to 256 reduced rows,
// each task streams all of them through one band of up to 256 outputs. More rows are cut into fixed chunks of whole
// rows (chunk_rows: a function of their count only), each task adds one chunk's rows over a band of up to 1024
// outputs, and the chunks' partial sums are then added in chunk order. Either way each output is summed in one
// order on any number of threads, and with chunks a thread streams whole rows, the same ones in every call. (Bands
// down all the rows gave each of 2 threads one half of every row: with rows of 4 KiB that is half the L2's sets, and
// the sum over the rows of [1024, 1024] on 2 threads, 90-97 us, ran no faster than from L3; in chunks 43-50 us.)
// Returns false for other layouts.
inline int64_t chunk_rows(int64_t rows) {
  // More than 256 rows, else one chunk; at most 8 chunks; a multiple of 4 rows (add_rows adds four at a time). The
  // partial sums are at most 1/32 of a float input.
  return std::max<int64_t>(256, ((rows + 7) / 8 + 3) / 4 * 4);
}

template <typename T, typename Acc>
bool sum_columns(Acc* out, const T* in, int rank, const int64_t* shape, const View& vin, const uint8_t* mask) {
  int last = -1;
  for (int d = 0; d < rank; ++d)
    if (!mask[d] && shape[d] > 1) last = d;
  if (last < 0 || vin.strides[last] != 1 || shape[last] < 8) return false;
  int64_t pre_shape[kMaxRank], pre_strides[kMaxRank], red_shape[kMaxRank], red_strides[kMaxRank];
  int np = 0, nr = 0;
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    total *= shape[d];
    if (d == last) continue;
    if (mask[d]) {
      red_shape[nr] = shape[d];
      red_strides[nr++] = vin.strides[d];
    } else {
      pre_shape[np] = shape[d];
      pre_strides[np++] = vin.strides[d];
    }
  }
  StridedIter<1> pre(np, pre_shape, {View{vin.offset, pre_strides}});
  StridedIter<1> red(nr, red_shape, {View{0, red_strides}});
  const int64_t rows = red.numel(), outer = pre.numel();
  if (rows < 2 || outer == 0) return false;
  const int64_t w = shape[last];
  const int64_t per_chunk = chunk_rows(rows), chunks = (rows + per_chunk - 1) / per_chunk;
  // The rows [c per_chunk, (c + 1) per_chunk) of output row q, band j0, added into acc (n values).
  auto add_chunk = [&](double* acc, int64_t q, int64_t c, int64_t j0, int64_t n) {
    std::fill(acc, acc + n, 0.0);
    pre.run_range(q, q + 1, [&](const int64_t* base, int64_t, const int64_t*) {
      red.run_range(c * per_chunk, std::min(rows, (c + 1) * per_chunk), [&](const int64_t* p, int64_t k, const int64_t* s) {
        add_rows(acc, in + base[0] + p[0] + j0, k, s[0], n);
      });
    });
  };
  if (chunks == 1) {
    constexpr int64_t kBand = 256;
    const int64_t bands = (w + kBand - 1) / kBand;
    parallel_range(outer * bands, total, [&](int64_t first, int64_t last_task) {
      double acc[kBand];
      for (int64_t t = first; t < last_task; ++t) {
        const int64_t q = t / bands, j0 = (t % bands) * kBand, n = std::min(kBand, w - j0);
        add_chunk(acc, q, 0, j0, n);
        for (int64_t j = 0; j < n; ++j) out[q * w + j0 + j] = Acc(acc[j]);
      }
    });
    return true;
  }
  constexpr int64_t kBand = 1024;
  const int64_t bands = (w + kBand - 1) / kBand;
  // partial[(q chunks + c) w + j]: chunk c's sum of output (q, j). Every value is written before it is read.
  std::unique_ptr<double[]> partial(new double[size_t(outer * chunks * w)]);
  parallel_range(outer * chunks * bands, total, [&](int64_t first, int64_t last_task) {
    for (int64_t t = first; t < last_task; ++t) {
      const int64_t q = t / (chunks * bands), c = t / bands % chunks, j0 = t % bands * kBand;
      add_chunk(partial.get() + (q * chunks + c) * w + j0, q, c, j0, std::min(kBand, w - j0));
    }
  });
  parallel_range(outer * bands, outer * chunks * w, [&](int64_t first, int64_t last_task) {
    double acc[kBand];
    for (int64_t t = first; t < last_task; ++t) {
      const int64_t q = t / bands, j0 = t % bands * kBand, n = std::min(kBand, w - j0);
      const double* part = partial.get() + q * chunks * w + j0;
      std::copy(part, part + n, acc);
      for (int64_t c = 1; c < chunks; ++c)
        for (int64_t j = 0; j < n; ++j) acc[j] += part[c * w + j];
      for (int64_t j = 0; j < n; ++j) out[q * w + j0 + j] = Acc(acc[j]);
    }
  });
  return true;
}

// Sums over the trailing dims of a contiguous tensor (x.sum(-1) of a row-major matrix): one contiguous run per
// output, summed as the general path sums it (so the same bits) without building an iterator per output. Returns
// false for other layouts.
template <typename T, typename Acc>
bool sum_rows(Acc* out, const T* in, int rank, const int64_t* shape, const View& vin, const uint8_t* mask) {
  int64_t expected = 1, len = 1, total = 1;
  bool inner = true;  // still in the trailing reduced dims
  for (int d = rank - 1; d >= 0; --d) {
    total *= shape[d];
    if (shape[d] == 1) continue;
    if (vin.strides[d] != expected) return false;
    expected *= shape[d];
    if (mask[d]) {
      if (!inner) return false;
      len *= shape[d];
    } else {
      inner = false;
    }
  }
  if (total == 0 || len < 2) return false;
  const int64_t rows = total / len;
  const T* x = in + vin.offset;
  parallel_range(rows, total, [&](int64_t first, int64_t last) {
    if constexpr (std::is_same<T, float>::value) {
      constexpr int64_t kRows = 64;
      double sums[kRows];
      for (int64_t r = first; r < last; r += kRows) {
        const int64_t k = std::min(kRows, last - r);
        sum_contiguous_rows(sums, x + r * len, k, len);
        for (int64_t i = 0; i < k; ++i) out[r + i] = Acc(sums[i]);
      }
    } else {
      for (int64_t r = first; r < last; ++r) out[r] = Acc(sum_contiguous(x + r * len, len));
    }
  });
  return true;
}

template <typename T, typename Acc>
void reduce_sum(Acc* out, const T* in, int rank, const int64_t* shape, const View& vin, const uint8_t* mask,
                bool product) {
  if constexpr (std::is_floating_point<T>::value) {
    if (!product) {
      bool all = true, dense = true;
      int64_t expected = 1, n = 1;
      for (int d = rank - 1; d >= 0; --d) {
        all = all && mask[d];
        n *= shape[d];
        if (shape[d] == 1) continue;
        dense = dense && vin.strides[d] == expected;
        expected *= shape[d];
      }
      if (all && dense && n > 0) {
        out[0] = Acc(sum_chunked(in + vin.offset, n));
        return;
      }
      if (sum_rows(out, in, rank, shape, vin, mask)) return;
      if (sum_columns(out, in, rank, shape, vin, mask)) return;
    }
  }
  using Wide = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;
  if (one_each(in, rank, shape, vin, mask, [&](int64_t o, T x) { out[o] = Acc(product ? Wide(x) : Wide(0) + Wide(x)); })) {
    return;
  }
  for_each_output(rank, shape, vin, mask, [&](int64_t o, const StridedIter<1>& inner) {
    // Accumulate in double/int64: for float32 at least as accurate as PyTorch's cascaded float sums (for float64
    // the error bound grows with the run length over 8, PyTorch's with its logarithm).
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

// The position of the maximum (kMax) or minimum of a contiguous float run: the first NaN if there is one, else the
// first element equal to the extreme (so ties keep the first position, and -0 and 0 tie as in PyTorch). The
// extreme is found with vector max/min in blocks, the position by a second pass over the (cached) run.
// Vector helpers of extreme_at, always inlined: a vector passed to a function built for another target (a lambda
// of a target clone is not cloned) would cross an ABI boundary.
template <bool kMax, typename V>
TORCHLET_INLINE V pick(V a, V b) {
  return (kMax ? a > b : a < b) ? a : b;
}
template <typename M>
TORCHLET_INLINE bool any_lane(M m) {
  auto r = m[0];
  for (size_t k = 1; k < sizeof(M) / sizeof(r); ++k) r |= m[k];
  return r != 0;
}

template <bool kMax, typename T>
TORCHLET_SIMD_CLONES int64_t extreme_at(const T* x, int64_t n) {
  using I = typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type;
  typedef T V __attribute__((vector_size(32)));
  typedef I M __attribute__((vector_size(32)));
  constexpr int64_t kL = 32 / sizeof(T), kStep = 4 * kL;
  int64_t i = 0;
  T best = x[0];
  if (n >= 2 * kStep) {
    V m0 = load<V>(x), m1 = load<V>(x + kL), m2 = load<V>(x + 2 * kL), m3 = load<V>(x + 3 * kL);
    M bad = (m0 != m0) | (m1 != m1) | (m2 != m2) | (m3 != m3);
    for (i = kStep; i + kStep <= n; i += kStep) {
      const V v0 = load<V>(x + i), v1 = load<V>(x + i + kL), v2 = load<V>(x + i + 2 * kL), v3 = load<V>(x + i + 3 * kL);
      m0 = pick<kMax>(v0, m0);
      m1 = pick<kMax>(v1, m1);
      m2 = pick<kMax>(v2, m2);
      m3 = pick<kMax>(v3, m3);
      bad |= (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);
    }
    if (any_lane(bad)) {
      i = 0;  // the scan below finds the first NaN
    } else {
      const V m = pick<kMax>(pick<kMax>(m0, m1), pick<kMax>(m2, m3));
      for (int64_t k = 0; k < kL; ++k) best = (kMax ? m[k] > best : m[k] < best) ? m[k] : best;
    }
  }
  for (int64_t j = i; j < n; ++j) {
    const T v = x[j];
    if (v != v) return j;
    if (kMax ? v > best : v < best) best = v;
  }
  // The first position holding the extreme (vector compares to find its block).
  int64_t at = 0;
  const V b = best - V{};
  for (; at + kStep <= n; at += kStep) {
    if (any_lane((load<V>(x + at) == b) | (load<V>(x + at + kL) == b) | (load<V>(x + at + 2 * kL) == b) |
            (load<V>(x + at + 3 * kL) == b)))
      break;
  }
  while (x[at] != best) ++at;
  return at;
}

// Max/min with PyTorch's rules: NaN wins, and ties keep the first position.
template <typename T>
void reduce_extreme(T* out, int32_t* idx, const T* in, int rank, const int64_t* shape, const View& vin,
                    const uint8_t* mask, bool is_max) {
  if (one_each(in, rank, shape, vin, mask, [&](int64_t o, T x) {
        if (out) out[o] = x;
        if (idx) idx[o] = 0;
      })) {
    return;
  }
  for_each_output(rank, shape, vin, mask, [&](int64_t o, const StridedIter<1>& inner) {
    T best = T(0);
    int64_t best_at = -1, at = 0;
    bool found_nan = false;
    inner.run([&](const int64_t* p, int64_t n, const int64_t* s) {
      const T* x = in + p[0];
      if constexpr (std::is_floating_point<T>::value) {
        if (s[0] == 1 && n == inner.numel()) {  // the whole slice is one contiguous run
          best_at = is_max ? extreme_at<true>(x, n) : extreme_at<false>(x, n);
          best = x[best_at];
          return;
        }
      }
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
