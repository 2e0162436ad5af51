// Declarations of torchlet's C++ kernels. Plain C++17 on raw buffers and layouts: no Node headers.
// Every function trusts its arguments; the binding layer (native/src/binding/) validates them first.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>

#include "dtype.h"
#include "strided.h"
#include "vmath.h"

// A function marked TORCHLET_SIMD_CLONES is also built for x86-64-v3 (AVX2, FMA) on x86-64 Linux and picked at
// load time by CPU features (ifunc), so its loops vectorise 8-wide. IEEE operations give the same bits in every
// version. ("arch=haswell" would dispatch on the CPU model, never on AMD.)
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define TORCHLET_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
// Also an x86-64-v4 (AVX-512) version, 16 floats wide: for the plain elementwise runs, which at 64K elements (data
// in L2) ran about 20% faster on Zen 5 than the AVX2 version.
#define TORCHLET_SIMD_CLONES_WIDE __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define TORCHLET_SIMD_CLONES
#define TORCHLET_SIMD_CLONES_WIDE
#endif

namespace torchlet {

// A kernel's report that its operands' values have no result it can give (an integer division by zero, a quotient
// outside int32): the kernel throws it before writing anything, and the binding turns it into a JS RangeError.
struct KernelError : std::range_error {
  using std::range_error::range_error;
};

// The op and kind lists are exported to JS by name, so TypeScript never hard-codes these numbers.
#define TORCHLET_BINARY_OPS(X) \
  X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum) X(remainder) X(floor_divide) \
  X(threshold_backward) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(logical_and) X(logical_or) X(logical_xor)
// Unary ops of floating inputs, one line each: X(name, the result for one element x of type T (float or double)).
// p0 and p1, the op's scalar parameters (clamp bounds, exponent, slope), are there converted to T (pow_scalar's
// exactly computed exponents arrive as compile-time constants instead: see exact_pow in elementwise.cpp). This line
// is all an op needs: its code, its exported name and its kernel come from here. float32 inputs of the ops vmath.h
// has (exp ... cos, gelu, silu, softplus: p0 = beta, p1 = threshold, pow_scalar's other exponents) run its vector
// kernels instead of the expression (see vmath_of in elementwise.cpp).
#define TORCHLET_FLOAT_UNARY_OPS(X)                    \
  X(neg, -x)                                           \
  X(abs, std::fabs(x))                                 \
  X(exp, std::exp(x))                                  \
  X(log, std::log(x))                                  \
  X(sqrt, std::sqrt(x))                                \
  X(rsqrt, T(1) / std::sqrt(x))                        \
  X(sin, std::sin(x))                                  \
  X(cos, std::cos(x))                                  \
  X(tanh, std::tanh(x))                                \
  X(sigmoid, T(1) / (T(1) + std::exp(-x)))             \
  X(relu, x < T(0) ? T(0) : x)                        \
  X(sign, T((T(0) < x) - (x < T(0))))                  \
  X(clamp, x != x ? x : std::min(std::max(x, p0), p1)) \
  X(pow_scalar, exact_pow(x, p0))                      \
  X(log1p, std::log1p(x))                              \
  X(expm1, std::expm1(x))                              \
  X(floor, std::floor(x))                              \
  X(ceil, std::ceil(x))                                \
  X(round, std::nearbyint(x))                          \
  X(trunc, std::trunc(x))                              \
  X(reciprocal, T(1) / x)                              \
  X(erf, std::erf(x))                                  \
  X(square, x * x)                                     \
  X(sinh, std::sinh(x))                                \
  X(cosh, std::cosh(x))                                \
  X(leaky_relu, x > T(0) ? x : x * p0)                 \
  X(gelu, gelu_exact(x))                               \
  X(gelu_tanh, gelu_tanh(x))                           \
  X(silu, x / (T(1) + std::exp(-x)))                   \
  X(softplus, softplus(x, p0, p1))                     \
  X(tan, std::tan(x))                                  \
  X(atan, std::atan(x))                                \
  X(asin, std::asin(x))                                \
  X(acos, std::acos(x))                                \
  X(asinh, std::asinh(x))                              \
  X(acosh, std::acosh(x))                              \
  X(atanh, std::atanh(x))                              \
  X(log2, std::log2(x))                                \
  X(log10, std::log10(x))                              \
  X(exp2, std::exp2(x))
