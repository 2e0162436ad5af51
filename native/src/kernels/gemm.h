// torchlet's own small GEMM for the convolution kernels: a register-tiled micro-kernel (AVX-512, AVX2 or
// portable C++, picked at load time) plus packing and edge handling. It runs on the calling thread, so the
// convolutions can split their work over torchlet's threads without handing every tile to OpenBLAS's pool.
#pragma once
#include <cstdint>

namespace torchlet {
namespace gemm {

// The widest instruction set the float kernels use: the CPU's (x86-64-v4 counts as AVX-512, x86-64-v3 as AVX2),
// narrowed by TORCHLET_MICROKERNEL=avx2 or portable (the kernel tests run each). Read once.
enum class Isa { portable, avx2, avx512 };
Isa isa();

// Columns per micro-kernel call.
constexpr int kNR = 16;

// c[mr][16] (+)= a^T b: a packed as [kc][mr], b as kc rows of 16 floats ldb apart, c rows ldc apart.
using MicroFn = void (*)(int kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc, bool acc);
struct Micro {
  int mr;  // rows per call
  MicroFn fn;
  // The same product over 2 * kNR columns (two strips side by side in b and c), or null where the CPU has no such
  // kernel. Each element is summed in the same order as by fn, so either gives the same bits.
  MicroFn wide = nullptr;
};
const Micro& micro();

inline int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
void transpose(const float* src, int64_t lds, int rows, int64_t cols, float* dst, int64_t ldd);

// Floats pack_a writes for an m x k operand.
inline int64_t packed_size(int m, int k) { return round_up(m, micro().mr) * int64_t(k); }
// Packs the m x k operand whose element (i, p) is a[i * rs + p * cs] as [ceil(m / mr)][k][mr], zero past row m.
void pack_a(const float* a, int64_t rs, int64_t cs, int m, int k, float* out);

// Floats of scratch multiply needs for inner dimension k.
inline int64_t scratch_size(int k) { return int64_t(k) * kNR + int64_t(micro().mr) * kNR; }
// c [m][n] (rows ldc apart) = (or += with acc) A [m][k] (packed by pack_a) @ b [k][n] (rows ldb apart).
// Partial tiles at the right and bottom edges go through scratch, so nothing outside c or b is touched.
void multiply(int m, int n, int k, const float* ap, const float* b, int64_t ldb, float* c, int64_t ldc, bool acc,
              float* scratch);

}  // namespace gemm
}  // namespace torchlet
