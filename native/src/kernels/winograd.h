// Winograd F(2x2, 3x3) convolution: the path conv.cpp takes for 3x3, stride-1, undilated, ungrouped convolutions.
// Each 2x2 output tile costs 16 multiplies per channel pair instead of 36: the input tile d (4x4) and the filter
// g (3x3) are transformed (V = B^T d B, U = G g G^T), multiplied elementwise and summed over channels (for each
// of the 16 positions a GEMM over channels), and transformed back (Y = A^T M A).
#pragma once
#include <cstdint>

#include "kernels.h"

namespace torchlet {
namespace winograd {

// Whether the Winograd path handles g (forward and both gradients).
bool applies(const ConvGeometry& g);
// Floats of scratch the three kernels below need on `threads` threads.
int64_t workspace(const ConvGeometry& g, int threads);
void forward(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g, int threads, float* ws);
void backward_input(const float* gy, const float* w, float* gx, const ConvGeometry& g, int threads, float* ws);
void backward_weight(const float* x, const float* gy, float* gw, const ConvGeometry& g, int threads, float* ws);

}  // namespace winograd
}  // namespace torchlet