// Unary ops with a bool result, for inputs of every dtype.
#define TORCHLET_BOOL_UNARY_OPS(X) X(logical_not, x == 0) X(isnan, x != x)
#define TORCHLET_REDUCE_OPS(X) X(sum) X(prod) X(max) X(min) X(argmax) X(argmin)
// Convolution and pooling kernels (conv2d, pool2d below), in the order of their codes.
#define TORCHLET_CONV_KINDS(X) X(forward) X(backward_input) X(backward_weight)
#define TORCHLET_POOL_KINDS(X) \
  X(max) X(avg) X(avg_backward) X(adaptive_avg) X(adaptive_max) X(adaptive_avg_backward) X(max_backward)
// Range fills (fill_range below).
#define TORCHLET_RANGE_KINDS(X) X(arange) X(linspace)

#define TORCHLET_ENUM_ITEM(name, ...) name,
enum class BinaryOp : int { TORCHLET_BINARY_OPS(TORCHLET_ENUM_ITEM) kCount };
enum class UnaryOp : int { TORCHLET_FLOAT_UNARY_OPS(TORCHLET_ENUM_ITEM) TORCHLET_BOOL_UNARY_OPS(TORCHLET_ENUM_ITEM) kCount };
enum class ReduceOp : int { TORCHLET_REDUCE_OPS(TORCHLET_ENUM_ITEM) kCount };
enum class ConvKind : int { TORCHLET_CONV_KINDS(TORCHLET_ENUM_ITEM) kCount };
enum class PoolKind : int { TORCHLET_POOL_KINDS(TORCHLET_ENUM_ITEM) kCount };
enum class RangeKind : int { TORCHLET_RANGE_KINDS(TORCHLET_ENUM_ITEM) kCount };
#undef TORCHLET_ENUM_ITEM

// Null-terminated, in code order.
extern const char* const kBinaryOpNames[];
extern const char* const kUnaryOpNames[];
extern const char* const kReduceOpNames[];
extern const char* const kConvKindNames[];
extern const char* const kPoolKindNames[];
extern const char* const kRangeKindNames[];

// out = op(a, b) over `shape`. a and b share dtype `tin`; comparisons and logical ops write U8, the others tin.
// add and sub take alpha: out = a + alpha * b (a - alpha * b), one fused multiply-add for floats as in
// PyTorch's vectorised kernels. Returns false when the op does not exist for these dtypes. Integer remainder and
// floor_divide throw KernelError("ZeroDivisionError") for a zero divisor, floor_divide also for INT32_MIN // -1.
bool binary(BinaryOp op, DType tout, void* out, DType tin, const void* a, const void* b, int rank,
            const int64_t* shape, const View& vo, const View& va, const View& vb, double alpha = 1.0);

// out = op(a) over `shape`; p0/p1 are the op's scalar parameters (clamp bounds, exponent, slope). Floating inputs
// take every op of TORCHLET_FLOAT_UNARY_OPS, int32 a few; the bool-result ops take any input and write U8.
// int32 neg and abs throw KernelError for INT32_MIN, whose negation int32 cannot hold.
bool unary(UnaryOp op, DType tout, void* out, DType tin, const void* a, int rank, const int64_t* shape,
           const View& vo, const View& va, double p0, double p1);

// ---- vmath: the fused activation gradients (float32 on vmath.h's vector kernels, float64 on libm) ----
// out = op(g, a; p0, p1) over `shape` (see TORCHLET_VMATH_BACKWARD), every operand of floating dtype t. Returns
// false for other dtypes.
extern const char* const kUnaryBackwardNames[];
bool unary_backward(VBackward op, DType t, void* out, const void* g, const void* a, int rank, const int64_t* shape,
                    const View& vo, const View& vg, const View& va, double p0, double p1);

// out = cond ? a : b, for elements of `elem_size` bytes (1, 4 or 8).
void where(size_t elem_size, void* out, const uint8_t* cond, const void* a, const void* b, int rank,
           const int64_t* shape, const View& vo, const View& vc, const View& va, const View& vb);

