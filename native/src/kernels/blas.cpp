// Batched GEMM: float32 on torchlet's sgemm (sgemm.cpp: any strides, on torchlet's threads), float64 through
// OpenBLAS's dgemm. Transposed operands reach BLAS as flags with their leading dimension, never as copies.
#include <cblas.h>

#include <type_traits>
#include <vector>

#include "kernels.h"

namespace torchlet {

namespace blas_detail {
namespace {

struct BlasOperand {
  CBLAS_TRANSPOSE trans;
  int ld;
};

// Finds how a rows x cols matrix with row stride rs and column stride cs can be handed to row-major BLAS.
// Size-1 dims place no constraint on their stride. Returns false when neither layout fits.
bool blas_operand(int rows, int cols, int64_t rs, int64_t cs, BlasOperand* op) {
  const int64_t min_cols = cols > 1 ? cols : 1, min_rows = rows > 1 ? rows : 1;
  if (rows == 0 || cols == 0) {
    // Nothing is read: any layout will do.
    op->trans = CblasNoTrans;
    op->ld = int(min_cols);
    return true;
  }
  // BLAS takes an int leading dimension: a longer stride cannot reach it (the caller copies the operand instead).
  if ((cols == 1 || cs == 1) && (rows == 1 || (rs >= min_cols && rs <= INT32_MAX))) {
    op->trans = CblasNoTrans;
    op->ld = int(rows == 1 ? min_cols : rs);
    return true;
  }
  if ((rows == 1 || rs == 1) && (cols == 1 || (cs >= min_rows && cs <= INT32_MAX))) {
    op->trans = CblasTrans;
    op->ld = int(cols == 1 ? min_rows : cs);
    return true;
  }
  return false;
}

// One row-major GEMM in T's precision.
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, double alpha, const double* a, int lda,
          const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// float32 on torchlet's sgemm, which takes any strides: batch entries split over torchlet's threads when there
// are several of them (each product on one thread), else each product split by bands of C.
void sgemm_batched(int batch_rank, const int64_t* batch_shape, int m, int n, int k, float alpha, const float* a,
                   const MatrixView& va, const float* b, const MatrixView& vb, float beta, float* out,
                   int64_t out_offset) {
  int64_t batch = 1;
  for (int d = 0; d < batch_rank; ++d) batch *= batch_shape[d];
  if (batch == 0 || m == 0 || n == 0) return;
  const int64_t out_stride = int64_t(m) * n;
  const int threads = get_num_threads();
  if (batch_rank == 0) {
    // One product (the common case, and the one where a small product's call overhead shows): no batch walk.
    sgemm(m, n, k, alpha, a + va.offset, va.rs, va.cs, b + vb.offset, vb.rs, vb.cs, beta, out + out_offset, n, threads);
    return;
  }
  // The offsets of each batch entry's a and b, in batch order.
  std::vector<int64_t> offs(size_t(batch) * 2);
  int64_t e = 0;
  StridedIter<2> it(batch_rank, batch_shape, {View{va.offset, va.batch_strides}, View{vb.offset, vb.batch_strides}});
  it.run([&](const int64_t* p, int64_t count, const int64_t* st) {
    for (int64_t i = 0; i < count; ++i, ++e) {
      offs[size_t(e) * 2] = p[0] + i * st[0];
      offs[size_t(e) * 2 + 1] = p[1] + i * st[1];
    }
  });
  auto one = [&](int64_t i, int th) {
    sgemm(m, n, k, alpha, a + offs[size_t(i) * 2], va.rs, va.cs, b + offs[size_t(i) * 2 + 1], vb.rs, vb.cs, beta,
          out + out_offset + i * out_stride, n, th);
  };
  if (batch == 1 || threads <= 1) {
    for (int64_t i = 0; i < batch; ++i) one(i, threads);
    return;
  }
  parallel_for(batch, threads, [&](int64_t i, int) { one(i, 1); });
}

template <typename T>
int gemm_batched(int batch_rank, const int64_t* batch_shape, int m, int n, int k, T alpha, const T* a,
                 const MatrixView& va, const T* b, const MatrixView& vb, T beta, T* out, int64_t out_offset) {
  if constexpr (std::is_same<T, float>::value) {
    sgemm_batched(batch_rank, batch_shape, m, n, k, alpha, a, va, b, vb, beta, out, out_offset);
    return 0;
  }
  BlasOperand oa, ob;
  int bad = 0;
  if (!blas_operand(m, k, va.rs, va.cs, &oa)) bad |= 1;
  if (!blas_operand(k, n, vb.rs, vb.cs, &ob)) bad |= 2;
  if (bad) return bad;
  if (m == 0 || n == 0) return 0;
  const int64_t out_stride = int64_t(m) * n;
  int64_t batch = 0;
  StridedIter<2> it(batch_rank, batch_shape, {View{va.offset, va.batch_strides}, View{vb.offset, vb.batch_strides}});
  it.run([&](const int64_t* p, int64_t count, const int64_t* s) {
    for (int64_t i = 0; i < count; ++i, ++batch) {
      T* c = out + out_offset + batch * out_stride;
      if (k == 0) {
        // BLAS leaves C untouched for k == 0 only when beta == 1; make the empty sum explicit.
        for (int64_t j = 0; j < out_stride; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
        continue;
      }
      gemm(oa.trans, ob.trans, m, n, k, alpha, a + p[0] + i * s[0], oa.ld, b + p[1] + i * s[1], ob.ld, beta, c,
           n > 0 ? n : 1);
    }
  });
  return 0;
}

}  // namespace
}  // namespace blas_detail

int gemm_batched(DType t, int batch_rank, const int64_t* batch_shape, int m, int n, int k, double alpha,
                 const void* a, const MatrixView& va, const void* b, const MatrixView& vb, double beta, void* out,
                 int64_t out_offset) {
  int result = -1;
  dispatch_float(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    result = blas_detail::gemm_batched(batch_rank, batch_shape, m, n, k, T(alpha), static_cast<const T*>(a), va,
                                       static_cast<const T*>(b), vb, T(beta), static_cast<T*>(out), out_offset);
  });
  return result;
}

}  // namespace torchlet
