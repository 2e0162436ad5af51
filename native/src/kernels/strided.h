// N-dimensional strided iteration shared by every elementwise-style kernel.
// Plain C++17: no Node headers, so kernels can be unit-tested and sanitized without Node.
#pragma once
#include <algorithm>
#include <cstdint>

namespace torchlet {

constexpr int kMaxRank = 16;

// Describes one operand of a kernel: element offset into its buffer and a stride per dim (in elements).
struct View {
  int64_t offset = 0;
  const int64_t* strides = nullptr;
};

// Iterates the index space `shape` over K operands at once, calling f(pos, n, step) for every innermost run:
// pos[k] is operand k's element offset at the start of the run, n the run length, step[k] its stride along it.
// Dims of size 1 are dropped and dims that are contiguous for every operand are merged first, so contiguous
// operands reach f as one long run.
template <int K>
class StridedIter {
 public:
  StridedIter(int rank, const int64_t* shape, const View (&views)[K]) {
    rank_ = 0;
    numel_ = 1;
    for (int k = 0; k < K; ++k) offset_[k] = views[k].offset;
    // Nothing is addressed in an empty shape: its other sizes and its strides were never checked, so leave them be.
    for (int d = 0; d < rank; ++d) {
      if (shape[d] == 0) {
        numel_ = 0;
        return;
      }
    }
    for (int d = 0; d < rank; ++d) numel_ *= shape[d];
    for (int d = 0; d < rank; ++d) {
      if (shape[d] == 1) continue;
      bool merge = rank_ > 0;
      for (int k = 0; k < K && merge; ++k) {
        merge = strides_[k][rank_ - 1] == views[k].strides[d] * shape[d];
      }
      if (merge) {
        shape_[rank_ - 1] *= shape[d];
        for (int k = 0; k < K; ++k) strides_[k][rank_ - 1] = views[k].strides[d];
      } else {
        shape_[rank_] = shape[d];
        for (int k = 0; k < K; ++k) strides_[k][rank_] = views[k].strides[d];
        ++rank_;
      }
    }
  }

  int64_t numel() const { return numel_; }

  template <typename F>
  void run(F&& f) const {
    run_range(0, numel_, f);
  }

  // As run, over the elements [begin, end) of the index space in row-major order (runs may be cut short at
  // either end), so disjoint ranges can go to different threads.
  template <typename F>
  void run_range(int64_t begin, int64_t end, F&& f) const {
    if (begin >= end) return;
    int64_t pos[K];
    int64_t step[K];
    if (rank_ == 0) {
      for (int k = 0; k < K; ++k) {
        pos[k] = offset_[k];
        step[k] = 0;
      }
      f(pos, int64_t(1), step);
      return;
    }
    const int inner = rank_ - 1;
    int64_t idx[kMaxRank];
    int64_t rest = begin;
    for (int d = inner; d >= 0; --d) {
      idx[d] = rest % shape_[d];
      rest /= shape_[d];
    }
    for (int k = 0; k < K; ++k) {
      pos[k] = offset_[k];
      for (int d = 0; d <= inner; ++d) pos[k] += idx[d] * strides_[k][d];
      step[k] = strides_[k][inner];
    }
    for (int64_t at = begin;;) {
      const int64_t n = std::min(shape_[inner] - idx[inner], end - at);
      f(pos, n, step);
      at += n;
      if (at >= end) return;
      // Back to the start of the inner row, then on to the next row.
      for (int k = 0; k < K; ++k) pos[k] -= idx[inner] * strides_[k][inner];
      idx[inner] = 0;
      for (int d = inner - 1; d >= 0; --d) {
        ++idx[d];
        for (int k = 0; k < K; ++k) pos[k] += strides_[k][d];
        if (idx[d] < shape_[d]) break;
        for (int k = 0; k < K; ++k) pos[k] -= strides_[k][d] * shape_[d];
        idx[d] = 0;
      }
    }
  }

 private:
  int rank_;
  int64_t numel_;
  int64_t shape_[kMaxRank];
  int64_t strides_[K][kMaxRank];
  int64_t offset_[K];
};

}  // namespace torchlet