// dst = src converted from `ts` to `td`, any pair of dtypes: float to int truncates (NaN gives 0, values out of
// range the nearest int32), anything to bool tests for non-zero, the same dtype copies the bits.
void copy(DType td, void* dst, DType ts, const void* src, int rank, const int64_t* shape, const View& vd,
          const View& vs);

// Reduces the dims flagged in `reduce_mask`; out (and idx for max/min/argmax/argmin) are contiguous over the
// kept dims. Indices count positions in the reduced sub-space in row-major order.
bool reduce(ReduceOp op, DType t, void* out, int32_t* idx, const void* in, int rank, const int64_t* shape,
            const View& vin, const uint8_t* reduce_mask);

// Row-major matrix operand: element (i, j) of each batch entry at offset + i * rs + j * cs.
struct MatrixView {
  int64_t offset;
  int64_t rs, cs;
  const int64_t* batch_strides;
};
// out[b] = alpha * A[b] @ B[b] + beta * out[b] for every batch index, out contiguous [batch..., m, n], every operand
// of floating dtype t (float32 on sgemm below, any strides, batch entries split over torchlet's threads; float64 on
// cblas_dgemm; alpha and beta rounded to t). Returns 0, or a bit mask (1 = A, 2 = B) of the operands whose strides
// cannot reach dgemm without a copy; -1 when t is not floating.
int gemm_batched(DType t, int batch_rank, const int64_t* batch_shape, int m, int n, int k, double alpha,
                 const void* a, const MatrixView& va, const void* b, const MatrixView& vb, double beta, void* out,
                 int64_t out_offset);

// ---- sgemm.cpp: torchlet's blocked float32 GEMM ----
// c[i * ldc + j] = alpha * sum_p A(i, p) B(p, j) + beta * c[i * ldc + j] for i < m, j < n, with A(i, p) at
// a[i * ars + p * acs] and B(p, j) at b[p * brs + j * bcs] (any strides); beta 0 does not read c. Large products
// split over up to `threads` of torchlet's threads by bands of C; the same bits on any number of threads and on
// the AVX-512 and AVX2 micro-kernels.
void sgemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t ars, int64_t acs, const float* b,
           int64_t brs, int64_t bcs, float beta, float* c, int64_t ldc, int threads);

// out[i] = src[i with dim replaced by index[i]] over the index's shape, for elements of `elem_size` bytes (1, 4
// or 8). Returns -1, or the flat position of the first index outside [0, dim_size) with its value in *bad_value.
int64_t gather(size_t elem_size, void* out, const void* src, const int32_t* index, int rank, const int64_t* shape,
               const View& vo, const View& vs, const View& vi, int dim, int64_t dim_size, int32_t* bad_value);

// out[i with dim replaced by index[i]] += src[i] over the index's shape (integers wrap). Same return as gather.
int64_t scatter_add(DType t, void* out, const void* src, const int32_t* index, int rank, const int64_t* shape,
                    const View& vo, const View& vs, const View& vi, int dim, int64_t dim_size, int32_t* bad_value);

// torchlet's worker threads (OpenBLAS has its own pool, sized separately). parallel_for calls fn(task, thread) for
// each task in [0, tasks), spread over up to `threads` threads; thread is in [0, threads).
using TaskFn = std::function<void(int64_t task, int thread)>;
void set_num_threads(int n);
int get_num_threads();
void parallel_for(int64_t tasks, int threads, const TaskFn& fn);
// Calls body(first, last) over ranges covering [0, count): on torchlet's threads (up to 4 ranges per thread, each
// worth at least 32K touched elements) when `work` (elements touched in all) is 64K or more, else once on the
// caller, directly (small ops pay nothing for it). For kernels whose items are independent, so the split never
// changes a result.
template <typename F>
void parallel_range(int64_t count, int64_t work, const F& body) {
  constexpr int64_t kGrain = 32768;
  if (count < 2 || work < 2 * kGrain) return body(int64_t(0), count);
  const int threads = get_num_threads();
  if (threads <= 1) return body(int64_t(0), count);
  const int64_t tasks = std::min({count, int64_t(threads) * 4, work / kGrain});
  parallel_for(tasks, threads, [&](int64_t t, int) { body(count * t / tasks, count * (t + 1) / tasks); });
}
// Results in fresh storage (stream.cpp). The binding marks a kernel call whose output is a block just allocated
// (FreshResult, on the calling thread for the call's duration); a kernel asks stream_result, on that thread, whether
// to write its result of `bytes` with streaming stores, which skip reading the lines in first. Yes only for results
// of 2 MiB and more, on CPUs where that pays (AMD by default; TORCHLET_STREAMING_STORES=1 or 0 forces it).
class FreshResult {
 public:
  explicit FreshResult(bool fresh);
  ~FreshResult();
  FreshResult(const FreshResult&) = delete;
  FreshResult& operator=(const FreshResult&) = delete;

