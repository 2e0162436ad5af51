// The kernel sources as one translation unit: linked into the addon and into the C++ kernel tests. Each file keeps
// its helpers in a namespace of its own, torchlet::<file>_detail, so names cannot collide here; an unnamed namespace
// inside it gives them internal linkage, so the optimiser sees every caller (the addon is a shared library, where
// an exported function could be interposed and is not inlined).
#include "src/kernels/elementwise.cpp"
#include "src/kernels/vmath.cpp"
#include "src/kernels/reduce.cpp"
#include "src/kernels/blas.cpp"
#include "src/kernels/index.cpp"
#include "src/kernels/rng.cpp"
#include "src/kernels/optim.cpp"
#include "src/kernels/parallel.cpp"
#include "src/kernels/stream.cpp"
#include "src/kernels/gemm.cpp"
#include "src/kernels/sgemm.cpp"
#include "src/kernels/winograd.cpp"
#include "src/kernels/conv.cpp"
#include "src/kernels/pool.cpp"
#include "src/kernels/fill.cpp"
#include "src/kernels/fused.cpp"
#include "src/kernels/rnn.cpp"