 private:
  bool saved_;
};
bool stream_result(int64_t bytes);
// Whether this process writes fresh results with streaming stores at all.
bool streaming_stores();
// Copies `rows` rows of `bytes` (a multiple of 64) from src, where they lie back to back, to dst, where they start
// ldd bytes apart, with streaming stores; src, dst and ldd on 64-byte lines. A thread that streamed calls
// stream_fence before its results are read by another thread (before its task ends).
void stream_rows(void* dst, int64_t ldd, const void* src, int64_t bytes, int64_t rows);
void stream_fence();

// How many fixed chunks a sum over `items` is cut into on `threads` threads: each chunk sums a contiguous range
// in order and the chunks are added in order, so the result depends on the thread count only.
inline int64_t sum_chunks(int64_t items, int threads) { return std::min<int64_t>(items, 2 * int64_t(threads)); }

// Geometry of a 2-D convolution on contiguous NCHW input, OIHW weight (I = c / groups) and NCHW output.
struct ConvGeometry {
  int n, c, h, w;       // input
  int oc, kh, kw;       // weight
  int sh, sw, ph, pw, dh, dw, groups;
  int oh, ow;           // output
};
// Elements of dtype t of scratch the convolution kernels need when run on `threads` threads (any of the three).
int64_t conv2d_workspace(DType t, const ConvGeometry& g, int threads);
// One convolution kernel over operands of floating dtype t; ws holds conv2d_workspace(t, g, threads) elements.
//   forward:         a = x, b = w   -> out = conv(x, w) + bias (bias: oc elements, or null)
//   backward_input:  a = gy, b = w  -> out = gx, d conv / d x applied to gy
//   backward_weight: a = x, b = gy  -> out = gw, the sum over the batch of gy x^T in column form
// out is overwritten. float32 runs on `threads` of torchlet's threads (Winograd for 3x3 stride-1 kernels, else
// im2col and torchlet's GEMM); float64 is im2col + cblas_dgemm per image and group. Returns false when t is not
// floating.
bool conv2d(ConvKind kind, DType t, const void* a, const void* b, const void* bias, void* out, const ConvGeometry& g,
            int threads, void* ws);

// Geometry of a 2-D pooling over contiguous [planes, h, w] input and [planes, oh, ow] output.
struct PoolGeometry {
  int64_t planes;
  int h, w, oh, ow;
  int kh, kw, sh, sw, ph, pw, dh, dw;
  int count_include_pad;
  int64_t divisor_override;  // average pooling only (0: no override)
};
// One pooling kernel over a and out of floating dtype t; the adaptive kinds pool to oh x ow.
//   max, adaptive_max:                  a = x  -> out = y, idx = the flat position (i * w + j) of each maximum
//   avg, adaptive_avg:                  a = x  -> out = y (idx unused)
//   avg_backward, adaptive_avg_backward: a = gy -> out = gx
//   max_backward (both max kinds):      a = gy, idx read -> out = gx: zero, then gx[plane, idx] += gy
// Returns false when t is not floating, or when an index of max_backward lies outside its plane (that entry skipped).
bool pool2d(PoolKind kind, DType t, const void* a, void* out, int32_t* idx, const PoolGeometry& g);

// Fills out[0, n) of dtype t, split over torchlet's threads: arange (a = start, b = step: out[i] = a + i * b in
// double, then stored) or linspace (from a to b inclusive, in n steps, as PyTorch's CPU kernel computes it). Values
// are stored as t: floats round, int32 truncates (the caller checks that every value fits). False for bool.
bool fill_range(RangeKind kind, DType t, void* out, int64_t n, double a, double b);

// One Adam/AdamW update of a contiguous parameter, in place, as the sequence of operations torch.optim performs in
// the parameter's dtype (lerp, mul + addcmul, sqrt / sqrt(bc2) + eps, addcdiv), so the result is the same bits.
struct AdamStep {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
  bool amsgrad, maximize, decoupled;
};
// p, g, m, v and vmax (null without amsgrad) hold n elements of floating dtype t. Returns false for other dtypes.
bool adam_step(DType t, void* p, const void* g, void* m, void* v, void* vmax, int64_t n, const AdamStep& s);

// PyTorch's CPU generator (MT19937 plus its cached normal sample), kept in a caller-owned array of
// kRngStateWords 32-bit words so JS can copy, save and restore it.
constexpr int kRngStateWords = 630;
void rng_seed(uint32_t* state, uint64_t seed);
uint32_t rng_random(uint32_t* state);
// The next n outputs of rng_random, generated a block at a time (the same stream as n calls, interleaving freely).
void rng_random_fill(uint32_t* state, uint32_t* out, int64_t n);
// Fill out[0, n) of floating dtype t with PyTorch's streams for that dtype (float64 draws 53-bit uniforms); return
// false for other dtypes.
bool rng_uniform(uint32_t* state, DType t, void* out, int64_t n, double from, double to);
bool rng_normal(uint32_t* state, DType t, void* out, int64_t n, double mean, double std);
bool rng_bernoulli(uint32_t* state, DType t, void* out, int64_t n, double p);
void rng_randint(uint32_t* state, int32_t* out, int64_t n, int64_t low, int64_t high);
void rng_randperm(uint32_t* state, int32_t* out, int64_t n);

// ---- fused kernels (fused.cpp): softmax family, layer norm, classification losses ----
// Kinds of softmax_forward / softmax_backward, exported to JS by name.
#define TORCHLET_SOFTMAX_KINDS(X) X(softmax) X(log_softmax) X(logsumexp)
enum class SoftmaxKind : int {
#define TORCHLET_SOFTMAX_ITEM(name) name,
  TORCHLET_SOFTMAX_KINDS(TORCHLET_SOFTMAX_ITEM)
#undef TORCHLET_SOFTMAX_ITEM
  kCount
};
extern const char* const kSoftmaxKindNames[];
// x and out contiguous, of floating dtype t, x viewed as [outer, n, inner] with the softmax dim in the middle:
// out = softmax or log_softmax of x (the same shape) or logsumexp ([outer, inner]). The forward is the same bits on
// any thread count. False when t is not floating.
bool softmax_forward(SoftmaxKind kind, DType t, const void* x, void* out, int64_t outer, int64_t n, int64_t inner);
// The gradient gx ([outer, n, inner]) for the incoming gradient g: softmax, y its output: gx = y (g - sum(g y));
// log_softmax, y its output: gx = g - exp(y) sum(g); logsumexp, y its input, r its output and g of r's shape
// [outer, inner]: gx = g exp(y - r) (r unused by the other kinds).
bool softmax_backward(SoftmaxKind kind, DType t, const void* g, const void* y, const void* r, void* gx, int64_t outer,
                      int64_t n, int64_t inner);
// ---- attention weights (fused.cpp; multi-head attention) ----
// Softmax over the last dim of a contiguous x [batch, heads, rows, n] of floating dtype t, in place, and mean
// [batch, rows, n] = the sum of the results over the heads divided by heads (PyTorch's weights.sum(1) / num_heads),
// written while each row is in cache. The same bits as softmax_forward on any thread count. False when t is not
// floating.
bool softmax_head_mean(DType t, void* x, void* mean, int64_t batch, int64_t heads, int64_t rows, int64_t n);
// Layer norm over the rows of a contiguous [m, n] x: y = (x - mean) rstd * w + b (w, b of n elements or null),
// rstd = 1 / sqrt(biased variance + eps); mean and rstd (m each) are saved for the backward.
bool layer_norm_forward(DType t, const void* x, const void* w, const void* b, void* y, void* mean, void* rstd,
                        int64_t m, int64_t n, double eps);
// Its gradients for incoming g: gx ([m, n]), gw and gb (n each); any of the three may be null (not wanted).
bool layer_norm_backward(DType t, const void* g, const void* x, const void* mean, const void* rstd, const void* w,
                         void* gx, void* gw, void* gb, int64_t m, int64_t n);
// A classification loss over `rows` rows of `classes` scores each (contiguous), target one class index per row:
// cross entropy of logits (fused log_softmax, then nll with label smoothing), or nll of log-probabilities
// (log_input). reduction: 0 none, 1 mean (divided by the kept rows' weight), 2 sum.
struct ClassLoss {
  int64_t rows, classes;
  int64_t ignore_index;
  double smoothing;
  bool log_input;
  int reduction;
};
// The first row whose target is neither ignore_index nor in [0, classes), or -1.
int64_t class_loss_check(const int32_t* target, const ClassLoss& p);
// loss: rows values (none) or one; stats: 2 per row (the log_softmax's max and log-sum), unused for log_input;
// *total_weight: the kept rows' weight. Returns class_loss_check's answer and computes nothing when it is a row.
int64_t class_loss_forward(DType t, const void* x, const int32_t* target, const void* weight, void* loss, void* stats,
                           double* total_weight, const ClassLoss& p);
// gx ([rows, classes]) for the incoming g (rows values for none, else one). False for a bad target or dtype.
bool class_loss_backward(DType t, const void* x, const int32_t* target, const void* weight, const void* stats,
                         const void* g, void* gx, double total_weight, const ClassLoss& p);
// ---- end of fused kernels ----
// ---- fused recurrent layers (rnn.cpp) --------------------------------------------------------------------------
// One direction of one recurrent layer over a whole sequence, packed time-major: step t holds batch_sizes[t] rows
// (the first that many sequences of the batch), steps one after another. `reverse` runs the steps from last to
// first. A padded batch is the case of equal batch sizes.
#define TORCHLET_RNN_MODES(X) X(rnn_tanh) X(rnn_relu) X(lstm) X(gru)
#define TORCHLET_RNN_ENUM_ITEM(name) name,
enum class RnnMode : int { TORCHLET_RNN_MODES(TORCHLET_RNN_ENUM_ITEM) kCount };
#undef TORCHLET_RNN_ENUM_ITEM
extern const char* const kRnnModeNames[];
struct RnnGeometry {
  RnnMode mode;
  int steps;   // T
  int batch;   // B: rows of h0 / c0 / h_n / c_n (at least every batch size)
  int hidden;  // H
  int out;     // P: the width of h (proj_size for a projected LSTM, else H)
  int gates;   // G: H, 4H (LSTM) or 3H (GRU)
  bool reverse;
  bool proj;   // LSTM with an output projection w_hr [P, H]
};
// Elements of the buffer rnn_forward fills with what rnn_backward needs, for `rows` packed rows.
int64_t rnn_saved_size(const RnnGeometry& g, int64_t rows);
// out [N, P], h_n [B, P], c_n [B, H] (LSTM) from xw = x W_ih^T + b_ih [N, G], h0 [B, P], c0 [B, H] (LSTM), w_hh
// [G, P], b_hh [G] (or null), w_hr [P, H] (projection only). Gates as PyTorch's CPU cells compute them; one GEMM per
// step (two with a projection). Returns false when t is not floating.
bool rnn_forward(DType t, const RnnGeometry& g, const int32_t* batch_sizes, const void* xw, const void* h0,
                 const void* c0, const void* w_hh, const void* b_hh, const void* w_hr, void* out, void* h_n, void* c_n,
                 void* saved);
// The gradients of rnn_forward given those of out, h_n and c_n (each may be null: zero): d_xw [N, G], d_h0, d_c0
// (LSTM), d_whh, d_bhh (or null), d_whr (projection). Every output is overwritten. `saved` is rnn_forward's.
bool rnn_backward(DType t, const RnnGeometry& g, const int32_t* batch_sizes, const void* w_hh, const void* w_hr,
                  const void* out, void* saved, const void* g_out, const void* g_hn, const void* g_cn, void* d_xw,
                  void* d_h0, void* d_c0, void* d_whh, void* d_bhh, void* d_whr);

}  // namespace torchlet
